"""Applications (办件) and 一件事 bundles, subjects of the case kernel; the refusals
(否定事项) they meet and the weekly report that sends them for review."""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import core.units.models  # noqa: F401  (unit, department)
import core.users.models  # noqa: F401  (app_user)
from convenience.services.models.common import PLATFORM
from convenience.services.models.common import values_sql as _values
from core.db import Base

CHANNELS = {"window": "窗口", "station": "便民服务站", "online": "网上办", "proxy": "帮代办"}
REFUSAL_KINDS = {"supplement": "补办", "not_accepted": "不予受理", "returned": "退件"}


class Bundle(Base):
    """A resident's 一件事 application: closes when all its items are done."""

    __tablename__ = "svc_bundle"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(24, collation="C"), unique=True)
    bundle_type: Mapped[str] = mapped_column(String(32), ForeignKey("svc_bundle_type.code"))
    state: Mapped[str] = mapped_column(String(16), default="handling")
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"))
    owner_code: Mapped[str] = mapped_column(String(15, collation="C"))
    owner_platform: Mapped[str] = mapped_column(String(24), default=PLATFORM)
    applicant_name: Mapped[str] = mapped_column(String(60))
    applicant_phone: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Application(Base):
    """办件: one item applied for, at a window, a station, online or by proxy."""

    __tablename__ = "svc_application"
    __table_args__ = (
        CheckConstraint(f"channel IN ({_values(CHANNELS)})", name="channel_known"),
        # 帮代办: the proxy acts only with the resident's recorded consent.
        CheckConstraint("channel <> 'proxy' OR (proxy_user_id IS NOT NULL "
                        "AND consent_at IS NOT NULL)", name="proxy_needs_consent"),
        Index("ix_svc_application_owner", "owner_code"),
        Index("ix_svc_application_received", "received_at"),
        # The field app's queued intake (帮代办 offline), sent again, is taken once (0026).
        UniqueConstraint("intake_unit_id", "idempotency_key", name="uq_svc_application_key"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(24, collation="C"), unique=True)
    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    owner_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"))
    owner_code: Mapped[str] = mapped_column(String(15, collation="C"))
    owner_platform: Mapped[str] = mapped_column(String(24), default=PLATFORM)
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("svc_item.id"), index=True)
    bundle_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("svc_bundle.id"),
                                                  index=True)
    channel: Mapped[str] = mapped_column(String(8))
    # 一窗受理: the window unit that took it (and hands out the result); the department
    # whose back office decides.
    intake_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"), index=True)
    department_code: Mapped[str] = mapped_column(String(32), ForeignKey("department.code"))
    applicant_name: Mapped[str] = mapped_column(String(60))
    applicant_phone: Mapped[str] = mapped_column(String(20))
    applicant_kind: Mapped[str] = mapped_column(String(12), default="person")
    proxy_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"),
                                                      index=True)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_note: Mapped[str | None] = mapped_column(String(300))
    # 容缺受理: the materials missing on a written promise, and by when they are due.
    deferred: Mapped[list] = mapped_column(JSONB, default=list)
    promise_text: Mapped[str | None] = mapped_column(Text)
    supplement_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    commitment: Mapped[bool] = mapped_column(Boolean, default=False)  # 告知承诺
    commit_check_due: Mapped[date | None] = mapped_column(Date)
    commit_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    commit_check_result: Mapped[str | None] = mapped_column(String(300))
    visits: Mapped[int] = mapped_column(SmallInteger, default=1)  # 跑动次数
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    result: Mapped[str | None] = mapped_column(String(16))  # approved / refused
    result_note: Mapped[str | None] = mapped_column(String(500))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str | None] = mapped_column(String(64))


class Refusal(Base):
    """A 否定事项: 补办, 不予受理 or 退件, with its reason: no silent "no". The weekly report
    sends them to the supervising office, which records a finding on each."""

    __tablename__ = "svc_refusal"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_values(REFUSAL_KINDS)})", name="kind_known"),
        CheckConstraint("length(btrim(reason)) > 0", name="reason_given"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("svc_application.id",
                                                                       ondelete="CASCADE"),
                                                index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    by: Mapped[str] = mapped_column(String(64))
    report_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("svc_refusal_report.id"),
                                                  index=True)
    finding: Mapped[str | None] = mapped_column(String(16))  # justified / unjustified
    finding_note: Mapped[str | None] = mapped_column(String(500))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class RefusalReport(Base):
    """The week's refusals of a county, sent to its supervising office (the hall)."""

    __tablename__ = "svc_refusal_report"
    __table_args__ = (UniqueConstraint("county_code", "week_start", name="uq_svc_refusal_week"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(15, collation="C"))
    week_start: Mapped[date] = mapped_column(Date)
    supervisor_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("unit.id"))
    count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
