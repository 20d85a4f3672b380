"""Incident API shapes (GeoJSON for locations, RFC 7946)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from geo.schemas import ChainLinkOut, Lat, Lon
from grid.incidents.enums import HandoffKind, Platform, Source, Urgency


class PointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["Point"]
    coordinates: tuple[Lon, Lat]


class PhotoIn(BaseModel):
    """A photo inside a report (a phone queues whole reports offline, photos included)."""

    model_config = ConfigDict(extra="forbid")

    content_type: str = Field(max_length=32, examples=["image/jpeg"])
    data: str = Field(description="the file, base64-encoded")


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location: PointIn
    category: str = Field(min_length=1, max_length=32, description="a 小类 code")
    description: str = Field(min_length=1, max_length=2000)
    urgency: Urgency = Urgency.normal
    crs: str | None = Field(None, description="EPSG code, gcj02 or bd09; WGS84 if absent")
    source: Source | None = Field(None, description="defaults from the reporter's role")
    address: str = Field("", max_length=200)
    accuracy_m: float | None = Field(None, ge=0, le=100_000, description="GPS accuracy")
    photos: list[PhotoIn] = Field(default_factory=list)

    @field_validator("description")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class ActionIn(BaseModel):
    """One transition. `version` is the version the caller read (409 when it moved on)."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    reason: str | None = Field(None, max_length=2000)
    # dispatch: the handling unit, and a member of it when one is named
    handler_unit_id: int | None = None
    handler_user_id: int | None = None
    # merge: the incident this one folds into
    into: int | None = None
    # evaluate: 1–5
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    # handle (处理反馈): the after photos (处理后), stored with the move in one transaction;
    # what was done goes in `reason`, the move's note on the timeline.
    photos: list[PhotoIn] = Field(default_factory=list, description=(
        "handle only: photos after the work (处理后), base64 as in a report"))


class HandoffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: HandoffKind
    version: int = Field(ge=1)
    reason: str = Field("", max_length=2000)
    to_unit_id: int | None = Field(None, description="assign: a unit below; refer: any unit "
                                   "whose territory contains the incident")
    to_platform: Platform | None = Field(None, description="refer: the platform (its most "
                                         "local unit that covers the incident)")
    to_department: str | None = Field(None, max_length=32, description="refer: a department "
                                      "code (its most local unit that covers the incident)")


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=2000)


class CategoryRef(BaseModel):
    code: str
    name: str


class Owner(BaseModel):
    code: str
    name: str | None
    level: str
    platform: str
    unit_id: int | None
    unit_name: str | None


class UnitRef(BaseModel):
    id: int
    name: str | None


class LinkOut(BaseModel):
    type: str
    id: int
    kind: str
    direction: str
    created_by: str
    created_at: datetime


class ClockOut(BaseModel):
    name: str
    limit: str
    extended_by: str | None
    citation: str
    started_at: datetime
    warn_at: datetime | None
    due_at: datetime
    colour: str
    paused_at: datetime | None
    stopped_at: datetime | None
    late: bool


class EventOut(BaseModel):
    at: datetime
    actor: str
    actor_name: str | None = Field(None, description="the actor's name (a person's, or 系统)")
    action: str
    from_state: str | None
    to_state: str | None
    note: str | None
    data: dict | None


class HandoffOut(BaseModel):
    id: int
    kind: str
    status: str
    from_unit_id: int | None
    from_unit_name: str | None = None
    from_code: str
    from_platform: str
    to_unit_id: int
    to_unit_name: str | None = None
    to_code: str
    to_platform: str
    reason: str
    created_by: str
    created_at: datetime
    due_at: datetime
    answered_by: str | None
    answered_at: datetime | None
    answer_reason: str | None


class PhotoOut(BaseModel):
    id: int
    kind: str
    content_type: str
    bytes: int
    url: str
    thumbnail_url: str | None


class IncidentOut(BaseModel):
    id: int
    state: str
    state_label: str
    version: int
    category: CategoryRef
    urgency: str
    source: str
    description: str
    address: str
    location: dict
    grid: ChainLinkOut
    chain: list[ChainLinkOut] = Field(description="the area chain, city first, grid last")
    owner: Owner
    handler_unit: UnitRef | None
    handler_user_id: int | None
    responsible_worker_id: int | None
    reported_at: datetime
    filed_at: datetime | None
    closed_at: datetime | None
    step: str | None
    step_due_at: datetime | None
    step_warn_at: datetime | None
    deadline: str
    rework_count: int
    escalation_count: int
    merged_into: int | None
    rating: int | None
    duplicate_candidates: list[int]
    allowed_actions: list[str] = Field(description="what the caller may do now")
    warnings: list[str] = Field(default_factory=list)


class IncidentDetail(IncidentOut):
    timeline: list[EventOut]
    handoffs: list[HandoffOut]
    links: list[LinkOut]
    clocks: list[ClockOut]
    photos: list[PhotoOut]
    reporters: list[int]


class IncidentPage(BaseModel):
    total: int
    items: list[IncidentOut]
    # With `facets=true`: the filtered incidents per state (whatever the state filter) and
    # per deadline colour.
    by_state: dict[str, int] | None = None
    by_deadline: dict[str, int] | None = None
