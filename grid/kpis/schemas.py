"""KPI API shapes (the definitions are in grid/kpis/service.py)."""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class SubjectOut(BaseModel):
    kind: Literal["area", "unit", "worker"]
    name: str = Field(description="the area's, the unit's or the worker's name")
    code: str | None = Field(None, description="an area's code")
    level: str | None = Field(None, description="an area's level")
    unit_id: int | None = None
    worker_id: int | None = None
    staff_code: str | None = Field(None, description="a worker's staff number")


class PeriodOut(BaseModel):
    since: datetime = Field(description="included")
    until: datetime = Field(description="excluded")
    days: float
    timezone: str = Field(description="the zone of the daily series' calendar days")


class CountsOut(BaseModel):
    """The numerators and denominators behind the rates."""

    valid_reports: int = Field(description="reported in the period and filed")
    filed_closed: int = Field(description="filed in the period and closed by now")
    closed_on_time: int = Field(description="closed in the period, never overdue")
    handled: int = Field(description="handled in the period")
    reworked: int = Field(description="handled in the period, reworked at least once")
    verified: int = Field(description="verified in the period")
    verified_on_time: int = Field(description="verified in the period, within the limit")


class FiguresOut(BaseModel):
    reported: int = Field(description="上报数: reported in the period")
    filed: int = Field(description="立案数: filed in the period")
    closed: int = Field(description="结案数: closed in the period")
    close_rate: float | None = Field(description="结案率: filed in the period, closed by now")
    on_time_close_rate: float | None = Field(
        description="按期结案率: closed in the period, never overdue")
    rework_rate: float | None = Field(description="返工率: handled in the period, reworked")
    mean_handling_hours: float | None = Field(
        description="平均处置时长: mean closed_at − filed_at of those closed in the period")
    valid_report_rate: float | None = Field(description="有效上报率: reported, then filed")
    on_time_verification_rate: float | None = Field(
        description="按时核查率: verified in the period within the limit")
    counts: CountsOut


class KpisOut(BaseModel):
    subject: SubjectOut
    period: PeriodOut
    figures: FiguresOut


class ChildKpisOut(BaseModel):
    code: str
    name: str
    level: str
    figures: FiguresOut


class ChildrenOut(KpisOut):
    children: list[ChildKpisOut] = Field(description="each child area in scope, by code")


class DayOut(BaseModel):
    date: date
    reported: int
    filed: int
    closed: int


class SeriesOut(BaseModel):
    subject: SubjectOut
    period: PeriodOut
    days: list[DayOut] = Field(description="every calendar day of the period, oldest first")


class OpenAreaOut(BaseModel):
    code: str
    name: str
    level: str
    open: int = Field(description="未结: incidents located here and not closed, evaluated, "
                                  "void or merged (suspended ones included)")
    overdue: int = Field(description="超期: of those, the deadline red")
    warned: int = Field(description="预警: of those, the deadline yellow")


class OpenOut(BaseModel):
    parent: OpenAreaOut = Field(description="the parent area and its totals")
    children: list[OpenAreaOut] = Field(description="each child area in scope, by code")


class RankedOut(BaseModel):
    id: int = Field(description="the unit's or the grid worker's id")
    name: str
    code: str = Field(description="the unit's code or the worker's staff number")
    figures: FiguresOut


class RankingOut(BaseModel):
    subject: SubjectOut
    period: PeriodOut
    by: Literal["unit", "worker"]
    rows: list[RankedOut] = Field(description="each unit or worker with incidents of the "
                                              "area in the period, by name")
