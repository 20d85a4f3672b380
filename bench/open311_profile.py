"""Open311 POST, in-process: where a `POST /open311/v2/requests.json` spends its CPU.

    .venv/bin/python bench/open311_profile.py [--requests N] [--top K] [--database NAME]

The app (api/app.py create_app) is started in this process and driven through ASGI (no
socket, no server), one request at a time, on a database of its own: a copy of
bench/open311.py's (`gridgov_bench_open311`, made with CREATE DATABASE … TEMPLATE), migrated
to head. Prints the process CPU per request (every thread: the event loop's part and the
thread pool's), and two cProfile tables: the event loop's part (form parsing, validation,
routing, middlewares, rendering) and the thread's part (`core/deps.py` `_work_in_thread`:
the key, the service, the checks, the writes, the commit). What it adds (requests,
incidents never: nothing files them here) is removed at the end with the rows about them.
Not a test and no pass/fail: a tool to find what to cut; bench/open311.py measures.
"""

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import psycopg  # noqa: E402

import bench.intake as intake  # noqa: E402
from bench.datasets import libpq_url  # noqa: E402
from bench.open311 import APP_NAME, PATH, make_key  # noqa: E402

TEMPLATE = "gridgov_bench_open311"
DATABASE = "gridgov_profile_open311"
REDIS_DB = 13


def ensure_copy(name: str) -> str:
    """The profile's database: a copy of the Open311 bench's, migrated to head."""
    from core.migrate import upgrade

    url = intake.database_url(name)
    admin_url = libpq_url(intake.database_url("postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                               (name,)).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    upgrade(url)
    return url


class ThreadProfile:
    """cProfile of every call of `core.deps._work_in_thread` (sequential requests: one at
    a time, so one Profile object is never enabled twice at once)."""

    def __init__(self) -> None:
        self.profile = cProfile.Profile()

    def install(self) -> None:
        from core import deps

        original = deps._work_in_thread

        def profiled(request, work):
            self.profile.enable()
            try:
                return original(request, work)
            finally:
                self.profile.disable()

        deps._work_in_thread = profiled


async def drive(app, jobs, key: str, *, profile: cProfile.Profile | None) -> list[float]:
    transport = httpx.ASGITransport(app=app)
    walls = []
    async with httpx.AsyncClient(transport=transport, base_url="http://profile") as client:
        for job in jobs:
            data = {"api_key": key, "service_code": job.category_code, "lat": job.lat,
                    "long": job.lon, "description": job.description}
            started = time.perf_counter()
            if profile is not None:
                profile.enable()
            response = await client.post(PATH, data=data)
            if profile is not None:
                profile.disable()
            walls.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    return walls


async def run(url: str, n: int, top: int) -> None:
    from api.app import create_app
    from core.settings import Settings

    settings = Settings(database_url=url)
    app = create_app(settings)
    ref = intake.load_reference(url)
    rng = np.random.default_rng(311)
    key = make_key(url)
    with psycopg.connect(libpq_url(url)) as conn:
        mark = conn.execute("SELECT coalesce(max(id), 0) FROM open311_request").fetchone()[0]
    try:
        async with app.router.lifespan_context(app):
            await drive(app, intake.make_jobs(ref, 50, rng), key, profile=None)  # warm-up
            cpu0, wall0 = time.process_time(), time.perf_counter()
            walls = await drive(app, intake.make_jobs(ref, n, rng), key, profile=None)
            cpu = (time.process_time() - cpu0) / n * 1000
            wall = (time.perf_counter() - wall0) / n * 1000
            print(f"{n} sequential POSTs: process CPU {cpu:.2f} ms/request (all threads), "
                  f"wall {wall:.2f} ms/request, p50 {np.percentile(walls, 50) * 1000:.2f} "
                  f"p99 {np.percentile(walls, 99) * 1000:.2f} ms; load average "
                  f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
            if not top:
                return
            loop_profile, thread_profile = cProfile.Profile(), ThreadProfile()
            thread_profile.install()
            await drive(app, intake.make_jobs(ref, n, rng), key, profile=loop_profile)
    finally:
        app.state.engine.dispose()
        clean_up(url, mark)
    for title, profile in (("event loop (whole request, thread part included as awaits)",
                            loop_profile), ("thread pool: _work_in_thread",
                                            thread_profile.profile)):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs()
        stats.sort_stats("tottime").print_stats(top)
        stats.sort_stats("cumulative").print_stats(top)
        print(f"=== {title}\n{out.getvalue()}")


def clean_up(url: str, mark: int) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DELETE FROM outbox_message WHERE topic = 'task:open311.file' AND "
                     "(payload -> 'args' ->> 0)::bigint > %s", (mark,))
        conn.execute("DELETE FROM open311_request WHERE id > %s", (mark,))
        conn.execute("DELETE FROM open311_api_key WHERE app_name = %s", (APP_NAME,))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--top", type=int, default=30, help="0: the figures only")
    parser.add_argument("--database", default=DATABASE)
    args = parser.parse_args()
    # The app's broker and caches on a Redis database of the profile's own (the outbox's
    # kicks land there, for no worker).
    from core.settings import get_settings

    os.environ["REDIS_URL"] = intake._redis_db_url(get_settings().redis_url, REDIS_DB)
    get_settings.cache_clear()
    asyncio.run(run(ensure_copy(args.database), args.requests, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
