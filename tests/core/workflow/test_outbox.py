"""The outbox asks for delivery only once the outer transaction has committed."""

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
