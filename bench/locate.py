"""Locate benchmark: point → grid through the HTTP API, geo.locate, and two baselines.

    .venv/bin/python bench/locate.py [--dataset city|province|both] [--points N]
                                     [--batch N] [--regenerate] [--background-load N]

For each dataset (the demo city; a synthetic province of 100,000 grids), random points
inside the covered extent (90 % inside the jurisdiction, 10 % just outside it), the same
points for every method, are located by:

  HTTP GET  /api/v1/areas/locate    sequential, one keep-alive httpx client, real uvicorn
                                    (the async route on the app's psycopg read pool), as
                                    the admin of every city (bench/accounts.py)
  pool      geo.locate.locate_async in process, on make_async_pool as the app opens it
  session   geo.locate.locate       in process, one Session (and one Session per call,
                                    as a task or a sync request dependency would)
  batch     geo.locate.locate_many (session and pool) and HTTP POST /api/v1/areas/locate
  bare SQL  SELECT code FROM area WHERE level='grid' AND ST_Intersects(...) LIMIT 1 on a
            raw psycopg connection (per point, and unnest+LATERAL for the batch)
  STRtree   shapely STRtree of every grid in memory (per point, and vectorised)

and every method's grid codes are checked against the STRtree's (lowest code on a tie,
as geo.locate orders by code). Goal (issue): HTTP single-point p99 < 5 ms at 100k grids.
"""

import argparse
import asyncio
import gc
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import psycopg  # noqa: E402
import shapely  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn  # noqa: E402
from rich.table import Table  # noqa: E402
from shapely.strtree import STRtree  # noqa: E402

from bench.accounts import widest_admin  # noqa: E402
from bench.datasets import DATASETS, database_url, ensure, libpq_url  # noqa: E402
from bench.harness import (  # noqa: E402
    DATA,
    Codes,
    Result,
    Server,
    http_healthz,
    http_locate,
    http_locate_many,
    time_batch,
    time_single,
)
from core.db import make_async_pool, make_engine, make_sessionmaker  # noqa: E402
from core.errors import NotFound  # noqa: E402
from core.scope import EVERYWHERE  # noqa: E402
from geo import locate as locating  # noqa: E402

GOAL_P99_MS = 5.0
OUTSIDE_SHARE = 0.10
WARMUP = 300

BARE_SQL = ("SELECT code FROM area WHERE level = 'grid' AND "
            "ST_Intersects(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) LIMIT 1")
BARE_SQL_BATCH = """
    SELECT hit.code
    FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(lon, lat, i)
    LEFT JOIN LATERAL (
        SELECT code FROM area
        WHERE level = 'grid' AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
        LIMIT 1
    ) AS hit ON true
    ORDER BY p.i
"""

console = Console(width=None if sys.stdout.isatty() else 170)
err = Console(stderr=True)


# --- points and the reference -----------------------------------------------------------

@dataclass
class Grids:
    codes: np.ndarray          # sorted ascending, so a lower index is a lower code
    geoms: np.ndarray
    coverage: shapely.Geometry  # union of the cities: the jurisdiction
    tree: STRtree
    build_seconds: float


def load_grids(url: str) -> Grids:
    with psycopg.connect(libpq_url(url)) as conn:
        rows = conn.execute("SELECT code, ST_AsBinary(geom) FROM area WHERE level = 'grid' "
                            "ORDER BY code").fetchall()
        cities = conn.execute("SELECT ST_AsBinary(geom) FROM area WHERE level = 'city'"
                              ).fetchall()
    codes = np.array([r[0] for r in rows], dtype=object)
    geoms = shapely.from_wkb([bytes(r[1]) for r in rows])
    started = time.perf_counter()
    tree = STRtree(geoms)
    tree.query(shapely.Point(0, 0))  # the tree is built lazily, on first query
    build_seconds = time.perf_counter() - started
    coverage = shapely.union_all(shapely.from_wkb([bytes(r[0]) for r in cities]))
    shapely.prepare(coverage)
    return Grids(codes, geoms, coverage, tree, build_seconds)


