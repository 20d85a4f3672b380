"""The one runner of moves, for every platform: lock, version, decide, apply, record.

`run(session, case_type, subject, name, ...)`:
1. locks the row (`SELECT ... FOR UPDATE`, re-read): concurrent moves queue here;
2. checks the version the caller read: stale → 409 naming the current state;
3. decides the move (core/workflow/kernel.py `decide`, pure: role, state, reason, guards,
   field changes, clock operations);
4. applies it: the fields, the state, the version; the clocks (each step's rule from the
   case type); the timeline; the notices (outbox); the audit row — all in the caller's
   transaction, so all of it commits or none does.

Territory is checked before: the caller loads the subject through a scoped query, so an
outside subject is 404 and never reaches the runner.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict
from core.security import Principal
from core.settings import Settings
from core.workflow import clocks, notify, timeline
from core.workflow.calendar import WorkingCalendar
from core.workflow.calendar_store import load_calendar
from core.workflow.case_types import CaseType
from core.workflow.clocks import Subject
from core.workflow.kernel import Actor, ClockOp, Decision, Workflow, decide


@dataclass
class Context:
    """What applying a move needs besides the decision; the calendar is read once."""

    session: Session
    settings: Settings
    now: datetime
    actor: str
    _calendar: WorkingCalendar | None = None

    @property
    def calendar(self) -> WorkingCalendar:
        if self._calendar is None:
            self._calendar = load_calendar(self.session, settings=self.settings)
        return self._calendar


def now_utc() -> datetime:
    return datetime.now(UTC)


def lock(session: Session, model: type, subject_id: int) -> Any:
    """The subject re-read under a row lock: the latest committed state, ours until commit."""
    return session.execute(select(model).where(model.id == subject_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()


def check_version(workflow: Workflow, subject: Any, *, expected: int, role) -> None:
    if subject.version != expected:
        raise Conflict(f"the {workflow.name} changed since you read it: it is now "
                       f"{subject.state} (version {subject.version})",
                       current_state=subject.state, current_version=subject.version,
                       allowed=workflow.allowed(subject.state, role), code="stale_version")


def facts_of(row: Any, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The subject's columns as the pure decision reads them."""
    facts = {attr.key: getattr(row, attr.key) for attr in inspect(type(row)).column_attrs}
    facts.setdefault("resume_state", facts.get("suspended_from"))
    return {**facts, **(extra or {})}


def run(session: Session, case_type: CaseType, subject: Any, name: str, *,
        principal: Principal, data: Mapping[str, Any], expected_version: int,
        settings: Settings, facts: Mapping[str, Any] | None = None,
        now: datetime | None = None) -> Decision:
    """Make one move on `subject` (loaded in scope); see the module doc. `facts` adds what
    the platform's guards need beyond the row (looked up by the caller)."""
    context = Context(session, settings, now or now_utc(), principal.username)
    row = lock(session, case_type.model, subject.id)
    check_version(case_type.workflow, row, expected=expected_version, role=principal.role)
    actor = Actor.of(principal, today=context.now.astimezone(context.calendar.tz).date())
    decision = decide(case_type.workflow, name, facts=facts_of(row, facts), actor=actor,
                      data=data, now=context.now)
    apply(context, case_type, row, decision, data=data, facts=facts)
    return decision


def apply(context: Context, case_type: CaseType, row: Any, decision: Decision, *,
          data: Mapping[str, Any], facts: Mapping[str, Any] | None = None) -> None:
    """Write a decided move: fields, state, version, clocks, timeline, notices, audit."""
    session, subject = context.session, Subject(case_type.subject_type, row.id)
    before = {"state": row.state, "version": row.version}
    for key, value in decision.changes.items():
        setattr(row, key, value)
    row.state, row.version = decision.to_state, row.version + 1
    run_clocks(context, case_type, row, decision)
    reason = data.get("reason")
    timeline.add(session, subject, actor=context.actor, action=decision.move.name,
                 from_state=decision.from_state, to_state=decision.to_state, note=reason,
                 at=context.now, data=_event_data(data))
    if decision.move.notify:
        for notice in decision.move.notify(facts_of(row, facts), data):
            notify.send(session, subject, notice, body=str(getattr(row, "description", "")),
                        actor=context.actor)
    after = {"state": row.state, "version": row.version}
    if reason:
        after["reason"] = reason
    audit.record(session, actor=context.actor, action=f"{subject.type}.{decision.move.name}",
                 subject_type=subject.type, subject_id=row.id, before=before, after=after)


def open_case(context: Context, case_type: CaseType, row: Any, *, note: str | None = None,
              data: Mapping[str, Any] | None = None) -> None:
    """A new subject (flushed, with its first state) starts its step's clock, its timeline
    and its audit: what every platform does when it opens a case (from a referral too)."""
    subject = Subject(case_type.subject_type, row.id)
    step = case_type.workflow.steps.get(row.state)
    if step is not None:
        rule = case_type.clock_rule(context.session, row, step)
        clock = clocks.start(context.session, subject, rule, case_type=case_type.code,
                             now=context.now, calendar=context.calendar,
                             warn_share=_warn_share(context, case_type))
        if case_type.mirror_step is not None:
            case_type.mirror_step(row, clock, ClockOp("start", step=step), context.now)
    timeline.add(context.session, subject, actor=context.actor, action="open",
                 to_state=row.state, note=note, at=context.now, data=dict(data or {}) or None)
    audit.record(context.session, actor=context.actor, action=f"{subject.type}.open",
                 subject_type=subject.type, subject_id=row.id,
                 after={"state": row.state, "version": row.version, **(data or {})})


def run_clocks(context: Context, case_type: CaseType, row: Any, decision: Decision) -> None:
    subject = Subject(case_type.subject_type, row.id)
    session, now, calendar = context.session, context.now, context.calendar
    for op in decision.clock_ops:
        if op.op == "start":
            rule = case_type.clock_rule(session, row, op.step)
            clock = clocks.start(session, subject, rule, case_type=case_type.code, now=now,
                                 calendar=calendar, warn_share=_warn_share(context, case_type))
        elif op.op == "pause":
            clock = clocks.pause(session, subject, op.name, now=now, calendar=calendar)
        elif op.op == "resume":
            clock = clocks.resume(session, subject, op.name, now=now, calendar=calendar)
        elif op.op == "stop_all":
            clock = clocks.stop(session, subject, op.name, now=now)
            clocks.stop_all(session, subject, now=now)
        else:
            clock = clocks.stop(session, subject, op.name, now=now)
        if case_type.mirror_step is not None and op.name == "step":
            case_type.mirror_step(row, clock, op, now)


def _warn_share(context: Context, case_type: CaseType) -> float:
    return case_type.warn_share or context.settings.deadline_warn_share


def _event_data(data: Mapping[str, Any]) -> dict | None:
    extra = {k: v for k, v in data.items() if k not in {"version", "reason"} and v is not None}
    return extra or None
