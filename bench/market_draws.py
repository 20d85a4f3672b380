"""市场监管 register benchmark: a roster import, a 双随机 draw and the entity layer's tiles,
over a city's register of 500,000 entities — each as a ratio to bare SQL in the same
process.

    .venv/bin/python bench/market_draws.py [--entities 500000] [--tiles 60] [--markdown]

Goals (issue 14): import of 500,000 rows with validation < 60 s; a draw over 500,000
entities < 5 s; the entity layer's tiles at z10–16 p95 < 50 ms.

Runs on the bench city (bench/datasets.py `city`: the demo city's areas) inside ONE
transaction that is rolled back at the end, so the shared bench database is left as it
was and other benchmarks never see these rows. In that transaction:

1. import — a CSV of N rows (valid codes whose positions 3–8 are the district's, points
   spread over the grids by population) is imported by `imports.import_entities`
   (the CSV parsed by PostgreSQL into a temporary table, core/imports.py copy_csv; every
   code checked per GB 32100 and the other columns in SQL, import_sql.py; staged; every
   point located in its grid; upsert, the low-zoom cells counted by the table's
   statement triggers).
   Baseline: the same CSV by bare COPY into a plain table and one INSERT … SELECT into a
   table LIKE market_entity INCLUDING ALL (its indexes, not its foreign keys; no check,
   no locating).
2. draw — a 不定向 task over the whole city, committed and drawn by
   `drawing.commit_and_draw` (the candidate list, its hashes, the pool, the seeds, the
   selection, the targets' scores, the pairings, the stored targets), then
   `drawing.verify`; and a second task drawn under gridgov-draw/1 (every candidate
   scored, as draws before 2026-12-07), the A/B of the selection in one process.
   Baseline: one SQL statement that takes ⌈ratio·n⌉ entities per class by
   md5(seed ‖ code) — a draw nobody can check, without inspectors.
3. tiles — `--tiles` tiles per zoom 10–16 centred on entities, rendered by
   geo/layers/tiles.py for the `market_entities` layer (clustered below z14, summed from
   market_entity_cell there) as the city's admin. Baseline: a bare ST_AsMVT of the
   entities in the tile (no scope, no budget, no clustering).

Absolute figures depend on the machine and its load; the ratios are the comparable part.
"""

import argparse
import csv
import io
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.datasets import ensure  # noqa: E402
from core.security import Principal  # noqa: E402
from core.users.enums import Role  # noqa: E402

GOALS = {"import": 60.0, "draw": 5.0, "tiles_p95_ms": 50.0}
ZOOMS = range(10, 17)
console = Console()


def _roster(session: Session, n: int, rng: np.random.Generator) -> bytes:
    """A CSV roster of n entities over the city's grids, by population."""
    from market_supervision.register.codes import issue_code

    grids = session.execute(text(
        "SELECT code, greatest(coalesce(population, 1), 1) FROM area WHERE level = 'grid' "
        "ORDER BY code")).all()
    weights = np.array([p for _, p in grids], dtype=float)
    counts = np.floor(weights / weights.sum() * n).astype(int)
    counts[: n - counts.sum()] += 1
    wanted = [(code, int(k)) for (code, _), k in zip(grids, counts, strict=True) if k]
    points = session.execute(text("""
        SELECT w.code, ST_X(p.geom), ST_Y(p.geom)
        FROM unnest(CAST(:codes AS text[]), CAST(:counts AS int[])) AS w(code, n)
        JOIN area a ON a.code = w.code
        CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(a.geom, w.n, 42)) AS p"""),
        {"codes": [c for c, _ in wanted], "counts": [k for _, k in wanted]}).all()
    kinds = rng.choice(["个体工商户", "公司", "农民专业合作社"], size=len(points),
                       p=[.65, .32, .03])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["统一社会信用代码", "名称", "类型", "地址", "经度", "纬度", "行业"])
    types = {"个体工商户": "individual", "公司": "company", "农民专业合作社": "cooperative"}
    for i, (grid, lon, lat) in enumerate(points):
        writer.writerow([issue_code(types[kinds[i]], grid[:6], 10_000_000 + i), f"商户{i}",
                         kinds[i], f"测试路{i}号", f"{lon:.7f}", f"{lat:.7f}", "F52"])
    return buffer.getvalue().encode("utf-8-sig")


def _admin(session: Session) -> Principal:
    city = session.scalar(text("SELECT code FROM area WHERE level = 'city' LIMIT 1"))
    user_id = session.execute(text(
        "INSERT INTO app_user (username, password_hash, role, scope_code, full_name) "
        "VALUES ('bench_market_admin', '!', 'admin', :c, '基准') RETURNING id"),
        {"c": city}).scalar_one()
    return Principal(user_id, "bench_market_admin", Role.admin, city)


