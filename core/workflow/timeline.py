"""One timeline for every kind of subject: moves, hand-offs, clock events, links."""

from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.users.models import User
from core.workflow.clocks import Subject
from core.workflow.models import TimelineEvent
from core.workflow.rows import Row


def add(session: Session, subject: Subject, *, actor: str, action: str,
        from_state: str | None = None, to_state: str | None = None, note: str | None = None,
        data: dict | None = None, at: datetime | None = None) -> None:
    session.add(TimelineEvent(subject_type=subject.type, subject_id=subject.id, actor=actor,
                              action=action, from_state=from_state, to_state=to_state,
                              note=note, data=data, at=at or datetime.now(UTC)))


def row(subject: Subject, *, actor: str, action: str, from_state: str | None = None,
        to_state: str | None = None, note: str | None = None, data: dict | None = None,
        at: datetime | None = None) -> Row:
    """`add` as a row for `rows.write` (core/workflow/rows.py)."""
    return Row(TimelineEvent.__table__, {
        "subject_type": subject.type, "subject_id": subject.id, "actor": actor,
        "action": action, "from_state": from_state, "to_state": to_state, "note": note,
        "data": data, "at": at or datetime.now(UTC)})


def add_many(session: Session, rows: list[dict]) -> None:
    """Bulk: each row has subject_type, subject_id, actor, action, at and optional keys."""
    if rows:
        session.execute(insert(TimelineEvent), rows)


def events_of(session: Session, subject: Subject) -> list[dict]:
    events = session.scalars(select(TimelineEvent).where(
        TimelineEvent.subject_type == subject.type, TimelineEvent.subject_id == subject.id)
        .order_by(TimelineEvent.at, TimelineEvent.id)).all()
    return [{"at": e.at, "actor": e.actor, "action": e.action, "from_state": e.from_state,
             "to_state": e.to_state, "note": e.note, "data": e.data} for e in events]


# The sweep and other machinery act as this account name; pages show it in words.
MACHINE_NAMES = {"system": "系统"}


def with_actor_names(session: Session, events: list[dict]) -> list[dict]:
    """The events with `actor_name`, the person's name (pages show people by name, not by
    user name), from one query; a machine actor by its words, an unknown one by None."""
    actors = {e["actor"] for e in events}
    names = dict(session.execute(select(User.username, User.full_name)
                                 .where(User.username.in_(actors))).all()) if actors else {}
    return [{**e, "actor_name": actor_name(e["actor"], names.get(e["actor"]))}
            for e in events]


def actor_name(actor: str, full_name: str | None) -> str | None:
    """What pages show for an actor: the person's name, or a machine's words."""
    return full_name or MACHINE_NAMES.get(actor)
