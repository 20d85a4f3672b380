"""便民服务's tables: service points, the catalogue (政务服务事项), applications, bundles
(一件事一次办), refusals and their weekly review, 好差评 and its rectifications, proxy
agents, enterprise 代办督办 forms, the 办不成事 window, and the limits as data.

Subjects of the case kernel (applications, bundles, rectifications, enterprise requests,
stuck matters) carry id, state, version, owner_unit_id, owner_code, owner_platform; their
clocks, timeline, attachments and links are the kernel's, keyed by (subject_type, id).
"""

from datetime import date, datetime

from geoalchemy2 import Geography
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
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

import core.units.models  # noqa: F401  (unit, department)
import core.users.models  # noqa: F401  (app_user)
from core.db import Base

PLATFORM = "convenience"

# 政务服务事项类型 (国务院关于加快推进全国一体化在线政务服务平台建设的指导意见 国发〔2018〕27号;
# 事项编码 GB/T 39554.1 — the seven kinds of the national catalogue).
ITEM_TYPES = {"licence": "行政许可", "payment": "行政给付", "confirmation": "行政确认",
              "adjudication": "行政裁决", "award": "行政奖励", "other_power": "其他行政权力",
              "public_service": "公共服务"}
LEVELS = {"county": "县级", "township": "乡镇（街道）", "village": "村（社区）"}
TRUST_LEVELS = ("A", "B", "C", "D")  # 材料可信等级 A 最高（电子证照/共享）… D 最低（手写）
CHANNELS = {"window": "窗口", "station": "便民服务站", "online": "网上办", "proxy": "帮代办"}
REFUSAL_KINDS = {"supplement": "补办", "not_accepted": "不予受理", "returned": "退件"}
RATING_LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
RATING_STAGES = {"accept": "受理", "finish": "办结"}
RATING_CHANNELS = {"device": "窗口评价器", "qr": "扫码评价", "sms": "短信评价", "app": "APP评价"}
PROXY_TIERS = {"village": "村级代办员", "township": "乡镇特派员", "coordinator": "分管协调员"}
STUCK_KINDS = {"simple": "简单事项", "general": "一般事项", "complex": "复杂事项"}


