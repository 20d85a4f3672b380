"""The incident hub's background work on a real Celery worker: the deadline sweep, and
notifications delivered through the outbox across a broker outage."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core import audit
from core.db import session_scope
from core.workflow.tasks import sweep_clocks
from grid.incidents import service
from grid.incidents.schemas import ReportIn
from tests.faults.stack import PrivateRedis, _free_port

pytestmark = pytest.mark.slow


def _report(engine, settings, place, category, *, state: str = "reported") -> int:
    """A committed incident in the place's grid, put in `state`."""
    from sqlalchemy.orm import sessionmaker

    with session_scope(sessionmaker(bind=engine)) as session:
        incident = service.report(
            session, principal=place.worker.principal, settings=settings,
            idempotency_key=str(uuid.uuid4()),
            data=ReportIn(location={"type": "Point", "coordinates": [place.lon, place.lat]},
                          category=category, description="worker test")).incident
        session.execute(text("UPDATE incident SET state = :s WHERE id = :id"),
                        {"s": state, "id": incident.id})
        return incident.id


def test_the_sweep_marks_and_escalates_once_even_twice_at_once(engine, settings, committed,
                                                               worker_queue):
    people, place, category = committed
    green, yellow, red = ([_report(engine, settings, place, category, state="filed")
                           for _ in range(n)] for n in (2, 3, 4))
    with engine.begin() as connection:
        # Deadlines as if the steps had started long ago: warned, overdue, or neither.
        connection.execute(text("""
            UPDATE case_clock SET warn_at = now() - interval '1 hour',
                   due_at = CASE WHEN subject_id = ANY(:red) THEN now() - interval '1 minute'
                                 ELSE now() + interval '1 day' END
            WHERE subject_type = 'incident' AND subject_id = ANY(:warned)
              AND stopped_at IS NULL"""), {"red": red, "warned": yellow + red})
    runs = [sweep_clocks.apply_async(queue=worker_queue) for _ in range(2)]  # at once
    results = [run.get(timeout=120) for run in runs]
    assert sum(r["by_case_type"]["incident"]["escalated"] for r in results) >= len(red)
    with engine.connect() as connection:
        rows = {row.id: row for row in connection.execute(text("""
            SELECT i.id, i.deadline, i.owner_code, i.escalation_count,
                   (SELECT count(*) FROM handoff h WHERE h.subject_type = 'incident'
                      AND h.subject_id = i.id) AS handoffs,
                   (SELECT count(*) FROM audit_event a WHERE a.subject_type = 'incident'
                      AND a.subject_id = i.id::text
                      AND a.action = 'incident.escalate.overdue') AS audited
            FROM incident i WHERE i.id = ANY(:ids)"""), {"ids": green + yellow + red})}
    village, township = place.grid_code[:12], place.grid_code[:9]
    for incident in green:
        assert (rows[incident].deadline, rows[incident].handoffs) == ("green", 0)
    for incident in yellow:
        assert (rows[incident].deadline, rows[incident].owner_code) == ("yellow", village)
    for incident in red:
        row = rows[incident]
        assert (row.deadline, row.owner_code, row.escalation_count, row.handoffs,
                row.audited) == ("red", township, 1, 1, 1)
    # A third sweep finds nothing more to do for them.
    sweep_clocks.apply_async(queue=worker_queue).get(timeout=120)
    with engine.connect() as connection:
        assert connection.scalar(text(
            "SELECT count(*) FROM handoff WHERE subject_type = 'incident' "
            "AND subject_id = ANY(:r)"), {"r": red}) == len(red)
    with Session(engine) as session:
        assert audit.verify_chain(session).ok


def test_the_worker_makes_thumbnails_once(engine, settings, committed, worker_queue):
    from PIL import Image

    from core.attachments.tasks import make_thumbnails
    from tests.grid.incidents.conftest import png_base64

    people, place, category = committed
    from sqlalchemy.orm import sessionmaker

    with session_scope(sessionmaker(bind=engine)) as session:
        incident = service.report(
            session, principal=place.worker.principal, settings=settings,
            idempotency_key=str(uuid.uuid4()),
            data=ReportIn(location={"type": "Point", "coordinates": [place.lon, place.lat]},
                          category=category, description="photo",
                          photos=[{"content_type": "image/png",
                                   "data": png_base64(size=(1200, 900))}])).incident
        photo_id = session.scalar(text("SELECT id FROM attachment WHERE subject_type = "
                                       "'incident' AND subject_id = :i"), {"i": incident.id})
    assert make_thumbnails.apply_async(args=[[photo_id]], queue=worker_queue).get(60) == 1
    assert make_thumbnails.apply_async(args=[[photo_id]], queue=worker_queue).get(60) == 0
    with engine.connect() as connection:
        thumbnail = connection.scalar(text("SELECT thumbnail_path FROM attachment "
                                           "WHERE id = :id"), {"id": photo_id})
    with Image.open(Path(settings.media_dir) / thumbnail) as image:
        assert (image.format, image.size) == ("JPEG", (320, 240))


# --- notifications across a broker outage ---------------------------------------------------

