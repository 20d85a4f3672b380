"""综合执法 teams, joint operations and 吹哨报到: the tables.

Teams are units (core/units: 执法中队, 乡镇综合行政执法队); this part adds what dispatching
them needs — what work each may do (qualifications), who is on duty when (rosters),
whether it is busy (availability) and where it is (a position refreshed from its on-duty
members' newest fixes, `staff_position`, or its seat). Joint operations (联合执法行动)
and whistles (吹哨报到) are the joint work of several departments; a whistle's calls, one
per called department, run on the case kernel's clocks with limits from a table.
"""

from datetime import datetime

from geoalchemy2 import Geography, Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

import core.units.models  # noqa: F401  (unit, department)
import core.units.positions  # noqa: F401  (staff_position)
import enforcement.cases.models  # noqa: F401  (enforcement_matter)
from core.db import Base

# The unit kinds that are dispatchable teams (core/units/enums.py).
TEAM_KINDS = ("squadron", "enforcement_team")
TEAM_STATUSES = ("free", "busy")
POSITION_SOURCES = ("members", "seat")
OPERATION_STATES = ("planned", "running", "finished", "cancelled")
OPERATION_ROLES = ("lead", "cooperating")
URGENCIES = ("normal", "urgent")
CALL_STATES = ("called", "responded", "arrived", "acted", "closed")


def _in(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


# --- teams -------------------------------------------------------------------------------

class TeamQualification(Base):
    """Which work a team may do: a whole department's matters, or one matter."""

    __tablename__ = "enforcement_team_qualification"
    __table_args__ = (
        CheckConstraint("(department_code IS NULL) <> (matter_code IS NULL)",
                        name="department_or_matter"),
        Index("uq_team_qualification_department", "team_id", "department_code", unique=True,
              postgresql_where=text("department_code IS NOT NULL")),
        Index("uq_team_qualification_matter", "team_id", "matter_code", unique=True,
              postgresql_where=text("matter_code IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id", ondelete="CASCADE"))
    department_code: Mapped[str | None] = mapped_column(String(32),
                                                        ForeignKey("department.code"))
    matter_code: Mapped[str | None] = mapped_column(
        String(40, collation="C"), ForeignKey("enforcement_matter.code", ondelete="CASCADE"))


class RosterShift(Base):
    """One member on duty for one team over one shift (值班表)."""

    __tablename__ = "enforcement_roster"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        UniqueConstraint("team_id", "user_id", "starts_at", name="uq_enforcement_roster"),
        # Who is on duty now: the shifts not ended yet, by their end.
        Index("ix_enforcement_roster_team_ends", "team_id", "ends_at"),
        Index("ix_enforcement_roster_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger,
                                         ForeignKey("app_user.id", ondelete="CASCADE"))
    shift: Mapped[str] = mapped_column(String(20))  # 白班, 夜班 …
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))


class TeamState(Base):
    """A team's availability: free, or busy on a subject (a case, an operation, a whistle)."""

    __tablename__ = "enforcement_team_state"
    __table_args__ = (CheckConstraint(f"status IN ({_in(TEAM_STATUSES)})",
                                      name="status_known"),)

    team_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id", ondelete="CASCADE"),
                                         primary_key=True)
    status: Mapped[str] = mapped_column(String(8), server_default="free")
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")


class TeamPosition(Base):
    """Where a team is: the mean of its on-duty members' fresh fixes, else its seat.
    Refreshed by a task (and after roster, qualification and availability edits); `geom`
    and `geog` carry the nearest-team search's indexes. It also copies what that search
    filters on besides duty — the team's qualifications and whether it is busy — so the
    search reads one row per team (enforcement/teams/dispatch.py); the tables above stay
    the truth, and every edit through this part refreshes the copy at once."""

    __tablename__ = "enforcement_team_position"
    __table_args__ = (
        CheckConstraint(f"source IN ({_in(POSITION_SOURCES)})", name="source_known"),
        Index("ix_enforcement_team_position_geog", "geog", postgresql_using="gist"),
        Index("ix_enforcement_team_position_geom", "geom", postgresql_using="gist"),
    )

    team_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("unit.id", ondelete="CASCADE"),
                                         primary_key=True)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    geog = mapped_column(Geography("POINT", srid=4326, spatial_index=False), nullable=False)
    source: Mapped[str] = mapped_column(String(8))
    fixes: Mapped[int] = mapped_column(Integer, server_default="0")
    fix_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    departments: Mapped[list[str]] = mapped_column(ARRAY(String(32)), server_default="{}")
    matters: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default="{}")
    busy: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- joint operations (联合执法行动) -------------------------------------------------------

class Operation(Base):
    """浙江省综合行政执法条例第十三条、第十四条: a joint operation with a lead department and
    cooperating departments, over an area drawn or chosen."""

    __tablename__ = "enforcement_operation"
    __table_args__ = (
        CheckConstraint(f"state IN ({_in(OPERATION_STATES)})", name="state_known"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        Index("ix_enforcement_operation_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, server_default="")
    lead_department_code: Mapped[str] = mapped_column(String(32),
                                                      ForeignKey("department.code"))
    # Where it lies (its scope): the smallest area holding it.
    area_code: Mapped[str] = mapped_column(String(15, collation="C"), index=True)
    # The area chosen from the areas (None: drawn on the map).
    chosen_area_code: Mapped[str | None] = mapped_column(String(15, collation="C"))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False),
                         nullable=False)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(12), server_default="planned")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")


