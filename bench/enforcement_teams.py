"""Nearest-team benchmark (issue 13 §8: "nearest team under 20 ms with 2,000 teams").

    .venv/bin/python bench/enforcement_teams.py [--teams 2000] [--queries 500] [--limit 5]
                                                [--http] [--plan]

On the bench's city database (bench/datasets.py, the demo city), inside one transaction
that is rolled back at the end (nothing stays), it makes `--teams` synthetic 执法中队 seated
at random points of the city's townships, two officers each on duty now with fresh fixes
100-1,500 m from the seat, each team qualified for one of four departments, one in eight
busy; refreshes the positions (enforcement/teams/positions.py) and times, for the same
random query points, after a warm-up:

  service    enforcement.teams.service.nearest_teams: the API's work without HTTP (matter
             lookup, recusal lookup, the scoped KNN with duty/qualification/availability
             filters, exact spheroid distances, names)
  dispatch   enforcement.teams.dispatch.nearest: the filtered KNN query alone
  bare SQL   SELECT … FROM enforcement_team_position ORDER BY geog <-> point LIMIT k, then
             ST_Distance(…, true): a KNN on the geography with no filter at all (the
             baseline)

and, with --http, GET /api/v1/enforcement/teams/nearest on uvicorn (the rows committed for
it and deleted afterwards); prints p50/p95/mean per method and each as a ratio to the bare
SQL. The machine is
shared (2 cores, several engineers): absolute figures are noisy; the ratios less so.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
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
from core.scope import Scope  # noqa: E402
from core.security import Principal  # noqa: E402
from core.users.enums import Role  # noqa: E402

CITY = "430200"
DEPARTMENTS = ("chengguan", "market", "ecology", "transport")
console = Console()


def make_teams(session: Session, *, teams: int, now: datetime, seed: int) -> None:
    """Teams, officers, rosters, fixes, qualifications: a few INSERT … SELECT."""
    session.execute(text("SELECT setseed(:s)"), {"s": (seed % 1000) / 1000})
    session.execute(text("""
        CREATE TEMP TABLE bench_seat ON COMMIT DROP AS
        SELECT n, t.code, ST_GeneratePoints(t.geom, 1, n) AS point
        FROM generate_series(1, :teams) n
        CROSS JOIN LATERAL (SELECT code, geom FROM area WHERE level = 'township'
                            AND code LIKE '4302%' ORDER BY md5(code || n) LIMIT 1) t"""),
        {"teams": teams})
    session.execute(text("""
        INSERT INTO unit (code, name, kind, platform, department_code, seat_code, location)
        SELECT 'bench-team-' || n, '基准中队' || n, 'squadron', 'enforcement',
               (CAST(:depts AS text[]))[1 + n % 4], code,
               ST_SetSRID(ST_GeometryN(point, 1), 4326)
        FROM bench_seat"""), {"depts": list(DEPARTMENTS)})
    session.execute(text("""
        INSERT INTO app_user (username, password_hash, role, scope_code)
        SELECT u.code || '.o' || k, '!', 'enforcement_officer', u.seat_code
        FROM unit u CROSS JOIN generate_series(1, 2) k WHERE u.code LIKE 'bench-team-%'"""))
    session.execute(text("""
        INSERT INTO membership (user_id, unit_id, position)
        SELECT a.id, u.id, 'handler' FROM unit u
        JOIN app_user a ON a.username LIKE u.code || '.o%' WHERE u.code LIKE 'bench-team-%'"""))
    session.execute(text("""
        INSERT INTO enforcement_roster (team_id, user_id, shift, starts_at, ends_at, created_by)
        SELECT m.unit_id, m.user_id, '白班', :now - interval '1 hour', :now + interval '11 hours',
               'bench'
        FROM membership m JOIN unit u ON u.id = m.unit_id WHERE u.code LIKE 'bench-team-%'"""),
        {"now": now})
    session.execute(text("""
        INSERT INTO staff_position (user_id, geom, accuracy_m, recorded_at, source_type)
        SELECT m.user_id,
               ST_Project(u.location::geography, 100 + random() * 1400,
                          radians(random() * 360))::geometry,
               10, :now - interval '2 minutes', 'bench'
        FROM membership m JOIN unit u ON u.id = m.unit_id WHERE u.code LIKE 'bench-team-%'
        ON CONFLICT (user_id) DO NOTHING"""), {"now": now})
    session.execute(text("""
        INSERT INTO enforcement_team_qualification (team_id, department_code)
        SELECT id, department_code FROM unit WHERE code LIKE 'bench-team-%'"""))
    session.execute(text("""
        INSERT INTO enforcement_team_state (team_id, status, subject_type, subject_id)
        SELECT id, 'busy', 'bench', 1 FROM unit WHERE code LIKE 'bench-team-%' AND id % 8 = 0
        ON CONFLICT DO NOTHING"""))
    session.execute(text("""
        INSERT INTO enforcement_matter (code, name, department_code)
        VALUES ('BENCH-MKT-1', '基准事项', 'market') ON CONFLICT DO NOTHING"""))
    session.execute(text("ANALYZE unit; ANALYZE enforcement_roster; "
                         "ANALYZE enforcement_team_qualification; ANALYZE staff_position"))


def query_points(session: Session, n: int, seed: int) -> list[tuple[float, float]]:
    box = session.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                               "(SELECT ST_Extent(geom) e FROM area WHERE code = :c) x"),
                          {"c": CITY}).one()
    rng = random.Random(seed)
    return [(rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])) for _ in range(n)]


def timed(call, points, warmup: int = 30) -> list[float]:
    for lon, lat in points[:warmup]:
        call(lon, lat)
    out = []
    for lon, lat in points:
        started = time.perf_counter()
        call(lon, lat)
        out.append((time.perf_counter() - started) * 1000)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


BARE_SQL = """
    WITH c AS (SELECT team_id, geog FROM enforcement_team_position
               ORDER BY geog <-> CAST(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geography)
               LIMIT :k)
    SELECT team_id, ST_Distance(geog, CAST(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)
                                       AS geography), true) AS d
    FROM c ORDER BY d"""


def http_timings(url: str, points, limit: int) -> dict[str, list[float]]:
    """GET /api/v1/enforcement/teams/nearest on uvicorn (one worker, as `gridgov serve`),
    one keep-alive client, as the bench database's admin."""
    import httpx

    from bench.accounts import widest_admin
    from bench.harness import Server

    headers = widest_admin(url).bearer()
    with Server(url, "enforcement-teams") as server, \
            httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
        def get(lon, lat, matter=None):
            params = {"lon": lon, "lat": lat, "limit": limit}
            if matter:
                params["matter"] = matter
            response = client.get("/api/v1/enforcement/teams/nearest", params=params)
            response.raise_for_status()
            return response

        return {"HTTP GET …/teams/nearest (matter)":
                timed(lambda lon, lat: get(lon, lat, "BENCH-MKT-1"), points),
                "HTTP GET …/teams/nearest (no matter)": timed(get, points)}


