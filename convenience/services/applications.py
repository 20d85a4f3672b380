"""Applications (办件): intake at a window, a station, online or by a proxy agent (帮代办,
with the resident's consent recorded); 一窗受理 (the comprehensive window takes it, the
department's back office decides, the same window hands out the result); 容缺受理 on a
written promise with a one-time notice and its own clock; 告知承诺制 decided on the spot;
every refusal (补办, 不予受理, 退件) recorded with its reason.

PREPARE (what needs the database first) → runner.run → AFTER (refusal rows, the 容缺
clock, the bundle's closure), all in the caller's transaction.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from convenience.services import limits
from convenience.services.case_types import APPLICATION_TYPE
from convenience.services.catalogue import get_item, materials_of
from convenience.services.common import (
    context,
    mask_name,
    move,
    new_number,
    same_phone,
    unit_by_code,
    unit_row,
)
from convenience.services.models import CHANNELS, REFUSAL_KINDS, Application, Item, Refusal
from convenience.services.points import SERVICE_KINDS
from convenience.services.workflows import APPLICATION
from core.attachments import service as attachments
from core.errors import Forbidden, InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from core.settings import Settings
from core.users.enums import Role
from core.workflow import clocks, runner, timeline
from core.workflow.clocks import ClockRule, Subject
from core.workflow.durations import parse_duration

SUBJECT = "svc_application"
# Where each move's refusal is counted (否定事项): no silent "no".
REFUSING_MOVES = {"ask_supplement": "supplement", "return": "returned"}


def subject(application: Application) -> Subject:
    return Subject(SUBJECT, application.id)


# --- who decides -------------------------------------------------------------------------

def deciding_unit(session: Session, item: Item, intake) -> Any:
    """一窗受理, 后台分类审批: a county item goes to the county department's back office;
    a township or village item to the township's 便民服务中心 (its own hall decides)."""
    county, township = intake.seat_code[:6], intake.seat_code[:9]
    if "county" in item.levels and not (intake.kind != "service_hall"
                                        and {"township", "village"} & set(item.levels)):
        unit = unit_by_code(session, f"{county}-department-{item.department_code}") \
            or unit_by_code(session, f"{county}-service_hall")
    else:
        unit = unit_by_code(session, f"{township}-service_centre") if len(township) == 9 \
            else None
    if unit is None:
        unit = intake
    return unit


# --- intake ------------------------------------------------------------------------------

def _check_channel(principal: Principal, data: Mapping[str, Any], item: Item) -> None:
    channel = data["channel"]
    if channel not in CHANNELS:
        raise InvalidInput(f"unknown channel {channel!r}", code="channel_unknown")
    if principal.role == Role.proxy_agent and channel != "proxy":
        raise Forbidden("a proxy agent takes applications on the proxy channel only",
                        code="proxy_channel_only")
    if channel == "proxy":
        if not item.proxy:
            raise InvalidInput(f"{item.name} may not be done by proxy",
                               code="item_not_by_proxy")
        if not data.get("consent"):
            raise InvalidInput("帮代办 needs the resident's recorded consent (代办授权) first",
                               code="consent_required")
    if channel != "proxy" and data.get("proxy_user_id"):
        raise InvalidInput("only a proxy application is assigned to an agent",
                           code="proxy_channel_only")
    if channel == "online" and not item.online:
        raise InvalidInput(f"{item.name} is not done online", code="item_not_online")


def _check_agent(session: Session, principal: Principal, agent_id: int | None) -> None:
    """A proxy agent takes his own; a desk assigns one to an active agent (三级代办员)."""
    if principal.role == Role.proxy_agent:
        if agent_id not in (None, principal.user_id):
            raise Forbidden("a proxy agent takes applications for himself",
                            code="proxy_for_another")
        return
    if agent_id is None or session.scalar(text(
            "SELECT 1 FROM svc_proxy_agent WHERE user_id = :id AND is_active"),
            {"id": agent_id}) is None:
        raise InvalidInput("assign a proxy application to an active proxy agent",
                           code="proxy_agent_unknown")


