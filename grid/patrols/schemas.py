"""Patrol API shapes: what a phone sends while its worker patrols, and the tracks read back
(GeoJSON, RFC 7946)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.bounds import SaneDatetime
from geo.schemas import Lat, Lon

# A point batch as a phone uploads it: a minute of fixes at one a second fits many times.
MAX_BATCH = 1000


class PatrolStartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_key: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$",
                            description="made on the phone when the patrol starts (a UUID): "
                                        "a replayed start is the same patrol")
    started_at: SaneDatetime | None = Field(
        None, description="when the phone started it (it may have been offline); now if absent")


class PointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lon: Lon
    lat: Lat
    accuracy_m: float | None = Field(None, ge=0, le=100_000, allow_inf_nan=False)
    recorded_at: SaneDatetime = Field(description="when the phone took the fix")


class PointsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: list[PointIn] = Field(min_length=1, max_length=MAX_BATCH)


class PatrolEndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ended_at: SaneDatetime | None = Field(None, description="when the phone ended it; now "
                                                            "if absent")


class PatrolOut(BaseModel):
    id: int
    worker_id: int
    staff_code: str
    worker_name: str
    client_key: str
    started_at: datetime
    ended_at: datetime | None
    distance_m: float = Field(description="the track's length on the ellipsoid, in metres")
    points: int
    last_point_at: datetime | None
    duration_s: float | None = Field(description="start to end (or to the last point)")


class BatchOut(PatrolOut):
    accepted: int = Field(description="points stored by this batch")
    duplicates: int = Field(description="points already stored (a resent batch)")


class PatrolPage(BaseModel):
    total: int
    items: list[PatrolOut]


class TrackFeature(BaseModel):
    """One patrol as a GeoJSON Feature: the track (null below two points) and its figures."""

    type: Literal["Feature"] = "Feature"
    id: int
    geometry: dict | None
    properties: PatrolOut