@pytest.fixture
def broker(tmp_path):
    """A redis-server of the test's own (tests/faults/stack.py), so stopping it disturbs
    nothing else."""
    redis = PrivateRedis(_free_port())
    redis.start()
    yield redis
    if redis.process.poll() is None:
        redis.stop()


@pytest.fixture
def worker_with_beat(broker, database_url, tmp_path):
    """A worker with its beat, on the private broker: the outbox swept every second."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": broker.url,
           "OUTBOX_INTERVAL_SECONDS": "1", "SWEEP_INTERVAL_SECONDS": "86400"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "core.celery_app", "worker", "--beat",
         "--pool=solo", "--loglevel=warning", "--without-gossip", "--without-mingle",
         "--schedule", str(tmp_path / "beat-schedule")], env=env)
    yield env
    process.terminate()
    process.wait(timeout=30)


DISPATCH = """
import sys
from core.db import session_scope
from core.security import Principal
from core.settings import get_settings
from core.units.service import centre_of, grants_of
from core.users.enums import Role
from grid.incidents import flows
from grid.incidents.schemas import ActionIn

user_id, username, scope, incident = sys.argv[1:5]
with session_scope() as session:
    principal = Principal(int(user_id), username, Role.village_staff, scope,
                          grants_of(session, user_id=int(user_id)))
    centre = centre_of(session, area_code=scope)
    flows.act(session, incident_id=int(incident), name="dispatch",
              data=ActionIn(version=2, handler_unit_id=centre.id), settings=get_settings(),
              principal=principal)
print("committed")
"""


def _wait_for(predicate, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    return predicate()


def test_a_notification_decided_while_redis_is_down_arrives_once_when_it_is_back(
        engine, settings, committed, broker, worker_with_beat, tmp_path):
    people, place, category = committed
    village = people["village_staff"].principal
    incident = _report(engine, settings, place, category, state="filed")
    with engine.begin() as connection:
        connection.execute(text("UPDATE incident SET version = 2 WHERE id = :id"),
                           {"id": incident})
        # A colleague at the centre's desk: the one told of the dispatch (its maker is not).
        colleague = connection.scalar(text(
            "INSERT INTO app_user (username, password_hash, role, scope_code, full_name) "
            "VALUES ('worker-test-colleague', '!', 'village_staff', :scope, '同事') "
            "RETURNING id"), {"scope": village.scope_code})
        connection.execute(text(
            "INSERT INTO membership (user_id, unit_id, position, is_active) SELECT :user, id, "
            "'receiver', true FROM unit WHERE kind = 'centre' AND seat_code = :scope"),
            {"user": colleague, "scope": village.scope_code})
    try:
        _dispatch_while_redis_is_down(engine, broker, worker_with_beat, tmp_path, village,
                                      incident, colleague)
    finally:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM app_user WHERE id = :id"), {"id": colleague})


def _dispatch_while_redis_is_down(engine, broker, worker_with_beat, tmp_path, village,
                                  incident, colleague):
    broker.stop()
    script = tmp_path / "dispatch.py"
    script.write_text(DISPATCH)
    moved = subprocess.run([sys.executable, str(script), str(village.user_id),
                            village.username, village.scope_code, str(incident)],
                           env=worker_with_beat, capture_output=True, text=True, timeout=120,
                           cwd=Path(__file__).resolve().parents[3])
    assert moved.returncode == 0 and "committed" in moved.stdout, moved.stderr
    assert "could not ask for delivery" in moved.stderr  # the kick failed: broker down

    def message():
        with engine.connect() as connection:
            return connection.execute(text(
                "SELECT id, delivered_at, payload FROM outbox_message WHERE topic = "
                "'incident.dispatched' AND payload->>'subject_id' = :id"),
                {"id": str(incident)}).one()

    pending = message()
    assert pending.delivered_at is None
    time.sleep(2)  # the worker keeps running through the outage; nothing is delivered
    assert message().delivered_at is None

    broker.start()  # same port: the worker and its beat reconnect
    # Bounds, not paces: the worker reconnects with a growing back-off, slower under load.
    assert _wait_for(lambda: message().delivered_at, 120), "not delivered after Redis came back"
    with Session(engine) as session:
        from core.workflow.outbox import recipients

        expected = recipients(session, pending.payload)

    def delivered() -> list[int]:
        with engine.connect() as connection:
            return list(connection.scalars(text(
                "SELECT user_id FROM notification WHERE outbox_id = :id ORDER BY user_id"),
                {"id": pending.id}))

    assert colleague in expected and village.user_id not in expected
    assert delivered() == expected
    # More passes of the outbox sweep: still exactly once. A probe enqueued now is
    # delivered by a pass that began after it, so that pass saw the message too.
    with engine.begin() as connection:
        probe = connection.scalar(text(
            "INSERT INTO outbox_message (topic, payload) VALUES ('test.probe', "
            "'{\"user_ids\": []}') RETURNING id"))

    def probed():
        with engine.connect() as connection:
            return connection.scalar(text(
                "SELECT delivered_at FROM outbox_message WHERE id = :id"), {"id": probe})

    assert _wait_for(probed, 120), "the outbox sweep did not run again"
    assert delivered() == expected
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM outbox_message WHERE id = :id"), {"id": probe})
