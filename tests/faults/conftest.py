"""The fault suite's stack (tests/faults/stack.py), built once for the package, and what
every scenario checks afterwards."""

import shutil
import subprocess
import sys
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from tests.faults.stack import DEADLINE, ROOT, Stack, build_stack, postgres_bindir, wait_for

# Figures for the report printed at the end (bench/faults.py prints the same ones).
FIGURES: dict[str, str] = {}


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "faults: stops and kills services of its own stack")


@pytest.fixture(scope="package")
def stack(tmp_path_factory) -> Stack:
    # `make test` installs both (scripts/setup.sh): missing, the suite fails rather than
    # passing without its fault tests.
    if postgres_bindir() is None:
        pytest.fail("no PostgreSQL server binaries (initdb) here: set PG_BINDIR")
    if shutil.which("redis-server") is None:
        pytest.fail("no redis-server here")
    built = build_stack(tmp_path_factory.mktemp("faults"))
    yield built
    built.shutdown()
    if FIGURES:
        print("\nfault suite: " + "; ".join(f"{k} {v}" for k, v in FIGURES.items()))


@dataclass(frozen=True)
class Field:
    """A grid worker who reports from inside his grid, and his village's staff."""

    worker_id: int
    worker: dict[str, str]   # Authorization headers
    village: dict[str, str]
    body: dict               # a report body (location, category)


@pytest.fixture(scope="package")
def field(stack: Stack) -> Field:
    return make_field(stack)


def make_field(stack: Stack) -> Field:
    with stack.connect() as db:
        village_staff, village = db.execute(
            "SELECT username, scope_code FROM app_user WHERE username = 'demo_village_staff'"
        ).fetchone()
        grid, lon, lat, worker_name, worker_id = db.execute("""
            SELECT a.code, ST_X(ST_PointOnSurface(a.geom)), ST_Y(ST_PointOnSurface(a.geom)),
                   u.username, u.id
            FROM area a JOIN grid_assignment ga ON ga.grid_id = a.id
            JOIN grid_worker w ON w.id = ga.worker_id JOIN app_user u ON u.id = w.user_id
            WHERE a.level = 'grid' AND a.code LIKE %s || '%%'
            ORDER BY a.code, w.staff_code LIMIT 1""", (village,)).fetchone()
        category = db.execute("SELECT code FROM category WHERE level = 'minor' AND active "
                              "ORDER BY code LIMIT 1").fetchone()[0]
    body = {"location": {"type": "Point", "coordinates": [lon, lat]}, "category": category,
            "description": "故障测试"}
    return Field(worker_id, login(stack, worker_name), login(stack, village_staff), body)


def login(stack: Stack, username: str) -> dict[str, str]:
    password = stack.env.get("DEMO_PASSWORD") or _demo_password()
    response = httpx.post(f"{stack.api_url}/api/v1/auth/token", timeout=DEADLINE,
                          data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _demo_password() -> str:
    from core.settings import Settings

    return Settings().demo_password


# --- after every scenario ---------------------------------------------------------------------

def check_invariants(stack: Stack, field: Field, acknowledged: dict[str, int]) -> None:
    """Every acknowledged report stored once, whole (timeline, audit, outbox); every
    notification delivered once; no connection idle in a transaction; the chain verifies."""
    _stored_once_and_whole(stack, field, acknowledged)
    _timelines(stack, field, acknowledged.values())
    _delivered_once(stack)
    wait_for(lambda: _idle_in_transaction(stack) == 0, what="no connection idle in transaction")
    verify = subprocess.run([sys.executable, "-m", "api.cli", "audit", "verify"],
                            env=stack.env, cwd=ROOT, capture_output=True, text=True,
                            timeout=DEADLINE)
    assert verify.returncode == 0 and "intact" in verify.stdout + verify.stderr, \
        verify.stdout + verify.stderr


def _stored_once_and_whole(stack: Stack, field: Field, acknowledged: dict[str, int]) -> None:
    with stack.connect() as db:
        stored = db.execute(
            "SELECT idempotency_key, min(id), count(*) FROM incident "
            "WHERE reporter_id = %s AND idempotency_key = ANY(%s) GROUP BY 1",
            (field.worker_id, list(acknowledged))).fetchall()
        assert {key: (first, 1) for key, first in acknowledged.items()} == \
            {key: (first, n) for key, first, n in stored}
        # Whole or nothing: no incident of the reporter (acknowledged or not) lacks its
        # audit row or its notice, and none has two.
        broken = db.execute("""
            SELECT i.id,
                   (SELECT count(*) FROM audit_event a WHERE a.action = 'incident.report'
                      AND a.subject_id = i.id::text) AS audited,
                   (SELECT count(*) FROM outbox_message o WHERE o.topic = 'incident.reported'
                      AND o.payload->>'subject_id' = i.id::text) AS noticed
            FROM incident i WHERE i.reporter_id = %s""", (field.worker_id,)).fetchall()
        assert [row for row in broken if row[1:] != (1, 1)] == []


def _timelines(stack: Stack, field: Field, ids) -> None:
    with httpx.Client(base_url=stack.api_url, headers=field.worker, timeout=DEADLINE) as client:
        for incident in ids:
            detail = client.get(f"/api/v1/incidents/{incident}")
            assert detail.status_code == 200, detail.text
            assert [e["action"] for e in detail.json()["timeline"]].count("report") == 1


def _delivered_once(stack: Stack) -> None:
    from core.workflow.outbox import recipients

    def pending() -> int:
        with stack.connect() as db:
            return db.execute("SELECT count(*) FROM outbox_message "
                              "WHERE delivered_at IS NULL").fetchone()[0]

    wait_for(lambda: pending() == 0, what="every outbox message delivered")
    engine = create_engine(stack.postgres.url())
    try:
        with Session(engine) as session:
            messages = session.execute(text(
                "SELECT id, payload FROM outbox_message WHERE NOT payload ? 'task'")).all()
            delivered = {}
            for outbox_id, user_id in session.execute(text(
                    "SELECT outbox_id, user_id FROM notification")):
                delivered.setdefault(outbox_id, []).append(user_id)
            wrong = [(m.id, sorted(delivered.get(m.id, [])), recipients(session, m.payload))
                     for m in messages
                     if sorted(delivered.get(m.id, [])) != recipients(session, m.payload)]
    finally:
        engine.dispose()
    assert wrong == [], f"notifications not delivered exactly once: {wrong[:5]}"


def _idle_in_transaction(stack: Stack) -> int:
    with stack.connect() as db:
        return db.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = 'gridgov' "
                          "AND state IN ('idle in transaction', "
                          "'idle in transaction (aborted)') "
                          "AND pid <> pg_backend_pid()").fetchone()[0]
