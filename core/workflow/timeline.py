"""One timeline for every kind of subject: moves, hand-offs, clock events, links."""

from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.workflow.clocks import Subject
from core.workflow.models import TimelineEvent


def add(session: Session, subject: Subject, *, actor: str, action: str,
        from_state: str | None = None, to_state: str | None = None, note: str | None = None,
        data: dict | None = None, at: datetime | None = None) -> None:
    session.add(TimelineEvent(subject_type=subject.type, subject_id=subject.id, actor=actor,
                              action=action, from_state=from_state, to_state=to_state,
                              note=note, data=data, at=at or datetime.now(UTC)))


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
