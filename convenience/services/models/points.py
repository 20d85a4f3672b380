"""Service points (政务服务中心, 便民服务中心, 便民服务站: units of the kernel), their
windows, the items each handles, and the proxy agents (代办员) attached to them."""

from geoalchemy2 import Geography
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import core.units.models  # noqa: F401  (unit)
import core.users.models  # noqa: F401  (app_user)
from convenience.services.models.common import values_sql as _values
from core.db import Base

PROXY_TIERS = {"village": "村级代办员", "township": "乡镇特派员", "coordinator": "分管协调员"}


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


class PointItem(Base):
    """An item a service point handles."""

    __tablename__ = "svc_point_item"

    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id", ondelete="CASCADE"),
                                         primary_key=True)
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("svc_item.id",
                                                                ondelete="CASCADE"),
                                         primary_key=True, index=True)


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
