"""Connection-pool exhaustion (core/db.py, ConnectionGate): a burst of writes does not
deadlock the thread pool against the connection pool, and a request that cannot get a
connection in time gets 503 with Retry-After, never a 500 after a long wait."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.faults.stack import DEADLINE, Reporter, _free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.faults]


def _incidents(stack, field, n: int) -> list[int]:
    reporter = Reporter(stack.api_url, field.worker, field.body)
    with httpx.Client(base_url=stack.api_url, timeout=DEADLINE) as client:
        return [reporter.report(client) for _ in range(n)]


def _file(url: str, headers: dict, incident: int, barrier: threading.Barrier | None = None
          ) -> httpx.Response:
    """立案 at version 1."""
    with httpx.Client(base_url=url, timeout=DEADLINE) as client:
        if barrier:
            barrier.wait()
        return client.post(f"/api/v1/incidents/{incident}/actions/file", json={"version": 1},
                           headers=headers)


def test_requests_queued_for_a_connection_do_not_starve_the_one_that_would_free_it(
        stack, field):
    """The probe's 500s (20 of 50 concurrent moves, after a 30 s wait): a sync route runs
    on anyio's 40 threads, and its session commits only after FastAPI has validated the
    response, on one of those threads. Twenty moves hold the pool's twenty connections,
    waiting on a row lock; thirty reads queue for a connection. Once the lock goes, the
    move that takes it needs a thread to finish and commit; without the gate the readers
    hold every thread while they wait for a connection, and nothing moves until the pool's
    timeout (here the stack's 60 s, then 503s)."""
    stack.ensure_up()
    contested, other = _incidents(stack, field, 2)
    capacity = 2 * 10  # DB_POOL_SIZE (default 10) kept, as many again for bursts
    with ThreadPoolExecutor(capacity + 30) as pool, stack.connect() as blocker:
        blocker.execute("BEGIN")
        blocker.execute("SELECT id FROM incident WHERE id = %s FOR UPDATE", (contested,))
        moves = [pool.submit(_file, stack.api_url, field.village, contested)
                 for _ in range(capacity)]
        wait_for(lambda: _waiting_on_locks(stack) == capacity,
                 what="every connection held by a move waiting on the lock")
        reads = [pool.submit(_read, stack.api_url, field.village, other) for _ in range(30)]
        wait_for(lambda: _connections_to(stack.api_port) >= capacity + 30,
                 what="the reads to reach the API")
        blocker.execute("ROLLBACK")
        moved = sorted(f.result(DEADLINE).status_code for f in moves)
        read = [f.result(DEADLINE).status_code for f in reads]
    assert moved == [200] + [409] * (capacity - 1), moved
    assert read == [200] * 30, read


def _read(url: str, headers: dict, incident: int) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=DEADLINE) as client:
        return client.get(f"/api/v1/incidents/{incident}", headers=headers)


def _connections_to(port: int) -> int:
    """Established TCP connections whose server end is `port` (/proc/net/tcp)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines
               if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "01")


def test_a_request_that_cannot_get_a_connection_in_time_gets_503(stack, field):
    stack.ensure_up()
    port = _free_port()
    # One kept connection and one for bursts: two requests hold both.
    stack.start_api("api-small", port=port, DB_POOL_SIZE="1", DB_WAIT_SECONDS="1")
    url = f"http://127.0.0.1:{port}"
    first, second, third = _incidents(stack, field, 3)
    try:
        with stack.connect() as blocker:
            blocker.execute("BEGIN")
            blocker.execute("SELECT id FROM incident WHERE id = ANY(%s) FOR UPDATE",
                            ([first, second],))
            moves = ThreadPoolExecutor(2)
            held = [moves.submit(_file, url, field.village, i) for i in (first, second)]
            # Both connections taken, each request waiting on a row this test locked.
            wait_for(lambda: _waiting_on_locks(stack) == 2, what="two moves to hold both")
            with httpx.Client(base_url=url, timeout=DEADLINE) as client:
                answer = client.get(f"/api/v1/incidents/{third}", headers=field.village)
            blocker.execute("ROLLBACK")
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == "database_busy"
        assert answer.headers["Retry-After"] == "1"
        assert [f.result(DEADLINE).status_code for f in held] == [200, 200]
        moves.shutdown()
    finally:
        stack.processes["api-small"].stop()


def _waiting_on_locks(stack) -> int:
    with stack.connect() as db:
        return db.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = 'gridgov' "
                          "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                          ).fetchone()[0]
