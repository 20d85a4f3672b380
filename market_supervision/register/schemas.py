"""The register's API shapes (GeoJSON points, RFC 7946)."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from geo.schemas import Lat, Lon
from market_supervision.register.enums import (
    INDUSTRY_PATTERN,
    DrawState,
    EntityStatus,
    EntityType,
    ItemLevel,
    PlanState,
    RiskClass,
    TaskMode,
    TaskState,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=2000)]
AreaCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}([0-9]{3}){0,3}$")]
ItemCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_.-]{1,32}$")]


class PointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["Point"]
    coordinates: tuple[Lon, Lat]


class PointOut(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float]


class EntityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: str = Field(min_length=1, max_length=40, description="统一社会信用代码 (GB 32100)",
                      examples=["91350100M000100Y43"])
    name: Text
    type: EntityType
    address: Text
    location: PointIn
    industry: str = Field(pattern=f"^{INDUSTRY_PATTERN}$", description="GB/T 4754 code",
                          examples=["H62"])
    legal_representative: Annotated[str, StringConstraints(max_length=50)] | None = None
    licences: list[Annotated[str, StringConstraints(max_length=100)]] = Field(
        default_factory=list, max_length=20)
    legacy_code: bool = Field(False, description="a legacy pilot code: kept, flagged, "
                                                 "even when its check fails")
    crs: str | None = Field(None, max_length=20,
                            description="EPSG code, gcj02 or bd09; WGS84 if absent")


class EntityOut(BaseModel):
    id: int
    uscc: str
    name: str
    type: EntityType
    type_label: str
    address: str
    location: PointOut
    area_code: str | None
    industry: str
    legal_representative: str | None
    licences: list
    status: EntityStatus
    legacy_code: bool
    last_result: str | None
    # Internal: only for callers with market:risk-read, never on a public page.
    risk_class: RiskClass | None = None


class EntityPage(BaseModel):
    total: int
    items: list[EntityOut]


class RiskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: date = Field(description="any day of the month")
    risk_class: RiskClass
    basis: Annotated[str, StringConstraints(max_length=500)] | None = None


class RiskOut(BaseModel):
    entity_id: int
    month: date
    risk_class: RiskClass


class ChecklistLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: LongText
    weight: ItemLevel = ItemLevel.general
    basis: Annotated[str, StringConstraints(max_length=500)] | None = None


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: ItemCode
    name: Text
    department_code: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    level: ItemLevel
    legal_basis: LongText
    checklist: list[ChecklistLineIn] = Field(default_factory=list, max_length=200)


class ChecklistLineOut(BaseModel):
    id: int
    ordinal: int
    text: str
    weight: ItemLevel
    basis: str | None


class ItemOut(BaseModel):
    id: int
    code: str
    name: str
    department_code: str
    level: ItemLevel
    legal_basis: str
    checklist: list[ChecklistLineOut] = []


class QualificationsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[ItemCode] = Field(max_length=200)


class InspectorOut(BaseModel):
    membership_id: int
    user_id: int
    unit_id: int
    name: str
    credential_number: str
    credential_expires_on: date
    credential_valid: bool
    items: list[str]


class ConflictIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int = Field(ge=1, le=2**63 - 1)
    entity_id: int = Field(ge=1, le=2**63 - 1)
    reason: LongText


class ConflictOut(BaseModel):
    id: int
    user_id: int
    entity_id: int
    reason: str
    declared_at: datetime


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100)
    name: Text
    unit_id: int = Field(ge=1, le=2**63 - 1, description="the organising unit")
    area_code: AreaCode


class PlanOut(BaseModel):
    id: int
    year: int
    name: str
    unit_id: int
    area_code: str
    state: PlanState


class TaskFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    types: list[EntityType] = Field(default_factory=list, max_length=20)
    industries: list[Annotated[str, StringConstraints(pattern=f"^{INDUSTRY_PATTERN}$")]] = \
        Field(default_factory=list, max_length=50)
    areas: list[AreaCode] = Field(default_factory=list, max_length=50)


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: int = Field(ge=1, le=2**63 - 1)
    code: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z_.-]{1,40}$")]
    name: Text
    mode: TaskMode
    area_code: AreaCode
    ratio_scheme: Annotated[str, StringConstraints(min_length=1, max_length=16)] = "general"
    starts_on: date
    ends_on: date
    organising_unit_id: int = Field(ge=1, le=2**63 - 1)
    implementing_unit_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(
        min_length=1, max_length=20)
    items: list[ItemCode] = Field(min_length=1, max_length=50)
    filters: TaskFilters = Field(default_factory=TaskFilters)


class TaskOut(BaseModel):
    id: int
    plan_id: int
    code: str
    name: str
    mode: TaskMode
    mode_label: str
    area_code: str
    ratio_scheme: str
    starts_on: date
    ends_on: date
    state: TaskState
    filters: dict
    organising_unit_ids: list[int]
    implementing_unit_ids: list[int]
    items: list[str]


class DrawIn(BaseModel):
    """Commit and draw at once (`task_id`), or draw a committed one (`draw_id`)."""

    model_config = ConfigDict(extra="forbid")

    task_id: int | None = Field(None, ge=1, le=2**63 - 1)
    draw_id: int | None = Field(None, ge=1, le=2**63 - 1,
                                description="a draw committed before (POST /commitments)")
    public_entropy: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="the value of the public random source named at commitment")


class CommitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task_id: int = Field(ge=1, le=2**63 - 1)
    entropy_source: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="a public random source whose value is not known yet, e.g. "
                          "中国福利彩票双色球 2026141 期开奖号码")


class InspectorRef(BaseModel):
    membership_id: int
    user_id: int
    name: str
    credential_number: str


class TargetOut(BaseModel):
    ordinal: int
    entity_id: int
    uscc: str
    name: str
    score: str
    inspectors: list[InspectorRef]


class CommitmentOut(BaseModel):
    committed_at: datetime
    seed_hash: str
    candidates_hash: str
    public_candidates_hash: str
    pool_hash: str | None
    entropy_source: str | None


class DrawOut(BaseModel):
    id: int
    task_id: int
    state: DrawState
    algorithm: str
    candidates_count: int
    candidates_hash: str
    seed: str | None
    public_entropy: str | None
    drawn_at: datetime | None
    commitment: CommitmentOut
    public_url: str
    targets: list[TargetOut]


class DrawSummary(BaseModel):
    id: int
    task_id: int
    state: DrawState
    algorithm: str
    candidates_count: int
    candidates_hash: str
    seed: str | None
    committed_at: datetime
    drawn_at: datetime | None


class DrawPage(BaseModel):
    total: int
    items: list[DrawSummary]


class VerifyOut(BaseModel):
    matches: bool
    differences: list[str]


class ImportRowError(BaseModel):
    row: int
    uscc: str | None
    reason: str
    code: str
    expected_check: str | None = None


class ImportOut(BaseModel):
    rows: int
    created: int
    updated: int
    flagged: int
