"""Concurrency on a live server (real connections, committed data): conflicting moves on
one incident, and replayed reports racing each other."""

import os
import subprocess
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text

from tests.grid.incidents.conftest import report_body

pytestmark = pytest.mark.slow


def _post(client: httpx.Client, url: str, body: dict, headers: dict) -> httpx.Response:
    return client.post(url, json=body, headers=headers, timeout=120)


def test_100_conflicting_moves_one_wins_per_version(live_server, committed, engine, database_url):
    people, place, category = committed
    village = people["village_staff"]
    with httpx.Client(base_url=live_server.url) as client:
        created = _post(client, "/api/v1/incidents", report_body(place, category),
                        {**place.worker.headers, "Idempotency-Key": str(uuid.uuid4())})
        assert created.status_code == 201, created.text
        incident = created.json()["id"]
        # Everyone read version 1 and now moves at once: half file it, half void it.
        moves = [("file", {}) if i % 2 else ("void", {"reason": f"作废 {i}"})
                 for i in range(100)]
        barrier = threading.Barrier(len(moves))

        def move(pair):
            name, fields = pair
            barrier.wait()
            return name, _post(client, f"/api/v1/incidents/{incident}/actions/{name}",
                               {"version": 1, **fields}, village.headers)

        with ThreadPoolExecutor(len(moves)) as pool:
            outcomes = list(pool.map(move, moves))
    statuses = sorted(response.status_code for _, response in outcomes)
    assert statuses == [200] + [409] * 99, statuses
    winner = next(name for name, response in outcomes if response.status_code == 200)
    for _, response in outcomes:
        if response.status_code == 409:
            assert response.json()["current_version"] == 2
            assert response.json()["current_state"] == {"file": "filed", "void": "void"}[winner]
    with engine.connect() as connection:
        state, version = connection.execute(text(
            "SELECT state, version FROM incident WHERE id = :id"), {"id": incident}).one()
        moves_recorded = connection.scalar(text(
            "SELECT count(*) FROM audit_event WHERE subject_type = 'incident' "
            "AND subject_id = :id AND action IN ('incident.file', 'incident.void')"),
            {"id": str(incident)})
    assert (state, version, moves_recorded) == ({"file": "filed", "void": "void"}[winner], 2, 1)
    verify = subprocess.run([sys.executable, "-m", "api.cli", "audit", "verify"],
                            env={**os.environ, "DATABASE_URL": database_url},
                            capture_output=True, text=True, timeout=300)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "intact" in verify.stdout + verify.stderr


# Each key's three sends race each other (12 threads, back to back): 250 races catch a lost
# or doubled report as surely as 1,000 did, in a quarter of the time.
REPORTS = 250


def test_reports_sent_three_times_are_stored_once(live_server, committed, engine):
    people, place, category = committed
    worker = place.worker
    keys = [f"triple-{uuid.uuid4()}" for _ in range(REPORTS)]
    sends = [key for key in keys for _ in range(3)]  # each key three times, back to back
    body = report_body(place, category)

    with httpx.Client(base_url=live_server.url, limits=httpx.Limits(max_connections=16)) as client:
        def send(key: str) -> tuple[str, int, int]:
            response = _post(client, "/api/v1/incidents", body | {"description": key},
                             {**worker.headers, "Idempotency-Key": key})
            return key, response.status_code, response.json().get("id", -1)

        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(send, sends))
    assert {status for _, status, _ in results} == {201}
    first_id = {}
    for key, _, incident_id in results:
        assert first_id.setdefault(key, incident_id) == incident_id  # replays: the first one
    with engine.connect() as connection:
        stored = connection.scalar(text(
            "SELECT count(*) FROM incident WHERE reporter_id = :u AND idempotency_key = ANY(:k)"),
            {"u": worker.principal.user_id, "k": keys})
        audited = connection.scalar(text(
            "SELECT count(*) FROM audit_event WHERE action = 'incident.report' "
            "AND subject_id = ANY(:ids)"), {"ids": [str(i) for i in set(first_id.values())]})
    assert stored == len(set(first_id.values())) == audited == REPORTS


def test_a_201_means_the_report_is_committed(live_server, committed, engine):
    """The session commits before the response goes out (core/deps.py, scope="function"):
    a client that reads right after its 201 finds its report. With the commit after the
    response, most of these reads came back empty."""
    people, place, category = committed
    missing = []
    with httpx.Client(base_url=live_server.url) as client, engine.connect() as reader:
        for attempt in range(100):
            created = _post(client, "/api/v1/incidents", report_body(place, category),
                            {**place.worker.headers, "Idempotency-Key": f"durable-{uuid.uuid4()}"})
            assert created.status_code == 201, created.text
            found = reader.scalar(text("SELECT count(*) FROM incident WHERE id = :id"),
                                  {"id": created.json()["id"]})
            reader.commit()  # a fresh snapshot for the next read
            if found != 1:
                missing.append(attempt)
    assert missing == [], f"{len(missing)} of 100 reports were not committed at their 201"
