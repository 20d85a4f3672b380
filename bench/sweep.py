"""Sweep benchmark: seconds to sweep 1,000,000 open clocks of which 1 % are overdue.

    .venv/bin/python bench/sweep.py [--count N] [--overdue-share X] [--other-share X]
                                    [--repeats N] [--seed N] [--markdown]

Goal (issue 10, §5): the first sweep of 1,000,000 open clocks of which 1 % are overdue
in under 2 s, and a second sweep right after it in under 0.1 s.

On a bench database of `count` open incidents over the demo city, each with its step clock
in `case_clock` (bench/incident_data.py), in one transaction that is rolled back
afterwards (so the run can be repeated on the same data), it times:

  first sweep    core.workflow.sweep.sweep(session, now=, settings=) as the beat task runs
                 it, for every registered case type: the due clocks found, their subjects
                 locked, the clocks turned yellow or red, the case type's hook (an
                 incident mirrors the colour and escalates its overdue step: a pending
                 hand-off one level up), then timeline, outbox notices and audit events in
                 bulk; expired hand-offs
  second sweep   the same call right after, in the same transaction: nothing left to do
                 (idempotent), so this is the cost of finding that out
  bare UPDATE    the baseline, in a transaction of its own, also rolled back:
                 UPDATE case_clock SET colour = 'red' WHERE stopped_at IS NULL
                   AND paused_at IS NULL AND colour <> 'red' AND due_at <= now()
  old baseline   for comparison with the figures before the kernel (bench/README.md): the
                 incident mirror's UPDATE incident SET deadline = 'red' WHERE <clock
                 states> AND deadline <> 'red' AND step_due_at <= now() (no index of
                 incident serves it any more)

--other-share X puts a share of the `count` clocks under a second case type with other
rules and no hook (bench/clock_mix.py: tickets whose 5-natural-day clock turns red
without warning), so one sweep handles clocks of two case types.

Each figure is the median of --repeats runs (baseline and sweep alternating), each
measurement after a VACUUM of the tables a sweep writes (a rolled-back run leaves its row
versions in them and in their indexes), with /proc/loadavg read before and after each run
and the CPU seconds of the client and its server backend beside the wall time (the 2
cores are shared: at a load of 4 the wall time is mostly waiting). A breakdown of the
first sweep by statement comes from SQLAlchemy's cursor events (and core.audit.record_many
timed as a whole: its COPY goes around them), and every set-based statement's plan is
checked with EXPLAIN
(ANALYZE) inside a rolled-back transaction: the script says which index each reads, and
how many rows. It exits 1 when a goal is missed.

The data's "now" is the wall clock: bench/incident_data.py keeps the same work due for
24 hours after it made the data, and rebuilds it when it is older than 23.
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.harness import DATA  # noqa: E402
from core import platforms  # noqa: E402
from core.db import make_engine  # noqa: E402
from core.settings import Settings, get_settings  # noqa: E402
from core.workflow import case_types  # noqa: E402
from core.workflow.sweep import sweep  # noqa: E402
from grid.incidents.models import CLOCK_STATES_SQL  # noqa: E402

GOAL_SECONDS = 2.0
GOAL_SECOND_SWEEP = 0.1

DUE_SQL = "stopped_at IS NULL AND paused_at IS NULL AND colour <> 'red' AND due_at <= now()"
BARE_UPDATE = f"UPDATE case_clock SET colour = 'red' WHERE {DUE_SQL}"
OLD_BARE_UPDATE = (f"UPDATE incident SET deadline = 'red' WHERE {CLOCK_STATES_SQL} "
                   f"AND deadline <> 'red' AND step_due_at <= now()")

# What each statement of a sweep is, by a piece of its text (first match wins).
PARTS = [
    ("pg_advisory_xact_lock", "advisory lock"),
    ("SET LOCAL", "advisory lock"),
    ("calendar_year", "working calendar"),
    ("calendar_day", "working calendar"),
    ("WITH stale AS", "expired hand-offs (CTE)"),
    ("SELECT case_type, id, subject_id FROM case_clock", "find due clocks (SELECT)"),
    ("SELECT id, subject_id FROM case_clock", "find due clocks (SELECT)"),
    ("SELECT DISTINCT subject_type FROM handoff", "expired hand-offs (which case types)"),
    ("FOR UPDATE SKIP LOCKED", "lock subjects (SELECT … FOR UPDATE SKIP LOCKED)"),
    ("colour AS was", "re-read the locked subjects' clocks (SELECT)"),
    ("WITH changed AS", "incident hook (CTE: mirror, escalate, insert hand-offs)"),
    ("UPDATE case_clock c SET colour", "write clocks: colour, escalated (UPDATE)"),
    ("INSERT INTO timeline_event", "timeline rows"),
    ("INSERT INTO outbox_message", "outbox messages"),
]
# The sweep's idle path before one find served every case type (bench/README.md, sweep:
# the second sweep regressed to 0.28 s with 11 case types): one find and one expiry of
# hand-offs per registered case type. Timed beside the second sweep, in its transaction.
OLD_FIND = """
        SELECT id, subject_id FROM case_clock
        WHERE case_type = :case_type AND stopped_at IS NULL AND paused_at IS NULL
          AND ((colour = 'green' AND warn_at <= :now) OR (colour <> 'red' AND due_at <= :now)
               OR (colour = 'red' AND NOT escalated))"""
SET_BASED = ("find due clocks (SELECT)", "lock subjects (SELECT … FOR UPDATE SKIP LOCKED)",
             "re-read the locked subjects' clocks (SELECT)",
             "incident hook (CTE: mirror, escalate, insert hand-offs)",
             "write clocks: colour, escalated (UPDATE)", "expired hand-offs (CTE)")

console = Console(width=None if sys.stdout.isatty() else 170)
err = Console(stderr=True)


def part_of(statement: str) -> str:
    for needle, name in PARTS:
        if needle in statement:
            return name
    return "other: " + " ".join(statement.split())[:60]


class StatementLog:
    """Every statement an engine runs, with its wall time, while `on`; and the whole of
    `core.audit.record_many` (its COPY goes around SQLAlchemy's cursor events), whose
    statements are kept apart."""

    def __init__(self, engine: Engine) -> None:
        self.on = False
        self.rows: list[tuple[str, dict, float]] = []
        self.in_audit = False
        self.audit_seconds = 0.0
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        self._instrument_audit()

    def _before(self, conn, cursor, statement, params, context, executemany):
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, params, context, executemany):
        if self.on and not self.in_audit:
            self.rows.append((statement, params, time.perf_counter() - conn.info["bench_t0"]))

    def _instrument_audit(self) -> None:
        from core import audit

        record_many = audit.record_many

        def timed(session, events):
            self.in_audit = True
            started = time.perf_counter()
            try:
                return record_many(session, events)
            finally:
                if self.on:
                    self.audit_seconds += time.perf_counter() - started
                self.in_audit = False

        audit.record_many = timed  # the sweep calls it as audit.record_many


# --- the data -------------------------------------------------------------------------------

def ensure_data(*, count: int, overdue_share: float, other_share: float,
                seed: int | None) -> str:
    """The bench database (bench/incident_data.py) with `count` open clocks, of which
    `overdue_share` fell due in the hour before the data's anchor (the rest fall due more
    than 24 h after it): the step clocks of open incidents, and with `other_share` that
    share of them under a second case type (bench/clock_mix.py)."""
    from bench import clock_mix
    from bench.incident_data import DEFAULT_SEED, ensure_incidents

    seed = DEFAULT_SEED if seed is None else seed
    others = round(count * other_share)
    url = ensure_incidents(count=count - others, open_share=1.0, overdue_share=overdue_share,
                           seed=seed)
    if others:
        clock_mix.ensure_tickets(url, count=others, overdue_share=overdue_share, seed=seed)
        clock_mix.register()
    else:
        clock_mix.remove_tickets(url)
    return url


def census(engine: Engine, now: datetime) -> dict:
    """What the data holds, and what a sweep at `now` should do, by case type."""
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT case_type, count(*) AS open,
                   count(*) FILTER (WHERE paused_at IS NULL) AS running,
                   count(*) FILTER (WHERE paused_at IS NULL AND colour <> 'red'
                                    AND due_at <= :now) AS to_mark_red,
                   count(*) FILTER (WHERE paused_at IS NULL AND colour = 'green'
                                    AND warn_at <= :now AND due_at > :now) AS to_mark_yellow,
                   count(*) FILTER (WHERE colour = 'red' AND NOT escalated)
                       AS red_not_escalated
            FROM case_clock WHERE stopped_at IS NULL GROUP BY case_type ORDER BY case_type"""),
            {"now": now}).mappings().all()
        incidents = conn.execute(text("SELECT count(*) FROM incident")).scalar_one()
        pending = conn.execute(text(
            "SELECT count(*) FILTER (WHERE status = 'pending'), "
            "count(*) FILTER (WHERE status = 'pending' AND due_at <= :now) FROM handoff"),
            {"now": now}).one()
        indexes = dict(conn.execute(text(
            "SELECT tablename, count(*) FROM pg_indexes WHERE tablename IN "
            "('incident', 'case_clock') GROUP BY 1")).all())
    by_type = {r["case_type"]: {k: v for k, v in r.items() if k != "case_type"} for r in rows}
    total = {k: sum(t[k] for t in by_type.values())
             for k in ("open", "running", "to_mark_red", "to_mark_yellow", "red_not_escalated")}
    # A clock whose colour changes is not a HOT update (the sweep's partial indexes name
    # the column), nor an incident whose owner moves: each index gets an entry per row.
    return {"incidents": incidents, "clocks": total, "by_case_type": by_type,
            "handoffs_pending": pending[0], "handoffs_expired": pending[1],
            "incident_indexes": indexes.get("incident", 0),
            "case_clock_indexes": indexes.get("case_clock", 0)}


