"""Enforcement cases as a case type of the kernel (core/workflow/case_types.py).

Every clock's rule is a row of `enforcement_rule` (limit, extension, who approves it,
citation): the step clocks by the step's name, the statutory totals (决定 90 days, 公示 20
working days, 复议 60 days, 诉讼 6 months …) by theirs. The step clock is mirrored onto
the case (the queue sorts and colours by it); an overdue clock turns red and is shown with
its citation — enforcement cases do not climb levels by themselves (the law names who
answers for a late decision), so the sweep's hook only mirrors colours.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.workflow.case_types import CaseType, ClockChange, Escalation
from core.workflow.clocks import ClockRule
from core.workflow.kernel import ClockOp
from core.workflow.models import CaseClock
from enforcement.cases import rules
from enforcement.cases.models import Case
from enforcement.cases.workflow import CASE_WORKFLOW

CASE_TYPE = "enforcement.case"
SUBJECT = "enforcement_case"


def rule_key(case: Case, step: str) -> str:
    """The `enforcement_rule` row a step's clock reads: the notice's clock is the hearing
    request's 5 working days when a hearing was offered, else the time to state a defence."""
    if step == "notice":
        return "hearing_request" if case.hearing_offered else "defence"
    return step


def step_rule(session: Session, case: Case, step: str) -> ClockRule:
    return rules.clock_rule(session, rule_key(case, step))


def mirror_step(case: Case, clock: CaseClock | None, op: ClockOp, now: datetime) -> None:
    if op.op == "start" and clock is not None:
        case.step, case.step_due_at, case.deadline = op.step, clock.due_at, "green"
    elif op.op == "resume" and clock is not None:
        case.step_due_at, case.deadline = clock.due_at, clock.colour
    elif op.op in ("stop", "stop_all"):
        case.step, case.step_due_at, case.deadline = None, None, "green"


MIRROR_SQL = """
    UPDATE enforcement_case c SET deadline = changed.colour
    FROM unnest(:ids ::bigint[], :colours ::text[]) AS changed(id, colour)
    WHERE c.id = changed.id AND c.deadline IS DISTINCT FROM changed.colour"""


def on_sweep(session: Session, changes: Sequence[ClockChange],
             leftover: Sequence[ClockChange], now: datetime, sign_by: datetime
             ) -> list[Escalation]:
    rows = [c for c in changes if c.name == "step"]
    if rows:
        session.execute(text(MIRROR_SQL), {"ids": [c.subject_id for c in rows],
                                           "colours": [c.colour for c in rows]})
    # Red is all there is: marked done once (no hand-off), so the sweep reads it no more.
    return [Escalation(c.clock_id, c.subject_id, None, "", "", None)
            for c in (*changes, *leftover) if c.colour == "red"]


ENFORCEMENT_CASE = CaseType(
    code=CASE_TYPE, subject_type=SUBJECT, platform="enforcement", label="执法案件",
    model=Case, workflow=CASE_WORKFLOW, area_code=lambda case: case.area_code,
    clock_rule=step_rule, on_sweep=on_sweep, mirror_step=mirror_step,
)