def bench_import(session: Session, admin: Principal, data: bytes) -> dict:
    from market_supervision.register.imports import import_entities

    raw = session.connection().connection.driver_connection
    started = time.perf_counter()
    with raw.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bare_roster (uscc text, name text, type text, "
                       "address text, lon float8, lat float8, industry text)")
        with cursor.copy("COPY bare_roster FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            copy.write(data.decode("utf-8-sig").encode())
        # The same rows into a table with market_entity's columns, defaults and indexes
        # (not its foreign keys): what loading costs without checking or locating.
        cursor.execute("CREATE TEMP TABLE bare_entity (LIKE market_entity INCLUDING ALL)")
        cursor.execute("INSERT INTO bare_entity (uscc, name, type, address, location, "
                       "industry) SELECT uscc, name, CASE type WHEN '公司' THEN 'company' "
                       "WHEN '个体工商户' THEN 'individual' ELSE 'cooperative' END, address, "
                       "ST_SetSRID(ST_MakePoint(lon, lat), 4326), industry FROM bare_roster")
    bare = time.perf_counter() - started
    started = time.perf_counter()
    result = import_entities(session, principal=admin, filename="roster.csv", data=data)
    seconds = time.perf_counter() - started
    session.execute(text("ANALYZE market_entity"))
    return {"rows": result.rows, "seconds": seconds, "bare": bare}


def _prepare_draw(session: Session, admin: Principal, rng: np.random.Generator) -> list[int]:
    """Risk classes, a market office with 40 qualified inspectors, a plan and two tasks
    (one drawn under the current algorithm, one under gridgov-draw/1)."""
    from datetime import date, timedelta

    from market_supervision.register import items, plans
    from market_supervision.register.inspectors import set_qualifications

    session.execute(text("""
        UPDATE market_entity SET risk_class = CASE WHEN r < 0.35 THEN 'A' WHEN r < 0.8
            THEN 'B' WHEN r < 0.95 THEN 'C' ELSE 'D' END
        FROM (SELECT id AS eid, (abs(hashtext(uscc)) % 1000) / 1000.0 AS r
              FROM market_entity) h WHERE id = h.eid"""))
    item = items.create_item(session, code="BENCH-1", name="基准事项", department_code="market",
                             level="general", legal_basis="基准", checklist=[])
    unit = session.execute(text(
        "INSERT INTO unit (code, name, kind, platform, department_code, seat_code) "
        "VALUES ('bench-market', '基准市场监管所', 'market_office', 'market_supervision', "
        "'market', :c) RETURNING id"), {"c": admin.scope_code}).scalar_one()
    for i in range(40):
        user = session.execute(text(
            "INSERT INTO app_user (username, password_hash, role, scope_code, full_name) "
            "VALUES (:u, '!', 'market_inspector', :c, :n) RETURNING id"),
            {"u": f"bench_inspector_{i}", "c": admin.scope_code, "n": f"检查员{i}"}).scalar_one()
        membership = session.execute(text(
            "INSERT INTO membership (user_id, unit_id, position, credential_number, "
            "credential_expires_on) VALUES (:u, :unit, 'inspector', :n, :e) RETURNING id"),
            {"u": user, "unit": unit, "n": f"B{i:05d}",
             "e": date.today() + timedelta(days=365)}).scalar_one()
        set_qualifications(session, membership_id=membership, item_codes=[item.code])
    plan = plans.create_plan(session, principal=admin, year=date.today().year, name="基准计划",
                             unit_id=unit, area_code=admin.scope_code)
    return [plans.create_task(session, principal=admin, plan_id=plan.id, code=f"BENCH-T{i}",
                              name="基准任务", mode="undirected", area_code=admin.scope_code,
                              ratio_scheme="general", starts_on=date.today(),
                              ends_on=date.today(), organising_unit_id=unit,
                              implementing_unit_ids=[unit], item_codes=[item.code]).id
            for i in range(2)]


BARE_DRAW = """
WITH ranked AS (
    SELECT id, risk_class, row_number() OVER (PARTITION BY risk_class
                                              ORDER BY md5(:seed || uscc)) AS n,
           count(*) OVER (PARTITION BY risk_class) AS size
    FROM market_entity WHERE status = 'active')
SELECT r.id FROM ranked r JOIN market_ratio_rule q
    ON q.scheme = 'general' AND q.risk_class = r.risk_class
WHERE r.n <= ceil(q.ratio * r.size)"""


def bench_draw(session: Session, admin: Principal, task_ids: list[int]) -> dict:
    """The draw as a unit runs it (commit and draw, the current algorithm), its verify,
    and the same register drawn under gridgov-draw/1 (every candidate scored), which
    older draws keep: the A/B of the selection step, in one process."""
    from market_supervision.register import drawing, draws

    started = time.perf_counter()
    bare_targets = len(session.execute(text(BARE_DRAW), {"seed": "bench"}).all())
    bare = time.perf_counter() - started
    started = time.perf_counter()
    draw = drawing.commit_and_draw(session, principal=admin, task_id=task_ids[0])
    session.flush()
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    verified = drawing.verify(session, principal=None, draw_id=draw.id)
    verify_seconds = time.perf_counter() - started
    targets = session.scalar(text("SELECT count(*) FROM market_draw_target WHERE draw_id = :d"),
                             {"d": draw.id})
    started = time.perf_counter()
    first = drawing.commit(session, principal=admin, task_id=task_ids[1])
    first.algorithm = draws.FIRST
    drawing.perform(session, principal=admin, draw_id=first.id)
    session.flush()
    first_seconds = time.perf_counter() - started
    return {"candidates": draw.candidates_count, "targets": targets,
            "bare_targets": bare_targets, "seconds": seconds, "bare": bare,
            "verify": verify_seconds, "matches": verified.matches,
            "first_version": first_seconds}


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


BARE_TILE = """
SELECT ST_AsMVT(t, 'market_entities', 4096, 'geom') FROM (
    SELECT e.id, e.name, e.last_result,
           ST_AsMVTGeom(ST_Transform(e.location, 3857), ST_TileEnvelope({z}, {x}, {y}), 4096, 64)
           AS geom
    FROM market_entity e
    WHERE e.location && ST_Transform(ST_TileEnvelope({z}, {x}, {y}, margin => 0.015625), 4326)
) t"""


def bench_tiles(session: Session, admin: Principal, per_zoom: int,
                rng: np.random.Generator) -> list[dict]:
    from core.scope import Scope
    from geo.layers.tiles import render
    from market_supervision.register.layers import ENTITIES

    scope = Scope.of(admin)
    sample = session.execute(text(
        "SELECT ST_X(location), ST_Y(location) FROM market_entity "
        "TABLESAMPLE SYSTEM (1) LIMIT :n"), {"n": per_zoom * 4}).all()
    connection = session.connection()
    rows = []
    for z in ZOOMS:
        picks = [sample[i] for i in rng.choice(len(sample), size=per_zoom)]
        tiles = [_tile_of(lon, lat, z) for lon, lat in picks]
        for x, y in tiles[:5]:  # warm both paths
            render(session, layer=ENTITIES, scope=scope, z=z, x=x, y=y, budget=5000)
            connection.exec_driver_sql(BARE_TILE.format(z=z, x=x, y=y)).one()
        ours, bare = [], []
        for x, y in tiles:
            started = time.perf_counter()
            render(session, layer=ENTITIES, scope=scope, z=z, x=x, y=y, budget=5000)
            ours.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            connection.exec_driver_sql(BARE_TILE.format(z=z, x=x, y=y)).one()
            bare.append((time.perf_counter() - started) * 1000)
        rows.append({"z": z, "p50": statistics.median(ours),
                     "p95": float(np.percentile(ours, 95)),
                     "bare_p95": float(np.percentile(bare, 95)),
                     "bare_p50": statistics.median(bare)})
    return rows


def _profile_steps() -> None:
    """Wrap the import's and the draw's named steps with timers printed as they end."""
    import functools

    from market_supervision.register import draw_sets, drawing, import_sql, imports

    def timed(module, name):
        original = getattr(module, name)

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                console.print(f"  {module.__name__.rsplit('.', 1)[-1]}.{name}: "
                              f"{time.perf_counter() - started:.2f} s")
        setattr(module, name, wrapper)

    for name in ("copy_csv", "read_table", "check_table", "_stage_rows", "upsert"):
        timed(imports, name)
    for name in ("check", "not_accepted", "duplicates", "stage_accepted", "check_copied"):
        timed(import_sql, name)
    for name in ("_pool", "rerun", "_store", "commit", "perform"):
        timed(drawing, name)
    for name in ("listing", "store"):
        timed(draw_sets, name)
    original_execute = Session.execute

    def execute(self, statement, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original_execute(self, statement, *args, **kwargs)
        finally:
            seconds = time.perf_counter() - started
            if seconds > 0.5:
                console.print(f"  SQL {seconds:.2f} s: {' '.join(str(statement).split())[:90]}")
    Session.execute = execute


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entities", type=int, default=500_000)
    parser.add_argument("--tiles", type=int, default=60, help="tiles per zoom")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--profile", action="store_true",
                        help="print where the import's and the draw's time goes")
    parser.add_argument("--skip-tiles", action="store_true")
    parser.add_argument("--import-only", action="store_true",
                        help="the import alone (no draw, no tiles)")
    parser.add_argument("--database", help="a database of its own for the bench city")
    args = parser.parse_args()
    if args.profile:
        _profile_steps()
    rng = np.random.default_rng(14)
    url = ensure("city", database=args.database)
    engine = create_engine(url)
    from core import platforms

    platforms.load()
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection)
    try:
        admin = _admin(session)
        console.print(f"generating a roster of {args.entities:,} entities …")
        data = _roster(session, args.entities, rng)
        console.print(f"roster: {len(data) / 1e6:.1f} MB; importing …")
        imported = bench_import(session, admin, data)
        if args.import_only:
            return report(imported, None, [], markdown=args.markdown)
        task_ids = _prepare_draw(session, admin, rng)
        console.print("drawing …")
        drawn = bench_draw(session, admin, task_ids)
        console.print("tiles …")
        tiles = [] if args.skip_tiles else bench_tiles(session, admin, args.tiles, rng)
    finally:
        session.close()
        transaction.rollback()
        connection.close()
        engine.dispose()
    return report(imported, drawn, tiles, markdown=args.markdown)


