"""One sweep for every clock of every platform: yellow, red, escalation, expired hand-offs.

Set-based SQL over `case_clock`, driven by the instants each clock stored when it started
(core/workflow/clocks.py), so sweeping a million running clocks reads partial indexes.
The clocks due to turn yellow or red, of every case type, are read in one statement (no
lock); then per case type that has any:

1. their subjects are locked `FOR UPDATE SKIP LOCKED` — subject before clock, the order
   every move takes too, so a sweep and a move never deadlock; a subject a user holds is
   left for the next sweep;
2. the clocks of the locked subjects are read again (no move can change them now) with
   the colour each turns;
3. the case type's hook mirrors the colours onto its subjects and escalates the overdue
   ones (it declares how: an incident goes one level up), returning what it escalated;
4. each clock is written once: its colour and whether it escalated;
5. the kernel writes the escalations' timeline, notices and audit.

Idempotent: each statement changes only rows not yet in the target state, and a sweep
holds a transaction-level advisory lock, so a second sweep overlapping the first waits for
it, then finds nothing left to do. Expired hand-offs go one level further up.
"""

import gc
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from core import audit
from core.settings import Settings
from core.workflow import case_types, outbox
from core.workflow.calendar_store import load_calendar
from core.workflow.case_types import CaseType, ClockChange, Escalation
from core.workflow.durations import parse_duration
from core.workflow.notify import audience

SWEEP_LOCK = 0x5EE9  # pg_advisory_xact_lock key: one sweep at a time
SYSTEM = "system"
OVERDUE = "超期自动上报"
UNSIGNED = "超时未签收，自动上报"
WHY = {"overdue": OVERDUE, "unsigned": UNSIGNED}


@dataclass
class SweepResult:
    yellow: int = 0
    red: int = 0
    escalated: int = 0
    handoffs_expired: int = 0
    by_case_type: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"yellow": self.yellow, "red": self.red, "escalated": self.escalated,
                "handoffs_expired": self.handoffs_expired, "by_case_type": self.by_case_type}


def sweep(session: Session, *, now: datetime, settings: Settings) -> SweepResult:
    with _collector_paused():
        return _sweep(session, now=now, settings=settings)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while sweeping. A sweep that escalates 10,000 cases
    makes some 200,000 small objects (rows, lists, payloads, audit dicts), none of them in
    a cycle, so reference counting frees them all; but their allocation kept setting off
    the collector, which walks every object of the process each time: 0.25 s of CPU in a
    3 s sweep (bench/README.md, sweep). Enabled again afterwards, error or not."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sweep(session: Session, *, now: datetime, settings: Settings) -> SweepResult:
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK})
    # Each statement reads and writes a few rows through indexes; the planner, guessing
    # from CTEs and arrays, sometimes chose to compile one (JIT: ~0.1 s, more than running it).
    session.execute(text("SET LOCAL jit = off"))
    sign_by = load_calendar(session, settings=settings).due(
        now, parse_duration(settings.handoff_sign_limit))
    result = SweepResult()
    escalations: list[tuple[CaseType, Escalation, str]] = []
    kinds = case_types.registered()
    due = _find_due(session, kinds, now=now)
    for case_type in kinds:
        counts, escalated = _sweep_case_type(session, case_type, due.get(case_type.code, []),
                                             now=now, sign_by=sign_by)
        result.by_case_type[case_type.code] = counts
        result.yellow += counts["yellow"]
        result.red += counts["red"]
        escalations += [(case_type, e, "overdue") for e in escalated]
    for case_type in _with_expired_handoffs(session, kinds, now=now):
        expired = _expire_handoffs(session, case_type, now=now, sign_by=sign_by)
        result.handoffs_expired += len(expired)
        escalations += [(case_type, e, "unsigned") for e in expired]
    result.escalated = sum(1 for _, _, cause in escalations if cause == "overdue")
    # Recorded last: the audit may serialise writers, so whatever it holds is held only
    # for the rest of this transaction.
    _record(session, escalations, now=now)
    return result


# The clocks due to turn yellow or red, and the red ones not yet escalated, of every
# registered case type: one statement, one walk of the sweep's partial indexes. (One
# statement per case type walked them once per case type: a sweep right after one that
# turned 10,000 clocks red visits the 10,000 old versions those writes left in
# `ix_case_clock_sweep_due` until a vacuum, 11 times with 11 case types: bench/README.md,
# sweep.) A clock of a case type no platform declares is left alone.
FIND_DUE_SQL = """
    SELECT case_type, id, subject_id FROM case_clock
    WHERE stopped_at IS NULL AND paused_at IS NULL
      AND ((colour = 'green' AND warn_at <= :now) OR (colour <> 'red' AND due_at <= :now)
           OR (colour = 'red' AND NOT escalated))
      AND case_type = ANY(:case_types)"""


