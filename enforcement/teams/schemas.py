"""Request and response bodies of the teams part."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Code = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z_]{1,32}$")]
MatterCode = Annotated[str, Field(min_length=1, max_length=40,
                                  pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
AreaCode = Annotated[str, Field(pattern=r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$")]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Task = Annotated[str, Field(min_length=1, max_length=200)]
UserId = Annotated[int, Field(ge=1, le=2**62)]
Version = Annotated[int, Field(ge=0, le=2**62)]
Duration = Annotated[str, Field(pattern=r"^\s*\d{1,4}\s*(h|d|cd|mo|min)\s*$", max_length=12)]


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("give a time zone (e.g. 2026-12-07T08:00:00+08:00)")
    if not 2000 <= moment.year <= 2100:
        raise ValueError("a moment between the years 2000 and 2100")
    return moment


Moment = Annotated[datetime, AfterValidator(_aware)]


def _lon_lat(value: list[float]) -> list[float]:
    lon, lat = value
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError("a position is [lon, lat] in WGS 84")
    return value


LonLat = Annotated[list[Annotated[float, Field(allow_inf_nan=False)]],
                   Field(min_length=2, max_length=2), AfterValidator(_lon_lat)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Point(BaseModel):
    type: Literal["Point"]
    coordinates: list[float]


# --- teams -------------------------------------------------------------------------------

class Qualifications(BaseModel):
    departments: list[str]
    matters: list[str]


class QualificationsIn(Strict):
    departments: list[Code] = Field(default_factory=list, max_length=50)
    matters: list[MatterCode] = Field(default_factory=list, max_length=1000)


class BusyWith(BaseModel):
    subject_type: str
    subject_id: int


class TeamOut(BaseModel):
    id: int
    code: str
    name: str
    kind: str
    department_code: str | None
    seat_code: str
    position: Point | None
    position_source: str
    position_at: datetime | None
    on_duty: bool
    on_duty_members: int
    status: str
    busy_with: BusyWith | None
    status_version: int
    qualifications: Qualifications


class TeamPage(BaseModel):
    total: int
    items: list[TeamOut]


class NearTeam(BaseModel):
    team_id: int
    name: str | None
    distance_m: float
    position: Point
    position_source: str
    position_at: datetime | None


class NearestOut(BaseModel):
    point: Point
    matter: str | None
    department_code: str | None
    case: int | None
    recused: list[int]
    items: list[NearTeam]


class ShiftIn(Strict):
    shift: Annotated[str, Field(min_length=1, max_length=20)]
    starts_at: Moment
    ends_at: Moment
    user_ids: list[UserId] = Field(min_length=1, max_length=50)


class RosterIn(Strict):
    day: date = Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))
    shifts: list[ShiftIn] = Field(max_length=20)


class Member(BaseModel):
    user_id: int
    name: str


class ShiftOut(BaseModel):
    shift: str
    starts_at: datetime
    ends_at: datetime
    members: list[Member]


class CrewMember(Member):
    positions: list[str]
    credential_expires_on: date | None
    qualifies: bool
    why_not: str | None  # credential_missing, credential_expired, declared_conflict …
    why_not_label: str | None


class CrewOut(BaseModel):
    """Who a team would send to a case by 派遣 (行政处罚法第四十二条)."""

    team_id: int
    department_code: str | None
    team_qualified: bool
    least: int
    citation: str
    default: list[int]
    members: list[CrewMember]


class AvailabilityIn(Strict):
    status: Literal["free", "busy"]
    version: Version
    subject_type: Annotated[str, Field(min_length=1, max_length=40,
                                       pattern=r"^[a-z_]{1,40}$")] | None = None
    subject_id: Annotated[int, Field(ge=1, le=2**62)] | None = None


# --- operations --------------------------------------------------------------------------

class CooperatingIn(Strict):
    department_code: Code
    tasks: list[Task] = Field(default_factory=list, max_length=50)


class CheckIn(Strict):
    department_code: Code
    check: Task


class ObjectIn(Strict):
    name: Text200
    address: Annotated[str, Field(max_length=300)] = ""
    position: LonLat | None = None
    checks: list[CheckIn] = Field(default_factory=list, max_length=50)


class Geometry(BaseModel):
    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any] = Field(max_length=1000)


class OperationIn(Strict):
    title: Text200
    description: Annotated[str, Field(max_length=5000)] = ""
    lead_department_code: Code
    lead_tasks: list[Task] = Field(default_factory=list, max_length=50)
    cooperating: list[CooperatingIn] = Field(default_factory=list, max_length=30)
    geometry: Geometry | None = None
    area_code: AreaCode | None = None
    starts_at: Moment
    ends_at: Moment | None = None
    objects: list[ObjectIn] = Field(default_factory=list, max_length=500)


class OperationPatch(Strict):
    version: Version
    title: Text200 | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    state: Literal["planned", "running", "finished", "cancelled"] | None = None
    lead_department_code: Code | None = None
    lead_tasks: list[Task] | None = Field(default=None, max_length=50)
    cooperating: list[CooperatingIn] | None = Field(default=None, max_length=30)
    geometry: Geometry | None = None
    area_code: AreaCode | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None


class ResultIn(Strict):
    department_code: Code
    check: Task
    result: Literal["compliant", "non_compliant", "not_applicable"]
    note: Annotated[str, Field(max_length=1000)] | None = None


class VisitIn(Strict):
    version: Version
    results: list[ResultIn] = Field(min_length=1, max_length=50)


class OperationDepartmentOut(BaseModel):
    department_code: str
    role: str
    tasks: list[str]


class ObjectOut(BaseModel):
    id: int
    name: str
    address: str
    position: Point | None
    checks: list[dict]
    visited_at: datetime | None
    visited_by: str | None
    version: int


class OperationOut(BaseModel):
    id: int
    title: str
    description: str
    lead_department_code: str
    area_code: str
    chosen_area_code: str | None
    starts_at: datetime
    ends_at: datetime | None
    state: str
    created_by: str
    created_at: datetime
    version: int
    geometry: dict
    departments: list[OperationDepartmentOut]
    objects: list[ObjectOut]


class OperationSummary(BaseModel):
    id: int
    title: str
    description: str
    lead_department_code: str
    area_code: str
    chosen_area_code: str | None
    starts_at: datetime
    ends_at: datetime | None
    state: str
    created_by: str
    created_at: datetime
    version: int
    cooperating_departments: list[str]
    objects: int
    visited: int


class OperationPage(BaseModel):
    total: int
    items: list[OperationSummary]


# --- whistles ----------------------------------------------------------------------------

class WhistleIn(Strict):
    matter: Text200
    matter_code: MatterCode | None = None
    departments: list[Code] = Field(min_length=1, max_length=20)
    lon: Lon
    lat: Lat
    address: Annotated[str, Field(max_length=300)] = ""
    description: Annotated[str, Field(max_length=5000)] = ""
    urgency: Literal["normal", "urgent"] = "normal"
    operation_id: Annotated[int, Field(ge=1, le=2**62)] | None = None


class CallActionIn(Strict):
    version: Version
    reason: Annotated[str, Field(max_length=1000)] | None = None
    result: Annotated[str, Field(max_length=2000)] | None = None


class CallOut(BaseModel):
    id: int
    department_code: str
    state: str
    state_label: str
    version: int
    owner_unit_id: int | None
    called_at: datetime
    responded_at: datetime | None
    arrived_at: datetime | None
    acted_at: datetime | None
    closed_at: datetime | None
    result: str | None
    step_due_at: datetime | None
    deadline: str
    responded_late: bool | None
    arrived_late: bool | None
    acted_late: bool | None
    clocks: list[dict] | None = None
    timeline: list[dict] | None = None


class WhistleOut(BaseModel):
    id: int
    area_code: str
    matter: str
    matter_code: str | None
    description: str
    address: str
    urgency: str
    operation_id: int | None
    blown_by: str
    blown_at: datetime
    position: Point
    calls: list[CallOut]


class WhistlePage(BaseModel):
    total: int
    items: list[WhistleOut]


class LimitIn(Strict):
    department_code: Code | None = None
    urgency: Literal["normal", "urgent"]
    respond_limit: Duration
    arrive_limit: Duration
    act_limit: Duration
    citation: Annotated[str, Field(min_length=1, max_length=2000)]
    version: Version


class LimitOut(BaseModel):
    id: int
    department_code: str | None
    urgency: str
    respond_limit: str
    arrive_limit: str
    act_limit: str
    citation: str
    version: int
