"""Moves after reporting: the lifecycle transitions and the hand-offs (流转).

Every move goes through the workflow kernel (role, state, version, audit) and then does
its own part here (clock, timeline, notifications), in the one transaction of the edge.
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
from core.users.models import User
from core.workflow import kernel
from core.workflow.calendar import WorkingCalendar
from core.workflow.calendar_store import load_calendar
from core.workflow.durations import parse_duration
from grid.categories.models import Category
from grid.categories.service import time_limit
from grid.incidents import clock
from grid.incidents.enums import STEP_OF_STATE, HandoffKind, HandoffStatus, Platform, State
from grid.incidents.models import Handoff, Incident, IncidentPhoto, IncidentReporter
from grid.incidents.schemas import ActionIn, HandoffIn
from grid.incidents.service import (
    add_event,
    get_incident,
    level_of_code,
    notify_centre,
    now_utc,
    parent_code,
)
from grid.incidents.workflow import HANDLERS, INCIDENT_WORKFLOW
from grid.models import GridWorker

# Who receives a referral to each platform.
PLATFORM_ROLES = {
    Platform.grid: frozenset({Role.village_staff, Role.township_staff, Role.county_dispatcher,
                              Role.supervisor}),
    Platform.enforcement: frozenset({Role.enforcement_officer}),
    Platform.market_supervision: frozenset({Role.market_inspector}),
    Platform.convenience: frozenset({Role.service_clerk, Role.proxy_agent}),
}


# --- transitions -------------------------------------------------------------------------

def act(session: Session, *, incident_id: int, name: str, data: ActionIn,
        principal: Principal, settings: Settings) -> Incident:
    """Make one lifecycle move (立案, 派遣, 签收, ...) on an incident in the caller's scope."""
    incident = get_incident(session, incident_id=incident_id, scope=Scope.of(principal))
    _check_handler(incident, name, principal)
    before = incident.state
    context = _Context(session, principal, settings, now_utc())
    prepare = PREPARE.get(name)
    if prepare:
        prepare(context, incident, data)
    kernel.apply(session, INCIDENT_WORKFLOW, incident, name, actor=principal.username,
                 role=principal.role, expected_version=data.version, reason=data.reason,
                 resume_state=incident.suspended_from)
    EFFECTS.get(name, _no_effect)(context, incident, data)
    _run_clock(context, incident, before)
    add_event(session, incident, actor=principal.username, action=name, from_state=before,
              to_state=incident.state, note=data.reason, at=context.now,
              data=_event_data(name, data))
    return incident


class _Context:
    def __init__(self, session: Session, principal: Principal, settings: Settings,
                 now: datetime) -> None:
        self.session, self.principal, self.settings, self.now = session, principal, settings, now
        self._calendar: WorkingCalendar | None = None

    @property
    def calendar(self) -> WorkingCalendar:
        if self._calendar is None:
            self._calendar = load_calendar(self.session, settings=self.settings)
        return self._calendar


def _check_handler(incident: Incident, name: str, principal: Principal) -> None:
    """A task dispatched to a named person is theirs to sign, return and report back on."""
    if (name in {"accept", "return", "handle"} and incident.handler_user_id is not None
            and incident.handler_user_id != principal.user_id
            and principal.role not in {Role.village_staff, Role.township_staff,
                                       Role.county_dispatcher}):
        raise Forbidden("this task was dispatched to someone else")


def _event_data(name: str, data: ActionIn) -> dict | None:
    extra = {k: v for k, v in data.model_dump(exclude={"version", "reason"}).items()
             if v is not None}
    return extra or None


def _run_clock(context: _Context, incident: Incident, before: str) -> None:
    """Start, keep, pause, resume or stop the step clock as the state moved."""
    state, now = State(incident.state), context.now
    if state is State.suspended:
        clock.pause(incident, now=now, calendar=context.calendar)
        return
    if State(before) is State.suspended:
        clock.resume(incident, now=now, calendar=context.calendar)
        return
    step = STEP_OF_STATE.get(state)
    same_step = step is not None and step == STEP_OF_STATE.get(State(before)) \
        and state is not State.rework and state is not State.returned
    if same_step:
        return  # e.g. 派遣 → 签收: the handling clock keeps running
    clock.note_lateness(incident, now=now)
    if step is None:
        clock.stop(incident)
        return
    category = context.session.get(Category, incident.category_id)
    clock.start_step(incident, step, now=now, calendar=context.calendar,
                     limit=time_limit(category, urgency=incident.urgency, step=step),
                     warn_share=context.settings.deadline_warn_share)