def vacuum(url: str) -> None:
    """VACUUM what a rolled-back run leaves dead: each run's new versions of 10,000 clocks
    and incidents stay in the indexes until a vacuum, and the bare UPDATE's red,
    unescalated ones even in the sweep's partial index `ix_case_clock_unescalated`, which
    every later sweep would walk (+10,000 entries a run); the rolled-back inserts of
    hand-offs, timeline rows, notices and audit events pile up too. Before each run, so
    each starts where autovacuum leaves the tables in production."""
    from bench.datasets import libpq_url

    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM case_clock, incident, handoff, timeline_event, outbox_message, "
                     "audit_event")


def loadavg() -> str:
    """/proc/loadavg as it reads (1, 5 and 15-minute load, runnable/all, last pid)."""
    return Path("/proc/loadavg").read_text().strip()


# --- timing -----------------------------------------------------------------------------------

class CPU:
    """CPU seconds used by this process and by the server backend of a connection, from
    /proc (the server runs on this machine): on 2 cores shared with other engineers' test
    runs, the wall time of a run says as much about them as about the sweep, its CPU time
    much less so. None when the backend's /proc entry cannot be read."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, backend_pid: int) -> None:
        self.stat = Path(f"/proc/{backend_pid}/stat")

    def now(self) -> float | None:
        try:
            fields = self.stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return time.process_time() + (int(fields[11]) + int(fields[12])) / self.TICK

    @staticmethod
    def between(start: float | None, end: float | None) -> float | None:
        return None if start is None or end is None else end - start


def _cpu_of(connection) -> CPU:
    return CPU(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def old_idle_sweep(session: Session, settings: Settings, now: datetime) -> int:
    """What the sweep did when nothing was due, before one find served every case type:
    lock, calendar, then a find and an expiry of hand-offs per registered case type (the
    same statements; with nothing found it went no further). Returns the statements run."""
    from core.workflow.calendar_store import load_calendar
    from core.workflow.durations import parse_duration
    from core.workflow.sweep import SWEEP_LOCK, _expire_handoffs

    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK})
    session.execute(text("SET LOCAL jit = off"))
    sign_by = load_calendar(session, settings=settings).due(
        now, parse_duration(settings.handoff_sign_limit))
    kinds = case_types.registered()
    for case_type in kinds:
        if session.execute(text(OLD_FIND), {"case_type": case_type.code, "now": now}).all():
            raise RuntimeError(f"the old find of {case_type.code} found work after a sweep")
    for case_type in kinds:
        _expire_handoffs(session, case_type, now=now, sign_by=sign_by)
    return 2 * len(kinds)


def time_sweeps(engine: Engine, settings: Settings, log: StatementLog, now: datetime,
                *, old_first: bool = False) -> dict:
    """First and second sweep in one transaction, rolled back; beside the second, in the
    same transaction, the old idle sweep (before it when `old_first`, to even out caches)."""
    with Session(engine) as session:
        cpu = _cpu_of(session.connection())  # connection checked out and ready
        log.rows.clear()
        log.audit_seconds = 0.0
        log.on = True
        c0, t0 = cpu.now(), time.perf_counter()
        first = sweep(session, now=now, settings=settings)
        t1, c1 = time.perf_counter(), cpu.now()
        statements, audit_seconds = list(log.rows), log.audit_seconds
        log.on = False
        old = _time_old_idle(session, settings, now, cpu) if old_first else None
        log.rows.clear()
        log.on = True
        c2, t2 = cpu.now(), time.perf_counter()
        second = sweep(session, now=now, settings=settings)
        t3, c3 = time.perf_counter(), cpu.now()
        log.on = False
        idle = list(log.rows)
        if old is None:
            old = _time_old_idle(session, settings, now, cpu)
        session.rollback()
    return {"first_s": t1 - t0, "second_s": t3 - t2, "first": first.as_dict(),
            "second": second.as_dict(), "statements": statements, "idle": idle,
            "audit_s": audit_seconds, "first_cpu_s": CPU.between(c0, c1),
            "second_cpu_s": CPU.between(c2, c3), "old_second_s": old[0],
            "old_second_cpu_s": old[1], "old_second_statements": old[2]}


def _time_old_idle(session: Session, settings: Settings, now: datetime, cpu: CPU
                   ) -> tuple[float, float | None, int]:
    c0, t0 = cpu.now(), time.perf_counter()
    statements = old_idle_sweep(session, settings, now)
    return time.perf_counter() - t0, CPU.between(c0, cpu.now()), statements


def time_bare(engine: Engine, statement: str) -> tuple[float, int, float | None]:
    """Seconds, rows and CPU seconds (client and backend) of one statement, rolled back."""
    with engine.connect() as conn:
        cpu = _cpu_of(conn)
        c0, t0 = cpu.now(), time.perf_counter()
        rows = conn.execute(text(statement)).rowcount
        seconds, c1 = time.perf_counter() - t0, cpu.now()
        conn.rollback()
    return seconds, rows, CPU.between(c0, c1)


def breakdown(statements: list[tuple[str, dict, float]], total: float, audit_s: float
              ) -> list[dict]:
    """Seconds by part: each statement's wall time, the whole of core.audit.record_many
    (head lock, ids, the SHA-256 chain in Python, one COPY), and the rest (Python)."""
    parts: dict[str, list[float]] = defaultdict(list)
    for statement, _, seconds in statements:
        parts[part_of(statement)].append(seconds)
    rows = [{"part": name, "statements": len(v), "seconds": sum(v)}
            for name, v in parts.items()]
    rows.append({"part": "audit: record_many (head lock, ids, hash chain, COPY)",
                 "statements": 0, "seconds": audit_s})
    accounted = sum(r["seconds"] for r in rows)
    rows.append({"part": "Python (ORM, result rows, payloads, calendar)", "statements": 0,
                 "seconds": total - accounted})
    return rows


# --- plans ------------------------------------------------------------------------------------

def plans(engine: Engine, first: list[tuple[str, dict, float]],
          second: list[tuple[str, dict, float]]) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of the set-based statements of the first sweep, then of
    the second (run after them, in the same transaction, as the sweeps met them), and of
    the two baselines; rolled back."""
    out = []
    with engine.connect() as conn:
        for sweep_name, statements in (("first sweep", first), ("second sweep", second)):
            for statement, params, _ in statements:
                if part_of(statement) in SET_BASED:
                    out.append({"sweep": sweep_name, "part": part_of(statement),
                                **_explain(conn, statement, params)})
        conn.rollback()
        for name, statement in (("bare UPDATE", BARE_UPDATE),
                                ("old baseline", OLD_BARE_UPDATE)):
            out.append({"sweep": name, "part": name, **_explain(conn, statement, {})})
            conn.rollback()
    return out


