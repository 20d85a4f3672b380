"""The inspections API's shapes (GeoJSON points, RFC 7946)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.attachments.schemas import AttachmentIn
from geo.schemas import Lat, Lon
from market_supervision.inspections.vocabulary import SPECIAL_OUTCOMES

BIGINT = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=BIGINT)]


class PointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["Point"]
    coordinates: tuple[Lon, Lat]


class CheckIn(BaseModel):
    """One answered line of the checklist."""

    model_config = ConfigDict(extra="forbid")

    check_id: Id
    result: Literal["pass", "fail", "na"] = Field(description="合格 / 不合格 / 不适用")
    note: str | None = Field(None, max_length=2000)
    rectified_on_site: bool = Field(False, description="当场整改 (a failed line only)")
    rectify_note: str | None = Field(None, max_length=2000, description="what was corrected")
    photos: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class ActionIn(BaseModel):
    """One move. `version` is the version the caller read (409 when it moved on). The
    record (录入) carries the checklist, the fix and the moment; refer (移送执法) a reason
    and, if wanted, the receiving unit and the lines referred."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1)
    reason: str | None = Field(None, max_length=2000)
    # record
    inspected_at: datetime | None = Field(None, description="when, as the device says")
    location: PointIn | None = None
    crs: str | None = Field(None, max_length=16,
                            description="EPSG code, gcj02 or bd09; WGS84 if absent")
    accuracy_m: float | None = Field(None, ge=0, le=100_000)
    checks: list[CheckIn] | None = Field(None, max_length=500)
    rectify_days: int | None = Field(None, ge=1, le=365,
                                     description="责令限期改正: natural days to correct")
    special: Literal[SPECIAL_OUTCOMES] | None = Field(  # type: ignore[valid-type]
        None, description="an outcome without the checklist: not_found, no_activity, refused")
    summary: str | None = Field(None, max_length=4000)
    # refer
    to_unit_id: Id | None = None
    check_ids: list[Id] | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _timezone(self):
        if self.inspected_at is not None and self.inspected_at.tzinfo is None:
            raise ValueError("inspected_at needs a time zone (e.g. +08:00)")
        return self


class OpenIn(BaseModel):
    """Open the inspections of a draw (one per target), or, for a 定向 task, of one entity
    by named inspectors."""

    model_config = ConfigDict(extra="forbid")

    draw_id: Id | None = None
    task_id: Id | None = None
    entity_id: Id | None = None
    inspector_ids: list[Id] | None = Field(None, min_length=2, max_length=10)

    @model_validator(mode="after")
    def _one_way(self):
        if (self.draw_id is None) == (self.task_id is None):
            raise ValueError("give draw_id, or task_id with entity_id and inspector_ids")
        if self.task_id is not None and (self.entity_id is None or not self.inspector_ids):
            raise ValueError("a 定向 inspection needs entity_id and inspector_ids")
        return self


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=2000)


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(min_length=1, max_length=16)
    citation: str | None = Field(None, max_length=2000)


class InspectorOut(BaseModel):
    user_id: int
    name: str
    credential_number: str | None
    confirmed: bool


class CheckOut(BaseModel):
    check_id: int
    item_id: int
    item_name: str
    text: str
    weight: str
    weight_label: str | None = None  # 一般 / 重点
    result: str | None
    result_label: str | None
    note: str | None
    rectified_on_site: bool
    rectify_note: str | None
    photos: list[dict]


class InspectionOut(BaseModel):
    id: int
    state: str
    state_label: str
    version: int
    kind: str
    parent_id: int | None
    task_id: int
    task_name: str | None = None
    entity_id: int
    entity_name: str | None = None
    uscc: str | None = None
    area_code: str
    owner_unit_id: int | None
    inspected_at: datetime | None
    location: list[float] | None
    outcome: str | None
    outcome_label: str | None
    failed_count: int
    ordered_count: int
    rectify_due_at: datetime | None
    rectification: str | None
    publish_due_at: datetime | None
    published_at: datetime | None
    referred_at: datetime | None
    actions: list[str] = []


class InspectionDetail(InspectionOut):
    inspectors: list[InspectorOut]
    checks: list[CheckOut]
    clocks: list[dict]
    timeline: list[dict]
    links: list[dict]
    referral: dict | None
    summary: str | None


class InspectionPage(BaseModel):
    total: int
    items: list[InspectionOut]


class OpenedOut(BaseModel):
    opened: list[int]
    existing: list[int]
