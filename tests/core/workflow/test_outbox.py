"""The outbox asks for delivery only once the outer transaction has committed."""

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.workflow import outbox


def test_the_kick_waits_for_the_outer_commit(engine, database_url, monkeypatch):
    kicks = []
    monkeypatch.setattr(outbox, "kick", lambda: kicks.append(1))
    with Session(engine) as session:
        message = outbox.enqueue(session, topic="test.kick", payload={"title": "t"})
        with session.begin_nested():  # a savepoint released: not yet visible to a worker
            session.flush()
        assert kicks == []
        session.commit()
        assert kicks == [1]
        session.execute(text("SELECT 1"))
        session.commit()  # nothing new enqueued: no second kick
        assert kicks == [1]
        session.execute(text("DELETE FROM outbox_message WHERE id = :id"), {"id": message.id})
        session.commit()


def test_a_rolled_back_message_is_never_delivered(engine, monkeypatch):
    monkeypatch.setattr(outbox, "kick", lambda: None)
    with Session(engine) as session:
        outbox.enqueue(session, topic="test.rolled-back", payload={"title": "t"})
        session.flush()
        session.rollback()
    with Session(engine) as session:
        assert session.scalar(text("SELECT count(*) FROM outbox_message "
                                   "WHERE topic = 'test.rolled-back'")) == 0


# --- the kick: one delivery task queued at a time (real Redis, the broker's send counted) ---

@pytest.fixture
def sends(monkeypatch):
    """The delivery tasks `_ask_a_worker` publishes; the queued mark in the test Redis."""
    from core.celery_app import celery_app

    outbox._KICKER.flush()  # an earlier test's kick is not sent in the middle of this one
    monkeypatch.setattr(outbox, "kick", lambda: None)
    sent: list[str] = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, **options: sent.append(name))
    outbox._redis().delete(outbox.KICK_QUEUED_KEY)
    yield sent
    outbox._redis().delete(outbox.KICK_QUEUED_KEY)


def test_kicks_while_a_delivery_is_queued_publish_nothing_more(sends):
    for _ in range(5):
        outbox._ask_a_worker()
    assert sends == [outbox.DELIVER_TASK]
    # The mark lapses by itself: a task lost before it started holds later kicks up no
    # longer than this.
    assert 0 < outbox._redis().ttl(outbox.KICK_QUEUED_KEY) <= outbox.KICK_QUEUED_SECONDS


def test_once_the_delivery_has_started_a_kick_queues_another(sends):
    outbox._ask_a_worker()
    outbox.task_started()  # it may have read the outbox before the next commit
    outbox._ask_a_worker()
    outbox._ask_a_worker()
    assert sends == [outbox.DELIVER_TASK] * 2


def test_a_failed_publish_leaves_no_mark(sends, monkeypatch):
    from core.celery_app import celery_app

    def refuse(name, **options):
        raise ConnectionError("the broker is down")

    monkeypatch.setattr(celery_app, "send_task", refuse)
    with pytest.raises(ConnectionError):
        outbox._ask_a_worker()
    assert not outbox._redis().exists(outbox.KICK_QUEUED_KEY)  # the next kick sends again


def test_the_delivery_task_clears_the_mark_before_it_reads(sends, monkeypatch):
    from core.workflow import tasks

    read = []

    def deliver_pending(session, *, channels):
        read.append(outbox._redis().exists(outbox.KICK_QUEUED_KEY))
        return 0

    monkeypatch.setattr(tasks, "deliver_pending", deliver_pending)
    outbox._ask_a_worker()
    tasks.deliver_outbox()  # the task's body, run here
    assert read == [0]
