"""Sweep benchmark: seconds to sweep 1,000,000 open incidents of which 1 % are overdue.

    .venv/bin/python bench/sweep.py [--count N] [--overdue-share X] [--repeats N]
                                    [--seed N] [--markdown]

Goal (issue): under 5 s for 1,000,000 open incidents with 10,000 overdue.

On a bench database of 1,000,000 incidents over the demo city (bench/incident_data.py),
in one transaction that is rolled back afterwards (so the run can be repeated on the same
data), it times:

  first sweep    grid.incidents.sweep.sweep(session, now=, settings=) as the beat task
                 runs it: yellow, red, one escalation per overdue step (a pending
                 hand-off one level up, timeline, audit events, outbox notices), expired
                 hand-offs
  second sweep   the same call right after, in the same transaction: nothing left to do
                 (idempotent), so this is the cost of finding that out
  bare UPDATE    baseline, in a transaction of its own, also rolled back:
                 UPDATE incident SET deadline = 'red' WHERE <clock states>
                   AND deadline <> 'red' AND step_due_at <= now()

Each is the median of --repeats runs (alternating baseline and sweep). A breakdown of the
first sweep by statement comes from SQLAlchemy's cursor events (and core.audit.record_many
timed as a whole: its COPY goes around them), and every set-based statement's plan is
checked with EXPLAIN (ANALYZE) inside a rolled-back transaction: the script says which
index each reads, and how many rows. It exits 1 when the goal is missed.

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

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.harness import DATA  # noqa: E402
from core.db import make_engine  # noqa: E402
from core.settings import Settings, get_settings  # noqa: E402
from grid.incidents.models import CLOCK_STATES_SQL  # noqa: E402
from grid.incidents.sweep import sweep  # noqa: E402

GOAL_SECONDS = 5.0

BARE_UPDATE = (f"UPDATE incident SET deadline = 'red' WHERE {CLOCK_STATES_SQL} "
               f"AND deadline <> 'red' AND step_due_at <= now()")

# What each statement of a sweep is, by a piece of its text (first match wins).
PARTS = [
    ("pg_advisory_xact_lock", "advisory lock"),
    ("SET deadline = 'yellow'", "mark yellow (UPDATE)"),
    ("SET deadline = 'red'", "mark red (UPDATE)"),
    ("calendar_year", "working calendar"),
    ("calendar_day", "working calendar"),
    ("WITH due AS", "escalate overdue (CTE: select, update, insert hand-offs)"),
    ("INSERT INTO incident_event", "timeline rows"),
    ("audit_chain_head", "audit: chain head, ids"),
    ("nextval(pg_get_serial_sequence('audit_event'", "audit: chain head, ids"),
    ("INSERT INTO audit_event", "audit: insert events"),
    ("INSERT INTO outbox_message", "outbox messages"),
    ("WITH stale AS", "expired hand-offs (CTE)"),
]
SET_BASED = ("mark yellow (UPDATE)", "mark red (UPDATE)",
             "escalate overdue (CTE: select, update, insert hand-offs)",
             "expired hand-offs (CTE)")

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

def ensure_data(*, count: int, overdue_share: float, seed: int | None) -> str:
    """The bench database (bench/incident_data.py) with `count` open incidents, of which
    `overdue_share` fell due in the hour before the data's anchor (the rest fall due more
    than 24 h after it).

    It asks for one finished incident more than `count`: incident_data's `generate` fails
    when no incident is finished (open_share 1.0: `_report_instants` concatenates an empty
    list, ValueError).
    """
    from bench.incident_data import DEFAULT_SEED, ensure_incidents

    return ensure_incidents(count=count + 1, open_share=count / (count + 1),
                            overdue_share=overdue_share,
                            seed=DEFAULT_SEED if seed is None else seed)


def census(engine: Engine, now: datetime) -> dict[str, int]:
    """What the data holds, and what a sweep at `now` should do."""
    with engine.connect() as conn:
        row = conn.execute(text(f"""
            SELECT count(*) AS incidents,
                   count(*) FILTER (WHERE {CLOCK_STATES_SQL}) AS open_clock_running,
                   count(*) FILTER (WHERE {CLOCK_STATES_SQL} AND deadline <> 'red'
                                    AND step_due_at <= :now) AS to_mark_red,
                   count(*) FILTER (WHERE {CLOCK_STATES_SQL} AND deadline = 'green'
                                    AND step_warn_at <= :now AND step_due_at > :now)
                       AS to_mark_yellow,
                   count(*) FILTER (WHERE deadline = 'red') AS red_already,
                   count(*) FILTER (WHERE deadline = 'yellow') AS yellow_already
            FROM incident"""), {"now": now}).mappings().one()
        pending = conn.execute(text(
            "SELECT count(*) FILTER (WHERE status = 'pending'), "
            "count(*) FILTER (WHERE status = 'pending' AND due_at <= :now) FROM handoff"),
            {"now": now}).one()
        indexes = conn.execute(text(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'incident'")).scalar_one()
    # Every index of incident: a row whose deadline changes is not a HOT update (the
    # sweep's partial indexes name the column), so each gets an entry per marked row.
    return {**row, "handoffs_pending": pending[0], "handoffs_expired": pending[1],
            "incident_indexes": indexes}


# --- timing -----------------------------------------------------------------------------------

def time_sweeps(engine: Engine, settings: Settings, log: StatementLog, now: datetime
                ) -> dict:
    """First and second sweep in one transaction, rolled back."""
    with Session(engine) as session:
        session.execute(text("SELECT 1"))  # connection checked out and ready
        log.rows.clear()
        log.audit_seconds = 0.0
        log.on = True
        t0 = time.perf_counter()
        first = sweep(session, now=now, settings=settings)
        t1 = time.perf_counter()
        log.on = False
        statements, audit_seconds = list(log.rows), log.audit_seconds
        t2 = time.perf_counter()
        second = sweep(session, now=now, settings=settings)
        t3 = time.perf_counter()
        session.rollback()
    return {"first_s": t1 - t0, "second_s": t3 - t2, "first": first.as_dict(),
            "second": second.as_dict(), "statements": statements,
            "audit_s": audit_seconds}


def time_bare(engine: Engine) -> tuple[float, int]:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        t0 = time.perf_counter()
        rows = conn.execute(text(BARE_UPDATE)).rowcount
        seconds = time.perf_counter() - t0
        conn.rollback()
    return seconds, rows


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

def plans(engine: Engine, statements: list[tuple[str, dict, float]]) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of the sweep's set-based statements, in order, twice (as
    the first and the second sweep meet them), and of the bare UPDATE; rolled back."""
    chosen = [(part_of(s), s, p) for s, p, _ in statements if part_of(s) in SET_BASED]
    out = []
    with engine.connect() as conn:
        for sweep_name in ("first sweep", "second sweep"):
            for name, statement, params in chosen:
                plan = _explain(conn, statement, params)
                out.append({"sweep": sweep_name, "part": name, **plan})
        conn.rollback()
        out.append({"sweep": "bare UPDATE", "part": "bare UPDATE",
                    **_explain(conn, BARE_UPDATE, {})})
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