def _find_due(session: Session, kinds: Sequence[CaseType], *, now: datetime
              ) -> dict[str, list[tuple[int, int]]]:
    """(clock, subject) pairs of every case type with a clock to sweep, by case type."""
    due: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for case_type, clock, subject in session.execute(
            text(FIND_DUE_SQL), {"now": now, "case_types": [k.code for k in kinds]}):
        due[case_type].append((clock, subject))
    return due


def _sweep_case_type(session: Session, case_type: CaseType,
                     candidates: list[tuple[int, int]], *, now: datetime,
                     sign_by: datetime) -> tuple[dict[str, int], list[Escalation]]:
    if not candidates:
        return {"yellow": 0, "red": 0, "escalated": 0}, []
    locked = _lock_subjects(session, case_type, sorted({subject for _, subject in candidates}))
    changes, leftover = _due(session, [clock for clock, subject in candidates
                                       if subject in locked], now=now)
    escalated: list[Escalation] = []
    if case_type.on_sweep is not None:
        if changes or leftover:
            escalated = case_type.on_sweep(session, changes, leftover, now, sign_by)
        escalated_ids = {e.clock_id for e in escalated}
    else:
        # Nothing declared to escalate: red is all there is, done once.
        escalated_ids = {c.clock_id for c in (*changes, *leftover) if c.colour == "red"}
    _write(session, changes, escalated_ids)
    counts = {"yellow": sum(c.colour == "yellow" for c in changes),
              "red": sum(c.colour == "red" for c in changes),
              "escalated": sum(e.handoff_id is not None for e in escalated)}
    return counts, [e for e in escalated if e.handoff_id is not None]


def _lock_subjects(session: Session, case_type: CaseType, ids: list[int]) -> set[int]:
    table = case_type.model.__tablename__
    return set(session.scalars(text(
        f"SELECT id FROM {table} WHERE id = ANY(:ids) ORDER BY id FOR UPDATE SKIP LOCKED"),
        {"ids": ids}))


def _due(session: Session, clock_ids: list[int], *, now: datetime
         ) -> tuple[list[ClockChange], list[ClockChange]]:
    """The clocks of the locked subjects, re-read now that no move can touch them: those
    due to turn yellow or red (with the colour they turn), and those red already but not
    escalated (a hand-off was pending when they turned red). Nothing is written yet: the
    hook runs first, so each clock is written once, colour and escalation together."""
    rows = session.execute(text("""
        SELECT id, subject_id, name, due_at, colour AS was,
               CASE WHEN due_at <= :now THEN 'red' ELSE 'yellow' END AS colour
        FROM case_clock
        WHERE id = ANY(:ids) AND stopped_at IS NULL AND paused_at IS NULL
          AND ((colour = 'green' AND warn_at <= :now) OR (colour <> 'red' AND due_at <= :now)
               OR (colour = 'red' AND NOT escalated))
        ORDER BY id"""), {"ids": clock_ids, "now": now}).all()
    changes = [ClockChange(clock, subject, name, colour, due_at)
               for clock, subject, name, due_at, was, colour in rows if was != "red"]
    leftover = [ClockChange(clock, subject, name, "red", due_at)
                for clock, subject, name, due_at, was, _ in rows if was == "red"]
    return changes, leftover


def _write(session: Session, changes: Sequence[ClockChange], escalated: set[int]) -> None:
    """One UPDATE, one write per clock: its new colour and whether it has escalated. (A
    clock's colour is in the sweep's partial indexes, so each write is a new entry in
    every index of case_clock: writing the colour and the escalation apart cost twice.)"""
    colour = {c.clock_id: c.colour for c in changes}
    ids = sorted(colour.keys() | escalated)
    if ids:
        session.execute(text("""
            UPDATE case_clock c SET colour = COALESCE(v.colour, c.colour),
                                    escalated = c.escalated OR v.escalates
            FROM unnest(:ids ::bigint[], :colours ::text[], :escalates ::boolean[])
                 AS v(id, colour, escalates)
            WHERE c.id = v.id AND c.id = ANY(:ids) AND c.stopped_at IS NULL"""),
            {"ids": ids, "colours": [colour.get(i) for i in ids],
             "escalates": [i in escalated for i in ids]})


def _with_expired_handoffs(session: Session, kinds: Sequence[CaseType], *,
                           now: datetime) -> list[CaseType]:
    """The case types with a hand-off pending past its limit: one read of
    `ix_handoff_pending_due` (usually nothing), so the expiry below runs only for them."""
    types = set(session.scalars(text(
        "SELECT DISTINCT subject_type FROM handoff WHERE status = 'pending' "
        "AND due_at <= :now AND subject_type = ANY(:types)"),
        {"now": now, "types": sorted({k.subject_type for k in kinds})}))
    return [k for k in kinds if k.subject_type in types]


