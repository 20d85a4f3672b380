"""Transactional outbox: side effects written with the change, delivered after commit.

`enqueue(session, ...)` adds a message in the caller's transaction and asks for a prompt
delivery once that transaction commits (a Celery task, best effort: with the broker down
the request still succeeds). The worker's `deliver_pending` claims pending messages with
`FOR UPDATE SKIP LOCKED` and hands each to every channel; the beat runs it every few
seconds as well, so a message whose kick was lost (broker down, crash after commit) is
delivered when the broker is back.

Exactly once, for the inbox: its rows are written in the transaction that marks the
message delivered, and (outbox_id, user_id) is unique. External channels (SMS,
messaging gateways) are at least once: they get the outbox id as an idempotency key.
"""

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from core.workflow.models import Notification, OutboxMessage

log = logging.getLogger(__name__)

DELIVER_TASK = "outbox.deliver"
MAX_BACKOFF = timedelta(minutes=30)


def enqueue(session: Session, *, topic: str, payload: dict[str, Any]) -> OutboxMessage:
    message = OutboxMessage(topic=topic, payload=payload)
    session.add(message)
    _kick_once_committed(session)
    return message


def enqueue_many(session: Session, *, topic: str, payloads: Sequence[dict[str, Any]]) -> int:
    """`enqueue` for bulk moves: one multi-row insert."""
    if payloads:
        session.execute(insert(OutboxMessage), [{"topic": topic, "payload": p}
                                                for p in payloads])
        _kick_once_committed(session)
    return len(payloads)


def _kick_once_committed(session: Session) -> None:
    session.info["outbox_pending"] = True
    if not session.info.get("outbox_listening"):
        session.info["outbox_listening"] = True
        event.listen(session, "after_commit", _kick_after_commit)


def _kick_after_commit(session: Session) -> None:
    # after_commit fires for savepoints too: kick only once the outer transaction has
    # committed, or the worker could look before the message is visible.
    if session.in_nested_transaction() or not session.info.pop("outbox_pending", False):
        return
    kick()


def kick() -> None:
    """Ask a worker to deliver now. Best effort: the beat catches anything this misses."""
    try:
        from core.celery_app import celery_app

        celery_app.send_task(DELIVER_TASK, retry=False, ignore_result=True)
    except Exception as exc:  # broker down: the message waits in the table, nothing is lost
        log.warning("outbox: could not ask for delivery now (%s); the beat will", exc)


class Channel(Protocol):
    """Where a message goes. `send` runs inside the delivering transaction: raise to have
    the message retried later (with backoff), and use `message.id` to drop repeats."""

    name: str

    def send(self, session: Session, message: OutboxMessage, user_ids: Sequence[int]) -> None:
        ...


class InboxChannel:
    """The in-app inbox served by the API (`GET /api/v1/inbox`)."""

    name = "inbox"

    def send(self, session: Session, message: OutboxMessage, user_ids: Sequence[int]) -> None:
        if not user_ids:
            return
        payload = message.payload
        rows = [{"user_id": user_id, "outbox_id": message.id, "topic": message.topic,
                 "title": payload.get("title", message.topic)[:200],
                 "body": payload.get("body", ""),
                 "subject_type": payload.get("subject_type"),
                 "subject_id": _text_or_none(payload.get("subject_id"))}
                for user_id in user_ids]
        session.execute(pg_insert(Notification).on_conflict_do_nothing(
            constraint="uq_notification_outbox_user"), rows)


class LogChannel:
    """Stands in for an SMS or messaging gateway: logs what it would send.

    A real gateway implements the same `send`, passing `message.id` as the gateway's
    idempotency key so a retried delivery is not sent twice.
    """

    name = "log"

    def send(self, session: Session, message: OutboxMessage, user_ids: Sequence[int]) -> None:
        log.info("notify %s users of %s #%s: %s", len(user_ids), message.topic, message.id,
                 message.payload.get("title"))


CHANNELS: dict[str, Callable[[], Channel]] = {"inbox": InboxChannel, "log": LogChannel}


def channels_named(names: Sequence[str]) -> list[Channel]:
    return [CHANNELS[name]() for name in names]


def recipients(session: Session, payload: dict[str, Any]) -> list[int]:
    """Users named outright, plus the active users of an audience (roles at a scope)."""
    users = set(payload.get("user_ids") or ())
    audience = payload.get("audience")
    if audience:
        users.update(session.scalars(text(
            "SELECT id FROM app_user WHERE is_active AND role = ANY(:roles) "
            "AND scope_code = :scope_code"),
            {"roles": list(audience["roles"]), "scope_code": audience["scope_code"]}))
    return sorted(users)


def deliver_pending(session: Session, *, channels: Sequence[Channel], batch: int = 200
                    ) -> int:
    """Deliver one batch of pending messages in the caller's transaction; returns how many.

    Rows are claimed `FOR UPDATE SKIP LOCKED`: two workers never deliver the same message.
    """
    claimed = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.available_at <= func.now())
        .order_by(OutboxMessage.available_at, OutboxMessage.id)
        .limit(batch).with_for_update(skip_locked=True)).all()
    for message in claimed:
        _deliver_one(session, message, channels)
    return len(claimed)


def enqueue_task(session: Session, *, name: str, args: list[Any]) -> OutboxMessage:
    """A Celery task to run once this transaction commits (and only if it does)."""
    return enqueue(session, topic=f"task:{name}", payload={"task": name, "args": args})


def _deliver_one(session: Session, message: OutboxMessage, channels: Sequence[Channel]) -> None:
    savepoint = session.begin_nested()
    try:
        if "task" in message.payload:
            _send_task(message)
        else:
            user_ids = recipients(session, message.payload)
            for channel in channels:
                channel.send(session, message, user_ids)
    except Exception as exc:  # a gateway failed: keep the message, try again later
        savepoint.rollback()
        message.attempts += 1
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        message.available_at = func.now() + min(timedelta(seconds=2 ** message.attempts),
                                                MAX_BACKOFF)
        log.warning("outbox #%s not delivered (attempt %s): %s", message.id,
                    message.attempts, exc)
        return
    savepoint.commit()
    message.delivered_at = func.now()


def _send_task(message: OutboxMessage) -> None:
    from core.celery_app import celery_app

    celery_app.send_task(message.payload["task"], args=message.payload.get("args", []),
                         retry=False, ignore_result=True)


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)

