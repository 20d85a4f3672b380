"""Vector tiles benchmark: tiles/s and p95 over a recorded pan-and-zoom session on the
100,000-grid province with 1,000,000 incidents.

    .venv/bin/python bench/tiles.py [--cities N] [--layers incidents,areas]
                                    [--clients 1,8] [--incidents N] [--regenerate]
                                    [--markdown]

Goal (issue 5): at least as fast as tipg, p95 under 50 ms for z12–z16.

The session (bench/tiles_sequence.py: 1280 × 800 px, z8 → z16 and back, seeded) is
served four ways, in the same run, on the same database (bench/tiles_data.py), one layer
at a time (incidents, areas), by 1 and by 8 concurrent clients that take the next tile
request from one shared queue (bench/tiles_methods.py says what each way is):
bare SQL plain (the baseline), bare SQL with gridgov's own statement, gridgov over HTTP
and tipg over HTTP (gridgov as the admin of every city, a real account of the
database: bench/accounts.py). Before the timed runs, the plain statement reads the whole session
once (PostgreSQL's cache is warm for every method alike) and each method serves the first
60 tiles of another session (connections, imports, plans); gridgov keeps no tile cache,
so the timed requests are computed, not replayed.

Reported per method, layer and client count: tiles/s (requests ÷ wall time), p50 / p95 /
p99 per zoom band (z8–11, z12–16), the ratio of tiles/s to bare SQL plain and to tipg,
and the mean tile size. A sample of tiles per zoom is decoded (mapbox-vector-tile) and
its features counted by each method. It exits 1 when the goal is missed: gridgov HTTP's
z12–16 p95 with one client at 50 ms or more, or fewer tiles/s than tipg, for any layer
and client count.
"""

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bench.accounts import widest_admin  # noqa: E402
from bench.harness import DATA  # noqa: E402
from bench.tiles_check import (  # noqa: E402
    compare_sample,
    comparison_markdown,
    comparison_table,
    empty_mismatches,
)
from bench.tiles_data import INCIDENTS, ensure_tiles_database, incident_census  # noqa: E402
from bench.tiles_methods import Method, gridgov_server, methods, tipg_server  # noqa: E402
from bench.tiles_sequence import SEED, Request, per_zoom, requests, views  # noqa: E402

GOAL_P95_MS = 50.0
BANDS = (("z8–11", 0, 11), ("z12–16", 12, 16))
WARMUP_TILES = 60

console = Console(width=None if sys.stdout.isatty() else 190)
err = Console(stderr=True)


@dataclass
class Run:
    method: str
    layer: str
    clients: int
    seconds: float
    zooms: np.ndarray
    latencies_ms: np.ndarray
    sizes: np.ndarray
    baseline: bool = False
    load: tuple[float, float] = (0.0, 0.0)
    extra: dict = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def band(self, low: int, high: int) -> np.ndarray:
        return self.latencies_ms[(self.zooms >= low) & (self.zooms <= high)]

    def q(self, p: float, low: int = 0, high: int = 99) -> float:
        values = self.band(low, high)
        return float(np.percentile(values, p)) if len(values) else float("nan")


# --- timing -------------------------------------------------------------------------------------

def serve(method: Method, layer: str, sequence: list[Request], clients: int
          ) -> tuple[float, np.ndarray, np.ndarray]:
    """The sequence by `clients` threads, each with its own fetcher, taking the next
    request in order; (wall seconds, latency ms per request, bytes per request)."""
    latencies = np.zeros(len(sequence))
    sizes = np.zeros(len(sequence), dtype=np.int64)
    cursor = iter(range(len(sequence)))
    lock = threading.Lock()
    fetchers = [method.open_fetcher() for _ in range(clients)]
    failures: list[BaseException] = []

    def client(fetch) -> None:
        clock = time.perf_counter
        while True:
            with lock:
                k = next(cursor, None)
            if k is None:
                return
            r = sequence[k]
            t0 = clock()
            try:
                data = fetch(layer, r.z, r.x, r.y)
            except BaseException as exc:  # noqa: BLE001  (reported after the run)
                failures.append(exc)
                return
            latencies[k] = (clock() - t0) * 1000
            sizes[k] = len(data)

    threads = [threading.Thread(target=client, args=(fetch,)) for fetch, _ in fetchers]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    for _, close in fetchers:
        close()
    if failures:
        raise RuntimeError(f"{method.name}, {layer}: {failures[0]!r}") from failures[0]
    return seconds, latencies, sizes


