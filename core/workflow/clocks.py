"""Clocks of any subject, in the law's terms (DESIGN.md: Case type and clock).

A subject may run several named clocks at once: a step clock (each step of a workflow
has its limit) and statutory totals (行政处罚法第六十条: a decision within 90 natural days
of 立案). Each is a `case_clock` row holding its rule (limit, citation), its due and warning
instants, its colour, pauses and extensions. The instants are computed when the clock
starts, resumes or is extended, so the sweep (core/workflow/sweep.py) compares them with
now through partial indexes.

Pausing follows the unit (core/workflow/calendar.py): a working-time clock keeps the office
time left and counts it again from the resumption; a period (natural days, months) moves
its unadjusted end by the natural time suspended and applies the rest-day rule again.
An extension counts `limit + extension` (one unit) from the start.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput
from core.workflow.calendar import WorkingCalendar
from core.workflow.durations import KNOWN_UNITS, Duration, parse_duration
from core.workflow.models import CaseClock
from core.workflow.rows import Row


@dataclass(frozen=True)
class ClockRule:
    """How long a clock runs, and under which rule: data, with its citation."""

    name: str  # the clock's name on the subject: "step", "decision", "hearing_notice" …
    limit: Duration
    citation: str = ""  # e.g. "行政处罚法第六十条"
    rule_text: str = ""
    suspendable: bool = True
    extension: Duration | None = None  # the most it may be extended by
    extension_position: str | None = None  # who approves it (core/units/enums.Position)
    escalates: bool = False  # when overdue, the case type's escalation runs once


@dataclass(frozen=True)
class Subject:
    """A case of any platform, as the kernel names it."""

    type: str
    id: int


def start(session: Session, subject: Subject, rule: ClockRule, *, case_type: str,
          now: datetime, calendar: WorkingCalendar, warn_share: float) -> CaseClock:
    """Start `rule.name` on the subject (stopping a clock of that name still running)."""
    stop(session, subject, rule.name, now=now)
    clock = start_detached(rule, now=now, calendar=calendar, warn_share=warn_share)
    attach(session, clock, subject, case_type=case_type)
    return clock


def start_detached(rule: ClockRule, *, now: datetime, calendar: WorkingCalendar,
                   warn_share: float, make: Callable[..., Any] = CaseClock) -> Any:
    """A clock timed but not yet given to a subject: for a subject not inserted yet (a new
    report is written once, with its clock's mirror); `attach` it after the insert.
    `make` builds it (the demo history times plain records with the same fields: the
    same arithmetic, without an ORM object per clock)."""
    clock = make(name=rule.name, limit=str(rule.limit), citation=rule.citation,
                 started_at=now, colour="green", escalated=False, paused_seconds=0.0,
                 late=False)
    _time(clock, calendar, warn_share)
    return clock


def attach(session: Session, clock: CaseClock, subject: Subject, *, case_type: str) -> None:
    clock.subject_type, clock.subject_id, clock.case_type = subject.type, subject.id, case_type
    session.add(clock)


def row_of(clock: CaseClock, subject: Subject, *, case_type: str) -> Row:
    """`attach` as a row for `rows.write` (the clock stays out of the session: a report
    writes its kernel rows in one statement, core/workflow/rows.py)."""
    clock.subject_type, clock.subject_id, clock.case_type = subject.type, subject.id, case_type
    return Row.of_object(clock)


def clock_dict(clock: CaseClock) -> dict:
    return {"name": clock.name, "limit": clock.limit, "extended_by": clock.extended_by,
            "citation": clock.citation, "started_at": clock.started_at,
            "warn_at": clock.warn_at, "due_at": clock.due_at, "colour": clock.colour,
            "paused_at": clock.paused_at, "stopped_at": clock.stopped_at, "late": clock.late}


def running(session: Session, subject: Subject, name: str) -> CaseClock | None:
    return session.scalar(select(CaseClock).where(
        CaseClock.subject_type == subject.type, CaseClock.subject_id == subject.id,
        CaseClock.name == name, CaseClock.stopped_at.is_(None)))


def clocks_of(session: Session, subject: Subject) -> list[CaseClock]:
    """Every clock the subject ran, running ones first."""
    return list(session.scalars(select(CaseClock).where(
        CaseClock.subject_type == subject.type, CaseClock.subject_id == subject.id)
        .order_by(CaseClock.stopped_at.is_not(None), CaseClock.started_at, CaseClock.id)))


def stop(session: Session, subject: Subject, name: str, *, now: datetime) -> CaseClock | None:
    """Stop a running clock; it keeps whether it ran out (`late`)."""
    clock = running(session, subject, name)
    if clock is not None:
        stop_clock(clock, now=now)
    return clock


def stop_clock(clock: Any, *, now: datetime) -> None:
    """`stop` on a clock in hand (no session: the demo history runs it too)."""
    clock.late = clock.colour == "red" or now > clock.due_at
    clock.stopped_at = now


def stop_all(session: Session, subject: Subject, *, now: datetime) -> None:
    session.execute(update(CaseClock).where(
        CaseClock.subject_type == subject.type, CaseClock.subject_id == subject.id,
        CaseClock.stopped_at.is_(None)).values(
        stopped_at=now, late=(CaseClock.colour == "red") | (CaseClock.due_at < now)))


def pause(session: Session, subject: Subject, name: str, *, now: datetime,
          calendar: WorkingCalendar) -> CaseClock | None:
    clock = running(session, subject, name)
    if clock is not None:
        pause_clock(clock, now=now, calendar=calendar)
    return clock


def pause_clock(clock: Any, *, now: datetime, calendar: WorkingCalendar) -> None:
    """`pause` on a clock in hand (no session: the demo history runs it too)."""
    if clock.paused_at is not None:
        return
    clock.paused_at = now
    if _stored(clock.limit).unit.working:
        clock.remaining_seconds = _working_left(calendar, now, clock.due_at)
        clock.warn_remaining_seconds = _working_left(calendar, now, clock.warn_at)


def resume(session: Session, subject: Subject, name: str, *, now: datetime,
           calendar: WorkingCalendar) -> CaseClock | None:
    clock = running(session, subject, name)
    if clock is not None:
        resume_clock(clock, now=now, calendar=calendar)
    return clock


def resume_clock(clock: Any, *, now: datetime, calendar: WorkingCalendar) -> None:
    """`resume` on a clock in hand (no session: the demo history runs it too)."""
    if clock.paused_at is None:
        return
    paused = max((now - clock.paused_at).total_seconds(), 0.0)
    if _stored(clock.limit).unit.working:
        clock.due_at = calendar.add_working_seconds(now, clock.remaining_seconds or 0.0)
        clock.warn_at = calendar.add_working_seconds(now, clock.warn_remaining_seconds or 0.0)
    elif _stored(clock.limit).unit.elapsed:
        moved_by = timedelta(seconds=paused)  # no rest-day rule: both ends move as they are
        clock.raw_due_at = clock.due_at = clock.due_at + moved_by
        if clock.warn_at is not None:
            clock.warn_at = clock.warn_at + moved_by
    else:
        moved = calendar.resume_due(clock.raw_due_at, paused)
        if clock.warn_at is not None:
            clock.warn_at = calendar.resume_due(clock.warn_at, paused).raw_due
        clock.raw_due_at, clock.due_at = moved.raw_due, moved.due
    clock.paused_seconds += paused
    clock.paused_at = clock.remaining_seconds = clock.warn_remaining_seconds = None
    clock.colour = colour_at(clock, now)


def extend(session: Session, subject: Subject, rule: ClockRule, *, by: Duration,
           now: datetime, calendar: WorkingCalendar, warn_share: float) -> CaseClock:
    """延长: the rule's limit plus `by` (at most the rule's extension, in its unit)."""
    clock = running(session, subject, rule.name)
    if clock is None:
        raise Conflict(f"no {rule.name} clock is running: nothing to extend",
                       code="clock_not_running")
    if rule.extension is None:
        raise InvalidInput(f"the {rule.name} limit ({rule.citation or rule.limit}) may not be "
                           "extended", code="extension_not_allowed")
    total = (_stored(clock.extended_by) + by) if clock.extended_by else by
    if total.unit is not rule.extension.unit or total.amount > rule.extension.amount:
        raise InvalidInput(f"the {rule.name} limit may be extended by at most "
                           f"{rule.extension} in all ({rule.citation})",
                           code="extension_too_long")
    if clock.paused_at is not None:
        raise Conflict(f"the {rule.name} clock is suspended: resume it first",
                       code="clock_paused")
    clock.extended_by = str(total)
    _time(clock, calendar, warn_share, moved_by=clock.paused_seconds)
    clock.colour, clock.escalated = colour_at(clock, now), False
    return clock


def colour_at(clock: CaseClock, now: datetime) -> str:
    if now >= clock.due_at:
        return "red"
    if clock.warn_at is not None and now >= clock.warn_at:
        return "yellow"
    return "green"


def _time(clock: CaseClock, calendar: WorkingCalendar, warn_share: float, *,
          moved_by: float = 0.0) -> None:
    """The due and warning instants from the start, limit and extension; a period also
    moved by the natural time it was suspended before."""
    limit = _stored(clock.limit)
    extension = _stored(clock.extended_by) if clock.extended_by else None
    if limit.unit.working:
        raw = None
        due = calendar.due(clock.started_at, limit, extension=extension)
        warn = calendar.warn_at(clock.started_at, limit, warn_share, extension=extension)
    elif limit.unit.elapsed:  # start + N minutes, moved by the time suspended
        raw = due = calendar.raw_due(clock.started_at, limit, extension=extension) \
            + timedelta(seconds=moved_by)
        warn = calendar.warn_at(clock.started_at, limit, warn_share, extension=extension) \
            + timedelta(seconds=moved_by)
    else:
        raw = calendar.raw_due(clock.started_at, limit, extension=extension)
        warn = calendar.warn_at(clock.started_at, limit, warn_share, extension=extension)
        if moved_by:
            raw, due = calendar.resume_due(raw, moved_by)
            warn = calendar.resume_due(warn, moved_by).raw_due
        else:
            due = calendar.period_due(raw)
    # In UTC, as the database gives them back: a clock just timed reads like a stored one.
    clock.raw_due_at, clock.due_at, clock.warn_at = _utc(raw), _utc(due), _utc(warn)


def _stored(duration: str) -> Duration:
    """A clock's own limit or extension, in any unit a clock may carry (minutes too)."""
    return parse_duration(duration, units=KNOWN_UNITS)


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def _working_left(calendar: WorkingCalendar, now: datetime, until: datetime | None
                  ) -> float | None:
    if until is None:
        return None
    return calendar.working_seconds(now, until) if until > now else 0.0
