"""Incidents (事件/案卷) and their reporters. Their clocks, timeline, hand-offs and links
are the case kernel's (core/workflow/models.py), their photos attachments
(core/attachments/models.py), all keyed by ("incident", id)."""

from datetime import datetime

from geoalchemy2 import Geometry
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
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

import core.units.models  # noqa: F401  (unit)
import geo.models  # noqa: F401  (area)
import grid.categories.models  # noqa: F401  (category)
import grid.models  # noqa: F401  (grid_worker)
from core.db import Base
from grid.incidents.enums import (
    DeadlineColour,
    Platform,
    Source,
    State,
    Urgency,
)


def _values(enum) -> str:
    return ", ".join(f"'{member}'" for member in enum)


# The states whose deadline clock runs (the sweep's partial indexes hold only these).
CLOCK_STATES_SQL = "state IN ('reported', 'filed', 'returned', 'dispatched', 'handling', " \
                   "'rework', 'handled')"


class Incident(Base):
    __tablename__ = "incident"
    __table_args__ = (
        CheckConstraint(f"state IN ({_values(State)})", name="state_known"),
        CheckConstraint(f"urgency IN ({_values(Urgency)})", name="urgency_known"),
        CheckConstraint(f"source IN ({_values(Source)})", name="source_known"),
        CheckConstraint(f"deadline IN ({_values(DeadlineColour)})", name="deadline_known"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        # A replayed submission (same reporter, same key) finds the first one.
        UniqueConstraint("reporter_id", "idempotency_key", name="uq_incident_idempotency"),
        Index("ix_incident_geom", "geom", postgresql_using="gist"),
        # Territory (code range) by time: lists, KPIs (covering their columns: migration 0008).
        Index("ix_incident_grid_code_reported", "grid_code", "reported_at",
              postgresql_include=["filed_at", "handled_at", "verified_at", "closed_at",
                                  "ever_overdue", "rework_count", "verified_on_time"]),
        # A unit's KPIs within a territory, index-only too (migrations 0008, 0014).
        Index("ix_incident_handler_unit_kpis", "handler_unit_id", "grid_code",
              postgresql_include=["reported_at", "filed_at", "handled_at", "verified_at",
                                  "closed_at", "ever_overdue", "rework_count",
                                  "verified_on_time"],
              postgresql_where=text("handler_unit_id IS NOT NULL")),
        # A unit's queue: what it holds and is not finished.
        Index("ix_incident_owner_unit_open", "owner_unit_id", "state",
              postgresql_where=text("state NOT IN ('closed', 'evaluated', 'void', 'merged')")),
        # Foreign keys that are nearly always NULL: indexed only where set (what deleting an
        # account or an incident looks up), so the many rewrites of an incident (moves, the
        # sweep's escalations) add no entry to them (migration 0014, bench/README.md).
        Index("ix_incident_handler_user_id", "handler_user_id",
              postgresql_where=text("handler_user_id IS NOT NULL")),
        Index("ix_incident_merged_into_id", "merged_into_id",
              postgresql_where=text("merged_into_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    category_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("category.id"), index=True)
    urgency: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(200), default="")
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    # The area chain is the grid's code (a code is its path); the grid row for joins.
    # Indexed, like every key that points here from below: deleting a grid, an account or
    # an incident checks the rows that refer to it (migration 0009).
    grid_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("area.id"), index=True)
    grid_code: Mapped[str] = mapped_column(String(15, collation="C"))
    responsible_worker_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("grid_worker.id", ondelete="SET NULL"), index=True)
    # Looked up through the idempotency key's unique index (reporter_id first).
    reporter_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    state: Mapped[str] = mapped_column(String(16), default=State.reported)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Who holds it: a unit (a centre, a team, an office), the area it sits at, its platform.
    owner_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("unit.id"))
    owner_code: Mapped[str] = mapped_column(String(15, collation="C"))
    owner_platform: Mapped[str] = mapped_column(String(24), default=Platform.grid)
    # Dispatched to: the handling unit, and a person when one is named.
    handler_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("unit.id"))
    handler_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("app_user.id"))

    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                  server_default=func.now())
    filed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # The running step's clock, mirrored from its case_clock row (core/workflow/clocks.py)
    # for the lists, tiles and KPIs that sort and colour by it.
    step: Mapped[str | None] = mapped_column(String(16))
    step_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    step_warn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    step_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[str] = mapped_column(String(8), default=DeadlineColour.green)
    ever_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_on_time: Mapped[bool | None] = mapped_column(Boolean)
    # 挂账: where to resume (the clock keeps what was left: core/workflow/clocks.py).
    suspended_from: Mapped[str | None] = mapped_column(String(16))

    rework_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    return_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    escalation_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    merged_into_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("incident.id"))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    # Open incidents of the same 小类 nearby when it was reported (ids; staff may 并单).
    duplicate_candidates: Mapped[list[int]] = mapped_column(JSONB, default=list)


class IncidentReporter(Base):
    """Everyone who reported it: the first reporter, and those of incidents merged in."""

    __tablename__ = "incident_reporter"

    incident_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("incident.id",
                                             ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id"),
                                         primary_key=True, index=True)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    via_incident_id: Mapped[int | None] = mapped_column(BigInteger)  # merged from

