"""The catalogue (政务服务事项): items at their implementing level, their materials, and
the 一件事一次办 bundle types built of them."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
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
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

import core.units.models  # noqa: F401  (department)
from convenience.services.models.common import values_sql as _values
from core.db import Base

# 政务服务事项类型 (国务院关于加快推进全国一体化在线政务服务平台建设的指导意见 国发〔2018〕27号;
# 事项编码 GB/T 39554.1 — the seven kinds of the national catalogue).
ITEM_TYPES = {"licence": "行政许可", "payment": "行政给付", "confirmation": "行政确认",
              "adjudication": "行政裁决", "award": "行政奖励", "other_power": "其他行政权力",
              "public_service": "公共服务"}
LEVELS = {"county": "县级", "township": "乡镇（街道）", "village": "村（社区）"}
TRUST_LEVELS = ("A", "B", "C", "D")  # 材料可信等级 A 最高（电子证照/共享）… D 最低（手写）


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


class BundleType(Base):
    """一件事一次办: one form, one set of materials, several items in parallel."""

    __tablename__ = "svc_bundle_type"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    item_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    promised_days: Mapped[int] = mapped_column(SmallInteger)
    citation: Mapped[str] = mapped_column(String(300), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
