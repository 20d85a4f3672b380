"""好差评: ratings of applications at 受理 and 办结, and the rectification a bad one opens."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

import core.units.models  # noqa: F401  (unit)
from convenience.services.models.common import PLATFORM
from convenience.services.models.common import values_sql as _values
from core.db import Base

RATING_LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
RATING_STAGES = {"accept": "受理", "finish": "办结"}
RATING_CHANNELS = {"device": "窗口评价器", "qr": "扫码评价", "sms": "短信评价", "app": "APP评价"}


class Rating(Base):
    """好差评: one evaluation of an application at 受理 or 办结 (国办发〔2019〕51号)."""

    __tablename__ = "svc_rating"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 5", name="level_known"),
        CheckConstraint(f"stage IN ({_values(RATING_STAGES)})", name="stage_known"),
        CheckConstraint(f"channel IN ({_values(RATING_CHANNELS)})", name="channel_known"),
        CheckConstraint("appeal_state IN ('none', 'pending', 'upheld', 'rejected')",
                        name="appeal_known"),
        Index("ix_svc_rating_unit_at", "unit_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("svc_application.id",
                                                                       ondelete="CASCADE"),
                                                index=True)
    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"))
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("svc_item.id"))
    stage: Mapped[str] = mapped_column(String(8))
    level: Mapped[int] = mapped_column(SmallInteger)
    channel: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rerates_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("svc_rating.id"))
    # 申诉: a rating the unit calls mistaken or malicious, decided by the hall.
    appeal_state: Mapped[str] = mapped_column(String(10), default="none")
    appeal_reason: Mapped[str | None] = mapped_column(String(500))
    appeal_decision: Mapped[str | None] = mapped_column(String(500))
    appeal_decided_by: Mapped[str | None] = mapped_column(String(64))
    appeal_decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class Rectification(Base):
    """差评整改: contact within 1 working day, rectify within the limit, call back; the
    resident's new rating closes it."""

    __tablename__ = "svc_rectification"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    rating_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("svc_rating.id"),
                                           unique=True)
    application_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("svc_application.id",
                                                                       ondelete="CASCADE"),
                                                index=True)
    state: Mapped[str] = mapped_column(String(16), default="contact")
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"))
    owner_code: Mapped[str] = mapped_column(String(15, collation="C"))
    owner_platform: Mapped[str] = mapped_column(String(24), default=PLATFORM)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    contacted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rectified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    called_back_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    measures: Mapped[str | None] = mapped_column(String(500))
    # The sweep's escalation of an overdue one to the supervising office (migration 0025).
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_to_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("unit.id"))