class OperationDepartment(Base):
    """A department's part in an operation: lead or cooperating, with its tasks."""

    __tablename__ = "enforcement_operation_department"
    __table_args__ = (
        CheckConstraint(f"role IN ({_in(OPERATION_ROLES)})", name="role_known"),
        Index("uq_operation_lead", "operation_id", unique=True,
              postgresql_where=text("role = 'lead'")),
    )

    operation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("enforcement_operation.id", ondelete="CASCADE"),
        primary_key=True)
    department_code: Mapped[str] = mapped_column(String(32), ForeignKey("department.code"),
                                                 primary_key=True)
    role: Mapped[str] = mapped_column(String(12))
    tasks: Mapped[list] = mapped_column(JSONB, server_default="[]")


class OperationObject(Base):
    """One object the operation visits once for every department's checks (一次检查)."""

    __tablename__ = "enforcement_operation_object"
    __table_args__ = (UniqueConstraint("operation_id", "name", name="uq_operation_object"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    operation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("enforcement_operation.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), server_default="")
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    # [{"department_code", "check", "result", "note"}]: every department's checks, one visit.
    checks: Mapped[list] = mapped_column(JSONB, server_default="[]")
    visited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    visited_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")


# --- 吹哨报到 ------------------------------------------------------------------------------

class WhistleLimit(Base):
    """How soon a called department must arrive and act: data, per department (None: the
    default) and urgency, with its citation; admins edit it."""

    __tablename__ = "enforcement_whistle_limit"
    __table_args__ = (
        CheckConstraint(f"urgency IN ({_in(URGENCIES)})", name="urgency_known"),
        Index("uq_whistle_limit", text("coalesce(department_code, '')"), "urgency",
              unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    department_code: Mapped[str | None] = mapped_column(String(32),
                                                        ForeignKey("department.code"))
    urgency: Mapped[str] = mapped_column(String(8))
    # Kernel durations (core/workflow/durations.py): 30min, 4h, 2d …
    respond_limit: Mapped[str] = mapped_column(String(12))
    arrive_limit: Mapped[str] = mapped_column(String(12))
    act_limit: Mapped[str] = mapped_column(String(12))
    citation: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")


class Whistle(Base):
    """A township's whistle: departments called to a place for a matter."""

    __tablename__ = "enforcement_whistle"
    __table_args__ = (
        CheckConstraint(f"urgency IN ({_in(URGENCIES)})", name="urgency_known"),
        Index("ix_enforcement_whistle_geom", "geom", postgresql_using="gist"),
        Index("ix_enforcement_whistle_blown_at", "blown_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    area_code: Mapped[str] = mapped_column(String(15, collation="C"), index=True)
    caller_unit_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("unit.id", ondelete="SET NULL"))
    matter: Mapped[str] = mapped_column(String(200))
    matter_code: Mapped[str | None] = mapped_column(
        String(40, collation="C"), ForeignKey("enforcement_matter.code"))
    description: Mapped[str] = mapped_column(Text, server_default="")
    address: Mapped[str] = mapped_column(String(300), server_default="")
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    urgency: Mapped[str] = mapped_column(String(8), server_default="normal")
    operation_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("enforcement_operation.id", ondelete="SET NULL"))
    blown_by: Mapped[str] = mapped_column(String(64))
    blown_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WhistleCall(Base):
    """One department's answer to a whistle (报到): a subject of the case kernel (called →
    responded → arrived → acted → closed), its step clock mirrored here for lists, layers
    and KPIs."""

    __tablename__ = "enforcement_whistle_call"
    __table_args__ = (
        CheckConstraint(f"state IN ({_in(CALL_STATES)})", name="state_known"),
        UniqueConstraint("whistle_id", "department_code", name="uq_whistle_call_department"),
        Index("ix_enforcement_whistle_call_department", "department_code", "called_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    whistle_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("enforcement_whistle.id", ondelete="CASCADE"), index=True)
    department_code: Mapped[str] = mapped_column(String(32), ForeignKey("department.code"))
    state: Mapped[str] = mapped_column(String(12), server_default="called")
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")
    # The kernel's subject columns: the called department's unit holds the call.
    owner_unit_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("unit.id", ondelete="SET NULL"))
    owner_code: Mapped[str] = mapped_column(String(15, collation="C"))
    owner_platform: Mapped[str] = mapped_column(String(24), server_default="enforcement")
    area_code: Mapped[str] = mapped_column(String(15, collation="C"), index=True)
    urgency: Mapped[str] = mapped_column(String(8), server_default="normal")
    called_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    arrived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result: Mapped[str | None] = mapped_column(Text)
    # The step clock's mirror (the sweep colours it): due, colour, and lateness per answer.
    step_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[str] = mapped_column(String(8), server_default="green")
    responded_late: Mapped[bool | None] = mapped_column()
    arrived_late: Mapped[bool | None] = mapped_column()
    acted_late: Mapped[bool | None] = mapped_column()
