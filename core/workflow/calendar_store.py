"""The working calendar as data: special days and the years whose schedule is known.

`calendar_day` holds the days that differ from Monday–Friday (holidays, named, and 调休
adjusted workdays); `calendar_year` the years whose schedule is known, with where it came
from. Migration 0005 seeds every year the `chinese_calendar` package knows; later years
are loaded as data (`gridgov calendar load`, `PUT /api/v1/calendar/{year}`) when the State
Council publishes them, or re-seeded after upgrading the package (`gridgov calendar seed`).

`load_calendar` gives the WorkingCalendar (core/workflow/calendar.py) the deadlines are
counted on, from a process cache checked against the tables with one small query.
"""

import csv
import io
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, Text, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.audit import record
from core.db import Base
from core.errors import InvalidInput
from core.settings import Settings
from core.workflow.calendar import WorkingCalendar
from core.workflow.calendar_setup import SpecialDay

SOURCES = ("chinese-calendar", "file", "api")
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_NAME_LENGTH = 50
MAX_PROBLEMS_SHOWN = 5

# chinese_calendar names the holidays in English; the schedule speaks Chinese.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
ADJUSTED_WORKDAY = "调休上班"  # appended to the holiday's name: 国庆节调休上班


class CalendarDay(Base):
    """A day that is not what Monday–Friday says: a holiday, or an adjusted workday."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(Text)


class CalendarYear(Base):
    """A year whose holiday schedule is known; other years count Monday–Friday."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(Text)  # 'chinese-calendar', 'file', 'api'
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                server_default=func.now())


@dataclass(frozen=True)
class YearSchedule:
    year: int
    source: str | None  # None: not known, counted Monday–Friday
    loaded_at: datetime | None
    days: list[SpecialDay]

    @property
    def known(self) -> bool:
        return self.source is not None

    def as_dict(self) -> dict[str, Any]:
        return {"year": self.year, "known": self.known, "source": self.source,
                "loaded_at": self.loaded_at.isoformat() if self.loaded_at else None,
                "days": [day_as_dict(day) for day in self.days]}


def day_as_dict(day: SpecialDay) -> dict[str, Any]:
    return {"date": day.day.isoformat(), "workday": day.workday, "name": day.name}


# --- seeding ---------------------------------------------------------------------------


def chinese_calendar_schedule() -> dict[int, list[SpecialDay]]:
    """Every year the chinese_calendar package knows, with its holidays and adjusted
    workdays (the weekends inside a holiday are listed too: they carry its name)."""
    from chinese_calendar import constants

    years: dict[int, list[SpecialDay]] = {
        year: [] for year in range(min(constants.holidays).year,
                                   max(constants.holidays).year + 1)}
    for day, name in constants.holidays.items():
        years[day.year].append(SpecialDay(day, False, HOLIDAY_NAMES.get(str(name), str(name))))
    for day, name in constants.workdays.items():
        holiday = HOLIDAY_NAMES.get(str(name), str(name))
        years[day.year].append(SpecialDay(day, True, holiday + ADJUSTED_WORKDAY))
    return {year: sorted(days, key=lambda d: d.day) for year, days in years.items()}


def seed_from_chinese_calendar(bind: Connection | Session) -> list[int]:
    """Store every year chinese_calendar knows; a year loaded from a file or the API is
    kept (it was entered on purpose). Idempotent. Returns the years written."""
    schedule = chinese_calendar_schedule()
    kept = set(bind.execute(text(
        "SELECT year FROM calendar_year WHERE source <> 'chinese-calendar'")).scalars())
    years = sorted(set(schedule) - kept)
    for year in years:
        _replace_year(bind, year=year, days=schedule[year], source="chinese-calendar")
    return years


