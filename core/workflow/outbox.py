"""Transactional outbox: side effects written with the change, delivered after commit.

`enqueue(session, ...)` adds a message in the caller's transaction and asks for a prompt
delivery once that transaction commits (a Celery task sent from a background thread, best
effort: with the broker down the request neither fails nor waits). The worker's
`deliver_pending` claims pending messages with `FOR UPDATE SKIP LOCKED` and hands each to
every channel; the beat runs it every few seconds as well, so a message whose kick was
lost (broker down, crash after commit) is delivered when the broker is back.

Exactly once, for the inbox: its rows are written in the transaction that marks the
message delivered, and (outbox_id, user_id) is unique. External channels (SMS,
messaging gateways) are at least once: they get the outbox id as an idempotency key.
"""

import atexit
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from core.workflow.models import Notification, OutboxMessage
from core.workflow.rows import Row

log = logging.getLogger(__name__)

DELIVER_TASK = "outbox.deliver"
MAX_BACKOFF = timedelta(minutes=30)


def enqueue(session: Session, *, topic: str, payload: dict[str, Any]) -> OutboxMessage:
    message = OutboxMessage(topic=topic, payload=payload)
    session.add(message)
    _kick_once_committed(session)
    return message


def row(session: Session, *, topic: str, payload: dict[str, Any]) -> Row:
    """`enqueue` as a row for `rows.write` (core/workflow/rows.py): the caller writes it
    in this transaction, and the prompt delivery is asked for once that commits."""
    _kick_once_committed(session)
    return Row(OutboxMessage.__table__, {"topic": topic, "payload": payload})


def enqueue_many(session: Session, *, topic: str, payloads: Sequence[dict[str, Any]]) -> int:
    """`enqueue` for bulk moves: one multi-row insert."""
    if payloads:
        session.execute(insert(OutboxMessage), [{"topic": topic, "payload": p}
                                                for p in payloads])
        _kick_once_committed(session)
    return len(payloads)


def enqueue_selected(session: Session, *, topic: str, payloads_sql: str,
                     params: dict[str, Any]) -> int:
    """`enqueue_many` with the payloads built by the database: `payloads_sql` SELECTs one
    jsonb column, `payload` (the sweep's notices, from the hand-offs it opened). Returns
    how many."""
    count = session.execute(text(f"INSERT INTO outbox_message (topic, payload) "
                                 f"SELECT :topic, p.payload FROM ({payloads_sql}) AS p"),
                            {**params, "topic": topic}).rowcount
    if count:
        _kick_once_committed(session)
    return count


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
    """Ask a worker to deliver now, without waiting: the request that committed the
    message never waits for the broker (a send to a stopped Redis blocks for ~6 s).

    Best effort: the beat delivers whatever a lost kick misses."""
    _KICKER.kick()


class _Kicker:
    """One background thread per process sends the kicks, coalesced: a kick means "look
    at the outbox", so any number asked for while one is being sent make one more send.

    After a failed send the broker is taken as down for `pause` seconds and kicks are
    skipped (the beat delivers; one warning per outage, not one per write). At exit a
    kick still pending is sent (bounded wait), so a short command's kick is not lost.
    """

    def __init__(self, send: Callable[[], None] | None = None,
                 prepare: Callable[[], None] | None = None, *, pause: float = 10.0,
                 flush_seconds: float = 15.0) -> None:
        self.send = send or _ask_a_worker
        self.prepare = prepare or (_load_broker_client if send is None else (lambda: None))
        self.pause, self.flush_seconds = pause, flush_seconds
        self._reset()

    def _reset(self) -> None:
        # Also run in a forked child (Celery's prefork pool): the parent's thread is not
        # there, and its locks may have been held at the fork.
        self._cond = threading.Condition()
        self._starting = threading.Lock()
        self._pending = self._busy = False
        self._thread: threading.Thread | None = None
        self._down_until = 0.0

    def kick(self) -> None:
        if self._thread is None:
            self._start()
        with self._cond:
            self._pending = True
            self._cond.notify()

    def _start(self) -> None:
        with self._starting:
            if self._thread is not None:
                return
            try:
                self.prepare()
            except Exception as exc:  # the send will fail and say why; the beat delivers
                log.warning("outbox: the broker's client did not load (%s)", exc)
            self._thread = threading.Thread(target=self._run, name="outbox-kick",
                                            daemon=True)
            self._thread.start()

    @property
    def busy(self) -> bool:
        """A kick is waiting or being sent."""
        with self._cond:
            return self._pending or self._busy

    def flush(self) -> None:
        """Wait (bounded) until every kick asked for has been sent or given up."""
        with self._cond:
            self._cond.wait_for(lambda: not (self._pending or self._busy),
                                timeout=self.flush_seconds)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending)
                self._pending, self._busy = False, True
            try:
                self._send()
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _send(self) -> None:
        if time.monotonic() < self._down_until:
            return  # the broker was down a moment ago: leave it to the beat
        try:
            self.send()
        except Exception as exc:  # broker down: the message waits in the table, nothing is lost
            self._down_until = time.monotonic() + self.pause
            log.warning("outbox: could not ask for delivery now (%s); the beat will; "
                        "kicks skipped for %.0f s", exc, self.pause)


