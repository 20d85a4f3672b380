"""/api/v1/calendar: the working calendar deadlines are counted on (not territorial: one
calendar for everyone). Reading it is part of reading incidents; loading a year is an
admin's (Permission.calendar_manage)."""

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from core.deps import Requires, SessionDep
from core.security import Principal
from core.users.enums import Permission
from core.workflow.calendar import fallback_warning
from core.workflow.calendar_store import (
    MAX_YEAR,
    MIN_YEAR,
    YearSchedule,
    load_calendar,
    load_year,
    year_schedule,
)
from core.workflow.durations import parse_duration

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])
Reader = Annotated[Principal, Depends(Requires(Permission.calendar_read))]
Manager = Annotated[Principal, Depends(Requires(Permission.calendar_manage))]
Year = Annotated[int, Path(ge=MIN_YEAR, le=MAX_YEAR, description="e.g. 2026")]


class DueOut(BaseModel):
    start: datetime
    duration: str
    due: datetime
    warnings: list[str]


class DayOut(BaseModel):
    date: date
    workday: bool
    name: str


class YearOut(BaseModel):
    year: int
    known: bool = Field(description="false: no schedule, counted Monday–Friday")
    source: str | None
    loaded_at: datetime | None
    days: list[DayOut]
    warnings: list[str]


class DayIn(BaseModel):
    date: date
    workday: bool = Field(description="false: a holiday; true: an adjusted workday (调休)")
    name: str = ""


class YearIn(BaseModel):
    days: list[DayIn] = Field(max_length=366, description="the year's special days")


def _year_out(schedule: YearSchedule) -> YearOut:
    return YearOut(year=schedule.year, known=schedule.known, source=schedule.source,
                   loaded_at=schedule.loaded_at,
                   days=[DayOut(date=d.day, workday=d.workday, name=d.name)
                         for d in schedule.days],
                   warnings=[] if schedule.known else [fallback_warning(schedule.year)])


@router.get("/due", response_model=DueOut)
def due(request: Request, session: SessionDep, reader: Reader,
        start: Annotated[datetime, Query(description="ISO 8601; without an offset, in the "
                                                     "calendar's time zone")],
        duration: Annotated[str, Query(description="8h working hours, 3d working days, "
                                                   "90cd natural days (自然日), 6mo months")]):
    """When a time limit from `start` runs out, on the working calendar, in ISO 8601 with
    the calendar's offset. Natural days and months are periods: the start day is not
    counted, a last day on a rest day or holiday moves to the next working day, and the
    period ends at the end of its last day (23:59:59.999999). A bad duration is a 422 with
    code `invalid_duration`; a due moment past the year 9999, `due_out_of_range`."""
    limit = parse_duration(duration)
    calendar = load_calendar(session, settings=request.app.state.settings)
    start = calendar.localize(start)
    deadline = calendar.due(start, limit)
    return DueOut(start=start, duration=str(limit), due=deadline,
                  warnings=calendar.warnings_for(start, deadline))


@router.get("/{year}", response_model=YearOut)
def get_year(session: SessionDep, reader: Reader, year: Year):
    """A year's holidays and adjusted workdays; `known: false` when it has none loaded."""
    return _year_out(year_schedule(session, year))


@router.put("/{year}", response_model=YearOut)
def put_year(session: SessionDep, admin: Manager, year: Year, body: YearIn):
    """Replace a year's schedule (holidays and adjusted workdays); all or nothing."""
    days = [day.model_dump() for day in body.days]
    return _year_out(load_year(session, year=year, days=days, source="api",
                               actor=admin.username))
