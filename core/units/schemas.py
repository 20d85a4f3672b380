"""The API's shapes of departments, units and memberships."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from core.units.enums import KIND_LABELS, Position, UnitKind

AREA_CODE = r"^[0-9]{6,15}$"


class PointIn(BaseModel):
    """A GeoJSON Point (RFC 7946): WGS84 longitude and latitude."""

    type: Literal["Point"]
    coordinates: tuple[float, float]

    def lon_lat(self) -> tuple[float, float]:
        return self.coordinates


class DepartmentOut(BaseModel):
    code: str
    name: str


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    kind: UnitKind
    kind_label: str
    platform: str
    department_code: str | None
    department: str | None = Field(description="the department's name")
    parent_id: int | None
    parent: str | None = Field(description="the parent unit's name")
    seat_code: str
    seat: str | None = Field(description="the seat area's name")
    area_codes: list[str] = Field(description="the jurisdiction (管辖区域)")
    location: dict | None = Field(description="a GeoJSON Point")
    members: int = Field(description="active memberships")
    is_active: bool
    version: int

    @classmethod
    def of(cls, view: dict) -> "UnitOut":
        location = (None if view["lon"] is None else
                    {"type": "Point", "coordinates": [view["lon"], view["lat"]]})
        return cls(**{k: v for k, v in view.items() if k not in ("lon", "lat")},
                   kind_label=KIND_LABELS[UnitKind(view["kind"])], location=location)


class UnitPage(BaseModel):
    items: list[UnitOut]
    total: int


class UnitCreate(BaseModel):
    code: str = Field(min_length=2, max_length=48, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=100)
    kind: UnitKind
    platform: str = Field(max_length=24)
    department_code: str | None = Field(None, max_length=32)
    parent_id: int | None = None
    seat_code: str = Field(pattern=AREA_CODE)
    area_codes: list[str] = Field(min_length=1, max_length=200,
                                  description="the jurisdiction: one area or more")
    location: PointIn | None = Field(None, description="default: a point in the seat area")

    def service_args(self) -> dict:
        data = self.model_dump(exclude={"location"})
        return {**data, "location": self.location.lon_lat() if self.location else None}


class UnitUpdate(BaseModel):
    version: int = Field(description="the version you read; a stale one gets 409")
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: UnitKind | None = None
    platform: str | None = Field(None, max_length=24)
    department_code: str | None = Field(None, max_length=32)
    parent_id: int | None = None
    seat_code: str | None = Field(None, pattern=AREA_CODE)
    area_codes: list[str] | None = Field(None, min_length=1, max_length=200)
    location: PointIn | None = Field(None, description="null: back to a point in the seat")
    is_active: bool | None = None

    @model_validator(mode="after")
    def no_null_for_required_fields(self) -> "UnitUpdate":
        # Absent means "leave as is"; null means "none" where a unit may have none.
        for name in ("name", "kind", "platform", "seat_code", "area_codes", "is_active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null: leave it out to keep it")
        return self

    def changes(self) -> dict:
        data = self.model_dump(exclude_unset=True, exclude={"version", "location"})
        if "location" in self.model_fields_set:
            data["location"] = self.location.lon_lat() if self.location else None
        return data


class MemberCreate(BaseModel):
    user_id: int
    position: Position
    credential_number: str | None = Field(None, max_length=40, description="执法证 number")
    credential_issuer: str | None = Field(None, max_length=100)
    credential_expires_on: date | None = None


class MembershipUpdate(BaseModel):
    version: int = Field(description="the version you read; a stale one gets 409")
    position: Position | None = None
    credential_number: str | None = Field(None, max_length=40)
    credential_issuer: str | None = Field(None, max_length=100)
    credential_expires_on: date | None = None
    is_active: bool | None = None

    @model_validator(mode="after")
    def no_null_for_required_fields(self) -> "MembershipUpdate":
        for name in ("position", "is_active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null: leave it out to keep it")
        return self


class MembershipOut(BaseModel):
    id: int
    unit_id: int
    unit_name: str
    user_id: int
    username: str
    full_name: str
    role: str
    position: Position
    position_label: str
    credential_number: str | None
    credential_issuer: str | None
    credential_expires_on: date | None
    credential_valid: bool | None = Field(description="the 执法证 is valid today; null: none")
    is_active: bool
    version: int
