"""Outage benchmark: how the API answers while PostgreSQL restarts, while Redis is down,
and under a burst of concurrent moves, each against a normal run in the same process.

    .venv/bin/python bench/faults.py [--reports N] [--restarts N] [--down-seconds S]
                                     [--moves N]

It builds the fault suite's stack (tests/faults/stack.py): a PostgreSQL cluster and a
redis-server of its own, the demo city without history, `uvicorn api.main:app`, a Celery
worker and a beat, so the shared services are never touched. A grid worker of the demo
city reports through `POST /api/v1/incidents` with an Idempotency-Key, retrying on 503
and on a dropped connection with the same key, as the field app does.

- **normal**: N reports one after another (the baseline).
- **Redis down**: Redis stopped, N reports, then Redis started and N normal reports
  again; the baseline is the median of both normal runs.
- **database restart** (×R): two clients report in a loop (honouring Retry-After) and a
  probe reads an incident every 20 ms; the cluster is stopped (`pg_ctl stop -m fast`),
  left down for --down-seconds, and started. Recovery is the time from the server
  accepting connections again to the probe's first 200; the reporters' outage runs from
  their first refused answer to their first 201 (it includes the Retry-After they wait).
  Every status is counted (a 500 is a defect).
- **burst**: M concurrent `file` moves on M incidents (the probe that found 20 × 500 after
  a 30 s wait for a connection); statuses and the slowest.

Figures are medians and ratios; the load average of the shared machine is printed with
them. Nothing here is asserted: the fault suite (tests/faults/) asserts the behaviour.
"""

import argparse
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.faults.conftest import Field, make_field  # noqa: E402
from tests.faults.stack import DEADLINE, Reporter, Stack, build_stack  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=40)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--down-seconds", type=float, default=1.0,
                        help="how long the cluster stays stopped")
    args = parser.parse_args()
    logs = Path(__file__).with_name("data") / f"faults-{time.strftime('%Y%m%dT%H%M%S')}"
    logs.mkdir(parents=True)
    print(f"load average {_load()}; building the stack (logs in {logs}) …", flush=True)
    stack = build_stack(logs)
    try:
        field = make_field(stack)
        _warm_up(stack, field)
        normal = _sequential(stack, field, args.reports)
        down = _redis_down(stack, field, args.reports)
        after = _sequential(stack, field, args.reports)
        _print_latency(normal, down, after)
        _print_restarts([_restart(stack, field, args.down_seconds)
                         for _ in range(args.restarts)])
        _print_burst(_burst(stack, field, args.moves))
    finally:
        stack.shutdown()


def _warm_up(stack: Stack, field: Field) -> None:
    """A few reports, and their notices delivered: the worker and the beat are up (their
    start, on the same cores, would otherwise slow the baseline's first reports)."""
    _sequential(stack, field, 10)
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        with stack.connect() as db:
            if not db.execute("SELECT count(*) FROM outbox_message "
                              "WHERE delivered_at IS NULL").fetchone()[0]:
                return
        time.sleep(0.2)


def _sequential(stack: Stack, field: Field, n: int) -> Reporter:
    reporter = Reporter(stack.api_url, field.worker, field.body)
    with httpx.Client(base_url=stack.api_url, timeout=DEADLINE) as client:
        reporter.report(client)  # warm-up, not counted
        reporter.latencies.clear()
        for _ in range(n):
            reporter.report(client)
    return reporter


def _redis_down(stack: Stack, field: Field, n: int) -> Reporter:
    stack.redis.stop()
    try:
        return _sequential(stack, field, n)
    finally:
        stack.redis.start()


