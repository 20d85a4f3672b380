"""The transactional outbox and the in-app inbox it delivers to."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
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

import core.units.models  # noqa: F401  (unit, which hand-offs address)
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


# --- the case kernel: clocks, timeline, hand-offs and links of any subject ----------------
# A subject is any case of any platform, named by (subject_type, subject_id): an incident,
# an enforcement case, an inspection, an application, a work order.

class CaseClock(Base):
    """One named clock of one subject (core/workflow/clocks.py): a step's limit, or a
    statutory total such as 行政处罚法第六十条's 90 days from 立案.

    The instants it turns yellow and red are computed when it starts (or resumes, or is
    extended), so the sweep is an indexed comparison with now.
    """

    __tablename__ = "case_clock"
    __table_args__ = (
        CheckConstraint("colour IN ('green', 'yellow', 'red')", name="colour_known"),
        # One running clock of each name per subject.
        Index("uq_case_clock_running", "subject_type", "subject_id", "name", unique=True,
              postgresql_where=text("stopped_at IS NULL")),
        Index("ix_case_clock_subject", "subject_type", "subject_id"),
        # The sweep: running, not paused, not yet the colour it is due to turn.
        Index("ix_case_clock_sweep_warn", "warn_at",
              postgresql_where=text("stopped_at IS NULL AND paused_at IS NULL "
                                    "AND colour = 'green'")),
        Index("ix_case_clock_sweep_due", "due_at",
              postgresql_where=text("stopped_at IS NULL AND paused_at IS NULL "
                                    "AND colour <> 'red'")),
        # Red and not yet escalated: a handful of rows at any time.
        Index("ix_case_clock_unescalated", "case_type",
              postgresql_where=text("stopped_at IS NULL AND colour = 'red' "
                                    "AND NOT escalated")),
        # A running clock is rewritten (colour, pause, stop): room on its page keeps the new
        # version there, one page written instead of two (bench/README.md, sweep).
        {"postgresql_with": {"fillfactor": 90}},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    case_type: Mapped[str] = mapped_column(String(48))
    name: Mapped[str] = mapped_column(String(32))  # e.g. "step", "decision", "hearing"
    limit: Mapped[str] = mapped_column(String(16))  # a duration: 8h, 3d, 90cd, 1mo
    extended_by: Mapped[str | None] = mapped_column(String(16))
    citation: Mapped[str] = mapped_column(Text, server_default="")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    warn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # A period's (cd, mo) end before the rest-day rule: a suspension moves it.
    raw_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    colour: Mapped[str] = mapped_column(String(8), server_default="green")
    # Set once the sweep escalated it: a clock escalates once.
    escalated: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Paused (挂账, 中止, a hearing): what was left, counted again on resuming.
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paused_seconds: Mapped[float] = mapped_column(Float, server_default=text("0"))
    remaining_seconds: Mapped[float | None] = mapped_column(Float)
    warn_remaining_seconds: Mapped[float | None] = mapped_column(Float)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Stopped after its due moment (late), or still red: for KPIs and reports.
    late: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class TimelineEvent(Base):
    """The timeline of any subject: every move, hand-off, clock event and link."""

    __tablename__ = "timeline_event"
    __table_args__ = (Index("ix_timeline_event_subject", "subject_type", "subject_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSONB)


class Handoff(Base):
    """A move of responsibility (流转) for any subject: up, down or across, between units
    and platforms; the receiving unit signs (签收) or returns it (退回) with a reason."""

    __tablename__ = "handoff"
    __table_args__ = (
        CheckConstraint("kind IN ('escalate', 'assign', 'refer')", name="kind_known"),
        CheckConstraint("status IN ('pending', 'signed', 'returned', 'expired')",
                        name="status_known"),
        # At most one hand-off of a subject awaits a signature.
        Index("uq_handoff_one_pending", "subject_type", "subject_id", unique=True,
              postgresql_where=text("status = 'pending'")),
        Index("ix_handoff_subject", "subject_type", "subject_id"),
        Index("ix_handoff_pending_due", "due_at", postgresql_where=text("status = 'pending'")),
        Index("ix_handoff_to_unit_pending", "to_unit_id",
              postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    from_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("unit.id"))
    from_code: Mapped[str] = mapped_column(String(15, collation="C"))
    from_platform: Mapped[str] = mapped_column(String(24))
    to_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"))
    to_code: Mapped[str] = mapped_column(String(15, collation="C"))
    to_platform: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answer_reason: Mapped[str | None] = mapped_column(Text)
    escalated_to_id: Mapped[int | None] = mapped_column(BigInteger)


class CaseLink(Base):
    """Two subjects that belong together (incident ↔ case ↔ inspection ↔ application ↔
    work order), seen from both ends; `kind` says how (referred, merged, related)."""

    __tablename__ = "case_link"
    __table_args__ = (
        UniqueConstraint("a_type", "a_id", "b_type", "b_id", "kind", name="uq_case_link"),
        Index("ix_case_link_b", "b_type", "b_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    a_type: Mapped[str] = mapped_column(String(32))
    a_id: Mapped[int] = mapped_column(BigInteger)
    b_type: Mapped[str] = mapped_column(String(32))
    b_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(24))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