def _deferred(session: Session, item: Item, missing: Sequence[int], promise: str | None
              ) -> list[dict]:
    """The materials missing at intake may only be secondary ones marked 容缺, and only on
    a written promise (条例第二十四条); else the application cannot be accepted."""
    if not missing:
        return []
    by_id = {m.id: m for m in materials_of(session, item.id)}
    out = []
    for material_id in missing:
        material = by_id.get(material_id)
        if material is None:
            raise InvalidInput(f"material {material_id} is not one of {item.name}'s",
                               code="material_unknown")
        if not material.may_defer:
            raise InvalidInput(f"{material.name} may not be missing (主要材料不容缺): "
                               "not accepted until it is brought", code="material_not_deferrable")
        out.append({"id": material.id, "name": material.name})
    if not (promise and promise.strip()):
        raise InvalidInput("容缺受理 needs the applicant's written promise",
                           code="promise_required")
    return out


def intake(session: Session, *, principal: Principal, data: Mapping[str, Any],
           files: Sequence = (), settings: Settings, now: datetime | None = None
           ) -> Application:
    """受理 (or 不予受理 with its reason): the application, its clocks, its materials."""
    now = now or runner.now_utc()
    item = get_item(session, item_id=data["item_id"])
    window = unit_row(session, data["intake_unit_id"])
    if window.kind not in SERVICE_KINDS:
        raise InvalidInput("applications are taken at a service point", code="not_a_service_point")
    # The system's moves (user 0, the demo) take anywhere; an admin, like everyone, only
    # in his territory (an outside point is 404, as if it did not exist).
    if principal.user_id and not Scope.of(principal).covers_code(window.seat_code):
        raise NotFound(f"no service point {window.id} in your territory",
                       code="service_point_not_found")
    _check_channel(principal, data, item)
    if data["channel"] == "proxy":
        _check_agent(session, principal, data.get("proxy_user_id"))
    refusal = data.get("refuse")
    deferred = [] if refusal else _deferred(session, item, data.get("missing") or (),
                                            data.get("promise_text"))
    if data.get("commitment") and not item.notify_commit:
        raise InvalidInput(f"{item.name} is not under 告知承诺制", code="not_a_commitment")
    checked = attachments.check_all(files, limits=attachments.Limits.of(settings)) \
        if files else []
    owner = deciding_unit(session, item, window)
    proxy = data["channel"] == "proxy"
    application = Application(
        number=new_number(session, "BJ", now=now, settings=settings),
        state="not_accepted" if refusal else "accepted", version=1, owner_unit_id=owner.id,
        owner_code=owner.seat_code, item_id=item.id, bundle_id=data.get("bundle_id"),
        channel=data["channel"], intake_unit_id=window.id,
        department_code=item.department_code, applicant_name=data["applicant_name"],
        applicant_phone=data["applicant_phone"],
        applicant_kind=data.get("applicant_kind") or "person",
        proxy_user_id=(data.get("proxy_user_id") or principal.user_id) if proxy else None,
        consent_at=now if proxy else None,
        consent_note=(data.get("consent_note") or "申请人书面授权代办") if proxy else None,
        deferred=deferred, promise_text=data.get("promise_text") if deferred else None,
        commitment=bool(data.get("commitment")), visits=int(data.get("visits", 1)),
        received_at=now,
        # The field app's queued intake (convenience/services/keyed.py): its key, once.
        idempotency_key=data.get("idempotency_key"), request_hash=data.get("request_hash"))
    session.add(application)
    session.flush()
    ctx = context(session, now=now, actor=principal.username, settings=settings)
    if refusal:
        _open_refused(ctx, application, refusal, principal=principal, window=window)
    else:
        notice = _open_accepted(ctx, application, item, deferred)
        if application.commitment:
            _commit_on_the_spot(session, application, item, principal, settings, now)
        application._notice = notice  # the one-time notice, shown on the receipt
    if checked:
        attachments.store(session, subject(application), checked, kind="material",
                          uploaded_by=principal.user_id, media_dir=settings.media_dir)
    return application


def _open_refused(ctx, application: Application, refusal: Mapping, *, principal: Principal,
                  window) -> None:
    reason = (refusal.get("reason") or "").strip()
    if refusal.get("kind") != "not_accepted" or not reason:
        raise InvalidInput("不予受理 needs kind not_accepted and its reason",
                           code="reason_required")
    runner.open_case(ctx, APPLICATION_TYPE, application, note=reason,
                     data={"refusal": "not_accepted"})
    record_refusal(ctx.session, application, kind="not_accepted", reason=reason,
                   unit_id=window.id, by=principal.username, at=ctx.now)