def _explain(conn, statement: str, params: dict) -> dict:
    raw = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement,
                               params or None).scalar_one()
    top = (raw if isinstance(raw, list) else json.loads(raw))[0]
    scans = []
    _scans(top["Plan"], scans)
    return {"ms": top["Execution Time"], "scans": scans}


def _scans(node: dict, out: list[str]) -> None:
    kind = node["Node Type"]
    if "Scan" in kind and (node.get("Relation Name") or node.get("Index Name")):
        where = f" using {node['Index Name']}" if node.get("Index Name") else ""
        on = f" on {node['Relation Name']}" if node.get("Relation Name") else ""
        rows = node.get("Actual Rows", 0) * node.get("Actual Loops", 1)
        out.append(f"{kind}{where}{on}: {rows:,} rows, {node.get('Actual Total Time', 0):.0f} ms")
    for child in node.get("Plans", []):
        _scans(child, out)


# --- the run ---------------------------------------------------------------------------------

def run(*, count: int, overdue_share: float, other_share: float, repeats: int,
        seed: int | None) -> dict:
    url = ensure_data(count=count, overdue_share=overdue_share, other_share=other_share,
                      seed=seed)
    platforms.load()  # the configured platforms declare their case types (grid: incident)
    settings = Settings(database_url=url, redis_url=get_settings().redis_url)
    engine = make_engine(url)  # as the Celery task's engine (idle connections checked)
    log = StatementLog(engine)
    now = datetime.now(UTC)
    before = census(engine, now)
    clocks = before["clocks"]
    console.rule(f"[bold]sweep[/]: {clocks['open']:,} open clocks ({clocks['running']:,} "
                 f"running) of {', '.join(before['by_case_type'])}; at now: "
                 f"{clocks['to_mark_red']:,} to mark red, {clocks['to_mark_yellow']:,} to mark "
                 f"yellow, {before['handoffs_expired']:,} expired hand-offs; "
                 f"{before['incident_indexes']} indexes on incident, "
                 f"{before['case_clock_indexes']} on case_clock; case types registered: "
                 f"{', '.join(c.code for c in case_types.registered())}")
    sweeps, bares, olds = [], [], []
    for k in range(repeats):
        vacuum(url)
        load_before = loadavg()
        if k % 2 == 0:
            bares.append(time_bare(engine, BARE_UPDATE))
            vacuum(url)
            sweeps.append(time_sweeps(engine, settings, log, now))
        else:
            sweeps.append(time_sweeps(engine, settings, log, now, old_first=True))
            vacuum(url)
            bares.append(time_bare(engine, BARE_UPDATE))
        vacuum(url)
        olds.append(time_bare(engine, OLD_BARE_UPDATE))
        s, b, o = sweeps[-1], bares[-1], olds[-1]
        s["load"] = (load_before, loadavg())
        err.print(f"  run {k + 1}: first sweep {s['first_s']:.3f} s (CPU {_s(s['first_cpu_s'])})"
                  f" {_did(s['first'])}, second {s['second_s']:.3f} s (CPU "
                  f"{_s(s['second_cpu_s'])}; old idle sweep {s['old_second_s']:.3f} s, "
                  f"{s['old_second_statements']} finds and expiries), "
                  f"bare UPDATE {b[0]:.3f} s (CPU {_s(b[2])}, "
                  f"{b[1]:,} rows), old baseline {o[0]:.3f} s ({o[1]:,} rows); loadavg "
                  f"{s['load'][0]} → {s['load'][1]}")
    median = sorted(sweeps, key=lambda s: s["first_s"])[len(sweeps) // 2]
    vacuum(url)
    explained = plans(engine, median["statements"], median["idle"])
    after = census(engine, now)
    engine.dispose()
    if after != before:
        raise RuntimeError(f"the data changed: {before} → {after}")
    return _report(before, sweeps, bares, olds, median, explained, url)


def _s(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.2f} s"


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _did(values: dict) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in values.items() if k != "by_case_type")