def _replace_year(bind: Connection | Session, *, year: int, days: list[SpecialDay],
                  source: str) -> None:
    # Plain SQL: the migration runs this too, on the tables as revision 0005 made them.
    bind.execute(text("DELETE FROM calendar_day WHERE day BETWEEN :first AND :last"),
                 {"first": date(year, 1, 1), "last": date(year, 12, 31)})
    if days:
        bind.execute(text("INSERT INTO calendar_day (day, workday, name) "
                          "VALUES (:day, :workday, :name)"),
                     [{"day": d.day, "workday": d.workday, "name": d.name} for d in days])
    # A Python clock, not the transaction's now(): two loads in one transaction differ,
    # which the cache of load_calendar relies on.
    bind.execute(text(
        "INSERT INTO calendar_year (year, source, loaded_at) VALUES (:year, :source, :at) "
        "ON CONFLICT (year) DO UPDATE SET source = excluded.source, "
        "loaded_at = excluded.loaded_at"),
        {"year": year, "source": source, "at": datetime.now(UTC)})


# --- loading a year as data -------------------------------------------------------------


_TRUE = {"true", "1", "yes", "y", "t", "workday", "是"}
_FALSE = {"false", "0", "no", "n", "f", "holiday", "否"}
_FIELDS = {"date", "workday", "name"}


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return None


def _as_date(value: Any) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def check_year(year: Any) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"the year must be a whole number from {MIN_YEAR} to {MAX_YEAR}: "
                           f"{year!r}")
    return year


def validate_year(year: Any, days: Any, source: Any) -> list[SpecialDay]:
    """The special days of a year's schedule, or InvalidInput naming every problem."""
    check_year(year)
    if source not in SOURCES:
        raise InvalidInput(f"unknown calendar source {source!r} (one of {', '.join(SOURCES)})")
    if not isinstance(days, list | tuple):
        raise InvalidInput("a year's schedule is a list of days, each with date, workday "
                           "and name")
    if not days:
        raise InvalidInput(f"no days for {year}: list its holidays and adjusted workdays")
    problems: list[str] = []
    parsed: list[SpecialDay] = []
    seen: dict[date, int] = {}
    for number, item in enumerate(days, start=1):
        label = f"day {number}"
        if not isinstance(item, Mapping):
            problems.append(f"{label}: not an object with date, workday and name")
            continue
        unknown = sorted(set(map(str, item)) - _FIELDS)
        if unknown:
            problems.append(f"{label}: unknown field(s) {', '.join(unknown)}")
        day, workday, name = _as_date(item.get("date")), _as_bool(item.get("workday")), \
            item.get("name", "")
        name = "" if name is None else name
        if day is None:
            problems.append(f"{label}: date {item.get('date')!r} is not a date like "
                            f"{year}-10-01")
        else:
            label = f"day {number} ({day})"
            if day.year != year:
                problems.append(f"{label}: not in {year}")
            if day in seen:
                problems.append(f"{label}: listed twice, also day {seen[day]}")
            seen.setdefault(day, number)
        if workday is None:
            problems.append(f"{label}: workday {item.get('workday')!r} is not true or false")
        if not isinstance(name, str):
            problems.append(f"{label}: the name is not text")
        elif len(name.strip()) > MAX_NAME_LENGTH:
            problems.append(f"{label}: the name is longer than {MAX_NAME_LENGTH} characters")
        elif any(ord(c) < 32 for c in name):
            problems.append(f"{label}: the name holds control characters")
        if not problems:
            parsed.append(SpecialDay(day, workday, name.strip()))
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        raise InvalidInput(f"calendar {year}: nothing loaded; {shown}"
                           + (f"; and {more} more" if more > 0 else ""), problems=problems)
    return sorted(parsed, key=lambda d: d.day)


def load_year(session: Session, *, year: int, days: Sequence[Mapping[str, Any]],
              source: str, actor: str) -> YearSchedule:
    """Replace a year's schedule with `days` ({date, workday, name} each; dates ISO text or
    date, workday a bool or true/false text): validated first, all or nothing. Audited."""
    special = validate_year(year, days, source)
    before = year_schedule(session, year)
    _replace_year(session, year=year, days=special, source=source)
    after = year_schedule(session, year)
    record(session, actor=actor, action="calendar.load", subject_type="calendar_year",
           subject_id=year, before=_audit_form(before), after=_audit_form(after))
    return after


