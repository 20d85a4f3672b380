"""Hand-offs (流转): escalate one level up, assign down to an area inside, or refer across
to a platform or a department. The hand-off moves the incident to the receiving unit at
once (it shows in that unit's queue, awaiting a signature); the receiver signs (签收) or
returns it with a reason, which gives it back to the sender. Unsigned past its limit, the
sweep escalates it further (grid/incidents/sweep.py).
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.scope import Scope, subtree_prefix_of
from core.security import Principal
from core.settings import Settings
from core.users.enums import Role
from core.workflow import kernel
from core.workflow.calendar_store import load_calendar
from core.workflow.durations import parse_duration
from grid.incidents.enums import FINAL, HandoffKind, HandoffStatus, Platform
from grid.incidents.models import Handoff, Incident
from grid.incidents.schemas import HandoffIn
from grid.incidents.service import add_event, get_incident, notify_centre, now_utc, parent_code
from grid.incidents.workflow import INCIDENT_WORKFLOW

# Who receives a hand-off to each platform (a grid hand-off: the centre at its area).
PLATFORM_ROLES = {
    Platform.grid: frozenset({Role.village_staff, Role.township_staff, Role.county_dispatcher,
                              Role.supervisor}),
    Platform.enforcement: frozenset({Role.enforcement_officer}),
    Platform.market_supervision: frozenset({Role.market_inspector}),
    Platform.convenience: frozenset({Role.service_clerk, Role.proxy_agent}),
}


def hand_off(session: Session, *, incident_id: int, data: HandoffIn, principal: Principal,
             settings: Settings) -> Handoff:
    """Escalate one level up, assign down, or refer across; the receiver signs or returns."""
    incident = get_incident(session, incident_id=incident_id, scope=Scope.of(principal))
    incident = kernel.lock(session, Incident, incident.id)
    kernel.check_version(INCIDENT_WORKFLOW, incident, expected=data.version,
                         role=principal.role)
    if incident.state in FINAL:
        raise Conflict(f"incident {incident.id} is {incident.state}: nothing to hand off",
                       current_state=incident.state)
    _no_pending(session, incident)
    to_code, to_platform = _destination(incident, data)
    handoff = _open_handoff(session, incident, kind=data.kind, to_code=to_code,
                            to_platform=to_platform, department=data.to_department,
                            reason=data.reason, actor=principal.username,
                            now=now_utc(), settings=settings)
    return handoff


def _no_pending(session: Session, incident: Incident) -> None:
    pending = session.scalar(select(Handoff.id).where(Handoff.incident_id == incident.id,
                                                      Handoff.status == HandoffStatus.pending))
    if pending:
        raise Conflict(f"hand-off {pending} of incident {incident.id} awaits a signature",
                       pending_handoff=pending)


def _destination(incident: Incident, data: HandoffIn) -> tuple[str, Platform]:
    """Where the hand-off goes: (area code, platform)."""
    if data.kind is HandoffKind.escalate:
        up = parent_code(incident.owner_code)
        if up is None:
            raise Conflict("the city centre holds it: there is no level above")
        return up, Platform.grid
    if data.kind is HandoffKind.assign:
        below = (data.to_code or "").startswith(subtree_prefix_of(incident.owner_code)) \
            and len(data.to_code) > len(incident.owner_code) and len(data.to_code) <= 12
        if not (below and _contains(data.to_code, incident)):
            raise InvalidInput(f"assign to a township or village below {incident.owner_code} "
                               f"that contains the incident (its grid is {incident.grid_code})")
        return data.to_code, Platform.grid
    if data.to_platform is None and not data.to_department:
        raise InvalidInput("refer needs to_platform or to_department")
    to = data.to_code or incident.owner_code
    if not _contains(to, incident):
        raise InvalidInput("refer to a unit whose territory contains the incident")
    return to, data.to_platform or Platform(incident.owner_platform)


def _contains(area_code: str, incident: Incident) -> bool:
    return incident.grid_code.startswith(subtree_prefix_of(area_code))


def _open_handoff(session: Session, incident: Incident, *, kind: str, to_code: str,
                  to_platform: str, department: str | None, reason: str, actor: str,
                  now: datetime, settings: Settings) -> Handoff:
    calendar = load_calendar(session, settings=settings)
    handoff = Handoff(incident_id=incident.id, kind=kind, from_code=incident.owner_code,
                      from_platform=incident.owner_platform, to_code=to_code,
                      to_platform=to_platform, to_department=department, reason=reason,
                      created_by=actor, created_at=now, status=HandoffStatus.pending,
                      due_at=calendar.due(now, parse_duration(settings.handoff_sign_limit)))
    session.add(handoff)
    before = _owner(incident)
    incident.owner_code, incident.owner_platform = to_code, to_platform
    incident.owner_department = department
    if kind == HandoffKind.escalate:
        incident.escalation_count += 1
    incident.version += 1
    session.flush()
    add_event(session, incident, actor=actor, action=f"handoff.{kind}", note=reason, at=now,
              data={"handoff": handoff.id, "from": before, "to": _owner(incident)})
    audit.record(session, actor=actor, action=f"incident.handoff.{kind}",
                 subject_type="incident", subject_id=incident.id, before=before,
                 after={**_owner(incident), "handoff": handoff.id})
    notify_centre(session, incident, topic=f"incident.handoff.{kind}",
                  title=f"待签收 #{incident.id}（{kind}）：{reason}"[:200], code=to_code)
    return handoff


def _owner(incident: Incident) -> dict:
    return {"code": incident.owner_code, "platform": incident.owner_platform,
            "department": incident.owner_department}


def answer_handoff(session: Session, *, incident_id: int, handoff_id: int, sign: bool,
                   reason: str | None, principal: Principal) -> Handoff:
    """签收 (sign) or 退回 (return, with a reason) a hand-off addressed to the caller's unit."""
    incident = get_incident(session, incident_id=incident_id, scope=Scope.of(principal))
    incident = kernel.lock(session, Incident, incident.id)
    handoff = session.scalar(select(Handoff).where(Handoff.id == handoff_id,
                                                   Handoff.incident_id == incident.id)
                             .with_for_update())
    if handoff is None:
        raise NotFound(f"no hand-off {handoff_id} of incident {incident_id}")
    _check_receiver(handoff, principal)
    if handoff.status != HandoffStatus.pending:
        raise Conflict(f"hand-off {handoff.id} is {handoff.status} already",
                       current_status=handoff.status)
    if not sign and not (reason and reason.strip()):
        raise InvalidInput("returning a hand-off needs a reason")
    now = now_utc()
    handoff.status = HandoffStatus.signed if sign else HandoffStatus.returned
    handoff.answered_by, handoff.answered_at, handoff.answer_reason = (
        principal.username, now, reason)
    before = _owner(incident)
    if not sign:  # back to the sender
        incident.owner_code, incident.owner_platform = handoff.from_code, handoff.from_platform
        incident.owner_department = None
        notify_centre(session, incident, topic="incident.handoff.returned",
                      title=f"流转被退回 #{incident.id}：{reason}"[:200])
    incident.version += 1
    action = "sign" if sign else "return"
    add_event(session, incident, actor=principal.username, action=f"handoff.{action}",
              note=reason, at=now, data={"handoff": handoff.id})
    audit.record(session, actor=principal.username, action=f"incident.handoff.{action}",
                 subject_type="incident", subject_id=incident.id, before=before,
                 after={**_owner(incident), "handoff": handoff.id})
    return handoff


def _check_receiver(handoff: Handoff, principal: Principal) -> None:
    """Only the receiving unit answers: its staff, at the hand-off's area (a platform's
    officers anywhere whose territory covers it)."""
    roles = PLATFORM_ROLES[Platform(handoff.to_platform)]
    at_unit = (principal.scope_code == handoff.to_code if handoff.to_platform == Platform.grid
               else Scope.of(principal).covers_code(handoff.to_code))
    if principal.role not in roles or not at_unit:
        raise Forbidden(f"hand-off {handoff.id} is addressed to {handoff.to_platform} at "
                        f"{handoff.to_code}, not to you")

