"""Enforcement cases benchmark (issue 13: "with 100,000 cases: the dispatcher's queue and a
case's detail p95 under 100 ms through HTTP").

    .venv/bin/python bench/enforcement_cases.py [--cases 100000] [--requests 300]

On the bench's city database (bench/datasets.py, the demo city), inside one transaction
that is rolled back at the end (nothing stays), it makes `--cases` enforcement cases in
every state over the city's grids, each with its step clock, a party and a timeline event
(a few INSERT … SELECT), and times, after a warm-up:

  queue   GET /api/v1/enforcement/cases?step=…&clock=red (a county dispatcher's territory,
          50 a page, with the total) through the app (the ASGI stack in process: routing,
          auth, validation, the scoped query, JSON), against the same query in bare SQL
  detail  GET /api/v1/enforcement/cases/{id} (clocks with citations, parties, evidence,
          documents, links, timeline, the moves allowed) against bare SQL reading the case,
          its clocks and its parties

and prints p50/p95 per method and each as a ratio to its bare SQL. The machine is shared
(2 cores, several engineers): absolute figures are noisy; the ratios less so.
"""

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.datasets import ensure  # noqa: E402
from core import platforms  # noqa: E402

CITY = "430200"
console = Console()
STATES = ("clue", "investigating", "investigated", "notified", "decided", "served", "paid",
          "closed", "not_filed", "suspended")
STEP_OF = {"clue": "verify", "notified": "notice", "decided": "service", "served": "payment"}


def make_cases(session: Session, *, cases: int) -> int:
    """Cases in the townships' enforcement teams, spread over states and clock colours."""
    session.execute(text("SELECT setseed(0.13)"))
    # The bench city has areas only: a 综合行政执法队 per township, as the demo has.
    session.execute(text("""
        INSERT INTO unit (code, name, kind, platform, department_code, seat_code, location)
        SELECT 'bench-enf-' || code, name || '综合行政执法队', 'enforcement_team', 'enforcement',
               'chengguan', code, ST_PointOnSurface(geom)
        FROM area WHERE level = 'township' AND code LIKE '4302%'
        ON CONFLICT (code) DO NOTHING"""))
    session.execute(text("""
        INSERT INTO unit_area (unit_id, area_code)
        SELECT id, seat_code FROM unit WHERE code LIKE 'bench-enf-%'
        ON CONFLICT DO NOTHING"""))
    session.execute(text("""
        CREATE TEMP TABLE bench_team ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY u.id) AS k, u.id, u.seat_code,
               (SELECT array_agg(code) FROM area g WHERE g.level = 'grid'
                  AND g.code LIKE u.seat_code || '%') AS grids
        FROM unit u WHERE u.kind = 'enforcement_team' AND u.seat_code LIKE '4302%'"""))
    teams = session.scalar(text("SELECT count(*) FROM bench_team WHERE grids IS NOT NULL"))
    session.execute(text("""
        INSERT INTO enforcement_case (procedure, state, version, owner_unit_id, owner_code,
            owner_platform, area_code, source, title, facts, officer_ids, step, step_due_at,
            deadline, opened_at)
        SELECT 'ordinary', s.state, 1, t.id, t.seat_code, 'enforcement',
               t.grids[1 + (n % array_length(t.grids, 1))], 'patrol', '基准案件' || n, '',
               '{}', s.step, CASE WHEN s.step IS NOT NULL THEN now() + interval '3 days' END,
               CASE WHEN s.step IS NULL THEN 'green'
                    ELSE (ARRAY['green', 'green', 'yellow', 'red'])[1 + n % 4] END,
               now() - (n % 90) * interval '1 day'
        FROM generate_series(1, :cases) n
        JOIN bench_team t ON t.k = 1 + (n * 7919) % :teams AND t.grids IS NOT NULL
        CROSS JOIN LATERAL (SELECT (CAST(:states AS text[]))[1 + (n * 31) % :nstates] AS state)
            st
        CROSS JOIN LATERAL (SELECT st.state,
            (CAST(:steps AS jsonb)) ->> st.state AS step) s"""),
        {"cases": cases, "teams": teams, "states": list(STATES), "nstates": len(STATES),
         "steps": __import__("json").dumps(STEP_OF)})
    session.execute(text("""
        INSERT INTO case_clock (subject_type, subject_id, case_type, name, "limit", citation,
                                started_at, warn_at, due_at, colour)
        SELECT 'enforcement_case', id, 'enforcement.case', 'step', '15d',
               '《市场监督管理投诉举报处理暂行办法》第二十三条', opened_at,
               step_due_at - interval '2 days', step_due_at, deadline
        FROM enforcement_case WHERE title LIKE '基准案件%' AND step IS NOT NULL"""))
    session.execute(text("""
        INSERT INTO enforcement_party (case_id, kind, name, id_number)
        SELECT id, 'citizen', '张三', '11010519491231002X' FROM enforcement_case
        WHERE title LIKE '基准案件%'"""))
    session.execute(text("""
        INSERT INTO timeline_event (subject_type, subject_id, actor, action, to_state)
        SELECT 'enforcement_case', id, 'bench', 'open', state FROM enforcement_case
        WHERE title LIKE '基准案件%'"""))
    session.execute(text("ANALYZE enforcement_case; ANALYZE case_clock; "
                         "ANALYZE enforcement_party; ANALYZE timeline_event"))
    return session.scalar(text("SELECT count(*) FROM enforcement_case"))


