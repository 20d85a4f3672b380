"""Matters followed up to closure: enterprise 代办督办 on four forms and the 办不成事 window."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

import core.units.models  # noqa: F401  (unit, department)
from convenience.services.models.common import PLATFORM
from convenience.services.models.common import values_sql as _values
from core.db import Base

STUCK_KINDS = {"simple": "简单事项", "general": "一般事项", "complex": "复杂事项"}


class EnterpriseRequest(Base):
    """企业代办督办: white (登记) → green (部门帮办) → yellow (督办) → red (问责) forms,
    each on its clock; the escalation is the sweep's."""

    __tablename__ = "svc_enterprise_request"
    __table_args__ = (
        CheckConstraint("state IN ('white', 'green', 'yellow', 'red', 'done')",
                        name="state_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(24, collation="C"), unique=True)
    state: Mapped[str] = mapped_column(String(8), default="white")
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"))
    owner_code: Mapped[str] = mapped_column(String(15, collation="C"))
    owner_platform: Mapped[str] = mapped_column(String(24), default=PLATFORM)
    enterprise_name: Mapped[str] = mapped_column(String(120))
    uscc: Mapped[str | None] = mapped_column(String(18))
    contact_phone: Mapped[str] = mapped_column(String(20))
    matter: Mapped[str] = mapped_column(String(500))
    department_code: Mapped[str | None] = mapped_column(String(32),
                                                        ForeignKey("department.code"))
    help_kind: Mapped[str | None] = mapped_column(String(60))  # 容缺, 加快办理 …
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StuckMatter(Base):
    """办不成事 window: a matter that got stuck, tracked to closure."""

    __tablename__ = "svc_stuck_matter"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_values(STUCK_KINDS)})", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(24, collation="C"), unique=True)
    state: Mapped[str] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"))
    owner_code: Mapped[str] = mapped_column(String(15, collation="C"))
    owner_platform: Mapped[str] = mapped_column(String(24), default=PLATFORM)
    kind: Mapped[str] = mapped_column(String(8))
    applicant_name: Mapped[str] = mapped_column(String(60))
    applicant_phone: Mapped[str] = mapped_column(String(20))
    matter: Mapped[str] = mapped_column(String(500))
    application_id: Mapped[int | None] = mapped_column(BigInteger,
                                                       ForeignKey("svc_application.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    progress_reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(500))
    # The sweep's escalation of an overdue one to the supervising office (migration 0025).
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalated_to_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("unit.id"))
