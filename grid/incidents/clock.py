"""The deadline clock of an incident's running step, on the working calendar.

A step's limit comes from its 小类 and urgency (grid/categories). When a step starts, the
instants it turns yellow and red are computed once (`step_warn_at`, `step_due_at`), so
the sweep is a plain indexed comparison with now. Suspension (挂账) keeps the office time
that was left; resuming counts it again from the moment of resuming.
"""

from datetime import datetime

from core.workflow.calendar import WorkingCalendar
from core.workflow.durations import Duration
from grid.incidents.enums import DeadlineColour, Step
from grid.incidents.models import Incident


def start_step(incident: Incident, step: Step, *, now: datetime, limit: Duration,
               calendar: WorkingCalendar, warn_share: float) -> None:
    incident.step = step
    incident.step_started_at = now
    incident.step_due_at = calendar.due(now, limit)
    incident.step_warn_at = calendar.warn_at(now, limit, warn_share)
    incident.deadline = DeadlineColour.green
    incident.overdue_escalated = False


def note_lateness(incident: Incident, *, now: datetime) -> None:
    """Leaving a step after its due time marks the incident late, even before a sweep."""
    if incident.step_due_at is not None and now > incident.step_due_at:
        incident.ever_overdue = True


def stop(incident: Incident) -> None:
    incident.step = None
    incident.step_started_at = incident.step_warn_at = incident.step_due_at = None


def pause(incident: Incident, *, now: datetime, calendar: WorkingCalendar) -> None:
    incident.suspended_at = now
    incident.remaining_seconds = _left(calendar, now, incident.step_due_at)
    incident.warn_remaining_seconds = _left(calendar, now, incident.step_warn_at)


def resume(incident: Incident, *, now: datetime, calendar: WorkingCalendar) -> None:
    if incident.remaining_seconds is not None:
        incident.step_due_at = calendar.add_working_seconds(now, incident.remaining_seconds)
        incident.step_warn_at = calendar.add_working_seconds(
            now, incident.warn_remaining_seconds or 0)
    incident.suspended_at = incident.remaining_seconds = None
    incident.warn_remaining_seconds = None


def colour_at(incident: Incident, now: datetime) -> DeadlineColour:
    if incident.step_due_at is None:
        return DeadlineColour(incident.deadline)
    if now >= incident.step_due_at:
        return DeadlineColour.red
    if incident.step_warn_at is not None and now >= incident.step_warn_at:
        return DeadlineColour.yellow
    return DeadlineColour.green


def _left(calendar: WorkingCalendar, now: datetime, until: datetime | None) -> float | None:
    if until is None:
        return None
    return calendar.working_seconds(now, until) if until > now else 0.0