def run(*, count: int, overdue_share: float, repeats: int, seed: int | None) -> dict:
    url = ensure_data(count=count, overdue_share=overdue_share, seed=seed)
    settings = Settings(database_url=url, redis_url=get_settings().redis_url)
    engine = make_engine(url)  # as the Celery task's engine: pool_pre_ping on
    log = StatementLog(engine)
    now = datetime.now(UTC)
    before = census(engine, now)
    console.rule(f"[bold]sweep[/]: {before['incidents']:,} incidents, "
                 f"{before['open_clock_running']:,} with a running clock; at now: "
                 f"{before['to_mark_red']:,} to mark red, {before['to_mark_yellow']:,} to mark "
                 f"yellow, {before['handoffs_expired']:,} expired hand-offs; "
                 f"{before['incident_indexes']} indexes on incident")
    load_before = os.getloadavg()
    sweeps, bares = [], []
    for k in range(repeats):
        if k % 2 == 0:
            bares.append(time_bare(engine))
            sweeps.append(time_sweeps(engine, settings, log, now))
        else:
            sweeps.append(time_sweeps(engine, settings, log, now))
            bares.append(time_bare(engine))
        s, b = sweeps[-1], bares[-1]
        err.print(f"  run {k + 1}: first sweep {s['first_s']:.3f} s {s['first']}, second "
                  f"{s['second_s']:.3f} s {s['second']}, bare UPDATE {b[0]:.3f} s "
                  f"({b[1]:,} rows)")
    load_after = os.getloadavg()
    median = sorted(sweeps, key=lambda s: s["first_s"])[len(sweeps) // 2]
    explained = plans(engine, median["statements"])
    after = census(engine, now)
    engine.dispose()
    if after != before:
        raise RuntimeError(f"the data changed: {before} → {after}")
    return _report(before, sweeps, bares, median, explained, load_before, load_after, url)


def _report(before: dict, sweeps: list[dict], bares: list[tuple[float, int]], median: dict,
            explained: list[dict], load_before, load_after, url: str) -> dict:
    first = statistics.median(s["first_s"] for s in sweeps)
    second = statistics.median(s["second_s"] for s in sweeps)
    bare = statistics.median(b[0] for b in bares)
    table = Table(title=f"sweep of {before['incidents']:,} incidents "
                        f"({before['to_mark_red']:,} overdue), median of {len(sweeps)}",
                  title_justify="left")
    for column in ("what", "seconds", "min–max s", "× bare UPDATE", "did"):
        table.add_column(column, justify="left" if column in ("what", "did") else "right")
    rows = [
        ("first sweep", first, [s["first_s"] for s in sweeps], sweeps[0]["first"]),
        ("second sweep (nothing to do)", second, [s["second_s"] for s in sweeps],
         sweeps[0]["second"]),
        ("bare UPDATE ... SET deadline='red' (baseline)", bare, [b[0] for b in bares],
         {"red": bares[0][1]}),
    ]
    for what, seconds, values, did in rows:
        table.add_row(what, f"{seconds:.3f}", f"{min(values):.3f}–{max(values):.3f}",
                      f"{seconds / bare:.1f}", ", ".join(f"{k} {v:,}" for k, v in did.items()))
    console.print(table)

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
    verdict = "[green]met[/]" if first < GOAL_SECONDS else "[red]NOT met[/]"
    console.print(f"first sweep {first:.2f} s against the {GOAL_SECONDS:.0f} s goal: {verdict}; "
                  f"1-min load average {load_before[0]:.2f} before, {load_after[0]:.2f} after, "
                  f"on {os.cpu_count()} CPUs")
    from bench.locate import machine, server_versions

    report = {"data": before, "first_s": first, "second_s": second, "bare_s": bare,
              "runs": [{k: v for k, v in s.items() if k != "statements"} for s in sweeps],
              "bare_runs": bares, "breakdown": parts, "plans": explained,
              "goal_met": first < GOAL_SECONDS,
              "load_average": {"before": load_before, "after": load_after},
              "machine": machine(), "versions": server_versions(url),
              "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    DATA.mkdir(exist_ok=True)
    (DATA / "sweep.json").write_text(json.dumps(report, indent=1, default=str))
    return report


def markdown(report: dict) -> str:
    d = report["data"]
    load = report["load_average"]
    bare = report["bare_s"]
    first_did = report["runs"][0]["first"]
    lines = [f"{d['incidents']:,} incidents ({d['open_clock_running']:,} with a running clock, "
             f"{d['to_mark_red']:,} overdue, {d['incident_indexes']} indexes on incident), "
             f"{report['when']}, load average "
             f"{load['before'][0]:.2f} before / {load['after'][0]:.2f} after, median of "
             f"{len(report['runs'])}",
             "",
             "| what | seconds | × bare UPDATE | did |",
             "|---|--:|--:|---|",
             f"| first sweep | {report['first_s']:.3f} | {report['first_s'] / bare:.1f} | "
             + ", ".join(f"{k} {v:,}" for k, v in first_did.items()) + " |",
             f"| second sweep (nothing to do) | {report['second_s']:.3f} | "
             f"{report['second_s'] / bare:.1f} | "
             + ", ".join(f"{k} {v:,}" for k, v in report["runs"][0]["second"].items()) + " |",
             f"| bare UPDATE (baseline) | {bare:.3f} | 1.0 | red "
             f"{report['bare_runs'][0][1]:,} |",
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
                        help="incidents in the bench database (default 1,000,000)")
    parser.add_argument("--overdue-share", type=float, default=0.01,
                        help="share of them overdue (default 0.01)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--seed", type=int, default=None,
                        help="the data's seed (default: bench/incident_data.py's)")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the tables as Markdown (for bench/README.md)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report = run(count=args.count, overdue_share=args.overdue_share, repeats=args.repeats,
                 seed=args.seed)
    console.print(f"machine: {report['machine']}; {report['versions']}")
    if args.markdown:
        console.print(markdown(report), soft_wrap=True, markup=False, highlight=False)
    console.print(f"total {time.perf_counter() - started:.0f} s")
    return 0 if report["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