def warm_up(all_methods: list[Method], layers: list[str], sequence: list[Request],
            other: list[Request]) -> None:
    plain = next(m for m in all_methods if m.baseline)
    for layer in layers:
        started = time.perf_counter()
        serve(plain, layer, sequence, 1)
        err.print(f"warm-up: the session's {layer} tiles read once by {plain.name} in "
                  f"{time.perf_counter() - started:.1f} s")
        for method in all_methods:
            serve(method, layer, other[:WARMUP_TILES], 1)


def time_all(all_methods: list[Method], layers: list[str], sequence: list[Request],
             clients_list: list[int]) -> list[Run]:
    zooms = np.array([r.z for r in sequence])
    runs = []
    for clients in clients_list:
        for layer in layers:
            for method in all_methods:
                before = os.getloadavg()[0]
                seconds, latencies, sizes = serve(method, layer, sequence, clients)
                run = Run(method.name, layer, clients, seconds, zooms, latencies, sizes,
                          method.baseline, (before, os.getloadavg()[0]))
                err.print(f"{method.name:30} {layer:9} {clients} client(s): "
                          f"{run.per_second:7.1f} tiles/s, z12–16 p95 {run.q(95, 12, 16):6.1f} "
                          f"ms, load {before:.1f}")
                runs.append(run)
    return runs


# --- report -------------------------------------------------------------------------------------

def rows(runs: list[Run]) -> list[dict]:
    out = []
    for run in runs:
        peers = [r for r in runs if r.layer == run.layer and r.clients == run.clients]
        bare = next(r for r in peers if r.baseline)
        tipg = next((r for r in peers if r.method.startswith("tipg")), None)
        row = {"method": run.method, "layer": run.layer, "clients": run.clients,
               "tiles": len(run.latencies_ms), "seconds": run.seconds,
               "tiles_per_s": run.per_second, "mean_kb": float(run.sizes.mean()) / 1024,
               "vs_bare": run.per_second / bare.per_second,
               "vs_tipg": run.per_second / tipg.per_second if tipg else None,
               "load": run.load}
        for band, low, high in BANDS:
            for p in (50, 95, 99):
                row[f"{band} p{p}"] = run.q(p, low, high)
        out.append(row)
    return out


def table(report_rows: list[dict], layer: str) -> Table:
    t = Table(title=f"{layer} tiles", title_justify="left")
    for name in ("method", "clients", "tiles/s", "× bare", "× tipg", "kB"):
        t.add_column(name, justify="left" if name == "method" else "right")
    for band, _, _ in BANDS:
        for p in (50, 95, 99):
            t.add_column(f"{band} p{p}", justify="right")
    for r in (r for r in report_rows if r["layer"] == layer):
        t.add_row(r["method"], str(r["clients"]), f"{r['tiles_per_s']:,.1f}",
                  f"{r['vs_bare']:.2f}", "—" if r["vs_tipg"] is None else f"{r['vs_tipg']:.2f}",
                  f"{r['mean_kb']:.1f}",
                  *(f"{r[f'{band} p{p}']:.1f}" for band, _, _ in BANDS for p in (50, 95, 99)))
    return t


def markdown(report_rows: list[dict], layer: str) -> str:
    heads = ["method", "clients", "tiles/s", "× bare", "× tipg", "kB"] + [
        f"{band} p{p} ms" for band, _, _ in BANDS for p in (50, 95, 99)]
    lines = ["| " + " | ".join(heads) + " |",
             "|---|" + "--:|" * (len(heads) - 1)]
    for r in (r for r in report_rows if r["layer"] == layer):
        lines.append("| " + " | ".join([
            r["method"], str(r["clients"]), f"{r['tiles_per_s']:,.1f}", f"{r['vs_bare']:.2f}",
            "—" if r["vs_tipg"] is None else f"{r['vs_tipg']:.2f}", f"{r['mean_kb']:.1f}",
            *(f"{r[f'{band} p{p}']:.1f}" for band, _, _ in BANDS for p in (50, 95, 99))])
            + " |")
    return "\n".join(lines)


def goal_misses(report_rows: list[dict]) -> list[str]:
    misses = []
    for r in report_rows:
        if not r["method"].startswith("gridgov HTTP"):
            continue
        where = f"{r['layer']}, {r['clients']} client(s)"
        if r["clients"] == 1 and not r["z12–16 p95"] < GOAL_P95_MS:
            misses.append(f"{where}: z12–16 p95 {r['z12–16 p95']:.1f} ms ≥ {GOAL_P95_MS} ms")
        if r["vs_tipg"] is not None and r["vs_tipg"] < 1:
            misses.append(f"{where}: {r['vs_tipg']:.2f} × tipg's tiles/s")
    return misses


