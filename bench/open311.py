"""Open311 POST benchmark: requests/s and p50/p95/p99 of `POST /open311/v2/requests.json`
on a real server, at 16 concurrent clients (issue 15: p99 under 100 ms), against a bare
INSERT ... ST_Intersects of the incident at the same concurrency in the same process.

    .venv/bin/python bench/open311.py [--clients 16] [--requests N] [--server-workers N]
                                      [--regenerate] [--seed N]

Each request is a resident's report as an app sends it: form-encoded, the app's api_key,
a 小类 as service_code, a random point strictly inside one grid of the demo city, a
description. The POST's path: the key's hash looked up, the service found through the
kernel's intake registry, the attributes checked, the point located in a grid, the request
row, its audit event, the outbox message of the filing task, the commit. The filing (the
grid's report path: locate, 小类 and time limit, the working-calendar clock, duplicates,
timeline, audit, outbox; the kernel link) runs after the answer (convenience/open311/
filing.py); this bench runs it in-process after the timed run, untimed, and checks each
200's request became an incident.

Baseline: bench/intake.py's bare INSERT of an incident (one psycopg connection per
thread, autocommit, prepared) on the same points. Besides, the grid's own report route
(POST /api/v1/incidents, a grid worker's token) on the same points and server: what the
Open311 layer adds to the incident it files.

Data: a database of its own, `gridgov_bench_open311`, holding the demo city as
bench/intake.py loads it (created on first use, reused). The server's broker is a Redis
database of its own. What a run adds is removed at the end (requests, incidents and the
kernel's rows about both, outbox messages, the app's key); audit events stay (the log
refuses DELETE). The machine is shared (2 cores, several sessions): the figures are noisy,
read the ratio to the bare INSERT and the load average printed with each run.
"""

import argparse
import os
import sys
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import bench.intake as intake  # noqa: E402
from bench.datasets import libpq_url  # noqa: E402
from bench.harness import Server  # noqa: E402
from bench.intake import CpuMeter, Job, Run, run_concurrent  # noqa: E402
from core.settings import get_settings  # noqa: E402

DATABASE = "gridgov_bench_open311"
REDIS_DB = 14
APP_NAME = "bench-open311"
GOAL_P99_MS = 100.0
PATH = "/open311/v2/requests.json"


def make_key(url: str) -> str:
    """A fresh key for the bench's app (a stale one from a killed run is revoked first)."""
    from convenience.open311.keys import create_key, revoke_key
    from core.errors import NotFound

    engine = create_engine(url)
    try:
        with Session(engine) as session:
            with suppress(NotFound):
                revoke_key(session, app_name=APP_NAME, actor="bench")
            _, key = create_key(session, app_name=APP_NAME, actor="bench")
            session.commit()
    finally:
        engine.dispose()
    return key


def http_methods(base: str, key: str, created: list[int]):
    def connect() -> httpx.Client:
        return httpx.Client(base_url=base, timeout=120)

    def send(client: httpx.Client, job: Job) -> str | None:
        r = client.post(PATH, data={"api_key": key, "service_code": job.category_code,
                                    "lat": job.lat, "long": job.lon,
                                    "description": job.description})
        if r.status_code != 200:
            return f"HTTP {r.status_code}: {r.text[:300]}"
        created.append(int(r.json()[0]["service_request_id"]))
        return job.grid_code  # checked against the incident after the run

    return connect, send, lambda client: client.close()


def file_accepted(url: str, request_ids: list[int]) -> int:
    """File the accepted requests here, after the timed run: the POST answers once the
    request is stored, and the server of this bench runs no Celery worker (the filing
    task's work is convenience/open311/filing.py's `file_pending`)."""
    from convenience.open311.filing import file_pending

    engine, filed = create_engine(url), 0
    try:
        for request_id in request_ids:
            with Session(engine) as session:
                filed += file_pending(session, request_id, settings=get_settings())
                session.commit()
    finally:
        engine.dispose()
    return filed


def became_incidents(admin: psycopg.Connection, request_ids: list[int]) -> int:
    """How many of these requests are linked to an incident (in their transaction)."""
    return admin.execute(
        "SELECT count(*) FROM open311_request r JOIN incident i ON i.id = r.subject_id "
        "WHERE r.subject_type = 'incident' AND r.id = ANY(%s)", (request_ids,)).fetchone()[0]


def clean_up(url: str, request_mark: int, incident_marks, broker: redis.Redis) -> dict:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        for table in intake.KERNEL_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE subject_type = 'open311_request' "
                         "AND subject_id > %s", (request_mark,))
        conn.execute("DELETE FROM case_link WHERE a_type = 'open311_request' AND a_id > %s",
                     (request_mark,))
        requests_ = conn.execute("DELETE FROM open311_request WHERE id > %s",
                                 (request_mark,)).rowcount
        conn.execute("DELETE FROM open311_api_key WHERE app_name = %s", (APP_NAME,))
    cleaned = intake.clean_up(url, incident_marks, broker)
    return {"requests": requests_, **cleaned}