def remove_teams(session: Session) -> None:
    """What make_teams committed (the rosters, fixes, states and positions go with the
    units and accounts)."""
    session.rollback()
    session.execute(text("DELETE FROM app_user WHERE username LIKE 'bench-team-%'"))
    session.execute(text("DELETE FROM unit WHERE code LIKE 'bench-team-%'"))
    session.execute(text("DELETE FROM enforcement_matter WHERE code = 'BENCH-MKT-1'"))
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--plan", action="store_true",
                        help="print the filtered query's plan (EXPLAIN ANALYZE)")
    parser.add_argument("--http", action="store_true",
                        help="also through HTTP (uvicorn): the rows are committed, then "
                             "deleted")
    args = parser.parse_args()

    url = ensure("city")
    platforms.load()
    from enforcement.teams import dispatch, positions, service

    engine = create_engine(url)
    now = datetime.now(UTC)
    principal = Principal(0, "bench", Role.admin, CITY)
    scope = Scope.of(principal)
    with Session(engine) as session:
        started = time.perf_counter()
        make_teams(session, teams=args.teams, now=now, seed=args.seed)
        refreshed = positions.refresh(session, now=now)
        session.execute(text("ANALYZE enforcement_team_position"))
        setup = time.perf_counter() - started
        total = session.scalar(text("SELECT count(*) FROM enforcement_team_position"))
        console.print(f"{args.teams} bench teams made, {refreshed} positions refreshed "
                      f"({total} teams in all) in {setup:.1f} s")
        points = query_points(session, args.queries, args.seed)
        wanted = dispatch.wanted_for(session, matter="BENCH-MKT-1")

        def bare(lon, lat):
            return session.execute(text(BARE_SQL), {"lon": lon, "lat": lat,
                                                    "k": args.limit}).all()

        def filtered(lon, lat):
            return dispatch.nearest(session, scope=scope, lon=lon, lat=lat, wanted=wanted,
                                    recused=[], now=now, limit=args.limit)

        def whole(lon, lat):
            return service.nearest_teams(session, principal=principal, lon=lon, lat=lat,
                                         matter="BENCH-MKT-1", case_id=None, limit=args.limit,
                                         include_busy=False, now=now)

        def any_team(lon, lat):
            return service.nearest_teams(session, principal=principal, lon=lon, lat=lat,
                                         matter=None, case_id=None, limit=args.limit,
                                         include_busy=False, now=now)

        results = {"bare SQL KNN (baseline)": timed(bare, points),
                   "dispatch.nearest (filtered KNN, matter)": timed(filtered, points),
                   "service.nearest_teams (matter)": timed(whole, points),
                   "service.nearest_teams (no matter)": timed(any_team, points)}
        explain = "EXPLAIN (ANALYZE, BUFFERS) " if args.plan else "EXPLAIN "
        plan = session.execute(text(explain + dispatch.nearest_sql(
            scope, qualified=True, include_busy=False)), {
            "lon": 113.1, "lat": 27.8, "now": now, "recused": [], "limit": args.limit,
            "matter": "BENCH-MKT-1", **scope.params}).scalars().all()
        if args.http:
            session.commit()  # the server sees committed rows only; removed below
            try:
                results.update(http_timings(url, points, args.limit))
            finally:
                remove_teams(session)
        else:
            session.rollback()
    engine.dispose()

    base = statistics.median(results["bare SQL KNN (baseline)"])
    table = Table(title=f"nearest team: {args.teams} bench teams, {args.queries} queries, "
                        f"limit {args.limit} (shared 2-core machine: absolute ms are noisy)")
    for column in ("method", "p50 ms", "p95 ms", "mean ms", "p50 / bare p50"):
        table.add_column(column, justify="right" if column != "method" else "left")
    for name, values in results.items():
        table.add_row(name, f"{percentile(values, 50):.2f}", f"{percentile(values, 95):.2f}",
                      f"{statistics.fmean(values):.2f}",
                      f"{statistics.median(values) / base:.2f}×")
    console.print(table)
    goal_name = ("HTTP GET …/teams/nearest (matter)" if args.http
                 else "service.nearest_teams (matter)")
    goal = percentile(results[goal_name], 95)
    console.print(f"goal (< 20 ms): {goal_name} p95 {goal:.2f} ms — "
                  f"{'met' if goal < 20 else 'NOT met'}")
    uses_index = all(any(index in line for line in plan) for index in (
        "ix_enforcement_team_position_geom", "ix_enforcement_team_position_geog"))
    console.print("KNN on the geometry's GiST index, radius on the geography's: "
                  f"{'yes' if uses_index else 'NO'}")
    if not uses_index or args.plan:
        console.print("\n".join(plan))


if __name__ == "__main__":
    main()