# --- main ---------------------------------------------------------------------------------------

def run(*, cities: int, layers: list[str], clients_list: list[int], regenerate: bool,
        sample: int, variants: bool, incidents: int = INCIDENTS) -> dict:
    url = ensure_tiles_database(regenerate=regenerate, count=incidents)
    admin = widest_admin(url)
    census = incident_census(url)
    script = views(cities=cities, seed=SEED)
    sequence = requests(script)
    other = requests(views(cities=1, seed=SEED + 1))
    console.rule(f"[bold]tiles[/]: {census.get('incidents', 0):,} incidents, 100,000 grids; "
                 f"{len(script)} views, {len(sequence)} tiles per layer, per zoom "
                 f"{per_zoom(sequence)}")
    with gridgov_server(url) as gridgov, tipg_server(url) as tipg:
        all_methods = methods(url, gridgov, tipg, admin=admin, variants=variants)
        warm_up(all_methods, layers, sequence, other)
        runs = time_all(all_methods, layers, sequence, clients_list)
        comparison = compare_sample(all_methods, layers, sequence, per_zoom_count=sample,
                                    runs=runs)
    report = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "database": url,
              "incidents": census, "views": len(script), "tiles_per_layer": len(sequence),
              "per_zoom": per_zoom(sequence), "rows": rows(runs),
              "empty_mismatches": empty_mismatches(runs), "comparison": comparison,
              "machine": _machine()}
    report["goal_misses"] = goal_misses(report["rows"])
    DATA.mkdir(exist_ok=True)
    (DATA / "tiles.json").write_text(json.dumps(report, indent=1, default=str))
    return report


def _machine() -> str:
    from bench.locate import machine

    return machine()


def print_report(report: dict, layers: list[str], *, as_markdown: bool) -> None:
    for layer in layers:
        console.print(table(report["rows"], layer))
    console.print(comparison_table(report["comparison"]))
    for line in report["empty_mismatches"]:
        console.print(f"[yellow]empty where the plain statement is not:[/] {line}")
    if as_markdown:
        console.print(f"\n{report['when']}, {report['machine']}\n", soft_wrap=True,
                      markup=False, highlight=False)
        for layer in layers:
            console.print(f"**{layer}**\n\n{markdown(report['rows'], layer)}\n", soft_wrap=True,
                          markup=False, highlight=False)
        console.print(comparison_markdown(report["comparison"]), soft_wrap=True, markup=False,
                      highlight=False)
    for miss in report["goal_misses"]:
        console.print(f"[red]goal missed:[/] {miss}")
    if not report["goal_misses"]:
        console.print(f"[green]goal met:[/] gridgov HTTP z12–16 p95 < {GOAL_P95_MS:.0f} ms "
                      "with one client, and at least tipg's tiles/s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cities", type=int, default=2,
                        help="places the session visits (default 2: 959 tiles per layer)")
    parser.add_argument("--layers", default="incidents,areas")
    parser.add_argument("--clients", default="1,8", help="concurrent clients (default 1,8)")
    parser.add_argument("--sample", type=int, default=4,
                        help="tiles per zoom decoded and compared (default 4)")
    parser.add_argument("--variants", action="store_true",
                        help="also gridgov's statement with PostgreSQL's JIT on")
    parser.add_argument("--incidents", type=int, default=INCIDENTS,
                        help=f"incidents in the database (default {INCIDENTS:,}; another "
                             "number regenerates them in place)")
    parser.add_argument("--regenerate", action="store_true",
                        help="rebuild the database (province copy and incidents)")
    parser.add_argument("--markdown", action="store_true",
                        help="also print the tables as Markdown (for bench/README.md)")
    args = parser.parse_args(argv)
    layers = [name.strip() for name in args.layers.split(",") if name.strip()]
    clients_list = [int(n) for n in args.clients.split(",")]
    started = time.perf_counter()
    report = run(cities=args.cities, layers=layers, clients_list=clients_list,
                 regenerate=args.regenerate, sample=args.sample,
                 variants=args.variants, incidents=args.incidents)
    print_report(report, layers, as_markdown=args.markdown)
    console.print(f"total {time.perf_counter() - started:.0f} s")
    return 1 if report["goal_misses"] else 0


if __name__ == "__main__":
    sys.exit(main())