def _audit_form(schedule: YearSchedule) -> dict | None:
    if not schedule.known:
        return None
    return {"source": schedule.source, "days": [day_as_dict(d) for d in schedule.days]}


def read_days_file(path: str | Path) -> list[dict[str, Any]]:
    """The days of a schedule file: JSON (a list of {date, workday, name}, or an object
    with such a list under "days") or CSV (date,workday,name; a header line is optional).
    The days themselves are checked by `load_year`."""
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from None
    if path.suffix.lower() == ".json" or content.lstrip()[:1] in ("[", "{"):
        try:
            data = json.loads(content)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{path.name}: not JSON: {exc}") from None
        if isinstance(data, dict) and set(data) <= {"year", "days"}:
            data = data.get("days")
        if not isinstance(data, list):
            raise InvalidInput(f"{path.name}: expected a JSON list of days, each with date, "
                               f"workday and name")
        return data
    days, problems = [], []
    for number, row in enumerate(csv.reader(io.StringIO(content)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if not days and not problems and cells[0].lower() == "date":
            continue  # the header
        if len(cells) not in (2, 3):
            problems.append(f"line {number}: {len(cells)} fields, expected date,workday,name")
            continue
        days.append(dict(zip(("date", "workday", "name"), cells, strict=False)))
    if problems:
        raise InvalidInput(f"{path.name}: nothing loaded; " + "; ".join(problems[:5]),
                           problems=problems)
    return days


def year_schedule(session: Session, year: int) -> YearSchedule:
    """A year's special days and where they came from (source None: not known)."""
    check_year(year)
    known = session.get(CalendarYear, year, populate_existing=True)
    rows = session.execute(select(CalendarDay.day, CalendarDay.workday, CalendarDay.name)
                           .where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
                           .order_by(CalendarDay.day)).all()
    return YearSchedule(year=year, source=known.source if known else None,
                        loaded_at=known.loaded_at if known else None,
                        days=[SpecialDay(row.day, row.workday, row.name) for row in rows])


# --- the calendar deadlines are counted on ---------------------------------------------

_cache: dict[tuple, tuple[tuple, WorkingCalendar]] = {}
_cache_lock = threading.Lock()

# What tells a cached calendar from a stale one. A caller may ask it as three columns of
# its own statement (`VERSION_COLUMNS_SQL`) and pass them as `version` (the report does).
VERSION_COLUMNS_SQL = ("(SELECT max(loaded_at) FROM calendar_year) AS calendar_loaded_at, "
                       "(SELECT count(*) FROM calendar_year) AS calendar_years, "
                       "(SELECT count(*) FROM calendar_day) AS calendar_days")
_VERSION = text(f"SELECT {VERSION_COLUMNS_SQL}")


def load_calendar(session: Session, *, settings: Settings, version: tuple | None = None
                  ) -> WorkingCalendar:
    """The stored schedule with the settings' zone and office hours. Cached per process,
    rebuilt when the latest `calendar_year.loaded_at` or a row count changes (`version`:
    those three, read by the caller in the same transaction)."""
    if version is None:
        version = tuple(session.execute(_VERSION).one())
    key = (session.get_bind().engine.url.render_as_string(), settings.timezone,
           settings.office_hours)
    cached = _cache.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    rows = session.execute(select(CalendarDay.day, CalendarDay.workday, CalendarDay.name))
    years = session.execute(select(CalendarYear.year)).scalars()
    calendar = WorkingCalendar((SpecialDay(r.day, r.workday, r.name) for r in rows),
                               known_years=years, timezone=settings.timezone,
                               office_hours=settings.office_hours)
    with _cache_lock:
        _cache[key] = (version, calendar)
    return calendar