def run(*, clients: list[int], requests: int, server_workers: int, regenerate: bool,
        seed: int) -> list[Run]:
    intake.INTAKE_DB = DATABASE  # its own database (bench/intake.py's loader)
    url = intake.ensure_database(regenerate=regenerate)
    ref = intake.load_reference(url)
    rng = np.random.default_rng(seed)
    key = make_key(url)
    redis_url = intake._redis_db_url(get_settings().redis_url, REDIS_DB)
    broker = redis.Redis.from_url(redis_url)
    marks = intake.marks(url, broker)
    with psycopg.connect(libpq_url(url)) as conn:
        request_mark = conn.execute("SELECT coalesce(max(id), 0) FROM open311_request"
                                    ).fetchone()[0]
    warm_n = intake.WARMUP_PER_CLIENT * max(clients)
    runs: list[Run] = []
    admin = psycopg.connect(libpq_url(url), autocommit=True)
    print(f"open311: {len(ref.codes):,} grids, {len(ref.categories)} services (小类); "
          f"{requests:,} requests per run; uvicorn with {server_workers} worker(s); "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", file=sys.stderr)
    try:
        with Server(url, "open311", workers=server_workers,
                    env={"REDIS_URL": redis_url}) as server:
            for n in clients:
                jobs = intake.make_jobs(ref, requests, rng)
                runs.append(run_concurrent("bare INSERT, psycopg", n, jobs,
                                           intake.make_jobs(ref, warm_n, rng),
                                           *intake.bare_methods(url),
                                           CpuMeter(url, admin, None), baseline=True))
                created: list[int] = []
                runs.append(run_concurrent("HTTP POST Open311", n, jobs,
                                           intake.make_jobs(ref, warm_n, rng),
                                           *http_methods(server.base, key, created),
                                           CpuMeter(url, admin, server.process.pid)))
                file_accepted(url, created)  # not timed: the background's work
                runs[-1].audited = (became_incidents(admin, created), len(created))
                # The grid's own report route on the same points: what Open311 adds to it.
                reported: list[int] = []
                runs.append(run_concurrent("HTTP POST /incidents", n, jobs,
                                           intake.make_jobs(ref, warm_n, rng),
                                           *intake.http_methods(server.base, reported),
                                           CpuMeter(url, admin, server.process.pid)))
                _print(runs[-3])
                _print(runs[-2], runs[-3], runs[-1])
                _print(runs[-1], runs[-3])
    finally:
        admin.close()
        cleaned = clean_up(url, request_mark, marks, broker)
        print(f"cleaned up: {cleaned}", file=sys.stderr)
    return runs


def _print(r: Run, base: Run | None = None, grid: Run | None = None) -> None:
    ratio = (f"  × bare: {r.per_second / base.per_second:.3f} of its rate, "
             f"p99 {r.percentile(99) / base.percentile(99):.1f}× its p99") if base else ""
    if grid is not None:
        ratio += (f"  × POST /incidents: {r.per_second / grid.per_second:.3f} of its rate, "
                  f"p50 {r.percentile(50) / grid.percentile(50):.2f}× its p50")
    goal = ""
    if base is not None and r.method.endswith("Open311"):
        goal = ("  goal p99 < 100 ms: " + ("met" if r.percentile(99) < GOAL_P99_MS else
                                           "NOT met"))
    became = f"  became incidents {r.audited[0]:,}/{r.audited[1]:,}" if r.audited else ""
    print(f"{r.method:<22} {r.clients:>2} clients: {r.per_second:8,.1f}/s  "
          f"p50 {r.percentile(50):7.2f}  p95 {r.percentile(95):7.2f}  "
          f"p99 {r.percentile(99):7.2f} ms  errors {len(r.wrong)}  "
          f"load {r.load[0]:.2f}  cores " + " ".join(f"{k} {v:.2f}" for k, v in r.cpu.items())
          + ratio + goal + became)
    for line in r.wrong[:3]:
        print(f"    {line}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="16", help="concurrent clients (default 16)")
    parser.add_argument("--requests", type=int, default=800,
                        help="timed requests per run (default 800)")
    parser.add_argument("--server-workers", type=int, default=1)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--seed", type=int, default=311)
    args = parser.parse_args(argv)
    runs = run(clients=[int(c) for c in args.clients.split(",")], requests=args.requests,
               server_workers=args.server_workers, regenerate=args.regenerate, seed=args.seed)
    failed = any(r.wrong for r in runs) or any(
        r.audited and r.audited[0] != r.audited[1] for r in runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

