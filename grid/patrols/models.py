"""Patrols (巡查): the tracks grid workers walk, and where each worker was last seen.

A phone records points while its worker patrols and uploads them in batches, often late
(offline): a point is keyed by its patrol and the instant the phone took it, so a batch
sent twice stores each point once. Each newest fix also moves the worker's account's
position (core/units/positions.py), which the map's `staff` layer reads, so the map never
scans the tracks.
"""

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

import grid.models  # noqa: F401  (grid_worker)
from core.db import Base


class Patrol(Base):
    __tablename__ = "patrol"
    __table_args__ = (
        # The phone names its patrol before it is online: a replayed start is one patrol.
        UniqueConstraint("worker_id", "client_key", name="uq_patrol_client_key"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
        # A day's tracks of a whole county, newest first (tracks.py): a range of started_at
        # read backwards, without scanning every patrol ever walked.
        Index("ix_patrol_started_at", "started_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    worker_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("grid_worker.id", ondelete="CASCADE"), index=True)
    client_key: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Kept up to date as points arrive (on the geography: metres).
    distance_m: Mapped[float] = mapped_column(Float, default=0.0)


class PatrolPoint(Base):
    __tablename__ = "patrol_point"
    __table_args__ = (
        CheckConstraint("accuracy_m IS NULL OR accuracy_m >= 0", name="accuracy_positive"),
    )

    patrol_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("patrol.id", ondelete="CASCADE"), primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