# What each move needs before the kernel runs (checks that may refuse it) ...

def _prepare_dispatch(context: _Context, incident: Incident, data: ActionIn) -> None:
    if not (data.handler_unit and data.handler_unit.strip()):
        raise InvalidInput("dispatch needs handler_unit: the unit that will handle it")
    if data.handler_user_id is not None:
        user = context.session.get(User, data.handler_user_id)
        if (user is None or not user.is_active or Role(user.role) not in HANDLERS
                or not incident.grid_code.startswith(subtree_prefix_of(user.scope_code))):
            raise InvalidInput(f"user {data.handler_user_id} cannot handle this incident: "
                               "dispatch to an active handler whose territory contains it")


def _prepare_evaluate(context: _Context, incident: Incident, data: ActionIn) -> None:
    if data.rating is None:
        raise InvalidInput("evaluate needs a rating from 1 to 5")


def _prepare_merge(context: _Context, incident: Incident, data: ActionIn) -> None:
    if data.into is None or data.into == incident.id:
        raise InvalidInput("merge needs `into`: the id of another open incident")
    target = get_incident(context.session, incident_id=data.into,
                          scope=Scope.of(context.principal))
    if target.state in {State.closed, State.evaluated, State.void, State.merged}:
        raise Conflict(f"incident {target.id} is {target.state}: merge into an open one",
                       current_state=target.state)


def _prepare_suspend(context: _Context, incident: Incident, data: ActionIn) -> None:
    # Read before the kernel's version check, which guarantees it is still the state.
    incident.suspended_from = incident.state


PREPARE = {"dispatch": _prepare_dispatch, "evaluate": _prepare_evaluate,
           "merge": _prepare_merge, "suspend": _prepare_suspend}


# ... and what it does after.

def _no_effect(context: _Context, incident: Incident, data: ActionIn) -> None:
    pass


def _filed(context: _Context, incident: Incident, data: ActionIn) -> None:
    incident.filed_at = context.now


def _dispatched(context: _Context, incident: Incident, data: ActionIn) -> None:
    incident.handler_unit = data.handler_unit.strip()
    incident.handler_user_id = data.handler_user_id
    incident.dispatched_at = context.now
    notify_centre(context.session, incident, topic="incident.dispatched",
                  title=f"派遣任务 #{incident.id}：{incident.handler_unit}",
                  user_ids=[data.handler_user_id] if data.handler_user_id else None)


def _returned(context: _Context, incident: Incident, data: ActionIn) -> None:
    incident.return_count += 1
    notify_centre(context.session, incident, topic="incident.returned",
                  title=f"任务退回 #{incident.id}：{data.reason}")


def _handled(context: _Context, incident: Incident, data: ActionIn) -> None:
    incident.handled_at = context.now
    user_ids = _worker_user_ids(context.session, incident.responsible_worker_id)
    notify_centre(context.session, incident, topic="incident.handled",
                  title=f"待核查 #{incident.id}", user_ids=user_ids)


def _verified(context: _Context, incident: Incident, data: ActionIn) -> None:
    incident.verified_at = context.now
    incident.verified_on_time = (incident.step_due_at is None
                                 or context.now <= incident.step_due_at)


def _reworked(context: _Context, incident: Incident, data: ActionIn) -> None:
    incident.rework_count += 1
    notify_centre(context.session, incident, topic="incident.rework",
                  title=f"核查未通过，返工 #{incident.id}",
                  user_ids=[incident.handler_user_id] if incident.handler_user_id else None)


def _closed(context: _Context, incident: Incident, data: ActionIn) -> None:
    incident.closed_at = context.now


def _evaluated(context: _Context, incident: Incident, data: ActionIn) -> None:
    incident.rating = data.rating


def _resumed(context: _Context, incident: Incident, data: ActionIn) -> None:
    incident.suspended_from = None