def _values(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class ServiceSetting(Base):
    """A limit, threshold or ratio of the platform, with its citation: data an admin
    edits (e.g. `rating.contact` = `1d`, 安阳市政务服务条例第五十二条)."""

    __tablename__ = "svc_setting"

    key: Mapped[str] = mapped_column(String(48), primary_key=True)
    value: Mapped[str] = mapped_column(String(48))
    label: Mapped[str] = mapped_column(String(100))
    citation: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ServicePoint(Base):
    """What a service unit (政务服务中心, 便民服务中心, 便民服务站) tells residents: where it
    is, when it is open, how to call it."""

    __tablename__ = "svc_point"
    __table_args__ = (Index("ix_svc_point_location", "location", postgresql_using="gist"),)

    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id", ondelete="CASCADE"),
                                         primary_key=True)
    # The unit's point as geography: "the nearest" is a KNN (<->) on this column's index,
    # in metres on the spheroid.
    location = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    address: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    # 工作日 08:30-12:00,14:00-17:30; 周六 09:00-12:00 (延时/错时/周末服务 条例第二十二条)
    opening_hours: Mapped[dict] = mapped_column(JSONB, default=dict)
    note: Mapped[str] = mapped_column(String(300), default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ServiceWindow(Base):
    """A window of a service point: comprehensive (综合受理, any item: 一窗受理) or one
    department's."""

    __tablename__ = "svc_window"
    __table_args__ = (UniqueConstraint("unit_id", "number", name="uq_svc_window_number"),
                      CheckConstraint("kind IN ('comprehensive', 'department', 'stuck', "
                                      "'enterprise')", name="kind_known"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(16), default="comprehensive")
    department_code: Mapped[str | None] = mapped_column(String(32),
                                                        ForeignKey("department.code"))


class Item(Base):
    """A 政务服务事项 of the catalogue, at one implementing level (实施清单)."""

    __tablename__ = "svc_item"
    __table_args__ = (
        CheckConstraint(f"item_type IN ({_values(ITEM_TYPES)})", name="type_known"),
        CheckConstraint("visits IN (0, 1)", name="visits_at_most_one"),
        CheckConstraint("promised_days <= legal_days", name="promise_within_law"),
        CheckConstraint("fee_fen >= 0", name="fee_not_negative"),
        CheckConstraint("promised_days >= 0 AND legal_days >= 0", name="days_not_negative"),
        Index("ix_svc_item_search", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    item_code: Mapped[str] = mapped_column(String(40, collation="C"), index=True)  # 事项编码
    impl_code: Mapped[str] = mapped_column(String(60, collation="C"), unique=True)  # 实施编码
    name: Mapped[str] = mapped_column(String(200))
    item_type: Mapped[str] = mapped_column(String(16))
    department_code: Mapped[str] = mapped_column(String(32), ForeignKey("department.code"),
                                                 index=True)
    levels: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[str] = mapped_column(Text, default="")
    fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    legal_days: Mapped[int] = mapped_column(SmallInteger)  # 法定时限, working days
    promised_days: Mapped[int] = mapped_column(SmallInteger)  # 承诺时限, working days
    visits: Mapped[int] = mapped_column(SmallInteger, default=1)  # 0 or 1: 最多跑一次
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    proxy: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_commit: Mapped[bool] = mapped_column(Boolean, default=False)  # 告知承诺制
    # 告知承诺: the later check (核查) within this many working days (条例第二十七条).
    commit_check_days: Mapped[int | None] = mapped_column(SmallInteger)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Residents may report about it through Open311 (issue 15 §8; migration 0025).
    takes_reports: Mapped[bool] = mapped_column(Boolean, default=False,
                                                server_default=text("false"))
    # Codes, name and department, lower-cased, for the trigram index (the search).
    search_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())


class Material(Base):
    """An application material of an item: its trust level and whether it may be
    missing on a written promise (容缺, 条例第二十四条: only a secondary one)."""

    __tablename__ = "svc_material"
    __table_args__ = (
        CheckConstraint(f"trust_level IN ({_values(TRUST_LEVELS)})", name="trust_known"),
        CheckConstraint("NOT may_defer OR NOT is_primary", name="only_secondary_deferred"),
        UniqueConstraint("item_id", "position", name="uq_svc_material_position"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("svc_item.id",
                                                                ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(200))
    trust_level: Mapped[str] = mapped_column(String(1), default="B")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)
    may_defer: Mapped[bool] = mapped_column(Boolean, default=False)  # 容缺
    copies: Mapped[int] = mapped_column(SmallInteger, default=1)


class PointItem(Base):
    """An item a service point handles."""

    __tablename__ = "svc_point_item"

    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id", ondelete="CASCADE"),
                                         primary_key=True)
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("svc_item.id",
                                                                ondelete="CASCADE"),
                                         primary_key=True, index=True)


class BundleType(Base):
    """一件事一次办: one form, one set of materials, several items in parallel."""

    __tablename__ = "svc_bundle_type"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    item_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    promised_days: Mapped[int] = mapped_column(SmallInteger)
    citation: Mapped[str] = mapped_column(String(300), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


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


class ProxyAgent(Base):
    """代办员 in three tiers (村级代办员, 乡镇特派员, 分管协调员)."""

    __tablename__ = "svc_proxy_agent"
    __table_args__ = (CheckConstraint(f"tier IN ({_values(PROXY_TIERS)})", name="tier_known"),)

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id",
                                                                ondelete="CASCADE"),
                                         primary_key=True)
    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id"), index=True)
    tier: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(60))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


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


# Numbers residents see (办件编号 BJ2026120700000123): one sequence (migration 0019).
NUMBER_SEQUENCE = "svc_number_seq"
