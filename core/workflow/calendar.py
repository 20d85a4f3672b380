"""The working calendar: when a time limit runs out, in working time or as a period.

Pure computation, no database: `core/workflow/calendar_store.py` builds a WorkingCalendar
from the stored schedule (`load_calendar`). A day is a workday when the schedule says so
(statutory holidays off, 调休 adjusted weekend workdays on), otherwise when it is Monday to
Friday. A year whose schedule is not known is counted Monday to Friday, and says so:
`warnings_for(start, end)` names every such year a computation touched.

Office time is counted in the calendar's zone on the wall clock, period by period
(default 08:30–12:00 and 14:00–17:30): exact for every zone without a daylight-saving
change inside office hours (China has none). The walk goes day by day, whole working days
at once, so a limit of weeks costs a few dozen steps.

Units (core/workflow/durations.py):
- `8h` working hours: office time from the start (outside office hours: from the next
  opening). `3d` working days: the close of office on the 3rd working day after the start
  day (the start day is not counted, whatever the start time).
- `90cd` natural days and `6mo` months are periods (期间), counted as 民事诉讼法第八十五条
  and 行政诉讼法第五十一条 count them: the start day is not counted; a month period's last
  day is the corresponding day of its last month, or that month's last day
  (民法典第二百零二条); a last day that is a rest day or a holiday moves to the next
  working day ("以法定休假日后的第一日为期间届满的日期"), read from the schedule: a 调休
  working weekend day is a working day. A period ends at the END of its last day,
  written 23:59:59.999999 local time (the due moment's date is the last day; `due <= now`
  is red from that instant).

Suspensions (挂账, 中止): for working time the office time left when a suspension begins is
counted again from its end (`due(..., pauses=)`; a stored clock keeps
`working_seconds(now, due)` and resumes with `add_working_seconds`). For a period, its
unadjusted end (`raw_due`: store it with the clock) moves later by the natural time
suspended and the rest-day rule is applied again to the moved end (`resume_due(raw_end,
paused_seconds)` gives both); the period still ends at the end of a day, so a suspension of
hours moves it to the end of the next day. Extensions (延长): `due(start, limit,
extension=more)` counts `limit + more` from the start, in one unit (`90cd` + `30cd`).
`warn_at(start, limit, share)`: when `share` of the office time (working units) or of the
natural time from start to due (periods) has passed.

The calendar's time zone, office hours and special days are set up in
core/workflow/calendar_setup.py (`zone`, `parse_office_hours`, `OfficePeriod`,
`SpecialDay`, with `parse_instant` for typed instants).

Datetimes in must be aware (naive: ValueError); datetimes out are in the calendar's zone.
A due moment past the year 9999 is InvalidInput (code `due_out_of_range`).
"""

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from typing import NamedTuple

from core.errors import InvalidInput
from core.workflow.calendar_setup import (
    DEFAULT_OFFICE_HOURS,
    DEFAULT_TIMEZONE,
    OfficePeriod,
    SpecialDay,
    parse_office_hours,
    zone,
)
from core.workflow.durations import Duration, Unit, last_day

_US = 1_000_000  # microseconds in a second: all arithmetic is in whole microseconds
_DAY_US = 86_400 * _US
_ONE_DAY = timedelta(days=1)


def _micro_of_day(moment: datetime) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * _US + moment.microsecond


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US + t.microsecond


def fallback_warning(year: int) -> str:
    return f"no holiday schedule for {year}: counting Monday–Friday"


class Resumed(NamedTuple):
    """A period's ends after a suspension: the unadjusted end to store, and the due moment."""

    raw_due: datetime
    due: datetime


@contextmanager
def _in_range(start: datetime, limit: Duration) -> Iterator[None]:
    """Date arithmetic past the year 9999 is the caller's input, not a bug: a 422."""
    try:
        yield
    except OverflowError:
        raise InvalidInput(f"{limit} from {start.isoformat()} runs past the last date the "
                           f"calendar can count", code="due_out_of_range") from None


