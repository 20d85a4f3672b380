"""The transactional outbox and the in-app inbox it delivers to."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import core.users.models  # noqa: F401  (app_user, which notifications refer to)
from core.db import Base


class OutboxMessage(Base):
    """A side effect decided in a transaction, delivered after it commits (core/workflow/outbox.py).

    Written in the same transaction as the change it announces, so a broker outage or a
    crash between commit and send loses nothing: the worker delivers what is pending.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        # The worker's queue: only pending rows, in order.
        Index("ix_outbox_message_pending", "available_at", "id",
              postgresql_where=text("delivered_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64))  # e.g. "incident.dispatched"
    # {"title", "body", "subject_type", "subject_id", "user_ids": [...] and/or
    #  "audience": {"roles": [...], "scope_code": "..."}}
    payload: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                   server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """One message in one user's in-app inbox. (outbox_id, user_id) is unique: a message
    delivered twice (a retried task) still shows once."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("outbox_id", "user_id", name="uq_notification_outbox_user"),
        Index("ix_notification_user_unread", "user_id", "id",
              postgresql_where=text("read_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id",
                                                                ondelete="CASCADE"), index=True)
    outbox_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("outbox_message.id",
                                                                  ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