def report_import(imported: dict) -> int:
    seconds, bare = imported["seconds"], imported["bare"]
    console.print(f"import {imported['rows']:,} rows: {seconds:.2f} s, bare COPY + insert "
                  f"{bare:.2f} s: {seconds / bare:.1f}× (goal < {GOALS['import']:.0f} s)")
    return 0 if seconds < GOALS["import"] else 1


def report(imported: dict, drawn: dict | None, tiles: list[dict], *, markdown: bool) -> int:
    if drawn is None:
        return report_import(imported)
    worst_p95 = max((row["p95"] for row in tiles), default=0.0)
    lines = [
        ("import", f"{imported['rows']:,} rows", imported["seconds"], imported["bare"],
         GOALS["import"]),
        ("draw", f"{drawn['candidates']:,} candidates → {drawn['targets']:,} targets",
         drawn["seconds"], drawn["bare"], GOALS["draw"]),
        ("verify", "re-run and compare", drawn["verify"], drawn["bare"], None),
        ("draw, gridgov-draw/1", "the same register, every candidate scored",
         drawn["first_version"], drawn["bare"], None),
    ]
    table = Table(title="市场监管 register (one transaction, rolled back)")
    for column in ("what", "size", "seconds", "bare SQL s", "ratio", "goal"):
        table.add_column(column)
    for what, size, seconds, bare, goal in lines:
        table.add_row(what, size, f"{seconds:.2f}", f"{bare:.2f}", f"{seconds / bare:.1f}×",
                      "" if goal is None else f"< {goal:.0f} s {'✓' if seconds < goal else '✗'}")
    console.print(table)
    tile_table = Table(title="market_entities tiles (clustered below z14), ms")
    for column in ("z", "p50", "p95", "bare p50", "bare p95", "p95 ratio"):
        tile_table.add_column(column)
    for row in tiles:
        tile_table.add_row(str(row["z"]), f"{row['p50']:.1f}", f"{row['p95']:.1f}",
                           f"{row['bare_p50']:.1f}", f"{row['bare_p95']:.1f}",
                           f"{row['p95'] / row['bare_p95']:.2f}×")
    console.print(tile_table)
    console.print(f"draw verified: {drawn['matches']}; bare-SQL draw took "
                  f"{drawn['bare_targets']:,} targets")
    if markdown:
        print("| what | size | s | bare SQL s | ratio |\n|---|---|---|---|---|")
        for what, size, seconds, bare, _ in lines:
            print(f"| {what} | {size} | {seconds:.2f} | {bare:.2f} | {seconds / bare:.1f}× |")
        print("\n| z | p50 ms | p95 ms | bare p95 ms | ratio |\n|---|---|---|---|---|")
        for row in tiles:
            print(f"| {row['z']} | {row['p50']:.1f} | {row['p95']:.1f} | "
                  f"{row['bare_p95']:.1f} | {row['p95'] / row['bare_p95']:.2f}× |")
    missed = (imported["seconds"] >= GOALS["import"] or drawn["seconds"] >= GOALS["draw"]
              or worst_p95 >= GOALS["tiles_p95_ms"] or not drawn["matches"])
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