def _extended(limit: Duration, extension: Duration | None) -> Duration:
    return limit if extension is None else limit + extension


class WorkingCalendar:
    """Workdays and office hours; immutable once built (share one across threads)."""

    __slots__ = ("_special", "known_years", "tz", "periods", "_spans", "_day_us")

    def __init__(self, special_days: Iterable[SpecialDay] = (), *,
                 known_years: Iterable[int] = (), timezone: str | tzinfo = DEFAULT_TIMEZONE,
                 office_hours: str | Sequence[OfficePeriod] = DEFAULT_OFFICE_HOURS) -> None:
        special = {}
        for special_day in special_days:
            if special_day.day in special:
                raise ValueError(f"{special_day.day} is listed twice")
            special[special_day.day] = special_day
        periods = (parse_office_hours(office_hours) if isinstance(office_hours, str)
                   else tuple(office_hours))
        if not periods:
            raise ValueError("a calendar needs at least one office period")
        set_ = object.__setattr__
        set_(self, "_special", MappingProxyType(special))
        set_(self, "known_years", frozenset(known_years))
        set_(self, "tz", zone(timezone))
        set_(self, "periods", periods)
        set_(self, "_spans", tuple((_time_us(p.start), _time_us(p.end)) for p in periods))
        set_(self, "_day_us", sum(end - start for start, end in self._spans))

    def __setattr__(self, name, value):
        raise AttributeError("a WorkingCalendar is immutable")

    def __repr__(self) -> str:
        years = sorted(self.known_years)
        known = f"{years[0]}–{years[-1]}" if years else "none"
        return (f"WorkingCalendar({len(self._special)} special days, known years {known}, "
                f"{self.tz}, {','.join(map(str, self.periods))})")

    # --- days ---------------------------------------------------------------------------

    @property
    def special_days(self) -> Mapping[date, SpecialDay]:
        return self._special

    @property
    def office_seconds_per_day(self) -> int:
        return self._day_us // _US

    @property
    def closing(self) -> time:
        return self.periods[-1].end

    def is_workday(self, day: date) -> bool:
        special = self._special.get(day)
        if special is not None:
            return special.workday
        return day.weekday() < 5

    def is_known(self, year: int) -> bool:
        return year in self.known_years

    def localize(self, moment: datetime) -> datetime:
        """An aware datetime in the calendar's zone; a naive one is read as local time there
        (for user input: the computations themselves refuse naive datetimes)."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            return moment.replace(tzinfo=self.tz)
        try:
            return moment.astimezone(self.tz)
        except OverflowError:
            raise InvalidInput(f"{moment.isoformat()} is out of the calendar's range",
                               code="invalid_instant") from None

    def warnings_for(self, start: datetime, end: datetime | None = None) -> list[str]:
        """One warning per year from start to end (in the calendar's zone) whose schedule
        is not known and was counted Monday to Friday."""
        first = self._local(start).year
        last = self._local(end).year if end is not None else first
        first, last = min(first, last), max(first, last)
        return [fallback_warning(year) for year in range(first, last + 1)
                if year not in self.known_years]

    def nth_workday_after(self, day: date, n: int) -> date:
        """The nth working day after `day` (`day` itself not counted); n >= 1."""
        if n < 1:
            raise ValueError(f"n must be at least 1, not {n}")
        while n:
            day += _ONE_DAY
            if self.is_workday(day):
                n -= 1
        return day

    # --- office time ----------------------------------------------------------------------

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Office seconds between two instants (0 when end is not after start)."""
        return self._office_us(self._local(start), self._local(end)) / _US

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The instant when `seconds` of office time have passed since start (a start outside
        office hours counts from the next opening; an amount ending exactly at a closing
        gives that closing). 0 seconds: start itself."""
        if seconds < 0:
            raise ValueError(f"seconds must not be negative: {seconds}")
        return self._add_us(self._local(start), round(seconds * _US))

    def due(self, start: datetime, duration: Duration, *, extension: Duration | None = None,
            pauses: Sequence[tuple[datetime, datetime]] = ()) -> datetime:
        """When a time limit of `duration` (plus `extension`, same unit) from start runs
        out, the clock stopped during each (from, to) suspension."""
        local, limit = self._local(start), _extended(duration, extension)
        with _in_range(local, limit):
            if limit.unit.working:
                return self._resume(local, self._due(local, limit), pauses)
            if limit.unit.elapsed:
                return self._pushed(local, self._elapsed_end(local, limit), pauses,
                                    settle=False)
            raw = self._pushed(local, self._raw_end(local, limit), pauses, settle=True)
            return self.period_due(raw)

    def warn_at(self, start: datetime, duration: Duration, share: float, *,
                extension: Duration | None = None,
                pauses: Sequence[tuple[datetime, datetime]] = ()) -> datetime:
        """The instant at which `share` (0 < share <= 1, e.g. 0.8) of the limit is used:
        of its office time for working units, of the natural time from start to due for
        periods; suspensions stop the clock as in `due`."""
        if not 0 < share <= 1:
            raise ValueError(f"share must be in (0, 1], not {share}")
        local, limit = self._local(start), _extended(duration, extension)
        with _in_range(local, limit):
            if limit.unit.working:
                limit_us = self._office_us(local, self._due(local, limit))
                return self._resume(local, self._add_us(local, round(limit_us * share)),
                                    pauses)
            due = (self._elapsed_end(local, limit) if limit.unit.elapsed
                   else self.period_due(self._raw_end(local, limit)))
            warn = self._later(local, _elapsed(local, due) * share)
            return self._pushed(local, warn, pauses, settle=False)

    # --- periods: natural days and months -------------------------------------------------

    def raw_due(self, start: datetime, duration: Duration, *,
                extension: Duration | None = None) -> datetime:
        """A period's end before the rest-day rule: the end of its last day as counted on
        the plain calendar (store it with the clock: suspensions move it, `resume_due`).
        For working units, the due moment itself."""
        local, limit = self._local(start), _extended(duration, extension)
        with _in_range(local, limit):
            if limit.unit.working:
                return self._due(local, limit)
            if limit.unit.elapsed:
                return self._elapsed_end(local, limit)
            return self._raw_end(local, limit)

    def period_due(self, raw_end: datetime) -> datetime:
        """The due moment of a period whose unadjusted end is `raw_end`: the end of the day
        it falls in, or of the next working day when that day is a rest day or a holiday
        (民事诉讼法第八十五条: 以法定休假日后的第一日为期间届满的日期)."""
        day = self._local(raw_end).date()
        while not self.is_workday(day):
            day += _ONE_DAY
        return self._at(day, _DAY_US - 1)

    def resume_due(self, raw_end: datetime, paused_seconds: float) -> Resumed:
        """A period suspended for `paused_seconds` of natural time: its unadjusted end moved
        that much later, and the due moment the rest-day rule makes of it. (A warning
        instant moves by the same natural time, with no rule applied.)"""
        if paused_seconds < 0:
            raise ValueError(f"paused_seconds must not be negative: {paused_seconds}")
        local = self._local(raw_end)
        try:
            raw = self._later(local, timedelta(seconds=paused_seconds))
            return Resumed(raw, self.period_due(raw))
        except OverflowError:
            raise InvalidInput(f"a suspension of {paused_seconds} s moves {local.isoformat()} "
                               f"past the last date the calendar can count",
                               code="due_out_of_range") from None

    # --- internals ------------------------------------------------------------------------

    def _local(self, moment: datetime) -> datetime:
        if not isinstance(moment, datetime):
            raise ValueError(f"a datetime is needed, not {type(moment).__name__}")
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"naive datetime {moment.isoformat()}: give a time zone")
        return moment.astimezone(self.tz)

    def _later(self, moment: datetime, elapsed: timedelta) -> datetime:
        return (moment.astimezone(UTC) + elapsed).astimezone(self.tz)

    def _at(self, day: date, micro: int) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.tz) + timedelta(
            microseconds=micro)

    def _in_day(self, day: date, a: int, b: int) -> int:
        """Office microseconds of `day` between microsecond-of-day a and b."""
        if b <= a or not self.is_workday(day):
            return 0
        total = 0
        for start, end in self._spans:
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += hi - lo
        return total

    def _office_us(self, start: datetime, end: datetime) -> int:
        if end <= start:
            return 0
        first, last = start.date(), end.date()
        a, b = _micro_of_day(start), _micro_of_day(end)
        if first == last:
            return self._in_day(first, a, b)
        total = self._in_day(first, a, _DAY_US) + self._in_day(last, 0, b)
        day = first + _ONE_DAY
        while day < last:
            if self.is_workday(day):
                total += self._day_us
            day += _ONE_DAY
        return total

    def _add_us(self, start: datetime, remaining: int) -> datetime:
        if remaining <= 0:
            return start
        day, position = start.date(), _micro_of_day(start)
        opening = self._spans[0][0]
        while True:
            if self.is_workday(day):
                if position <= opening and remaining > self._day_us:
                    remaining -= self._day_us  # a whole working day at once
                else:
                    for begin, end in self._spans:
                        if position >= end:
                            continue
                        begin = max(begin, position)
                        if remaining <= end - begin:
                            return self._at(day, begin + remaining)
                        remaining -= end - begin
            day, position = day + _ONE_DAY, 0

    def _due(self, start: datetime, duration: Duration) -> datetime:
        if duration.unit is Unit.hours:
            return self._add_us(start, duration.amount * 3600 * _US)
        if duration.unit is Unit.days:
            last = self.nth_workday_after(start.date(), duration.amount)
            return self._at(last, self._spans[-1][1])
        raise ValueError(f"{duration} is a period, not working time")

    def _elapsed_end(self, start: datetime, duration: Duration) -> datetime:
        """Elapsed minutes: start + N minutes of real time, day or night."""
        return self._later(start, timedelta(minutes=duration.amount))

    def _raw_end(self, start: datetime, duration: Duration) -> datetime:
        """The end (23:59:59.999999 local) of the period's last day, rest days ignored."""
        return self._at(last_day(start.date(), duration), _DAY_US - 1)

    def _pushed(self, start: datetime, end: datetime,
                pauses: Sequence[tuple[datetime, datetime]], *, settle: bool) -> datetime:
        """A period's `end` moved later by the natural time of each suspension that began
        before the clock ran out (at the settled due moment when `settle`, else at `end`
        itself); a suspension before the start counts from the start."""
        resumed = start
        for begin, finish in self._spans_of(pauses):
            begin = max(begin, resumed)
            if finish <= begin:
                continue
            if begin >= (self.period_due(end) if settle else end):
                break
            end = self._later(end, _elapsed(begin, finish))
            resumed = finish
        return end

    def _spans_of(self, pauses: Sequence[tuple[datetime, datetime]]
                  ) -> list[tuple[datetime, datetime]]:
        spans = []
        for pause in pauses:
            begin, finish = (self._local(moment) for moment in pause)
            if finish < begin:
                raise ValueError(f"a suspension ends before it begins: "
                                 f"{begin.isoformat()} to {finish.isoformat()}")
            spans.append((begin, finish))
        return sorted(spans)

    def _resume(self, start: datetime, end: datetime,
                pauses: Sequence[tuple[datetime, datetime]]) -> datetime:
        """`end` pushed back by the suspensions: at each one's start the office time left
        until `end` is counted again from its end. A suspension before the start counts
        from the start; one beginning after the limit ran out changes nothing."""
        resumed = start
        for begin, finish in self._spans_of(pauses):
            begin = max(begin, resumed)
            if finish <= begin:
                continue
            if begin >= end:
                break
            end = self._add_us(finish, self._office_us(begin, end))
            resumed = finish
        return end


def _elapsed(start: datetime, end: datetime) -> timedelta:
    # In UTC: two datetimes of one zone subtract on the wall clock, which may jump.
    return end.astimezone(UTC) - start.astimezone(UTC)