def _open_accepted(ctx, application: Application, item: Item, deferred: list[dict]) -> str | None:
    runner.open_case(ctx, APPLICATION_TYPE, application,
                     note=f"{item.name}（{application.channel}）")
    if not deferred:
        return None
    rule = limits.rule(ctx.session, "supplement.default", name="supplement", escalates=True)
    clock = clocks.start(ctx.session, subject(application), rule,
                         case_type=APPLICATION_TYPE.code, now=ctx.now, calendar=ctx.calendar,
                         warn_share=ctx.settings.deadline_warn_share)
    application.supplement_due_at = clock.due_at
    due = clock.due_at.astimezone(ctx.calendar.tz)
    notice = (f"容缺受理一次性告知：请于{due:%Y年%m月%d日%H:%M}前补齐"
              f"{'、'.join(m['name'] for m in deferred)}；逾期未补齐的，视为撤回申请"
              f"（{rule.citation[:40]}）")
    timeline.add(ctx.session, subject(application), actor=ctx.actor, action="deferred_notice",
                 note=notice, at=ctx.now,
                 data={"materials": deferred, "due_at": clock.due_at.isoformat()})
    return notice


def _commit_on_the_spot(session: Session, application: Application, item: Item,
                        principal: Principal, settings: Settings, now: datetime) -> None:
    """告知承诺制 (条例第二十六条): decided on the spot; the check (条例第二十七条) due after
    the item's period (or the setting's)."""
    move(session, APPLICATION_TYPE, application, "commit_decide", principal=principal,
         settings=settings, now=now)
    ctx = context(session, now=now, actor=principal.username, settings=settings)
    setting = limits.rule(session, "commit.check", name="commit_check")
    days = item.commit_check_days or setting.limit.amount
    # The check's own clock (the application is done): red on the sweep when overdue,
    # stopped by the check (`commit_check` ends in a final state: every clock stops).
    clock = clocks.start(session, subject(application),
                         ClockRule("commit_check", parse_duration(f"{days}d"),
                                   citation=setting.citation),
                         case_type=APPLICATION_TYPE.code, now=now, calendar=ctx.calendar,
                         warn_share=settings.deadline_warn_share)
    application.commit_check_due = clock.due_at.astimezone(ctx.calendar.tz).date()


# --- moves -------------------------------------------------------------------------------

def visible(principal: Principal):
    """An application is the caller's when its deciding unit lies in his territory, or it
    was taken at one of his units, or he is its proxy agent."""
    scope = Scope.of(principal)
    conditions = [scope.column_condition(Application.owner_code),
                  Application.intake_unit_id.in_(principal.unit_ids or {0})]
    if principal.role == Role.proxy_agent:
        return Application.proxy_user_id == principal.user_id
    return or_(*conditions)


def load(session: Session, application_id: int, principal: Principal) -> Application:
    row = session.scalar(select(Application).where(Application.id == application_id,
                                                   visible(principal)))
    if row is None:
        raise NotFound(f"no application {application_id} in your territory",
                       code="application_not_found")
    return row


def load_by_number(session: Session, number: str, principal: Principal) -> Application:
    row = session.scalar(select(Application).where(Application.number == number,
                                                   visible(principal)))
    if row is None:
        raise NotFound(f"no application {number} in your territory",
                       code="application_not_found")
    return row


def act(session: Session, application: Application, name: str, *, principal: Principal,
        data: Mapping[str, Any], settings: Settings, now: datetime | None = None):
    """One move through the kernel, then what it does to other rows."""
    now = now or runner.now_utc()
    facts = {"resume_state": application.state} if name == "add_deferred" else None
    decision = move(session, APPLICATION_TYPE, application, name, principal=principal,
                    data=data, expected_version=int(data.get("version", -1)),
                    settings=settings, facts=facts, now=now)
    if name in REFUSING_MOVES:
        record_refusal(session, application, kind=REFUSING_MOVES[name], reason=data["reason"],
                       unit_id=application.owner_unit_id, by=principal.username, at=now)
    if name == "add_deferred":
        clocks.stop(session, subject(application), "supplement", now=now)
    if decision.to_state in APPLICATION.final_states and application.bundle_id:
        from convenience.services.bundles import close_if_done

        close_if_done(session, application.bundle_id, now=now)
    return decision


