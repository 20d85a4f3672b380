"""Events between platforms, delivered through the outbox (DESIGN.md: the platforms do not
import one another).

A platform publishes an event in its transaction (`publish`); once that commits, the
outbox worker hands it to every subscriber of its topic, each in the delivering
transaction, so a subscriber's writes and the message's delivery commit together (a
failing subscriber leaves the message for a retry; subscribers are idempotent by the
database state, e.g. a unique link). Platforms subscribe when they plug in
(core/platforms.py).
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from core.workflow import outbox

Subscriber = Callable[[Session, dict[str, Any]], None]
_SUBSCRIBERS: dict[str, list[Subscriber]] = {}

# Topics the kernel publishes itself.
HANDOFF_REFERRED = "handoff.referred"  # a subject referred to a unit of another platform
# That unit signed (签收) the referral: it takes the subject on (a returned one it did not).
HANDOFF_SIGNED = "handoff.signed"
SUBJECT_CONCLUDED = "subject.concluded"  # a linked subject closed: report back


def subscribe(topic: str, subscriber: Subscriber) -> None:
    if subscriber not in _SUBSCRIBERS.setdefault(topic, []):
        _SUBSCRIBERS[topic].append(subscriber)


def unsubscribe(topic: str, subscriber: Subscriber) -> None:
    if subscriber in _SUBSCRIBERS.get(topic, []):
        _SUBSCRIBERS[topic].remove(subscriber)


def publish(session: Session, *, topic: str, payload: dict[str, Any]) -> None:
    outbox.enqueue(session, topic=f"event:{topic}", payload={"event": topic, **payload})


def dispatch(session: Session, payload: dict[str, Any]) -> int:
    """Run every subscriber of the event's topic; how many ran."""
    subscribers = list(_SUBSCRIBERS.get(payload["event"], ()))
    for subscriber in subscribers:
        subscriber(session, payload)
    return len(subscribers)
