"""Notifying units: every active member with a desk position (or the positions named)."""

from sqlalchemy.orm import Session

from core.units.enums import DESK_POSITIONS
from core.workflow import outbox
from core.workflow.clocks import Subject
from core.workflow.kernel import Notice
from core.workflow.rows import Row


def send(session: Session, subject: Subject, notice: Notice, *, body: str = "",
         actor: str | None = None) -> None:
    """Queue the notice for its audience; `actor` (the user name of whoever made the move)
    is left out of it when it is delivered: nobody is told of his own move."""
    payload = _payload(subject, notice, body=body, actor=actor)
    if payload is not None:
        outbox.enqueue(session, topic=notice.topic, payload=payload)


def row(session: Session, subject: Subject, notice: Notice, *, body: str = "",
        actor: str | None = None) -> Row | None:
    """`send` as an outbox row for `rows.write` (None: nobody to tell)."""
    payload = _payload(subject, notice, body=body, actor=actor)
    return None if payload is None else outbox.row(session, topic=notice.topic,
                                                    payload=payload)


def _payload(subject: Subject, notice: Notice, *, body: str, actor: str | None
             ) -> dict | None:
    units = [unit for unit in notice.unit_ids if unit is not None]
    users = [user for user in notice.user_ids if user is not None]
    if not units and not users:
        return None
    positions = sorted(notice.positions if notice.positions is not None else DESK_POSITIONS)
    return {"title": notice.title[:200], "body": body[:200], "subject_type": subject.type,
            "subject_id": subject.id, "user_ids": users,
            "audience": {"unit_ids": units, "positions": positions},
            **({"actor": actor} if actor else {})}


def audience(unit_ids, positions=None) -> dict:
    """The payload's audience for bulk notices (the sweep's)."""
    return {"unit_ids": [u for u in unit_ids if u is not None],
            "positions": sorted(positions if positions is not None else DESK_POSITIONS)}