def record_refusal(session: Session, application: Application, *, kind: str, reason: str,
                   unit_id: int, by: str, at: datetime) -> Refusal:
    if kind not in REFUSAL_KINDS:
        raise InvalidInput(f"unknown refusal {kind!r}", code="refusal_kind_unknown")
    refusal = Refusal(application_id=application.id, kind=kind, reason=reason.strip(),
                      unit_id=unit_id, at=at, by=by)
    session.add(refusal)
    session.flush()
    return refusal


# --- views -------------------------------------------------------------------------------

def application_dict(session: Session, application: Application, *, full: bool = True) -> dict:
    item = session.get(Item, application.item_id)
    out = {"id": application.id, "number": application.number, "state": application.state,
           "state_label": APPLICATION.labels.get(application.state, application.state),
           "version": application.version, "item_id": item.id, "item_name": item.name,
           "impl_code": item.impl_code, "channel": application.channel,
           "channel_label": CHANNELS[application.channel],
           "intake_unit_id": application.intake_unit_id,
           "owner_unit_id": application.owner_unit_id, "bundle_id": application.bundle_id,
           "received_at": application.received_at, "due_at": application.due_at,
           "supplement_due_at": application.supplement_due_at,
           "deferred": application.deferred or [], "commitment": application.commitment,
           "commit_check_due": application.commit_check_due,
           "finished_at": application.finished_at, "on_time": application.on_time,
           "result": application.result,
           # What the receipt's QR code and the SMS carry: the status and rating pages.
           "status_url": "/convenience/status",
           "rating_url": f"/convenience/rate/{application.number}"}
    if full:
        sub = subject(application)
        out |= {"applicant_name": application.applicant_name,
                "applicant_phone": application.applicant_phone,
                "proxy_user_id": application.proxy_user_id,
                "consent_at": application.consent_at,
                "promise_text": application.promise_text,
                "result_note": application.result_note,
                "clocks": [clocks.clock_dict(c) for c in clocks.clocks_of(session, sub)],
                "timeline": timeline.events_of(session, sub),
                "refusals": [{"kind": r.kind, "reason": r.reason, "at": r.at}
                             for r in session.scalars(select(Refusal).where(
                                 Refusal.application_id == application.id)
                                 .order_by(Refusal.id))],
                "allowed": APPLICATION.allowed(application.state)}
    return out


def public_status(session: Session, *, number: str, phone: str) -> dict:
    """办件进度查询 by number and phone: the state, the dates, the item; no personal data
    beyond a masked name. A wrong pair is the same 404 as no such number."""
    application = session.scalar(select(Application).where(Application.number == number))
    if application is None or not same_phone(application.applicant_phone, phone):
        raise NotFound("no application with this number and phone",
                       code="application_not_found")
    out = application_dict(session, application, full=False)
    out.pop("owner_unit_id"), out.pop("intake_unit_id")
    out["applicant"] = mask_name(application.applicant_name)
    out["steps"] = [{"action": e["action"], "at": e["at"], "to_state": e.get("to_state")}
                    for e in timeline.events_of(session, subject(application))]
    out["intake_unit"] = session.scalar(text("SELECT name FROM unit WHERE id = :id"),
                                        {"id": application.intake_unit_id})
    return out


def queue(session: Session, *, principal: Principal, state: str | None, mine: str | None,
          limit: int, offset: int) -> list[dict]:
    query = select(Application).where(visible(principal))
    if state:
        query = query.where(Application.state == state)
    if mine == "decide":
        query = query.where(Application.owner_unit_id.in_(principal.unit_ids or {0}))
    elif mine == "hand_out":
        query = query.where(Application.intake_unit_id.in_(principal.unit_ids or {0}),
                            Application.state == "decided")
    elif mine == "proxy":
        query = query.where(Application.proxy_user_id == principal.user_id)
    rows = session.scalars(query.order_by(Application.due_at.nulls_last(), Application.id)
                           .limit(limit).offset(offset))
    return [application_dict(session, row, full=False) for row in rows]
