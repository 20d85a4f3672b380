"""Units (departments, teams, offices, centres), their jurisdictions, and memberships."""

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

import core.users.models  # noqa: F401  (app_user)
from core.db import Base
from core.units.enums import Position, UnitKind


def _values(enum) -> str:
    return ", ".join(f"'{member}'" for member in enum)


class Department(Base):
    """A line department (城管, 市场监管, 生态环境 …): data, so a province adds its own."""

    __tablename__ = "department"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Unit(Base):
    __tablename__ = "unit"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_values(UnitKind)})", name="kind_known"),
        # The centre of an area is found by its seat: one active centre per area.
        Index("uq_unit_centre_seat", "seat_code", unique=True,
              postgresql_where=text("kind = 'centre' AND is_active")),
        Index("ix_unit_location", "location", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(48, collation="C"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(24))
    platform: Mapped[str] = mapped_column(String(24))  # a registered platform's name
    department_code: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("department.code"), index=True)
    parent_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("unit.id"),
                                                  index=True)
    # The area the unit sits in (its level: a county's 大队, a township's 所). Foreign key
    # to area.code in the migration only: core may not import geo.
    seat_code: Mapped[str] = mapped_column(String(15, collation="C"), index=True)
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(BigInteger, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    __mapper_args__ = {"version_id_col": version}


class UnitArea(Base):
    """One area of a unit's jurisdiction (管辖区域): the unit acts in its subtree."""

    __tablename__ = "unit_area"

    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id", ondelete="CASCADE"),
                                         primary_key=True)
    area_code: Mapped[str] = mapped_column(String(15, collation="C"), primary_key=True,
                                           index=True)


class Membership(Base):
    """A user's position in a unit, with the credential the law asks of that position."""

    __tablename__ = "membership"
    __table_args__ = (
        CheckConstraint(f"position IN ({_values(Position)})", name="position_known"),
        UniqueConstraint("user_id", "unit_id", "position", name="uq_membership_position"),
        # Who receives what is addressed to a unit: its active members by position.
        Index("ix_membership_unit_position", "unit_id", "position",
              postgresql_where=text("is_active")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id",
                                                                ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id", ondelete="CASCADE"))
    position: Mapped[str] = mapped_column(String(24))
    # 执法证 (行政执法证件): number, issuing body, expiry. Expired: no move that needs one.
    credential_number: Mapped[str | None] = mapped_column(String(40))
    credential_issuer: Mapped[str | None] = mapped_column(String(100))
    credential_expires_on: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # An admin's edit names the version it read: a concurrent edit gets 409, not lost.
    version: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())

    __mapper_args__ = {"version_id_col": version}