def sample_points(grids: Grids, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points: (1 - OUTSIDE_SHARE) inside the jurisdiction, the rest just outside it."""
    minx, miny, maxx, maxy = grids.coverage.bounds
    pad_x, pad_y = (maxx - minx) * 0.05, (maxy - miny) * 0.05
    n_out = round(n * OUTSIDE_SHARE)
    inside = _draw(grids.coverage, n - n_out, (minx, miny, maxx, maxy), rng, want=True)
    outside = _draw(grids.coverage, n_out, (minx - pad_x, miny - pad_y, maxx + pad_x,
                                            maxy + pad_y), rng, want=False)
    points = np.concatenate([inside, outside])
    return points[rng.permutation(len(points))]


def _draw(coverage, n, bounds, rng, *, want: bool) -> np.ndarray:
    found, count = [], 0
    while count < n:
        batch = rng.uniform(bounds[:2], bounds[2:], size=(max(2 * n, 1000), 2))
        keep = batch[shapely.contains_xy(coverage, batch[:, 0], batch[:, 1]) == want]
        found.append(keep)
        count += len(keep)
    return np.concatenate(found)[:n]


def strtree_codes(grids: Grids, points: np.ndarray) -> Codes:
    """The reference: every grid a point intersects, the lowest code kept."""
    inp, hit = grids.tree.query(shapely.points(points), predicate="intersects")
    best = np.full(len(points), len(grids.codes), dtype=np.int64)
    np.minimum.at(best, inp, hit)
    return [None if b == len(grids.codes) else grids.codes[b] for b in best]


# --- the timed methods ------------------------------------------------------------------

def bare_sql_methods(url: str):
    conn = psycopg.connect(libpq_url(url), autocommit=True)

    def single(lon: float, lat: float) -> str | None:
        row = conn.execute(BARE_SQL, (lon, lat), prepare=True).fetchone()
        return row[0] if row else None

    def batch(points: np.ndarray) -> Codes:
        rows = conn.execute(BARE_SQL_BATCH, (points[:, 0].tolist(), points[:, 1].tolist()))
        return [r[0] for r in rows]

    return conn, single, batch


def strtree_methods(grids: Grids):
    tree, codes = grids.tree, grids.codes
    point = shapely.Point

    def single(lon: float, lat: float) -> str | None:
        hits = tree.query(point(lon, lat), predicate="intersects")
        return codes[hits.min()] if len(hits) else None

    def batch(points: np.ndarray) -> Codes:
        return strtree_codes(grids, points)

    return single, batch


def session_methods(url: str):
    engine = make_engine(url)  # as the app builds its engine (idle connections checked)
    sessions = make_sessionmaker(engine)
    session = sessions()

    def single(lon: float, lat: float) -> str | None:
        try:
            return locating.locate(session, lon=lon, lat=lat, scope=EVERYWHERE).grid.code
        except NotFound:
            return None

    def per_call(lon: float, lat: float) -> str | None:
        # What core.db.session_scope (or a sync route's session dependency) adds.
        s = sessions()
        try:
            return locating.locate(s, lon=lon, lat=lat, scope=EVERYWHERE).grid.code
        except NotFound:
            return None
        finally:
            s.commit()
            s.close()

    def batch(points: np.ndarray) -> Codes:
        return locating.locate_many(session, points=points.tolist(), scope=EVERYWHERE)

    def close():
        session.close()
        engine.dispose()

    return single, per_call, batch, close


def pool_methods(url: str):
    """The API's path without HTTP: locate_async on the pool the app opens, one event loop."""
    loop = asyncio.new_event_loop()
    pool = make_async_pool(url, max_size=1)
    loop.run_until_complete(pool.open(wait=True))

    def single(lon: float, lat: float) -> str | None:
        try:
            return loop.run_until_complete(
                locating.locate_async(pool, lon=lon, lat=lat, scope=EVERYWHERE)).grid.code
        except NotFound:
            return None

    def batch(points: np.ndarray) -> Codes:
        return loop.run_until_complete(
            locating.locate_many_async(pool, points=points.tolist(), scope=EVERYWHERE))

    def close():
        loop.run_until_complete(pool.close())
        loop.close()

    return single, batch, close


# --- one dataset ------------------------------------------------------------------------

@contextmanager
def background_load(processes: int) -> Iterator[None]:
    """CPU-bound busy loops competing with the benchmark, as other work on a server would."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(processes)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.terminate()
        for hog in hogs:
            hog.wait()


def run_dataset(dataset: str, *, n_single: int, n_batch: int, regenerate: bool, seed: int,
                busy: int = 0) -> dict:
    url = ensure(dataset, regenerate=regenerate)
    # Whom the HTTP client acts for: the admin of every city of the dataset, a real account
    # (bench/accounts.py), checked at each request like any other.
    admin = widest_admin(url)
    grids = load_grids(url)
    rng = np.random.default_rng(seed)
    points = sample_points(grids, max(n_batch, n_single), rng)
    single_points, batch_points = points[:n_single], points[:n_batch]
    warmup = sample_points(grids, WARMUP, rng)
    reference = strtree_codes(grids, points)
    inside = sum(c is not None for c in reference)
    console.rule(f"[bold]{dataset}[/]: {len(grids.codes):,} grids in {DATASETS[dataset]}; "
                 f"{n_single:,} single points, {len(batch_points):,} batch points "
                 f"({inside / len(points):.0%} inside a grid)")

    results: list[Result] = []
    load_before = os.getloadavg()[0]
    gc.collect()
    with background_load(busy), \
            Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(),
                     TimeElapsedColumn(), console=err, transient=True) as progress:
        # Baselines.
        tree_single, tree_batch = strtree_methods(grids)
        results.append(time_single("STRtree, in memory", tree_single, single_points, warmup,
                                   progress=progress, baseline=True,
                                   note=f"tree built in {grids.build_seconds * 1000:.1f} ms"))
        results.append(time_batch("STRtree, vectorised", tree_batch, batch_points,
                                  baseline=True))
        conn, bare_single, bare_batch = bare_sql_methods(url)
        results.append(time_single("bare SQL, psycopg", bare_single, single_points, warmup,
                                   baseline=True, progress=progress))
        results.append(time_batch("bare SQL, unnest + LATERAL", bare_batch, batch_points,
                                  baseline=True))
        conn.close()

        # geo.locate in process: on a Session (tasks, services), on the pool (the API).
        ses_single, ses_per_call, ses_batch, ses_close = session_methods(url)
        results.append(time_single("locate(session), one session", ses_single, single_points,
                                   warmup, progress=progress))
        results.append(time_single("locate(session), session per call", ses_per_call,
                                   single_points, warmup, progress=progress,
                                   note="new Session, commit, close"))
        results.append(time_batch("locate_many(session)", ses_batch, batch_points))
        ses_close()
        pool_single, pool_batch, pool_close = pool_methods(url)
        results.append(time_single("locate_async(pool)", pool_single, single_points, warmup,
                                   progress=progress, note="one loop run per call"))
        results.append(time_batch("locate_many_async(pool)", pool_batch, batch_points))
        pool_close()

        # The HTTP API, as deployed: `uvicorn api.main:app`, access log on (to a file).
        with Server(url, dataset) as server, \
                httpx.Client(base_url=server.base, timeout=60,
                             headers=admin.bearer()) as client:
            results.append(time_single("HTTP GET /healthz (no DB: the floor)",
                                       http_healthz(client), single_points, warmup,
                                       progress=progress))
            results[-1].codes = []
            results.append(time_single("HTTP GET /locate", http_locate(client), single_points,
                                       warmup, progress=progress))
            results.append(time_batch("HTTP POST /locate", http_locate_many(client),
                                      batch_points))

    load = (load_before, os.getloadavg()[0])
    return _report(dataset, grids, results, reference, load, busy)


def _agreement(result: Result, reference: Codes) -> tuple[int, int] | None:
    if not result.codes:
        return None
    ref = reference[:len(result.codes)]
    return sum(a == b for a, b in zip(result.codes, ref, strict=True)), len(ref)


def _report(dataset: str, grids: Grids, results: list[Result], reference: Codes,
            load: tuple[float, float], busy: int) -> dict:
    base = {(r.mode, r.method.split(",")[0]): r.per_second for r in results if r.baseline}
    title = f"locate on {dataset} ({len(grids.codes):,} grids)"
    if busy:
        title += f", with {busy} busy background process{'es' if busy > 1 else ''}"
    table = Table(title=title, title_justify="left")
    for column in ("method", "mode", "points", "points/s", "p50 ms", "p99 ms",
                   "× bare SQL", "× STRtree", "agree", "note"):
        table.add_column(column, justify="left" if column in ("method", "mode", "note")
                         else "right")
    rows = []
    for r in results:
        agree = _agreement(r, reference)
        row = {
            "method": r.method, "mode": r.mode, "points": r.points,
            "per_second": r.per_second, "p50_ms": r.percentile(50), "p99_ms": r.percentile(99),
            "p999_ms": r.percentile(99.9), "max_ms": r.percentile(100),
            "vs_bare_sql": r.per_second / base[(r.mode, "bare SQL")],
            "vs_strtree": r.per_second / base[(r.mode, "STRtree")],
            "agree": agree, "note": r.note,
        }
        rows.append(row)
        table.add_row(
            r.method, r.mode, f"{r.points:,}", f"{r.per_second:,.0f}",
            _ms(row["p50_ms"]), _ms(row["p99_ms"]), f"{row['vs_bare_sql']:.2f}",
            f"{row['vs_strtree']:.3f}",
            "—" if agree is None else
            (f"{agree[0]:,}/{agree[1]:,}" if agree[0] == agree[1]
             else f"[red]{agree[0]:,}/{agree[1]:,}[/]"),
            r.note)
    console.print(table)
    http = next(r for r in results if r.method == "HTTP GET /locate")
    p99 = http.percentile(99)
    verdict = "[green]met[/]" if p99 < GOAL_P99_MS else "[red]NOT met[/]"
    console.print(f"HTTP single-point p99 {p99:.2f} ms against the {GOAL_P99_MS:.0f} ms goal: "
                  f"{verdict}  (1-min load average {load[0]:.1f} before, {load[1]:.1f} after, "
                  f"on {os.cpu_count()} CPUs: other work on the machine shows in the tails)")
    disagreements = [r["method"] for r in rows if r["agree"] and r["agree"][0] != r["agree"][1]]
    if disagreements:
        console.print(f"[red]methods disagreeing with the STRtree: {', '.join(disagreements)}")
    report = {"dataset": dataset, "grids": len(grids.codes),
              "inside_share": sum(c is not None for c in reference) / len(reference),
              "strtree_build_ms": grids.build_seconds * 1000, "results": rows,
              "http_p99_ms": p99, "goal_met": p99 < GOAL_P99_MS, "load_average": load,
              "machine": machine(), "when": time.strftime("%Y-%m-%d %H:%M:%S"),
              "background_load": busy}
    DATA.mkdir(exist_ok=True)
    name = f"locate-{dataset}{f'-busy{busy}' if busy else ''}.json"
    (DATA / name).write_text(json.dumps(report, indent=1, default=str))
    return report


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def server_versions(url: str) -> str:
    with psycopg.connect(libpq_url(url)) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
        postgis = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
    return f"PostgreSQL {pg}, PostGIS {postgis}, GEOS {shapely.geos_version_string}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["city", "province", "both"], default="both")
    parser.add_argument("--points", type=int, default=5000,
                        help="points for each single-point method (default 5000)")
    parser.add_argument("--batch", type=int, default=10_000,
                        help="points in a batch (default 10000, the API's maximum)")
    parser.add_argument("--regenerate", action="store_true",
                        help="drop and rebuild the bench databases first")
    parser.add_argument("--background-load", type=int, default=0, metavar="N",
                        help="run N CPU-bound busy loops during the measurements, to see "
                             "the tails under contention (default 0)")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the tables as Markdown (for bench/README.md)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.batch > 10_000:
        parser.error("--batch is at most 10000 (the API's limit for POST /locate)")
    if args.points < 100 or args.batch < 500:
        parser.error("use at least 100 single points and a batch of 500")
    started = time.perf_counter()
    datasets = ["city", "province"] if args.dataset == "both" else [args.dataset]
    reports = [run_dataset(dataset, n_single=args.points, n_batch=args.batch,
                           regenerate=args.regenerate, seed=args.seed,
                           busy=args.background_load) for dataset in datasets]
    console.print(f"machine: {machine()}; "
                  f"{server_versions(database_url(DATASETS[datasets[0]]))}")
    if args.markdown:
        for report in reports:
            console.print(markdown_table(report), soft_wrap=True, markup=False,
                          highlight=False)
    console.print(f"total {time.perf_counter() - started:.0f} s")
    wrong = [r["method"] for report in reports for r in report["results"]
             if r["agree"] and r["agree"][0] != r["agree"][1]]
    return 1 if wrong else 0


def markdown_table(report: dict) -> str:
    busy = report["background_load"]
    lines = [f"{report['dataset']} ({report['grids']:,} grids), {report['when']}, "
             f"load average {report['load_average'][0]:.1f}/{report['load_average'][1]:.1f}"
             + (f", {busy} busy background process(es)" if busy else ""),
             "",
             "| method | mode | points/s | p50 ms | p99 ms | × bare SQL | × STRtree | agree |",
             "|---|---|--:|--:|--:|--:|--:|--:|"]
    for r in report["results"]:
        agree = "—" if not r["agree"] else f"{r['agree'][0]:,}/{r['agree'][1]:,}"
        lines.append(f"| {r['method']} | {r['mode']} | {r['per_second']:,.0f} | "
                     f"{_ms(r['p50_ms'])} | {_ms(r['p99_ms'])} | {r['vs_bare_sql']:.2f} | "
                     f"{r['vs_strtree']:.3f} | {agree} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
