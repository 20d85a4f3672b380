"""The map's category filter (grid/layers.py, issue 12 §6): its SQL against the single-code
range condition it replaced, on synthetic rows in a bench database of its own.

    .venv/bin/python bench/map_filters.py [--rows 1000000] [--repeats 5]

The incidents layer's `category` filter now takes several codes (a 大类 selects its
小类): `incident.category_id IN (SELECT id FROM category, unnest(lows, highs) ...)`,
evaluated once as a hashed subplan, so neither tiles nor clusters join the categories.
The baseline is the condition before (one code): a join to `category` with
`c.code >= low AND c.code < high`, as the tiles ran it (the clusters joined only then).

The rows: `--rows` incidents' (category_id, deadline) in an unlogged table, category ids
drawn from a copy of the category tree (137 rows, 12 大类, like the seeded defaults).
Each statement counts the rows of one 大类 and the overdue among them (what a cluster
tile computes) and is run `--repeats` times after a warm-up; the best and the median are
printed with the ratio new ÷ baseline. Both must count the same rows.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench.datasets import database_url, libpq_url  # noqa: E402

DB = "gridgov_bench_map_filters"

SETUP = """
DROP TABLE IF EXISTS bench_category, bench_incident;
CREATE UNLOGGED TABLE bench_category (id int PRIMARY KEY, code text NOT NULL);
INSERT INTO bench_category
    SELECT m * 100 + n, format('S%s%s', lpad(m::text, 2, '0'),
                               CASE WHEN n = 0 THEN '' ELSE lpad(n::text, 2, '0') END)
    FROM generate_series(1, 12) m, generate_series(0, 10) n;
CREATE UNLOGGED TABLE bench_incident AS
    SELECT (1 + (random() * 11)::int) * 100 + 1 + (random() * 9)::int AS category_id,
           CASE WHEN random() < 0.05 THEN 'red' ELSE 'green' END AS deadline
    FROM generate_series(1, %(rows)s);
ANALYZE bench_category; ANALYZE bench_incident;
"""

BEFORE = """
SELECT count(*), count(*) FILTER (WHERE deadline = 'red')
FROM bench_incident incident JOIN bench_category c ON c.id = incident.category_id
WHERE (c.code >= %(low)s AND c.code < %(high)s)"""

NOW = """
SELECT count(*), count(*) FILTER (WHERE deadline = 'red')
FROM bench_incident incident
WHERE incident.category_id IN (SELECT fc.id FROM bench_category fc,
      unnest(%(lows)s::text[], %(highs)s::text[]) AS r(low, high)
      WHERE fc.code >= r.low AND fc.code < r.high)"""


def ensure_database() -> str:
    url = database_url(DB)
    admin = create_engine(database_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"),
                                 {"d": DB}):
            connection.execute(text(f'CREATE DATABASE "{DB}"'))
    admin.dispose()
    return libpq_url(url)


def timed(connection, sql: str, params: dict, repeats: int) -> tuple[list[float], tuple]:
    connection.execute(sql, params).fetchone()  # warm-up: plan and cache
    times, answer = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        answer = connection.execute(sql, params).fetchone()
        times.append((time.perf_counter() - started) * 1000)
    return times, answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with psycopg.connect(ensure_database(), autocommit=True) as connection:
        connection.execute(SETUP.replace("%(rows)s", str(int(args.rows))))
        one = {"low": "S03", "high": "S04"}
        before, counted_before = timed(connection, BEFORE, one, args.repeats)
        now, counted_now = timed(connection, NOW, {"lows": ["S03"], "highs": ["S04"]},
                                 args.repeats)
        two, _ = timed(connection, NOW, {"lows": ["S03", "S0705"], "highs": ["S04", "S0706"]},
                       args.repeats)
        connection.execute("DROP TABLE bench_category, bench_incident")
    if counted_before != counted_now:
        print(f"the two count differently: {counted_before} against {counted_now}")
        return 1
    print(f"{args.rows:,} rows, one 大类 ({counted_now[0]:,} rows, {counted_now[1]:,} red), "
          f"{args.repeats} runs each (ms: best / median)")
    for name, times in (("before: join + range (baseline)", before),
                        ("now: category_id IN hashed subplan", now),
                        ("now, two codes (a 大类 and a 小类)", two)):
        ratio = statistics.median(times) / statistics.median(before)
        print(f"  {name:38} {min(times):8.1f} / {statistics.median(times):8.1f}"
              f"   × {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
