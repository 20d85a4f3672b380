"""Filings that got lost, sent again (convenience/open311/filing.py `requeue_stuck`, the
beat's `open311.requeue_stuck`): after the rule's wait (data: `filing_stuck_minutes`),
that wait doubling per re-queue; never a filed or refused one; and however many tasks
come for one request (the lost one coming back late, the re-queued ones), a real Celery
worker files it once."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from convenience.open311 import filing
from convenience.open311 import requests as service
from convenience.open311.filing import FILE_TASK, requeue_stuck, stuck_minutes
from convenience.open311.part import REQUEUE_TASK, beat
from convenience.open311.tasks import file_request
from convenience.open311.workorders import edit_rule, rule
from tests.grid.incidents.conftest import worker_queue  # noqa: F401  (fixture)

# Requested (and queued) long ago: outside every 90-day window other tests read, and
# older than anything else queued, so that the job's `now` picks only this test's rows.
LONG_AGO = datetime(2001, 2, 3, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _accept(session: Session, settings, place, minor, *, at: datetime) -> int:
    return service.create_request(
        session, data=service.RequestIn(service_code=minor, lat=place.lat, long=place.lon,
                                        description="重新分派测试"),
        api_key_id=None, channel=service.CHANNEL_OPEN311, settings=settings, now=at).id


def _filing_messages(session: Session, request_id: int) -> int:
    return session.execute(text(
        "SELECT count(*) FROM outbox_message WHERE topic = :topic AND payload -> 'args' -> 0 "
        "= to_jsonb(CAST(:id AS bigint))"), {"topic": f"task:{FILE_TASK}", "id": request_id}
    ).scalar_one()


def test_the_beat_names_the_job_without_importing_the_task_module(settings):
    entry = beat(settings)["open311-requeue-stuck"]
    assert entry["task"] == REQUEUE_TASK == "open311.requeue_stuck"
    assert entry["schedule"] <= 60


def test_a_queued_filing_is_sent_again_after_the_rules_wait_doubling_per_requeue(
        session, settings, place, minor):
    minutes = stuck_minutes(session)
    assert minutes == int(rule(session, filing.STUCK_RULE).value) == 10  # as seeded
    request_id = _accept(session, settings, place, minor, at=LONG_AGO)
    assert _filing_messages(session, request_id) == 1
    assert request_id not in requeue_stuck(session, now=LONG_AGO + (minutes - 1) * MINUTE)
    first_at = LONG_AGO + (minutes + 1) * MINUTE
    assert request_id in requeue_stuck(session, now=first_at)
    assert _filing_messages(session, request_id) == 2
    # Sent again once: the next wait is twice as long, from the re-queue.
    assert request_id not in requeue_stuck(session, now=first_at + (2 * minutes - 1) * MINUTE)
    assert request_id in requeue_stuck(session, now=first_at + (2 * minutes + 1) * MINUTE)
    row = session.execute(text("SELECT filing, requeues, queued_at FROM open311_request "
                               "WHERE id = :id"), {"id": request_id}).one()
    assert (row.filing, row.requeues) == ("queued", 2)
    assert row.queued_at == first_at + (2 * minutes + 1) * MINUTE
    assert _filing_messages(session, request_id) == 3
    audited = session.execute(text(
        "SELECT count(*) FROM audit_event WHERE action = 'open311.requeued' "
        "AND subject_type = 'open311_request' AND subject_id = :id"),
        {"id": str(request_id)}).scalar_one()
    assert audited == 2


def test_the_wait_is_data_an_admin_edits(session, settings, place, minor):
    at = LONG_AGO - timedelta(days=30)
    request_id = _accept(session, settings, place, minor, at=at)
    row = rule(session, filing.STUCK_RULE)
    edit_rule(session, name=filing.STUCK_RULE, value="30", version=row.version, actor="test")
    assert request_id not in requeue_stuck(session, now=at + 11 * MINUTE)
    assert request_id in requeue_stuck(session, now=at + 31 * MINUTE)


def test_filed_and_refused_filings_are_never_sent_again(session, settings, place, minor):
    at = LONG_AGO - timedelta(days=60)
    filed = _accept(session, settings, place, minor, at=at)
    refused = _accept(session, settings, place, minor, at=at)
    assert filing.file_pending(session, filed, settings=settings)
    assert filing.refuse(session, refused, reason="test: refused")
    assert not filing.refuse(session, filed, reason="test: filed already")
    assert not filing.file_pending(session, refused, settings=settings)  # a late task
    later = requeue_stuck(session, now=at + timedelta(days=365))
    assert filed not in later and refused not in later
    states = dict(session.execute(text("SELECT id, filing FROM open311_request WHERE id IN "
                                       "(:a, :b)"), {"a": filed, "b": refused}).all())
    assert states == {filed: "filed", refused: "refused"}


def test_a_requeued_filing_and_the_late_first_task_file_it_once_on_a_worker(
        engine, settings, demo_city, place, minor, worker_queue):  # noqa: F811
    at = LONG_AGO + timedelta(days=1)
    with Session(engine) as session:
        request_id = _accept(session, settings, place, minor, at=at)
        session.commit()
    try:
        with Session(engine) as session:  # the first task is lost; the job sends it again
            assert request_id in requeue_stuck(session, now=at + 11 * MINUTE)
            session.commit()
            assert _filing_messages(session, request_id) == 2
        # The re-queued task, and the first one coming back late, twice: at once, on a
        # worker of four threads; the row lock lets one file it.
        sent = [file_request.apply_async(args=[request_id], queue=worker_queue)
                for _ in range(3)]
        # A bound, not a pace: the worker may still be starting on a loaded machine.
        assert sorted(result.get(timeout=600) for result in sent) == [False, False, True]
        with Session(engine) as session:
            row = session.execute(text(
                "SELECT r.filing, r.requeues, r.subject_type, "
                "(SELECT count(*) FROM incident WHERE idempotency_key = :key) AS incidents, "
                "(SELECT count(*) FROM case_link WHERE a_type = 'open311_request' "
                " AND a_id = r.id) AS links "
                "FROM open311_request r WHERE r.id = :id"),
                {"id": request_id, "key": f"open311-{request_id}"}).one()
            assert tuple(row) == ("filed", 1, "incident", 1, 1)
            assert request_id not in requeue_stuck(session, now=at + timedelta(days=365))
            session.rollback()
    finally:
        with Session(engine) as session:  # never leave a queued request to other tests
            session.execute(text("UPDATE open311_request SET filing = 'refused' "
                                 "WHERE id = :id AND filing = 'queued'"), {"id": request_id})
            session.commit()
