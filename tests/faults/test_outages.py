"""Outages on a stack of the suite's own (tests/faults/stack.py): the database restarted
under load, Redis stopped, the worker killed mid-task, two beats at once. After each,
tests/faults/conftest.py `check_invariants`: nothing acknowledged is lost, nothing is
stored or delivered twice, the audit chain verifies."""

import statistics
import threading
import time
import uuid

import httpx
import pytest

from tests.faults.conftest import FIGURES, check_invariants
from tests.faults.stack import DEADLINE, Reporter, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.faults]


def _reporters(stack, field, n: int) -> list[Reporter]:
    return [Reporter(stack.api_url, field.worker, field.body) for _ in range(n)]


def _send(reporter: Reporter, url: str, keys: list[str]) -> None:
    with httpx.Client(base_url=url, timeout=DEADLINE) as client:
        for key in keys:
            reporter.report(client, key)


def _sending(stack, field, clients: int, reports: int, tag: str):
    """`clients` reporters, each sending `reports` reports (keys `tag-<uuid>`) from a thread
    of its own, started: (reporters, threads)."""
    reporters = _reporters(stack, field, clients)
    keys = [[f"{tag}-{uuid.uuid4()}" for _ in range(reports)] for _ in reporters]
    threads = [threading.Thread(target=_send, args=(r, stack.api_url, k), daemon=True)
               for r, k in zip(reporters, keys, strict=True)]
    for thread in threads:
        thread.start()
    return reporters, threads


def _acknowledged(reporters) -> dict[str, int]:
    return {key: id_ for r in reporters for key, id_ in r.acknowledged.items()}


def test_a_database_restart_under_load_answers_503_and_loses_nothing(stack, field):
    stack.ensure_up()
    reporters, threads = _sending(stack, field, 4, 12, "restart")
    wait_for(lambda: len(_acknowledged(reporters)) >= 8, what="reports before the restart")

    stack.postgres.stop("fast")  # under load: the four clients keep sending
    down = Reporter(stack.api_url, field.worker, field.body)
    with httpx.Client(base_url=stack.api_url, timeout=DEADLINE) as client:
        answer = client.post("/api/v1/incidents", json=field.body,
                             headers={**field.worker, "Idempotency-Key": "while-down"})
        lon, lat = field.body["location"]["coordinates"]
        located = client.get(f"/api/v1/areas/locate?lon={lon}&lat={lat}",  # the read pool
                             headers=field.worker)
        ready = client.get("/readyz")
    for refused in (answer, located):
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "database_unavailable"
        assert refused.headers["Retry-After"].isdigit()
    assert (ready.status_code, ready.json()["database"]) == (503, "down")
    assert ready.headers["Retry-After"].isdigit()

    stack.postgres.start()
    back = time.monotonic()
    for thread in threads:
        thread.join(DEADLINE)
        assert not thread.is_alive(), "a client never got its reports acknowledged"
    with httpx.Client(base_url=stack.api_url, timeout=DEADLINE) as client:
        down.report(client, "while-down")  # the refused one, sent again with its key

    statuses = [s for r in reporters for s in r.statuses]
    assert 500 not in statuses and set(statuses) <= {0, 201, 503}, statuses
    assert {a["code"] for r in reporters for a in r.answers} <= {
        "database_unavailable", "database_busy"}
    assert all(a["retry_after"] for r in reporters for a in r.answers)
    acknowledged = _acknowledged([*reporters, down])
    assert len(acknowledged) == 4 * 12 + 1
    check_invariants(stack, field, acknowledged)
    firsts = [t for r in reporters for t, s in r.events if s == 201 and t >= back]
    FIGURES["db restart"] = (f"{statuses.count(503)} × 503, {statuses.count(0)} dropped, "
                             f"first 201 {min(firsts) - back:.2f} s after the server was up"
                             if firsts else f"{statuses.count(503)} × 503")


