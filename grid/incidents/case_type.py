"""Incidents as a case type of the kernel (core/workflow/case_types.py): their clock rules
come from the 小类's step limits, the step clock is mirrored onto the incident row (its
lists, tiles and KPIs sort and colour by it), and an incident whose step runs out goes one
level up, once per step (the sweep's hook below).
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.workflow.case_types import CaseType, ClockChange, Escalation
from core.workflow.clocks import ClockRule
from core.workflow.kernel import ClockOp
from core.workflow.models import CaseClock
from grid.categories.models import Category
from grid.categories.service import time_limit
from grid.incidents.models import Incident
from grid.incidents.workflow import INCIDENT_WORKFLOW

CASE_TYPE = "incident"
SUBJECT = "incident"
OVERDUE = "超期自动上报"


def step_rule(session: Session, incident: Incident, step: str) -> ClockRule:
    """A step's limit at the incident's urgency, from its 小类 (grid/categories)."""
    category = session.get(Category, incident.category_id)
    return rule_of(category, urgency=incident.urgency, step=step)


def rule_of(category: Category, *, urgency: str, step: str) -> ClockRule:
    return ClockRule(name="step", limit=time_limit(category, urgency=urgency, step=step),
                     citation=f"{category.standard or '事项'} {category.code} {category.name}",
                     escalates=True)


def mirror_step(incident: Incident, clock: CaseClock | None, op: ClockOp,
                now: datetime) -> None:
    """Keep the incident's copy of its step clock. Leaving a step after its due time marks
    the incident late, even before a sweep."""
    if incident.step_due_at is not None and now > incident.step_due_at and op.op != "pause":
        incident.ever_overdue = True
    if op.op == "start" and clock is not None:
        incident.step, incident.step_started_at = op.step, clock.started_at
        incident.step_due_at, incident.step_warn_at = clock.due_at, clock.warn_at
        incident.deadline = "green"
    elif op.op == "resume" and clock is not None:
        incident.step_due_at, incident.step_warn_at = clock.due_at, clock.warn_at
        incident.deadline = clock.colour
    elif op.op in ("stop", "stop_all"):
        incident.step = incident.step_started_at = None
        incident.step_warn_at = incident.step_due_at = None


# The sweep's hook: one write per incident, which mirrors the colour and, for an overdue
# step of an incident the grid platform holds with no hand-off pending, moves it to the
# centre one level up and opens the hand-off that centre must sign. The rows are fetched
# by primary key (`= ANY(ARRAY(...))`): joined on the id alone, the planner merged a scan
# of the whole primary key. What was escalated is read from the hand-offs' own RETURNING,
# not by joining `moved` to `opened`: the planner guesses one row for each CTE and joined
# them in a nested loop, 10,000 × 10,000 comparisons, 20-60 s (bench/README.md, sweep).
SWEEP_SQL = """
    WITH changed AS (
        SELECT * FROM unnest(:ids ::bigint[], :colours ::text[]) AS c(id, colour)
    ), due AS (
        SELECT i.id, changed.colour, i.owner_code, i.owner_unit_id,
               up.id AS up_unit, up.seat_code AS up_code,
               changed.colour = 'red' AND i.owner_platform = 'grid'
                   AND NOT EXISTS (SELECT 1 FROM handoff h WHERE h.subject_type = 'incident'
                                   AND h.subject_id = i.id AND h.status = 'pending')
                   AS escalates
        FROM changed JOIN incident i ON i.id = changed.id
        LEFT JOIN unit up ON up.kind = 'centre' AND up.is_active
                         AND up.seat_code = area_parent_code(i.owner_code)
    ), moved AS (
        UPDATE incident i SET
            deadline = due.colour,
            ever_overdue = i.ever_overdue OR due.colour = 'red',
            owner_code = CASE WHEN due.escalates AND due.up_unit IS NOT NULL
                              THEN due.up_code ELSE i.owner_code END,
            owner_unit_id = CASE WHEN due.escalates AND due.up_unit IS NOT NULL
                                 THEN due.up_unit ELSE i.owner_unit_id END,
            escalation_count = i.escalation_count
                + (due.escalates AND due.up_unit IS NOT NULL)::int,
            version = i.version + (due.escalates AND due.up_unit IS NOT NULL)::int
        FROM due WHERE i.id = due.id AND i.id = ANY(ARRAY(SELECT id FROM due))
        RETURNING i.id, due.escalates, due.owner_code AS from_code,
                  due.owner_unit_id AS from_unit, due.up_code AS to_code,
                  due.up_unit AS to_unit
    ), opened AS (
        INSERT INTO handoff (subject_type, subject_id, kind, from_unit_id, from_code,
                             from_platform, to_unit_id, to_code, to_platform, reason, status,
                             created_by, created_at, due_at)
        SELECT 'incident', id, 'escalate', from_unit, from_code, 'grid', to_unit, to_code,
               'grid', :why, 'pending', 'system', :now, :sign_by
        FROM moved WHERE escalates AND to_unit IS NOT NULL
        RETURNING id, subject_id, from_code, to_code, to_unit_id
    )
    SELECT subject_id AS id, id AS handoff_id, from_code, to_code, to_unit_id AS to_unit
    FROM opened
    UNION ALL
    SELECT id, NULL, from_code, to_code, to_unit FROM moved
    WHERE escalates AND to_unit IS NULL
    ORDER BY id"""


def on_sweep(session: Session, changes: Sequence[ClockChange],
             leftover: Sequence[ClockChange], now: datetime, sign_by: datetime
             ) -> list[Escalation]:
    rows = [c for c in (*changes, *leftover) if c.name == "step"]
    if not rows:
        return []
    escalated = session.execute(text(SWEEP_SQL), {
        "ids": [c.subject_id for c in rows],
        "colours": [c.colour for c in rows], "now": now, "sign_by": sign_by,
        "why": OVERDUE}).all()
    clock_of = {c.subject_id: c.clock_id for c in rows}  # one running step clock each
    return [Escalation(clock_of[incident], incident, handoff, from_code, to_code or from_code,
                       to_unit) for incident, handoff, from_code, to_code, to_unit in escalated]


def extra_facts(session: Session, incident: Incident) -> dict:
    """What the workflow's notices read beyond the row: the grid worker's account."""
    user_id = session.scalar(text("SELECT user_id FROM grid_worker WHERE id = :id"),
                             {"id": incident.responsible_worker_id}) \
        if incident.responsible_worker_id else None
    return {"responsible_worker_user_id": user_id}


# 上报 asks the level above to take on what the level below could not solve, which it must
# say: only "经协调相关部门和单位仍无法解决的事项" go up (北京市街道办事处条例 第十七条第（三）项),
# and who cannot finish in time "应当说明理由" (北京市接诉即办工作条例 第十四条).
REASON_REQUIRED = frozenset({"escalate"})

INCIDENT = CaseType(
    code=CASE_TYPE, subject_type=SUBJECT, platform="grid", label="事件", model=Incident,
    workflow=INCIDENT_WORKFLOW, area_code=lambda incident: incident.grid_code,
    clock_rule=step_rule, on_sweep=on_sweep, mirror_step=mirror_step,
    handoff_reasons=REASON_REQUIRED,
)