def count_statements(engine, call) -> int:
    """The SQL statements one call sends (round trips are most of a detail's time on a
    loaded database: enforcement/cases/detail.py)."""
    from sqlalchemy import event

    seen = []

    def count(*args) -> None:
        seen.append(1)
    event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def timed(call, arguments, warmup: int = 20) -> list[float]:
    for argument in arguments[:warmup]:
        call(argument)
    out = []
    for argument in arguments:
        started = time.perf_counter()
        call(argument)
        out.append((time.perf_counter() - started) * 1000)
    return out


QUEUE_SQL = """
    SELECT c.* FROM enforcement_case c
    WHERE c.area_code >= :low AND c.area_code < :high AND c.step = :step
      AND c.deadline = 'red'
    ORDER BY c.id DESC LIMIT 50"""
COUNT_SQL = """
    SELECT count(*) FROM enforcement_case c
    WHERE c.area_code >= :low AND c.area_code < :high AND c.step = :step
      AND c.deadline = 'red'"""
DETAIL_SQL = ("SELECT * FROM enforcement_case WHERE id = :id",
              "SELECT * FROM case_clock WHERE subject_type = 'enforcement_case' "
              "AND subject_id = :id",
              "SELECT * FROM enforcement_party WHERE case_id = :id")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    url = ensure("city")
    platforms.load()
    from fastapi.testclient import TestClient

    from api.app import create_app
    from core.codes import subtree_range
    from core.deps import get_accounts, get_session
    from core.security import Principal, create_access_token
    from core.settings import get_settings
    from core.users.cache import SessionAccounts
    from core.users.enums import Role

    settings = get_settings().model_copy(update={"database_url": url})
    engine = create_engine(url)
    with Session(engine) as session:
        started = time.perf_counter()
        total = make_cases(session, cases=args.cases)
        county = session.scalar(text("SELECT code FROM area WHERE level = 'county' "
                                     "AND code LIKE '4302%' ORDER BY code LIMIT 1"))
        user_id = session.scalar(text("""
            INSERT INTO app_user (username, password_hash, role, scope_code)
            VALUES ('bench-enforcement-dispatcher', '!', 'county_dispatcher', :c)
            RETURNING id"""), {"c": county})
        console.print(f"{args.cases} bench cases made ({total} in all) in "
                      f"{time.perf_counter() - started:.1f} s; dispatcher of {county}")
        app = create_app(settings)
        app.dependency_overrides[get_session] = lambda: session
        app.dependency_overrides[get_accounts] = lambda: SessionAccounts(session)
        token = create_access_token(Principal(user_id, "bench-enforcement-dispatcher",
                                              Role.county_dispatcher, county),
                                    secret=settings.secret_key, minutes=60)
        ids = session.scalars(text(
            "SELECT id FROM enforcement_case WHERE area_code LIKE :p AND title LIKE '基准案件%' "
            "ORDER BY random() LIMIT :n"), {"p": county + "%", "n": args.requests}).all()
        rng = random.Random(13)
        steps = [rng.choice(list(STEP_OF.values())) for _ in range(args.requests)]
        bounds = subtree_range(county)
        with TestClient(app) as client:
            client.headers["Authorization"] = f"Bearer {token}"

            def queue_http(step):
                response = client.get("/api/v1/enforcement/cases",
                                      params={"step": step, "clock": "red"})
                assert response.status_code == 200, response.text

            def queue_sql(step):
                session.execute(text(QUEUE_SQL), {**bounds, "step": step}).all()
                session.execute(text(COUNT_SQL), {**bounds, "step": step}).scalar()

            def detail_http(case_id):
                response = client.get(f"/api/v1/enforcement/cases/{case_id}")
                assert response.status_code == 200, response.text

            def detail_sql(case_id):
                for sql in DETAIL_SQL:
                    session.execute(text(sql), {"id": case_id}).all()

            statements = count_statements(engine, lambda: detail_http(ids[0]))
            results = {"queue: bare SQL (baseline)": timed(queue_sql, steps),
                       "queue: GET /cases?step&clock=red": timed(queue_http, steps),
                       "detail: bare SQL (baseline)": timed(detail_sql, ids),
                       "detail: GET /cases/{id}": timed(detail_http, ids)}
        plan = session.execute(text("EXPLAIN " + QUEUE_SQL),
                               {**bounds, "step": "verify"}).scalars().all()
        session.rollback()
    engine.dispose()

    table = Table(title=f"enforcement cases: {args.cases} bench cases, {args.requests} "
                        "requests each (shared 2-core machine: absolute ms are noisy)")
    for column in ("method", "p50 ms", "p95 ms", "p50 / baseline p50", "p95 / baseline p95"):
        table.add_column(column, justify="right" if column != "method" else "left")
    for name, values in results.items():
        base = results[name.split(":")[0] + ": bare SQL (baseline)"]
        table.add_row(name, f"{percentile(values, 50):.2f}", f"{percentile(values, 95):.2f}",
                      f"{percentile(values, 50) / percentile(base, 50):.1f}×",
                      f"{percentile(values, 95) / percentile(base, 95):.1f}×")
    console.print(table)
    for name in ("queue: GET /cases?step&clock=red", "detail: GET /cases/{id}"):
        p95 = percentile(results[name], 95)
        console.print(f"goal (< 100 ms): {name} p95 {p95:.1f} ms — "
                      f"{'met' if p95 < 100 else 'NOT met'}")
    console.print(f"statements per detail request (auth, case, calendar, detail): "
                  f"{statements}")
    console.print("queue plan: " + " / ".join(line.strip() for line in plan[:4]))


if __name__ == "__main__":
    main()