def test_redis_stopped_reports_do_not_wait_and_notices_arrive_once_it_is_back(stack, field):
    stack.ensure_up()
    normal, during = _reporters(stack, field, 2)
    with httpx.Client(base_url=stack.api_url, timeout=DEADLINE) as client:
        for _ in range(8):
            normal.report(client)

        stack.redis.stop()
        ready = client.get("/readyz")
        assert (ready.status_code, ready.json()["broker"]) == (503, "down")
        assert ready.headers["Retry-After"].isdigit()
        for _ in range(8):
            during.report(client)
    # Every report answered at its first attempt, the broker down all along.
    assert during.statuses == [201] * 8, during.answers
    assert stack.redis.process.poll() is not None

    stack.redis.start()  # same port: the API's kicks, the worker and the beat reconnect
    check_invariants(stack, field, _acknowledged([normal, during]))
    ratio = statistics.median(during.latencies) / statistics.median(normal.latencies)
    FIGURES["redis down"] = (f"report median {statistics.median(during.latencies) * 1000:.0f} ms"
                             f" vs {statistics.median(normal.latencies) * 1000:.0f} ms "
                             f"({ratio:.2f}×)")


def test_a_worker_killed_mid_delivery_delivers_once_after_its_restart(stack, field):
    stack.ensure_up()
    stack.processes["worker"].stop()  # no worker: the next report's notice waits
    reporter = Reporter(stack.api_url, field.worker, field.body)
    with httpx.Client(base_url=stack.api_url, timeout=DEADLINE) as client:
        incident = reporter.report(client)
    message = _notice_of(stack, incident)
    assert message["delivered_at"] is None and message["recipients"], message

    with stack.connect() as blocker:
        # The delivery will stop at its inbox insert, mid-transaction, until this ends.
        blocker.execute("BEGIN")
        blocker.execute("LOCK TABLE notification IN SHARE MODE")
        worker = stack.start_worker()
        backend = wait_for(lambda: _waiting_insert(stack), what="the delivery to start")
        worker.kill9()
        blocker.execute("ROLLBACK")
    wait_for(lambda: not _backend_alive(stack, backend), what="the dead worker's backend")
    assert _notice_of(stack, incident)["delivered_at"] is None  # its transaction died with it
    assert _notice_of(stack, incident)["delivered"] == []

    stack.start_worker()
    wait_for(lambda: _notice_of(stack, incident)["delivered_at"], what="the redelivery")
    check_invariants(stack, field, reporter.acknowledged)


def test_two_beats_at_once_deliver_every_notice_once(stack, field):
    stack.ensure_up()
    second = stack.start_beat("beat-2")
    reporters, threads = _sending(stack, field, 2, 6, "two-beats")
    for thread in threads:
        thread.join(DEADLINE)
    check_invariants(stack, field, _acknowledged(reporters))
    assert second.running and stack.processes["beat"].running  # both ticked all along
    second.stop()


# --- reading the stack ---------------------------------------------------------------------

def _notice_of(stack, incident: int) -> dict:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from core.workflow.outbox import recipients

    with stack.connect() as db:
        outbox_id, delivered_at, payload = db.execute(
            "SELECT id, delivered_at, payload FROM outbox_message WHERE topic = "
            "'incident.reported' AND payload->>'subject_id' = %s", (str(incident),)).fetchone()
        delivered = [row[0] for row in db.execute(
            "SELECT user_id FROM notification WHERE outbox_id = %s ORDER BY user_id",
            (outbox_id,))]
    engine = create_engine(stack.postgres.url())
    with Session(engine) as session:
        expected = recipients(session, payload)
    engine.dispose()
    return {"id": outbox_id, "delivered_at": delivered_at, "delivered": delivered,
            "recipients": expected}


def _waiting_insert(stack) -> int | None:
    with stack.connect() as db:
        row = db.execute("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                         "AND query ILIKE 'INSERT INTO notification%'").fetchone()
    return row and row[0]


def _backend_alive(stack, pid: int) -> bool:
    with stack.connect() as db:
        return db.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s",
                          (pid,)).fetchone()[0] > 0
