"""The deadline sweep: yellow, red, and one escalation per overdue step; expired hand-offs.

Set-based SQL driven by the instants each step stored when it started (grid/incidents/
clock.py), so sweeping a million open incidents reads two partial indexes. Idempotent:
every statement changes only rows not yet in the target state, and a sweep holds a
transaction-level advisory lock, so a second sweep overlapping the first waits for it,
then finds nothing left to do.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from core import audit
from core.settings import Settings
from core.workflow import outbox
from core.workflow.calendar_store import load_calendar
from core.workflow.durations import parse_duration
from grid.incidents.models import CLOCK_STATES_SQL
from grid.incidents.service import centre_roles

SWEEP_LOCK = 0x5EE9  # pg_advisory_xact_lock key: one sweep at a time
SYSTEM = "system"
OVERDUE = "超期自动上报"
UNSIGNED = "超时未签收，自动上报"


@dataclass(frozen=True)
class SweepResult:
    yellow: int
    red: int
    escalated: int
    handoffs_expired: int

    def as_dict(self) -> dict[str, int]:
        return self.__dict__.copy()


def sweep(session: Session, *, now: datetime, settings: Settings) -> SweepResult:
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK})
    yellow = session.execute(text(f"""
        UPDATE incident SET deadline = 'yellow'
        WHERE {CLOCK_STATES_SQL} AND deadline = 'green' AND step_warn_at <= :now
          AND step_due_at > :now"""), {"now": now}).rowcount
    sign_by = load_calendar(session, settings=settings).due(
        now, parse_duration(settings.handoff_sign_limit))
    red, escalations = _mark_red_and_escalate(session, now=now, sign_by=sign_by)
    escalations += _escalate_overdue(session, now=now, sign_by=sign_by)
    # The overdue step's new hand-offs are due at sign_by, after now: never expired here.
    expired = _escalate_unsigned(session, now=now, sign_by=sign_by)
    # Recorded last: the audit takes the chain's head lock, which every audited write in
    # the system waits for, so it is held only for the rest of this transaction.
    _record_escalations(session, escalations, now=now, why=OVERDUE, action="overdue")
    _record_escalations(session, expired, now=now, why=UNSIGNED, action="unsigned")
    return SweepResult(yellow, red, len(escalations), len(expired))


# One level up from a code: village → township → county → city (grid codes never own).
PARENT_SQL = """CASE length({c}) WHEN 12 THEN substr({c}, 1, 9) WHEN 9 THEN substr({c}, 1, 6)
    WHEN 6 THEN CASE WHEN {c} LIKE '%00' THEN NULL ELSE substr({c}, 1, 4) || '00' END END"""

# Who escalates when overdue: the grid platform's incidents (the other platforms run their
# own procedures), once per step, and not while a hand-off waits for its receiver.
ESCALATES_SQL = """i.owner_platform = 'grid' AND NOT i.overdue_escalated
    AND NOT EXISTS (SELECT 1 FROM handoff h WHERE h.incident_id = i.id
                    AND h.status = 'pending')"""

# Moving a row up one level (`due.escalates`, `due.up` from the selecting CTE). A city
# centre has no level above: its incident is marked escalated and stays.
MOVE_UP_SQL = """overdue_escalated = i.overdue_escalated OR due.escalates,
    owner_code = CASE WHEN due.escalates THEN COALESCE(due.up, i.owner_code)
                      ELSE i.owner_code END,
    escalation_count = i.escalation_count + (due.escalates AND due.up IS NOT NULL)::int,
    version = i.version + (due.escalates AND due.up IS NOT NULL)::int"""

# The rows to update, fetched by primary key: joined on `i.id = due.id` alone, the planner
# guesses many rows in `due` and merges it with a scan of the whole primary key (0.4 s
# over 1,000,000 incidents, also when `due` is empty).
BY_ID_SQL = "i.id = ANY(ARRAY(SELECT id FROM due))"

# The pending hand-offs up of the rows of `source` (a CTE returning the incident's id,
# from_code, to_code, escalates), and what each escalation's records need.
OPEN_HANDOFFS_SQL = """opened AS (
        INSERT INTO handoff (incident_id, kind, from_code, from_platform, to_code,
                             to_platform, reason, status, created_by, created_at, due_at)
        SELECT id, 'escalate', from_code, 'grid', to_code, 'grid', :why,
               'pending', :system, :now, :sign_by
        FROM {source} WHERE escalates AND to_code IS NOT NULL
        RETURNING id, incident_id, from_code, to_code
    )"""


def _mark_red_and_escalate(session: Session, *, now: datetime, sign_by: datetime
                           ) -> tuple[int, list]:
    """Newly overdue incidents turn red and, where they escalate, move one level up in the
    same write: each row is rewritten once, not twice (every rewrite of an incident is an
    entry in each of its indexes: bench/README.md, sweep). Rows a user holds locked are
    left for the next sweep rather than waited for."""
    rows = session.execute(text(f"""
        WITH due AS (
            SELECT i.id, i.owner_code, {PARENT_SQL.format(c='i.owner_code')} AS up,
                   {ESCALATES_SQL} AS escalates
            FROM incident i
            WHERE {CLOCK_STATES_SQL.replace('state', 'i.state')} AND i.deadline <> 'red'
              AND i.step_due_at <= :now
            FOR UPDATE OF i SKIP LOCKED
        ), moved AS (
            UPDATE incident i SET deadline = 'red', ever_overdue = true, {MOVE_UP_SQL}
            FROM due WHERE i.id = due.id AND {BY_ID_SQL}
            RETURNING i.id, due.owner_code AS from_code, due.up AS to_code, due.escalates
        ), {OPEN_HANDOFFS_SQL.format(source="moved")}
        SELECT (SELECT count(*) FROM moved) AS red, opened.incident_id,
               opened.id AS handoff_id, opened.from_code, opened.to_code
        FROM (SELECT 1) AS one LEFT JOIN opened ON true
        ORDER BY opened.incident_id"""), {"now": now, "sign_by": sign_by, "system": SYSTEM,
                                            "why": OVERDUE}).all()
    red = rows[0].red if rows else 0
    return red, [row for row in rows if row.incident_id is not None]


def _escalate_overdue(session: Session, *, now: datetime, sign_by: datetime) -> list:
    """Incidents already red but not yet escalated for this step (a hand-off was pending
    when they turned red, or they came back to the grid platform) go one level up once
    nothing is pending: a hand-off the upper centre must sign."""
    return session.execute(text(f"""
        WITH due AS (
            SELECT i.id, i.owner_code, {PARENT_SQL.format(c='i.owner_code')} AS up,
                   true AS escalates
            FROM incident i
            WHERE {CLOCK_STATES_SQL.replace('state', 'i.state')} AND i.deadline = 'red'
              AND {ESCALATES_SQL}
            FOR UPDATE OF i SKIP LOCKED
        ), moved AS (
            UPDATE incident i SET {MOVE_UP_SQL}
            FROM due WHERE i.id = due.id AND {BY_ID_SQL}
            RETURNING i.id, due.owner_code AS from_code, due.up AS to_code, due.escalates
        ), {OPEN_HANDOFFS_SQL.format(source="moved")}
        SELECT incident_id, id AS handoff_id, from_code, to_code FROM opened
        ORDER BY incident_id"""), {"now": now, "sign_by": sign_by, "system": SYSTEM,
                                     "why": OVERDUE}).all()


def _escalate_unsigned(session: Session, *, now: datetime, sign_by: datetime) -> list:
    """Hand-offs left unsigned past their limit expire and go one level further up."""
    return session.execute(text(f"""
        WITH stale AS (
            SELECT h.id, h.incident_id, h.to_code, {PARENT_SQL.format(c='h.to_code')} AS up
            FROM handoff h WHERE h.status = 'pending' AND h.due_at <= :now
            FOR UPDATE OF h SKIP LOCKED
        ), expired AS (
            UPDATE handoff h SET status = 'expired', answered_by = :system, answered_at = :now,
                   answer_reason = '超时未签收'
            FROM stale WHERE h.id = stale.id AND stale.up IS NOT NULL
            RETURNING stale.incident_id AS id, stale.to_code AS from_code,
                      stale.up AS to_code, true AS escalates
        ), {OPEN_HANDOFFS_SQL.format(source="expired")}, moved AS (
            UPDATE incident i SET owner_code = opened.to_code, owner_platform = 'grid',
                   owner_department = NULL, escalation_count = i.escalation_count + 1,
                   version = i.version + 1
            FROM opened WHERE i.id = opened.incident_id
            RETURNING i.id
        )
        SELECT incident_id, id AS handoff_id, from_code, to_code FROM opened
        ORDER BY incident_id"""), {"now": now, "sign_by": sign_by, "system": SYSTEM,
                                     "why": UNSIGNED}).all()


def _record_escalations(session: Session, rows, *, now: datetime, why: str, action: str
                        ) -> None:
    """Timeline, audit and a notice to the receiving centre, for each escalation."""
    if not rows:
        return
    session.execute(text("""
        INSERT INTO incident_event (incident_id, at, actor, action, note, data)
        SELECT incident_id, :now, :system, 'handoff.escalate', :why,
               jsonb_build_object('handoff', handoff_id, 'from', from_code, 'to', to_code,
                                  'cause', CAST(:cause AS text))
        FROM unnest(:incidents ::bigint[], :handoffs ::bigint[], :froms ::text[], :tos ::text[])
             AS r(incident_id, handoff_id, from_code, to_code)"""),
        {"now": now, "system": SYSTEM, "why": why, "cause": action,
         "incidents": [r.incident_id for r in rows], "handoffs": [r.handoff_id for r in rows],
         "froms": [r.from_code for r in rows], "tos": [r.to_code for r in rows]})
    outbox.enqueue_many(session, topic="incident.escalated", payloads=[{
        "title": f"{why} #{r.incident_id}", "body": "", "subject_type": "incident",
        "subject_id": r.incident_id,
        "audience": {"roles": centre_roles(r.to_code), "scope_code": r.to_code}}
        for r in rows])
    audit.record_many(session, [
        dict(actor=SYSTEM, action=f"incident.escalate.{action}", subject_type="incident",
             subject_id=r.incident_id, before={"owner": r.from_code},
             after={"owner": r.to_code, "handoff": r.handoff_id}) for r in rows])

