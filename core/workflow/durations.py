"""Time limits as the law writes them: working hours, working days, natural days, months.

- `8h`  working hours (工作时): office time only, on the working calendar.
- `3d`  working days (工作日): to the close of office on the 3rd working day after the
  start day (e.g. 行政处罚法第八十五条: its 二日/三日/五日/七日 are working days).
- `90cd` natural days (自然日, e.g. 行政处罚法第六十条: a decision within 90 days of 立案).
- `6mo` months (月).
- `30min` elapsed minutes (分钟): plain elapsed time, day and night, no rest-day rule (a
  call's response, e.g. 吹哨报到's "30 分钟内响应"). Only where a caller opts in
  (`parse_duration(…, units=KNOWN_UNITS)`): the law's own periods are never in minutes.

Natural days and months are periods (期间) in the sense of 民事诉讼法第八十五条 and
行政诉讼法第五十一条: the day the period starts is not counted; a month period's last day
is the corresponding day of its last month, or that month's last day when it has none
(民法典第二百零二条: Jan 31 + 1 month ends on Feb 28/29). `last_day` below counts that
last day on the plain calendar; moving a last day that is a rest day or a holiday to the
next working day needs the holiday schedule and is done by the WorkingCalendar
(core/workflow/calendar.py).

Durations of one unit add up (`90cd + 30cd == 120cd`, an extension); durations of two
units do not (InvalidInput, code `duration_units_differ`): 3 months and 10 days is not
one period the law counts.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from core.errors import InvalidInput

MAX_AMOUNT = 9999  # the most a written duration may hold, in any unit


class Unit(StrEnum):
    hours = "h"  # working hours: office time only
    days = "d"  # working days: to the close of office on the Nth working day after the start
    natural_days = "cd"  # natural (calendar) days: 自然日
    months = "mo"  # months: to the corresponding day of the last month
    minutes = "min"  # elapsed minutes: start + N minutes, no calendar (opt-in, see above)

    @property
    def working(self) -> bool:
        """True for office time (h, d): paused by keeping the office seconds left; False for
        periods (cd, mo) and elapsed minutes: paused by moving their end by the natural time
        suspended."""
        return self in (Unit.hours, Unit.days)

    @property
    def elapsed(self) -> bool:
        """True for elapsed minutes: their end is start + N minutes (+ the time suspended),
        with no rest-day rule."""
        return self is Unit.minutes


@dataclass(frozen=True)
class Duration:
    amount: int
    unit: Unit

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def __add__(self, other: "Duration") -> "Duration":
        """An extension: `90cd + 30cd` is `120cd`; two different units are refused."""
        if not isinstance(other, Duration):
            return NotImplemented
        if other.unit is not self.unit:
            raise InvalidInput(f"cannot add {other} to {self}: an extension is given in the "
                               f"limit's own unit ({self.unit})", code="duration_units_differ")
        return Duration(self.amount + other.amount, self.unit)


_DURATION = re.compile(r"^\s*(\d{1,4})\s*(h|d|cd|mo|min)\s*$")
# The units a limit is written in unless its caller says otherwise: the law's.
ALL_UNITS = (Unit.hours, Unit.days, Unit.natural_days, Unit.months)
# Every unit a stored clock may carry (the clocks read any of them back).
KNOWN_UNITS = tuple(Unit)
_EXAMPLES = {Unit.hours: "8h", Unit.days: "3d", Unit.natural_days: "90cd", Unit.months: "6mo",
             Unit.minutes: "30min"}


def parse_duration(text: str, *, units: Iterable[Unit] = ALL_UNITS) -> Duration:
    """`8h`, `3d`, `90cd`, `6mo` → a Duration; anything else (or a unit not in `units`) is
    InvalidInput with code `invalid_duration`."""
    allowed = tuple(units)
    match = _DURATION.match(text) if isinstance(text, str) else None
    if (not match or int(match[1]) == 0 or Unit(match[2]) not in allowed):
        names = ", ".join(f"{unit} ({_EXAMPLES[unit]})" for unit in allowed)
        raise InvalidInput(f"a duration is a positive whole number (at most {MAX_AMOUNT}) "
                           f"and a unit, one of {names}: {text!r}", code="invalid_duration")
    return Duration(int(match[1]), Unit(match[2]))


def last_day(start: date, duration: Duration) -> date:
    """The last day of a natural-day or month period starting on `start`, before any move
    for rest days: the start day is not counted (民事诉讼法第八十五条), so N natural days end
    N days later; N months end on the same day of the month N months later, or on that
    month's last day (民法典第二百零二条). OverflowError past the year 9999."""
    if duration.unit is Unit.natural_days:
        return start + timedelta(days=duration.amount)
    if duration.unit is Unit.months:
        months = start.year * 12 + start.month - 1 + duration.amount
        year, month = divmod(months, 12)
        if year > date.max.year:
            raise OverflowError(f"{duration} after {start} is past the year {date.max.year}")
        return date(year, month + 1, min(start.day, _days_in_month(year, month + 1)))
    raise ValueError(f"{duration} is working time, not a period of days or months")


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days
