"""Hand-offs (流转) of any subject between units: escalate one level up (上报), assign down
to a unit inside (下派), refer across to another unit or platform (转办).

The hand-off moves the subject to the receiving unit at once (it shows in that unit's
queue, awaiting a signature); a member of the receiving unit signs it (签收) or returns it
with a reason (退回), which gives it back to the sender. Unsigned past its limit, the
sweep escalates it further (core/workflow/sweep.py). A referral to a unit of another
platform is also published as an event (core/workflow/events.py): that platform opens its
own subject, linked to this one, and reports back when it concludes.

A subject that can be handed off has `owner_unit_id`, `owner_code` (the area its unit sits
at) and `owner_platform` columns, and `state` and `version`.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core import audit
from core.codes import contains, parent_code, subtree_prefix_of
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.security import Principal
from core.units.enums import DESK_POSITIONS
from core.units.models import Unit, UnitArea
from core.units.service import get_unit
from core.workflow import events, notify, timeline
from core.workflow.case_types import CaseType
from core.workflow.clocks import Subject
from core.workflow.durations import parse_duration
from core.workflow.kernel import Notice
from core.workflow.models import Handoff
from core.workflow.runner import Context, check_version, lock

KINDS = ("escalate", "assign", "refer")
LABELS = {"escalate": "上报", "assign": "下派", "refer": "转办"}


def hand_off(context: Context, case_type: CaseType, subject: Any, *, kind: str,
             principal: Principal, expected_version: int, reason: str,
             to_unit_id: int | None = None, to_platform: str | None = None,
             to_department: str | None = None) -> Handoff:
    """Hand `subject` (loaded in the caller's scope) to the unit the kind and arguments
    name; see the module doc."""
    session = context.session
    row = lock(session, case_type.model, subject.id)
    check_version(case_type.workflow, row, expected=expected_version, role=principal.role)
    if row.state in case_type.workflow.final_states:
        raise Conflict(f"{case_type.subject_type} {row.id} is {row.state}: nothing to hand "
                       "off", current_state=row.state, code="subject_final")
    _no_pending(session, case_type, row)
    to_unit = _destination(session, case_type, row, kind=kind, to_unit_id=to_unit_id,
                           to_platform=to_platform, to_department=to_department)
    return open_handoff(context, case_type, row, kind=kind, to_unit=to_unit, reason=reason)


def open_handoff(context: Context, case_type: CaseType, row: Any, *, kind: str,
                 to_unit: Unit, reason: str) -> Handoff:
    """Open a hand-off of a locked row to `to_unit` and move the row there."""
    session, subject = context.session, Subject(case_type.subject_type, row.id)
    handoff = Handoff(subject_type=subject.type, subject_id=row.id, kind=kind,
                      from_unit_id=row.owner_unit_id, from_code=row.owner_code,
                      from_platform=row.owner_platform, to_unit_id=to_unit.id,
                      to_code=to_unit.seat_code, to_platform=to_unit.platform, reason=reason,
                      created_by=context.actor, created_at=context.now, status="pending",
                      due_at=sign_by(context))
    session.add(handoff)
    before = owner_of(row)
    _move_to(row, unit_id=to_unit.id, code=to_unit.seat_code, platform=to_unit.platform)
    if kind == "escalate" and hasattr(row, "escalation_count"):
        row.escalation_count += 1
    row.version += 1
    session.flush()
    timeline.add(session, subject, actor=context.actor, action=f"handoff.{kind}", note=reason,
                 at=context.now, data={"handoff": handoff.id, "from": before,
                                       "to": owner_of(row)})
    audit.record(session, actor=context.actor, action=f"{subject.type}.handoff.{kind}",
                 subject_type=subject.type, subject_id=row.id, before=before,
                 after={**owner_of(row), "handoff": handoff.id})
    notify.send(session, subject, Notice(
        f"{subject.type}.handoff.{kind}",
        f"待签收 {case_type.label} #{row.id}（{LABELS[kind]}）：{reason}", (to_unit.id,)),
        actor=context.actor)
    if to_unit.platform != handoff.from_platform:
        events.publish(session, topic=events.HANDOFF_REFERRED, payload={
            "handoff_id": handoff.id, "subject_type": subject.type, "subject_id": row.id,
            "to_unit_id": to_unit.id, "to_platform": to_unit.platform,
            "from_platform": handoff.from_platform, "reason": reason,
            "area_code": case_type.area_code(row), "point": _point(row)})
    return handoff


def answer(context: Context, case_type: CaseType, subject: Any, *, handoff_id: int,
           sign: bool, reason: str | None, principal: Principal) -> Handoff:
    """签收 (sign) or 退回 (return, with a reason) a hand-off addressed to the caller's unit."""
    session, subject_ref = context.session, Subject(case_type.subject_type, subject.id)
    row = lock(session, case_type.model, subject.id)
    handoff = session.scalar(select(Handoff).where(
        Handoff.id == handoff_id, Handoff.subject_type == subject_ref.type,
        Handoff.subject_id == row.id).with_for_update())
    if handoff is None:
        raise NotFound(f"no hand-off {handoff_id} of {subject_ref.type} {row.id}",
                       code="handoff_not_found")
    check_receiver(handoff, principal)
    if handoff.status != "pending":
        raise Conflict(f"hand-off {handoff.id} is {handoff.status} already",
                       current_status=handoff.status, code="handoff_answered")
    if not sign and not (reason and reason.strip()):
        raise InvalidInput("returning a hand-off needs a reason", code="reason_required")
    handoff.status = "signed" if sign else "returned"
    handoff.answered_by, handoff.answered_at, handoff.answer_reason = (
        principal.username, context.now, reason)
    before = owner_of(row)
    if not sign:  # back to the sender
        _move_to(row, unit_id=handoff.from_unit_id, code=handoff.from_code,
                 platform=handoff.from_platform)
        notify.send(session, subject_ref, Notice(
            f"{subject_ref.type}.handoff.returned",
            f"流转被退回 {case_type.label} #{row.id}：{reason}", (handoff.from_unit_id,)),
            actor=principal.username)
    elif handoff.to_platform != handoff.from_platform:
        # The receiving platform takes it on now (its own case, linked): the same payload
        # as the referral's, published on signing.
        events.publish(session, topic=events.HANDOFF_SIGNED, payload={
            "handoff_id": handoff.id, "subject_type": subject_ref.type, "subject_id": row.id,
            "to_unit_id": handoff.to_unit_id, "to_platform": handoff.to_platform,
            "from_platform": handoff.from_platform, "reason": handoff.reason,
            "area_code": case_type.area_code(row), "point": _point(row),
            "signed_by": principal.username})
    row.version += 1
    action = "sign" if sign else "return"
    timeline.add(session, subject_ref, actor=principal.username, action=f"handoff.{action}",
                 note=reason, at=context.now, data={"handoff": handoff.id})
    audit.record(session, actor=principal.username, action=f"{subject_ref.type}.handoff.{action}",
                 subject_type=subject_ref.type, subject_id=row.id, before=before,
                 after={**owner_of(row), "handoff": handoff.id})
    return handoff


def check_receiver(handoff: Handoff, principal: Principal) -> None:
    """Only the receiving unit answers: a member of it at one of its desks."""
    at_desk = any(m.unit_id == handoff.to_unit_id and m.position in DESK_POSITIONS
                  for m in principal.memberships)
    if not at_desk:
        raise Forbidden(f"hand-off {handoff.id} is addressed to unit {handoff.to_unit_id}, "
                        "of which you hold no desk", code="not_the_receiver")


def handoffs_of(session: Session, subject: Subject) -> list[Handoff]:
    return list(session.scalars(select(Handoff).where(
        Handoff.subject_type == subject.type, Handoff.subject_id == subject.id)
        .order_by(Handoff.id)))


def handoff_dict(h: Handoff, units: dict[int, str] | None = None) -> dict:
    out = {column: getattr(h, column) for column in (
        "id", "kind", "status", "from_unit_id", "from_code", "from_platform", "to_unit_id",
        "to_code", "to_platform", "reason", "created_by", "created_at", "due_at",
        "answered_by", "answered_at", "answer_reason")}
    if units is not None:
        out["from_unit_name"] = units.get(h.from_unit_id)
        out["to_unit_name"] = units.get(h.to_unit_id)
    return out


def pending_to(units: frozenset[int], subject_type: str):
    """The ids of subjects with a hand-off pending for one of `units` (a sign queue)."""
    return select(Handoff.subject_id).where(Handoff.status == "pending",
                                            Handoff.subject_type == subject_type,
                                            Handoff.to_unit_id.in_(sorted(units)))


def owner_of(row: Any) -> dict:
    return {"unit": row.owner_unit_id, "code": row.owner_code, "platform": row.owner_platform}


def sign_by(context: Context) -> datetime:
    return context.calendar.due(context.now, parse_duration(context.settings.handoff_sign_limit))


# --- where a hand-off goes ------------------------------------------------------------------

def _destination(session: Session, case_type: CaseType, row: Any, *, kind: str,
                 to_unit_id: int | None, to_platform: str | None,
                 to_department: str | None) -> Unit:
    where = case_type.area_code(row)
    if kind == "escalate":
        return _centre_above(session, row.owner_code)
    if kind == "assign":
        unit = _named_unit(session, to_unit_id)
        # Strictly inside the holder's area (a city's counties are as long as the city).
        below = unit.seat_code != row.owner_code and contains(row.owner_code, unit.seat_code)
        if not (below and covers(session, unit.id, where)):
            raise InvalidInput(f"assign to a unit below {row.owner_code} whose territory "
                               f"contains the {case_type.subject_type} (at {where})",
                               code="assign_target_invalid")
        return unit
    if kind != "refer":
        raise InvalidInput(f"unknown hand-off kind {kind!r}: {', '.join(KINDS)}",
                           code="unknown_handoff_kind")
    if to_unit_id is not None:
        unit = _named_unit(session, to_unit_id)
        if not covers(session, unit.id, where):
            raise InvalidInput(f"unit {unit.name} does not cover {where}: refer to a unit "
                               "whose territory contains it", code="refer_target_invalid")
        return unit
    if to_platform is None and to_department is None:
        raise InvalidInput("refer needs to_unit_id, or to_platform / to_department",
                           code="refer_target_missing")
    return nearest_covering(session, where, platform=to_platform, department=to_department)


def _named_unit(session: Session, unit_id: int | None) -> Unit:
    if unit_id is None:
        raise InvalidInput("name the receiving unit: to_unit_id", code="unit_required")
    try:
        return get_unit(session, unit_id=unit_id)
    except NotFound:
        raise InvalidInput(f"no unit {unit_id}", code="unit_unknown") from None


def _centre_above(session: Session, code: str) -> Unit:
    up = parent_code(code)
    unit = up and session.scalar(select(Unit).where(Unit.kind == "centre", Unit.is_active,
                                                    Unit.seat_code == up))
    if not unit:
        raise Conflict(f"no centre above {code}: there is no level to escalate to",
                       code="no_level_above")
    return unit


def covers(session: Session, unit_id: int, code: str) -> bool:
    """Whether the unit's jurisdiction contains the area `code`."""
    return any(code.startswith(subtree_prefix_of(area)) for area in session.scalars(
        text("SELECT area_code FROM unit_area WHERE unit_id = :unit"), {"unit": unit_id}))


def nearest_covering(session: Session, code: str, *, platform: str | None,
                     department: str | None) -> Unit:
    """The most local active unit of the platform (and department) whose jurisdiction
    contains `code`: a township's 执法队 before the county's 大队."""
    prefixes = [code[:n] for n in (2, 4, 6, 9, 12, 15) if n <= len(code)]
    candidates = [p + "0000" if len(p) == 2 else p + "00" if len(p) == 4 else p
                  for p in prefixes]
    unit = session.scalar(select(Unit).join_from(Unit, UnitArea, UnitArea.unit_id == Unit.id)
                          .where(Unit.is_active, UnitArea.area_code.in_(candidates),
                                 *([Unit.platform == platform] if platform else []),
                                 *([Unit.department_code == department] if department else []))
                          .order_by(func.length(UnitArea.area_code).desc(), Unit.kind, Unit.id)
                          .limit(1))
    if unit is None:
        raise InvalidInput(f"no unit of {platform or department} covers {code}",
                           code="no_unit_covers")
    return unit


def _point(row: Any) -> list[float] | None:
    """A subject's location as [lon, lat], when it has a `geom` point (the receiving
    platform places its own subject there)."""
    geom = getattr(row, "geom", None)
    if geom is None or isinstance(geom, str) or not hasattr(geom, "data"):
        return None
    from geoalchemy2.shape import to_shape

    point = to_shape(geom)
    return [point.x, point.y]


def _move_to(row: Any, *, unit_id: int | None, code: str, platform: str) -> None:
    row.owner_unit_id, row.owner_code, row.owner_platform = unit_id, code, platform


def _no_pending(session: Session, case_type: CaseType, row: Any) -> None:
    pending = session.scalar(select(Handoff.id).where(
        Handoff.subject_type == case_type.subject_type, Handoff.subject_id == row.id,
        Handoff.status == "pending"))
    if pending:
        raise Conflict(f"hand-off {pending} of {case_type.subject_type} {row.id} awaits a "
                       "signature", pending_handoff=pending, code="handoff_pending")
