"""The in-app inbox: the notifications the outbox delivered to one user."""

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.errors import NotFound
from core.workflow.models import Notification


def list_inbox(session: Session, *, user_id: int, unread_only: bool, limit: int
               ) -> tuple[int, list[Notification]]:
    """(unread count, newest notifications first)."""
    unread = session.scalar(select(func.count()).where(Notification.user_id == user_id,
                                                       Notification.read_at.is_(None)))
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    items = session.scalars(query.order_by(Notification.id.desc()).limit(limit)).all()
    return unread, list(items)


def mark_read(session: Session, *, user_id: int, notification_id: int) -> None:
    """Only one's own notification; someone else's is simply not found."""
    done = session.execute(update(Notification).where(
        Notification.id == notification_id, Notification.user_id == user_id)
        .values(read_at=func.coalesce(Notification.read_at, func.now())))
    if not done.rowcount:
        raise NotFound(f"no notification {notification_id} in your inbox")
