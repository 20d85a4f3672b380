"""A second case type's clocks beside the incidents' (bench/sweep.py --other-share): so one
sweep is measured over clocks of two case types with different rules.

    from bench.clock_mix import ensure_tickets, register

    ensure_tickets(url, count=300_000, overdue_share=0.01)  # in the incidents' database
    register()                                                # before sweeping

The case type `bench_ticket` (platform "bench") has subjects of its own, table
`bench_ticket` (the columns the kernel's sweep touches: id, state, version, the owner), one
clock each, named "reply": 5 natural days, no warning (it never turns yellow), and no
sweep hook (red is all that happens: no mirror, no escalation). Exactly `overdue_share` of
the clocks fell due in the hour before the incident data's anchor and are still green, so
the sweep turns them red at once; the others fall due after bench/incident_data.py's
stable window. The tickets are tied to the incident data's anchor (table
`bench_ticket_data`): when the incidents are rebuilt (their clocks with them), so are they.
"""

import json
from datetime import datetime

import numpy as np
import psycopg

from bench.datasets import libpq_url
from bench.incident_data import DAY, DEFAULT_SEED, HOUR, STABLE_HOURS, describe, err

CASE_TYPE = "bench_ticket"
LIMIT = "5cd"
CITATION = "基准测试：答复期限 5 个自然日"


class BenchTicket:
    """What the kernel's sweep reads of a case type's model: its table."""

    __tablename__ = "bench_ticket"


def register() -> None:
    """Declare the case type to the kernel (core/workflow/case_types.py), with no hook."""
    from core.workflow import case_types
    from core.workflow.clocks import ClockRule
    from core.workflow.durations import parse_duration
    from core.workflow.kernel import Workflow

    case_types.register(case_types.CaseType(
        code=CASE_TYPE, subject_type=CASE_TYPE, platform="bench", label="基准工单",
        model=BenchTicket, workflow=Workflow(name=CASE_TYPE, transitions=()),
        area_code=lambda ticket: ticket.grid_code,
        clock_rule=lambda session, ticket, step: ClockRule(
            name="reply", limit=parse_duration(LIMIT), citation=CITATION)))


def ensure_tickets(url: str, *, count: int, overdue_share: float,
                   seed: int = DEFAULT_SEED) -> dict:
    """`count` tickets with a running clock each in the incidents' database (made anew
    when the incident data's anchor or these parameters changed); returns the marker."""
    data = describe(url)
    if data is None:
        raise RuntimeError("no incident data in that database (bench/incident_data.py first)")
    wanted = {"count": count, "overdue_share": overdue_share, "seed": seed,
              "anchor": data.anchor.isoformat()}
    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_ticket_data (params jsonb NOT NULL)")
        have = conn.execute("SELECT params FROM bench_ticket_data").fetchone()
        if have is not None and have[0] == wanted:
            return wanted
        err.print(f"making {count:,} {CASE_TYPE} clocks ({overdue_share:.1%} due)")
        _make(conn, count=count, overdue_share=overdue_share, seed=seed, anchor=data.anchor)
        conn.execute("DELETE FROM bench_ticket_data")
        conn.execute("INSERT INTO bench_ticket_data (params) VALUES (%s)", (json.dumps(wanted),))
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE bench_ticket, case_clock")
    return wanted


def remove_tickets(url: str) -> None:
    """No tickets in that database (a run without them after one with them)."""
    with psycopg.connect(libpq_url(url)) as conn:
        if conn.execute("SELECT to_regclass('bench_ticket_data')").fetchone()[0] is None:
            return
        conn.execute("DELETE FROM case_clock WHERE case_type = %s", (CASE_TYPE,))
        conn.execute("DROP TABLE IF EXISTS bench_ticket, bench_ticket_data")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE case_clock")


def _make(conn: psycopg.Connection, *, count: int, overdue_share: float, seed: int,
          anchor: datetime) -> None:
    conn.execute("""
        CREATE TABLE IF NOT EXISTS bench_ticket (
            id bigint PRIMARY KEY, state varchar(16) NOT NULL, version int NOT NULL,
            owner_unit_id bigint, owner_code varchar(15) COLLATE "C" NOT NULL,
            owner_platform varchar(24) NOT NULL, grid_code varchar(15) COLLATE "C" NOT NULL)""")
    conn.execute("DELETE FROM case_clock WHERE case_type = %s", (CASE_TYPE,))
    conn.execute("TRUNCATE bench_ticket")
    grids = conn.execute("SELECT count(*) FROM area WHERE level = 'grid'").fetchone()[0]
    rng = np.random.default_rng(seed + 1)
    now = anchor.timestamp()
    overdue = np.zeros(count, dtype=bool)
    overdue[rng.permutation(count)[:round(count * overdue_share)]] = True
    due = np.where(overdue, now - rng.uniform(1, HOUR, count),
                   now + STABLE_HOURS * HOUR + 60 + rng.uniform(0, 5 * DAY, count))
    # Tickets k = 1 … count in grid k's township (its centre holds it).
    conn.execute("""
        WITH g AS (SELECT (row_number() OVER (ORDER BY code) - 1)::int AS k, code
                   FROM area WHERE level = 'grid'),
        t AS (SELECT * FROM unnest(%(grid)s::int[]) WITH ORDINALITY AS t(grid, id))
        INSERT INTO bench_ticket (id, state, version, owner_unit_id, owner_code,
                                  owner_platform, grid_code)
        SELECT t.id, 'open', 1, u.id, left(g.code, 9), 'bench', g.code
        FROM t JOIN g ON g.k = t.grid
        LEFT JOIN unit u ON u.kind = 'centre' AND u.is_active AND u.seat_code = left(g.code, 9)
        ORDER BY t.id""", {"grid": rng.integers(0, grids, count).tolist()})
    conn.execute("""
        INSERT INTO case_clock (subject_type, subject_id, case_type, name, "limit", citation,
                                started_at, warn_at, due_at, colour, escalated)
        SELECT %(type)s, d.id, %(type)s, 'reply', %(limit)s, %(citation)s,
               to_timestamp(d.due) - interval '5 days', NULL, to_timestamp(d.due), 'green',
               false
        FROM unnest(%(due)s::float8[]) WITH ORDINALITY AS d(due, id) ORDER BY d.id""",
                 {"type": CASE_TYPE, "limit": LIMIT, "citation": CITATION,
                  "due": np.floor(due).tolist()})
