"""How a working calendar is set up and read: its time zone, its office hours, the days
its schedule sets (holidays and 调休 adjusted workdays), and ISO 8601 instants as users
type them. The computation itself is core/workflow/calendar.py (WorkingCalendar), which
takes these as its arguments."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InvalidInput

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_OFFICE_HOURS = "08:30-12:00,14:00-17:30"


@dataclass(frozen=True)
class OfficePeriod:
    """One stretch of office time in a day, e.g. 08:30–12:00."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class SpecialDay:
    """A day the schedule sets: a holiday (workday False) or an adjusted workday (True)."""

    day: date
    workday: bool
    name: str = ""


_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_office_hours(text: str) -> tuple[OfficePeriod, ...]:
    """`08:30-12:00,14:00-17:30` → two periods, in order, not overlapping; ValueError else."""
    periods = []
    for part in (text or "").split(","):
        match = _PERIOD.match(part)
        if not match:
            raise ValueError(f"office hours are HH:MM-HH:MM periods separated by commas, "
                             f"like {DEFAULT_OFFICE_HOURS}: {part.strip()!r}")
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"not a time of day in {part.strip()!r}")
        period = OfficePeriod(time(h1, m1), time(h2, m2))
        if period.end <= period.start:
            raise ValueError(f"office period {period} ends before it starts")
        if periods and period.start < periods[-1].end:
            raise ValueError(f"office period {period} starts before {periods[-1]} ends: "
                             f"list the periods in order, without overlap")
        periods.append(period)
    return tuple(periods)


def zone(name: str | tzinfo) -> tzinfo:
    """The time zone of a name like Asia/Shanghai (ValueError for an unknown one)."""
    if isinstance(name, tzinfo):
        return name
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name like "
                         f"{DEFAULT_TIMEZONE})") from None


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date and time (`2026-09-30T16:00+08:00`; the offset may be missing:
    see `WorkingCalendar.localize`), or InvalidInput."""
    try:
        return datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise InvalidInput(f"not an ISO 8601 date and time like 2026-09-30T16:00:00+08:00: "
                           f"{text!r}", code="invalid_instant") from None

