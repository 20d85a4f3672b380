"""Moves after reporting: the lifecycle transitions (hand-offs are in handoffs.py).

Every move goes through the workflow kernel (role, state, version, audit) and then does
its own part here (clock, timeline, notifications), in the one transaction of the edge.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, Forbidden, InvalidInput
from core.scope import Scope, subtree_prefix_of
from core.security import Principal
from core.settings import Settings
from core.users.enums import CENTRES, Role
from core.users.models import User
from core.workflow import kernel
from core.workflow.calendar import WorkingCalendar
from core.workflow.calendar_store import load_calendar
from grid.categories.models import Category
from grid.categories.service import time_limit
from grid.incidents import clock
from grid.incidents.enums import FINAL, STEP_OF_STATE, State
from grid.incidents.models import Incident, IncidentPhoto, IncidentReporter
from grid.incidents.schemas import ActionIn
from grid.incidents.service import add_event, get_incident, notify_centre, now_utc
from grid.incidents.workflow import HANDLERS, INCIDENT_WORKFLOW
from grid.models import GridWorker


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
            and principal.role not in CENTRES):
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
    if target.state in FINAL:
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
