"""A POST's filing on a real Celery worker: the request is stored (committed) with its
outbox message, the worker's task files it as an incident, and a repeated task files
nothing (the row lock and the link: exactly once)."""

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from convenience.open311 import requests as service
from convenience.open311.filing import FILE_TASK
from convenience.open311.tasks import file_request
from tests.grid.incidents.conftest import worker_queue  # noqa: F401  (fixture)

# Requested long ago: outside every 90-day window the other tests of the module read.
LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)


def test_a_committed_request_becomes_an_incident_on_the_worker_once(
        engine, settings, demo_city, worker_queue):  # noqa: F811
    with Session(engine) as session:
        point = session.execute(text(
            "SELECT code, ST_X(ST_PointOnSurface(geom)) AS lon, "
            "ST_Y(ST_PointOnSurface(geom)) AS lat FROM area WHERE level = 'grid' "
            "ORDER BY code LIMIT 1")).one()
        minor = session.execute(text(
            "SELECT m.code FROM category m JOIN category p ON p.id = m.parent_id WHERE "
            "m.level = 'minor' AND m.active AND p.active ORDER BY m.code LIMIT 1")).scalar_one()
        request = service.create_request(
            session, data=service.RequestIn(service_code=minor, lat=point.lat,
                                            long=point.lon, description="工人测试"),
            api_key_id=None, channel=service.CHANNEL_OPEN311, settings=settings,
            now=LONG_AGO)
        session.commit()
        request_id = request.id
        message = session.execute(text(
            "SELECT topic, payload FROM outbox_message WHERE payload -> 'args' -> 0 = "
            "to_jsonb(CAST(:id AS bigint)) AND topic = :topic"),
            {"id": request_id, "topic": f"task:{FILE_TASK}"}).one()
        assert message.payload == {"task": FILE_TASK, "args": [request_id]}

    assert file_request.apply_async(args=[request_id], queue=worker_queue).get(timeout=120)
    assert not file_request.apply_async(args=[request_id], queue=worker_queue).get(timeout=120)

    with Session(engine) as session:
        row = session.execute(text(
            "SELECT r.subject_type, i.grid_code, i.source, "
            "(SELECT count(*) FROM incident WHERE idempotency_key = :key) AS incidents "
            "FROM open311_request r JOIN incident i ON i.id = r.subject_id WHERE r.id = :id"),
            {"id": request_id, "key": f"open311-{request_id}"}).one()
    assert (row.subject_type, row.grid_code, row.source, row.incidents) == (
        "incident", point.code, "citizen_app", 1)