def _report(before: dict, sweeps: list[dict], bares: list[tuple[float, int]],
            olds: list[tuple[float, int]], median: dict, explained: list[dict],
            url: str) -> dict:
    first = statistics.median(s["first_s"] for s in sweeps)
    second = statistics.median(s["second_s"] for s in sweeps)
    bare = statistics.median(b[0] for b in bares)
    old = statistics.median(o[0] for o in olds)
    clocks = before["clocks"]
    table = Table(title=f"sweep of {clocks['open']:,} open clocks "
                        f"({clocks['to_mark_red']:,} overdue), median of {len(sweeps)}",
                  title_justify="left")
    for column in ("what", "seconds", "min–max s", "× bare UPDATE", "CPU s", "did"):
        table.add_column(column, justify="left" if column in ("what", "did") else "right")
    cpu = {"first": _median(s["first_cpu_s"] for s in sweeps),
           "second": _median(s["second_cpu_s"] for s in sweeps),
           "old_second": _median(s["old_second_cpu_s"] for s in sweeps),
           "bare": _median(b[2] for b in bares), "old": _median(o[2] for o in olds)}
    old_second = statistics.median(s["old_second_s"] for s in sweeps)
    rows = [
        ("first sweep", first, [s["first_s"] for s in sweeps], cpu["first"],
         _did(sweeps[0]["first"])),
        ("second sweep (nothing to do)", second, [s["second_s"] for s in sweeps],
         cpu["second"], _did(sweeps[0]["second"])),
        ("old second sweep (a find and an expiry per case type)", old_second,
         [s["old_second_s"] for s in sweeps], cpu["old_second"],
         f"{sweeps[0]['old_second_statements']} statements"),
        ("bare UPDATE case_clock SET colour='red' (baseline)", bare, [b[0] for b in bares],
         cpu["bare"], f"red {bares[0][1]:,}"),
        ("old baseline: UPDATE incident SET deadline='red'", old, [o[0] for o in olds],
         cpu["old"], f"red {olds[0][1]:,}"),
    ]
    for what, seconds, values, cpu_s, did in rows:
        table.add_row(what, f"{seconds:.3f}", f"{min(values):.3f}–{max(values):.3f}",
                      f"{seconds / bare:.2f}", _s(cpu_s), did)
    console.print(table)
    for case_type, counts in sweeps[0]["first"]["by_case_type"].items():
        console.print(f"  first sweep, {case_type}: {_did(counts)}")

    parts = breakdown(median["statements"], median["first_s"], median["audit_s"])
    table = Table(title=f"first sweep by statement (the median run, {median['first_s']:.3f} s)",
                  title_justify="left")
    for column in ("part", "statements", "seconds", "share"):
        table.add_column(column, justify="left" if column == "part" else "right")
    for p in parts:
        table.add_row(p["part"], str(p["statements"] or "—"), f"{p['seconds']:.3f}",
                      f"{p['seconds'] / median['first_s']:.0%}")
    console.print(table)

    table = Table(title="plans (EXPLAIN ANALYZE, rolled back)", title_justify="left")
    for column in ("sweep", "statement", "ms", "scans"):
        table.add_column(column, justify="right" if column == "ms" else "left")
    for p in explained:
        table.add_row(p["sweep"], p["part"], f"{p['ms']:.1f}", "\n".join(p["scans"]))
    console.print(table)
    met = first < GOAL_SECONDS and second < GOAL_SECOND_SWEEP
    verdict = "[green]met[/]" if met else "[red]NOT met[/]"
    console.print(f"first sweep {first:.2f} s (goal < {GOAL_SECONDS:.0f} s), second "
                  f"{second:.3f} s (goal < {GOAL_SECOND_SWEEP} s): {verdict}; loadavg "
                  f"{sweeps[0]['load'][0]} before the first run, {sweeps[-1]['load'][1]} "
                  f"after the last")
    from bench.locate import machine, server_versions

    report = {"data": before, "first_s": first, "second_s": second,
              "old_second_s": old_second, "bare_s": bare,
              "old_bare_s": old, "cpu_s": cpu,
              "runs": [{k: v for k, v in s.items() if k not in ("statements", "idle")}
                       for s in sweeps],
              "bare_runs": bares, "old_bare_runs": olds, "breakdown": parts,
              "plans": explained, "goal_met": met,
              "machine": machine(), "versions": server_versions(url),
              "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    DATA.mkdir(exist_ok=True)
    (DATA / "sweep.json").write_text(json.dumps(report, indent=1, default=str))
    return report


def markdown(report: dict) -> str:
    d = report["data"]
    clocks = d["clocks"]
    bare = report["bare_s"]
    runs = report["runs"]
    cpu = report["cpu_s"]
    first_s = [r["first_s"] for r in runs]
    second_s = [r["second_s"] for r in runs]
    old_second_s = [r["old_second_s"] for r in runs]
    bare_s = [b[0] for b in report["bare_runs"]]
    old_s = [o[0] for o in report["old_bare_runs"]]
    kinds = ", ".join(f"{t} {c['open']:,}" for t, c in d["by_case_type"].items())
    lines = [f"{clocks['open']:,} open clocks ({kinds}; {clocks['to_mark_red']:,} overdue), "
             f"{d['incident_indexes']} indexes on incident, {d['case_clock_indexes']} on "
             f"case_clock; {report['when']}, median of {len(runs)}",
             "",
             "| run | /proc/loadavg before → after | first sweep | its CPU | second sweep "
             "| old second sweep | bare UPDATE |",
             "|---|---|--:|--:|--:|--:|--:|"]
    for k, (r, b) in enumerate(zip(runs, report["bare_runs"], strict=True), 1):
        lines.append(f"| {k} | {r['load'][0]} → {r['load'][1]} | {r['first_s']:.3f} | "
                     f"{_s(r['first_cpu_s'])} | {r['second_s']:.3f} | "
                     f"{r['old_second_s']:.3f} | {b[0]:.3f} |")

    def row(what: str, seconds: float, values: list[float], cpu_s, did: str) -> str:
        return (f"| {what} | {seconds:.3f} | {min(values):.3f}–{max(values):.3f} | "
                f"{seconds / bare:.2f} | {_s(cpu_s)} | {did} |")

    lines += ["",
              "| what | seconds (median) | min–max | × bare UPDATE | CPU (median) | did |",
              "|---|--:|--:|--:|--:|---|",
              row("first sweep", report["first_s"], first_s, cpu["first"],
                  _did(runs[0]["first"])),
              row("second sweep (nothing to do)", report["second_s"], second_s,
                  cpu["second"], _did(runs[0]["second"])),
              row("old second sweep (a find and an expiry per case type)",
                  report["old_second_s"], old_second_s, cpu["old_second"],
                  f"{runs[0]['old_second_statements']} statements"),
              row("bare UPDATE case_clock (baseline)", bare, bare_s, cpu["bare"],
                  f"red {report['bare_runs'][0][1]:,}"),
              row("old baseline: UPDATE incident", report["old_bare_s"], old_s, cpu["old"],
                  f"red {report['old_bare_runs'][0][1]:,}"),
              "",
              "| first sweep, by statement | statements | seconds |",
              "|---|--:|--:|"]
    for p in report["breakdown"]:
        lines.append(f"| {p['part']} | {p['statements'] or '—'} | {p['seconds']:.3f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_000_000,
                        help="open clocks in the bench database (default 1,000,000)")
    parser.add_argument("--overdue-share", type=float, default=0.01,
                        help="share of them overdue (default 0.01)")
    parser.add_argument("--other-share", type=float, default=0.0,
                        help="share of the clocks under a second case type, bench_ticket "
                             "(bench/clock_mix.py; default 0: incidents only)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--seed", type=int, default=None,
                        help="the data's seed (default: bench/incident_data.py's)")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the tables as Markdown (for bench/README.md)")
    args = parser.parse_args(argv)
    if not 0 <= args.other_share < 1:
        parser.error("--other-share is a share in [0, 1)")
    started = time.perf_counter()
    report = run(count=args.count, overdue_share=args.overdue_share,
                 other_share=args.other_share, repeats=args.repeats, seed=args.seed)
    console.print(f"machine: {report['machine']}; {report['versions']}")
    if args.markdown:
        console.print(markdown(report), soft_wrap=True, markup=False, highlight=False)
    console.print(f"total {time.perf_counter() - started:.0f} s")
    return 0 if report["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