def _restart(stack: Stack, field: Field, down_seconds: float) -> dict:
    """Two clients report (honouring Retry-After) while a probe reads an incident every
    20 ms (ignoring it); the cluster is stopped, left down, and started."""
    stop = threading.Event()
    reporters = [Reporter(stack.api_url, field.worker, field.body) for _ in range(2)]
    probe_answers: list[tuple[float, int]] = []
    with httpx.Client(base_url=stack.api_url, timeout=DEADLINE) as client:
        incident = reporters[0].report(client)

    def loop(reporter: Reporter) -> None:
        with httpx.Client(base_url=stack.api_url, timeout=DEADLINE) as client:
            while not stop.is_set():
                reporter.report(client)

    def probe() -> None:
        with httpx.Client(base_url=stack.api_url, timeout=DEADLINE) as client:
            while not stop.is_set():
                try:
                    status = client.get(f"/api/v1/incidents/{incident}",
                                        headers=field.worker).status_code
                except httpx.TransportError:
                    status = 0
                probe_answers.append((time.monotonic(), status))
                time.sleep(0.02)

    threads = [threading.Thread(target=loop, args=(r,), daemon=True) for r in reporters]
    threads.append(threading.Thread(target=probe, daemon=True))
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # normal load first (a bench, not a test: it may sleep)
    stopped = time.monotonic()
    stack.postgres.stop("fast")
    time.sleep(down_seconds)
    stack.postgres.start()
    up = time.monotonic()
    time.sleep(3.0)
    stop.set()
    for thread in threads:
        thread.join(DEADLINE)
    events = sorted(e for r in reporters for e in r.events if e[0] >= stopped)
    first_ok = min((t for t, s in events if s == 201 and t >= up), default=None)
    first_refused = min((t for t, s in events if s != 201), default=None)
    probe_ok = min((t for t, s in probe_answers if s == 200 and t >= up), default=None)
    return {"statuses": Counter(s for _, s in events),
            "probe": Counter(s for t, s in probe_answers if t >= stopped),
            "down_for": up - stopped,
            "recovery": None if probe_ok is None else probe_ok - up,
            "client_outage": None if first_ok is None or first_refused is None
            else first_ok - first_refused}


def _burst(stack: Stack, field: Field, n: int) -> dict:
    reporter = Reporter(stack.api_url, field.worker, field.body)
    with httpx.Client(base_url=stack.api_url, timeout=DEADLINE) as client:
        ids = [reporter.report(client) for _ in range(n)]
    barrier = threading.Barrier(n)

    def move(incident: int) -> tuple[int, float]:
        with httpx.Client(base_url=stack.api_url, timeout=DEADLINE) as client:
            barrier.wait()
            started = time.perf_counter()
            answer = client.post(f"/api/v1/incidents/{incident}/actions/file",
                                 json={"version": 1}, headers=field.village)
            return answer.status_code, time.perf_counter() - started

    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(move, ids))
    return {"statuses": Counter(s for s, _ in results),
            "slowest": max(t for _, t in results),
            "median": statistics.median(t for _, t in results)}


def _print_latency(normal: Reporter, down: Reporter, after: Reporter) -> None:
    baseline = statistics.median(normal.latencies + after.latencies)

    def row(name: str, r: Reporter) -> str:
        lat = sorted(r.latencies)
        p95 = lat[int(0.95 * (len(lat) - 1))]
        return (f"| {name} | {len(lat)} | {statistics.median(lat) * 1000:.0f} | "
                f"{p95 * 1000:.0f} | {max(lat) * 1000:.0f} | "
                f"{statistics.median(lat) / baseline:.2f}× |")

    print(f"\n### Report latency (ms), load average {_load()}\n")
    print("| run | reports | p50 | p95 | max | p50 × baseline |\n|---|---|---|---|---|---|")
    print(row("normal, before (baseline)", normal))
    print(row("Redis down", down))
    print(row("normal, after Redis is back (baseline)", after))
    print(f"statuses while Redis was down: {dict(Counter(down.statuses))}")


def _print_restarts(runs: list[dict]) -> None:
    print(f"\n### Database restarts (s), load average {_load()}\n")
    print("| run | server down | recovery (server up → probe's first 200) | reporters' "
          "outage (first refusal → first 201) | reporters' answers | probe's answers |\n"
          "|---|---|---|---|---|---|")
    for k, run in enumerate(runs, 1):
        print(f"| {k} | {run['down_for']:.2f} | {_s(run['recovery'])} | "
              f"{_s(run['client_outage'])} | {dict(run['statuses'])} | "
              f"{dict(run['probe'])} |")
    recoveries = [r["recovery"] for r in runs if r["recovery"] is not None]
    if recoveries:
        print(f"median recovery {statistics.median(recoveries):.2f} s")


def _print_burst(burst: dict) -> None:
    print(f"\n### Burst of concurrent moves, load average {_load()}\n")
    print(f"statuses {dict(burst['statuses'])}; median {burst['median']:.2f} s, "
          f"slowest {burst['slowest']:.2f} s")


def _s(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
