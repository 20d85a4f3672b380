"""一件事一次办: one form and one set of materials fan out to an application per item,
handled in parallel by their departments; the bundle runs its own clock and closes when
every item is done (国办发〔2024〕3号 "一件事一次办")."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from convenience.services import applications
from convenience.services.case_types import BUNDLE_TYPE
from convenience.services.common import SYSTEM, context, move, new_number, unit_row
from convenience.services.models import Application, Bundle, BundleType, Item
from convenience.services.workflows import APPLICATION, BUNDLE
from core.attachments import service as attachments
from core.errors import InvalidInput, NotFound
from core.security import Principal
from core.settings import Settings
from core.workflow import clocks, links, runner, timeline
from core.workflow.clocks import Subject

SUBJECT = "svc_bundle"


def bundle_type(session: Session, code: str) -> BundleType:
    kind = session.get(BundleType, code)
    if kind is None or not kind.is_active:
        raise NotFound(f"no 一件事 {code!r}", code="bundle_type_unknown")
    return kind


def open_bundle(session: Session, *, principal: Principal, data: Mapping[str, Any],
                files: Sequence = (), settings: Settings, now: datetime | None = None
                ) -> Bundle:
    """The bundle and its applications, all in one transaction: one refused item refuses
    the whole form (nothing half-opened)."""
    now = now or runner.now_utc()
    kind = bundle_type(session, data["bundle_type"])
    window = unit_row(session, data["intake_unit_id"])
    checked = attachments.check_all(files, limits=attachments.Limits.of(settings)) \
        if files else []
    bundle = Bundle(number=new_number(session, "YJS", now=now, settings=settings),
                    bundle_type=kind.code, state="handling", version=1,
                    owner_unit_id=window.id, owner_code=window.seat_code,
                    applicant_name=data["applicant_name"],
                    applicant_phone=data["applicant_phone"], opened_at=now)
    session.add(bundle)
    session.flush()
    runner.open_case(context(session, now=now, actor=principal.username, settings=settings),
                     BUNDLE_TYPE, bundle, note=kind.name)
    missing = data.get("missing") or {}
    for item_id in kind.item_ids:
        application = applications.intake(session, principal=principal, settings=settings,
                                          now=now, data={
            "item_id": item_id, "channel": data["channel"],
            "intake_unit_id": window.id, "applicant_name": data["applicant_name"],
            "applicant_phone": data["applicant_phone"], "bundle_id": bundle.id,
            "consent": data.get("consent"), "consent_note": data.get("consent_note"),
            "proxy_user_id": data.get("proxy_user_id"),
            "missing": missing.get(str(item_id)) or [],
            "promise_text": data.get("promise_text"), "visits": 0})
        # One set of materials: every item's application sees the same files.
        if checked:
            attachments.store(session, applications.subject(application), checked,
                              kind="material", uploaded_by=principal.user_id,
                              media_dir=settings.media_dir)
        links.link(session, Subject(SUBJECT, bundle.id), applications.subject(application),
                   kind="bundle_item", actor=principal.username)
    if checked:
        attachments.store(session, Subject(SUBJECT, bundle.id), checked, kind="material",
                          uploaded_by=principal.user_id, media_dir=settings.media_dir)
    # The resident came once for all of it: one visit, on the first item.
    first = session.scalar(select(Application).where(Application.bundle_id == bundle.id)
                           .order_by(Application.id).limit(1))
    if first is not None:
        first.visits = 1
    return bundle


def close_if_done(session: Session, bundle_id: int, *, now: datetime) -> bool:
    """Close the bundle when none of its applications is still open (its row locked first,
    so two departments finishing at once close it once)."""
    bundle = runner.lock(session, Bundle, bundle_id)
    if bundle.state != "handling":
        return False
    states = session.scalars(select(Application.state).where(
        Application.bundle_id == bundle_id)).all()
    if not states or any(state not in APPLICATION.final_states for state in states):
        return False
    move(session, BUNDLE_TYPE, bundle, "close", principal=SYSTEM, now=now,
         data={"reason": f"{len(states)}个事项全部办结"})
    return True


def bundle_dict(session: Session, bundle: Bundle, *, full: bool = True) -> dict:
    kind = session.get(BundleType, bundle.bundle_type)
    apps = session.scalars(select(Application).where(Application.bundle_id == bundle.id)
                           .order_by(Application.id)).all()
    out = {"id": bundle.id, "number": bundle.number, "bundle_type": kind.code,
           "name": kind.name, "state": bundle.state,
           "state_label": BUNDLE.labels[bundle.state], "version": bundle.version,
           "opened_at": bundle.opened_at, "closed_at": bundle.closed_at,
           "applications": [applications.application_dict(session, a, full=False)
                            for a in apps]}
    if full:
        sub = Subject(SUBJECT, bundle.id)
        out["clocks"] = [clocks.clock_dict(c) for c in clocks.clocks_of(session, sub)]
        out["timeline"] = timeline.events_of(session, sub)
    return out


def create_type(session: Session, data: Mapping[str, Any]) -> BundleType:
    if session.get(BundleType, data["code"]) is not None:
        raise InvalidInput(f"一件事 {data['code']} exists", code="bundle_type_exists")
    ids = list(dict.fromkeys(data["item_ids"]))
    if len(ids) < 2:
        raise InvalidInput("一件事 bundles two items or more", code="bundle_too_small")
    known = set(session.scalars(select(Item.id).where(Item.id.in_(ids), Item.is_active)))
    if missing := [i for i in ids if i not in known]:
        raise InvalidInput(f"no items {missing[:5]}", code="item_not_found")
    kind = BundleType(code=data["code"], name=data["name"], item_ids=ids,
                      promised_days=data["promised_days"], citation=data.get("citation", ""))
    session.add(kind)
    session.flush()
    return kind
