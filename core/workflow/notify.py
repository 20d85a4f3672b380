"""Notifying units: every active member with a desk position (or the positions named)."""

from sqlalchemy.orm import Session

from core.units.enums import DESK_POSITIONS
from core.workflow import outbox
from core.workflow.clocks import Subject
from core.workflow.kernel import Notice


def send(session: Session, subject: Subject, notice: Notice, *, body: str = "",
         actor: str | None = None) -> None:
    """Queue the notice for its audience; `actor` (the user name of whoever made the move)
    is left out of it when it is delivered: nobody is told of his own move."""
    units = [unit for unit in notice.unit_ids if unit is not None]
    users = [user for user in notice.user_ids if user is not None]
    if not units and not users:
        return
    positions = sorted(notice.positions if notice.positions is not None else DESK_POSITIONS)
    outbox.enqueue(session, topic=notice.topic, payload={
        "title": notice.title[:200], "body": body[:200], "subject_type": subject.type,
        "subject_id": subject.id, "user_ids": users,
        "audience": {"unit_ids": units, "positions": positions},
        **({"actor": actor} if actor else {})})


def audience(unit_ids, positions=None) -> dict:
    """The payload's audience for bulk notices (the sweep's)."""
    return {"unit_ids": [u for u in unit_ids if u is not None],
            "positions": sorted(positions if positions is not None else DESK_POSITIONS)}