def _merged(context: _Context, incident: Incident, data: ActionIn) -> None:
    """并单: the target keeps every reporter and photo of the merged incident."""
    session = context.session
    incident.merged_into_id = data.into
    for reporter in session.scalars(select(IncidentReporter).where(
            IncidentReporter.incident_id == incident.id)).all():
        if not session.get(IncidentReporter, (data.into, reporter.user_id)):
            session.add(IncidentReporter(incident_id=data.into, user_id=reporter.user_id,
                                         reported_at=reporter.reported_at,
                                         via_incident_id=incident.id))
    target_photos = set(session.scalars(select(IncidentPhoto.sha256).where(
        IncidentPhoto.incident_id == data.into)))
    for photo in session.scalars(select(IncidentPhoto).where(
            IncidentPhoto.incident_id == incident.id)).all():
        if photo.sha256 not in target_photos:
            session.add(IncidentPhoto(incident_id=data.into, kind=photo.kind,
                                      content_type=photo.content_type, bytes=photo.bytes,
                                      sha256=photo.sha256, path=photo.path,
                                      thumbnail_path=photo.thumbnail_path,
                                      uploaded_by=photo.uploaded_by))
    target = session.get(Incident, data.into)
    add_event(session, target, actor=context.principal.username, action="merged_in",
              note=data.reason, at=context.now, data={"from": incident.id})


def _worker_user_ids(session: Session, worker_id: int | None) -> list[int] | None:
    if worker_id is None:
        return None
    user_id = session.scalar(select(GridWorker.user_id).where(GridWorker.id == worker_id))
    return [user_id] if user_id else None


EFFECTS = {"file": _filed, "dispatch": _dispatched, "return": _returned, "handle": _handled,
           "verify": _verified, "rework": _reworked, "close": _closed,
           "evaluate": _evaluated, "resume": _resumed, "merge": _merged}


# --- hand-offs ---------------------------------------------------------------------------

def hand_off(session: Session, *, incident_id: int, data: HandoffIn, principal: Principal,
             settings: Settings) -> Handoff:
    """Escalate one level up, assign down, or refer across; the receiver signs or returns."""
    incident = get_incident(session, incident_id=incident_id, scope=Scope.of(principal))
    incident = kernel.lock(session, Incident, incident.id)
    kernel.check_version(INCIDENT_WORKFLOW, incident, expected=data.version,
                         role=principal.role)
    if incident.state in {State.closed, State.evaluated, State.void, State.merged}:
        raise Conflict(f"incident {incident.id} is {incident.state}: nothing to hand off",
                       current_state=incident.state)
    _no_pending(session, incident)
    to_code, to_platform = _destination(session, incident, data)
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


def _destination(session: Session, incident: Incident, data: HandoffIn
                 ) -> tuple[str, Platform]:
    if data.kind is HandoffKind.escalate:
        up = parent_code(incident.owner_code)
        if up is None:
            raise Conflict("the city centre holds it: there is no level above")
        return up, Platform.grid
    if data.kind is HandoffKind.assign:
        to = data.to_code or ""
        if not (len(to) > len(incident.owner_code) and to.startswith(incident.owner_code[:4] if
                level_of_code(incident.owner_code) == "city" else incident.owner_code)
                and incident.grid_code.startswith(to) and len(to) <= 12):
            raise InvalidInput(f"assign to an area below {incident.owner_code} that contains "
                               f"the incident (its grid is {incident.grid_code})")
        return to, Platform.grid
    if data.to_platform is None and not data.to_department:
        raise InvalidInput("refer needs to_platform or to_department")
    platform = data.to_platform or Platform(incident.owner_platform)
    to = data.to_code or incident.owner_code
    if not incident.grid_code.startswith(to if level_of_code(to) != "city" else to[:4]):
        raise InvalidInput("refer to a unit whose territory contains the incident")
    return to, platform


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
               else Scope.of(principal).covers_code(handoff.to_code)
               or handoff.to_code.startswith(principal.scope_code))
    if principal.role not in roles or not at_unit:
        raise Forbidden(f"hand-off {handoff.id} is addressed to {handoff.to_platform} at "
                        f"{handoff.to_code}, not to you")