# Set while a delivery task is queued and not yet started (`_ask_a_worker`); it lapses by
# itself after KICK_QUEUED_SECONDS, so a task lost before it started (its worker killed)
# holds up later kicks no longer than that (the beat delivers meanwhile).
KICK_QUEUED_KEY = "outbox:kick-queued"
KICK_QUEUED_SECONDS = 30


def _ask_a_worker() -> None:
    """Queue a delivery task, unless one is queued and has not started: that one will see
    every message committed before it starts (`task_started` clears the mark before it
    reads). At 200 reports a second a task per commit cost each API process ~6 % of its
    CPU to publish, and the workers a task run per report (bench/README.md, intake)."""
    from core.celery_app import celery_app

    client = _redis()
    if not client.set(KICK_QUEUED_KEY, 1, nx=True, ex=KICK_QUEUED_SECONDS):
        return
    try:
        celery_app.send_task(DELIVER_TASK, retry=False, ignore_result=True)
    except Exception:
        with contextlib.suppress(Exception):  # nothing is queued: the next kick sends again
            client.delete(KICK_QUEUED_KEY)
        raise


def task_started() -> None:
    """Called by the delivery task before it reads the outbox: a kick from now on queues
    another run, since this one may read too early to see its message."""
    try:
        _redis().delete(KICK_QUEUED_KEY)
    except Exception as exc:  # the mark lapses by itself; this run delivers all the same
        log.warning("outbox: could not clear the queued kick's mark (%s)", exc)


def _redis():
    # Imported at the first kick, not with this module (see `_load_broker_client`).
    from core.broker import redis_client

    return redis_client()


def _load_broker_client() -> None:
    """Import the broker's client library in the caller's thread, at the first kick: a
    short command's first send may run at exit, where an import that registers an exit
    hook (the redis client's does) fails: "can't register atexit after shutdown"."""
    from core.celery_app import celery_app

    connection = celery_app.connection_for_write()
    try:
        connection.transport  # noqa: B018 (loads the transport module; connects to nothing)
    finally:
        connection.release()


_KICKER = _Kicker()
atexit.register(_KICKER.flush)
os.register_at_fork(after_in_child=_KICKER._reset)


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
    """Users named outright, plus the active members of the units addressed (with one of
    the positions named, when positions are named), less the move's actor."""
    from core.units.service import members_of

    users = set(payload.get("user_ids") or ())
    audience = payload.get("audience")
    if audience:
        users.update(members_of(session, unit_ids=audience.get("unit_ids") or (),
                                positions=audience.get("positions")))
    if payload.get("actor"):  # whoever made the move is not told of it
        users.discard(session.scalar(text("SELECT id FROM app_user WHERE username = :name"),
                                     {"name": payload["actor"]}))
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
    return enqueue(session, **_task_message(name, args))


def task_row(session: Session, *, name: str, args: list[Any]) -> Row:
    """`enqueue_task` as a row for `rows.write` (core/workflow/rows.py)."""
    return row(session, **_task_message(name, args))


def _task_message(name: str, args: list[Any]) -> dict[str, Any]:
    return {"topic": f"task:{name}", "payload": {"task": name, "args": args}}


def _deliver_one(session: Session, message: OutboxMessage, channels: Sequence[Channel]) -> None:
    savepoint = session.begin_nested()
    try:
        if "task" in message.payload:
            _send_task(message)
        elif "event" in message.payload:
            from core.workflow import events

            events.dispatch(session, message.payload)
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