def _expire_handoffs(session: Session, case_type: CaseType, *, now: datetime,
                     sign_by: datetime) -> list[Escalation]:
    """Hand-offs left unsigned past their limit expire; the subject goes to the centre
    above the unit that did not sign (none above: the hand-off stays pending)."""
    table = case_type.model.__tablename__
    rows = session.execute(text(f"""
        WITH stale AS (
            SELECT h.id, h.subject_id, h.to_code, h.to_unit_id, up.id AS up_unit,
                   up.seat_code AS up_code, up.platform AS up_platform
            FROM handoff h
            JOIN unit up ON up.kind = 'centre' AND up.is_active
                        AND up.seat_code = area_parent_code(h.to_code)
            WHERE h.status = 'pending' AND h.due_at <= :now AND h.subject_type = :type
              AND h.subject_id IN (SELECT id FROM {table} s WHERE s.id = h.subject_id
                                   FOR UPDATE SKIP LOCKED)
            FOR UPDATE OF h SKIP LOCKED
        ), expired AS (
            UPDATE handoff h SET status = 'expired', answered_by = :system, answered_at = :now,
                   answer_reason = '超时未签收'
            FROM stale WHERE h.id = stale.id
            RETURNING stale.*
        ), opened AS (
            INSERT INTO handoff (subject_type, subject_id, kind, from_unit_id, from_code,
                                 from_platform, to_unit_id, to_code, to_platform, reason,
                                 status, created_by, created_at, due_at)
            SELECT :type, subject_id, 'escalate', to_unit_id, to_code, up_platform, up_unit,
                   up_code, up_platform, :why, 'pending', :system, :now, :sign_by
            FROM expired
            RETURNING id, subject_id, from_code, to_code, to_unit_id
        ), moved AS (
            UPDATE {table} s SET owner_unit_id = opened.to_unit_id, owner_code = opened.to_code,
                   owner_platform = expired.up_platform, version = s.version + 1
            FROM opened JOIN expired ON expired.subject_id = opened.subject_id
            WHERE s.id = opened.subject_id
            RETURNING s.id
        )
        SELECT opened.*, (SELECT count(*) FROM moved) AS moved FROM opened
        ORDER BY subject_id"""), {"now": now, "type": case_type.subject_type, "system": SYSTEM,
                                   "why": UNSIGNED, "sign_by": sign_by}).all()
    return [Escalation(0, r.subject_id, r.id, r.from_code, r.to_code, r.to_unit_id)
            for r in rows]


# An escalation's timeline row and its notice to the receiving unit's desks, from its
# hand-off (from, to, receiving unit): nothing per row goes through Python.
TIMELINE_SQL = """
    INSERT INTO timeline_event (subject_type, subject_id, at, actor, action, note, data)
    SELECT h.subject_type, h.subject_id, :now, :system, 'handoff.escalate', :note,
           jsonb_build_object('handoff', h.id, 'from', h.from_code, 'to', h.to_code,
                              'cause', CAST(:cause AS text))
    FROM handoff h WHERE h.id = ANY(:ids) ORDER BY h.subject_id"""
NOTICES_SQL = """
    SELECT jsonb_build_object(
               'title', CAST(:title AS text) || h.subject_id, 'body', '',
               'subject_type', h.subject_type, 'subject_id', h.subject_id,
               'audience', jsonb_build_object('unit_ids', jsonb_build_array(h.to_unit_id),
                                              'positions', CAST(:positions AS jsonb)))
               AS payload
    FROM handoff h WHERE h.id = ANY(:ids) ORDER BY h.subject_id"""


def _record(session: Session, escalations: list[tuple[CaseType, Escalation, str]], *,
            now: datetime) -> None:
    """Timeline, notices and audit for each escalation, in bulk: the timeline rows and the
    notices are made by the database from the hand-offs just opened (one statement each
    per case type and cause), the audit events in Python (their hashes are computed here)."""
    if not escalations:
        return
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    kinds = {}
    for case_type, escalation, cause in escalations:
        groups[(case_type.code, cause)].append(escalation.handoff_id)
        kinds[case_type.code] = case_type
    positions = json.dumps(audience([])["positions"])  # the desks of each receiving unit
    for (code, cause), handoff_ids in groups.items():
        session.execute(text(TIMELINE_SQL), {"ids": handoff_ids, "now": now, "system": SYSTEM,
                                             "note": WHY[cause], "cause": cause})
        outbox.enqueue_selected(session, topic="case.escalated", payloads_sql=NOTICES_SQL,
                                params={"ids": handoff_ids, "positions": positions,
                                        "title": f"{WHY[cause]} {kinds[code].label} #"})
    audit.record_many(session, [
        dict(actor=SYSTEM, action=f"{ct.subject_type}.escalate.{cause}",
             subject_type=ct.subject_type, subject_id=e.subject_id,
             before={"owner": e.from_code},
             after={"owner": e.to_code, "unit": e.to_unit_id, "handoff": e.handoff_id})
        for ct, e, cause in escalations])
