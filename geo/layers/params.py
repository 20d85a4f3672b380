"""Query parameters of the layer outputs, parsed and checked before any SQL runs.

A bad value is the caller's error: `BadParameter`, which leaves as 400 problem+json (any
`DomainError` missing from api/errors.py's table is a 400), as OGC API Features asks.
"""

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import DomainError
from geo.layers.declaration import Filter, Layer


class BadParameter(DomainError):
    title = "Bad request"


@dataclass(frozen=True)
class Interval:
    """A time filter: start <= t, and t <= end (or t < end when `end_open`); None: open."""

    start: datetime | None
    end: datetime | None
    end_open: bool = False


@dataclass(frozen=True)
class Selection:
    """Which features: where, which, when, and after which key (paging)."""

    bbox: tuple[float, float, float, float] | None = None
    filters: tuple[tuple[str, object], ...] = ()  # (filter name, value) of the layer
    interval: Interval | None = None
    after: int | str | None = None


# --- bbox --------------------------------------------------------------------------------

def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """minLon,minLat,maxLon,maxLat (or the 6-number 3D form, heights ignored), WGS84.

    A box crossing the antimeridian (minLon > maxLon) is refused: no territory here
    crosses it, and a refusal is honest where a wrong answer would not be.
    """
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise BadParameter("bbox is minLon,minLat,maxLon,maxLat (4 or 6 numbers)", bbox=text)
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise BadParameter("bbox holds numbers only", bbox=text) from None
    if not all(math.isfinite(n) for n in numbers):
        raise BadParameter("bbox holds finite numbers only", bbox=text)
    west, south, east, north = (numbers[0], numbers[1], numbers[3], numbers[4]) \
        if len(numbers) == 6 else numbers
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90
            and -90 <= north <= 90):
        raise BadParameter("bbox is in degrees: longitudes within ±180, latitudes ±90",
                           bbox=text)
    if south > north:
        raise BadParameter("bbox: the south edge is above the north edge", bbox=text)
    if west > east:
        raise BadParameter("bbox crossing the antimeridian is not supported", bbox=text)
    return west, south, east, north


# --- datetime (RFC 3339, OGC API Features 7.15.4) ------------------------------------------

def _moment(text: str, zone: ZoneInfo, *, as_end: bool) -> tuple[datetime, bool]:
    """One end of a datetime filter: (instant, open) — a full date is the whole day in
    the system's time zone, so as an end it is the next midnight, exclusive."""
    try:
        if "T" not in text.upper():
            day = date.fromisoformat(text)
            midnight = datetime.combine(day, time(), zone)
            return (midnight + timedelta(days=1), True) if as_end else (midnight, False)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadParameter(f"{text!r} is not an RFC 3339 date or date-time",
                           datetime=text) from None
    if moment.tzinfo is None:
        raise BadParameter(f"{text!r} has no time zone offset (e.g. Z or +08:00)",
                           datetime=text)
    return moment, False


def parse_datetime(text: str | None, *, timezone: str) -> Interval | None:
    """An instant, a closed interval a/b, or a half-open one ../b, a/.., /b, a/."""
    if text is None:
        return None
    zone = ZoneInfo(timezone)
    if "/" not in text:
        start, _ = _moment(text, zone, as_end=False)
        end, end_open = _moment(text, zone, as_end=True)
        return Interval(start, end, end_open)
    first, _, second = text.partition("/")
    if first in ("", "..") and second in ("", ".."):
        raise BadParameter("a datetime interval needs at least one end", datetime=text)
    start = None if first in ("", "..") else _moment(first, zone, as_end=False)[0]
    end, end_open = (None, False) if second in ("", "..") else _moment(second, zone,
                                                                         as_end=True)
    if start is not None and end is not None and (start >= end if end_open else start > end):
        raise BadParameter("the interval ends before it starts", datetime=text)
    return Interval(start, end, end_open)


# --- limit and cursor --------------------------------------------------------------------

def parse_limit(text: str | int | None, *, default: int, most: int) -> int:
    """A page size; above the most a page holds, the most (OGC: the server caps it)."""
    if text is None:
        return default
    try:
        limit = int(text)
    except ValueError:
        raise BadParameter("limit is a whole number", limit=text) from None
    if limit < 1:
        raise BadParameter("limit is at least 1", limit=text)
    return min(limit, most)


def encode_cursor(key: int | str) -> str:
    """An opaque keyset cursor: the last key of the page, not an offset."""
    return base64.urlsafe_b64encode(json.dumps([key]).encode()).decode().rstrip("=")


def decode_cursor(text: str | None, layer: Layer) -> int | str | None:
    if not text:
        return None
    try:
        padded = text + "=" * (-len(text) % 4)
        (key,) = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise BadParameter("cursor is not one this server gave out", cursor=text) from None
    if type(key) is not layer.key_type:
        raise BadParameter("cursor is not one of this layer's", cursor=text)
    return key


# --- property filters --------------------------------------------------------------------

def given_filters(query: Mapping[str, list[str]], names: list[str], layer: Layer
                  ) -> dict[str, object]:
    """The filters among `names` that the query string gives, as the layer reads them: a
    filter taking several values gathers every repetition, split at commas (empty parts
    dropped); any other takes the last value given. `query` maps a name to its values."""
    given: dict[str, object] = {}
    for name in names:
        values = query.get(name) or []
        declared = layer.filters.get(name)
        if declared is not None and declared.many:
            given[name] = [part for value in values for part in value.split(",") if part]
        elif values:
            given[name] = values[-1]
    return given


def layer_filters(layer: Layer, given: Mapping[str, object]) -> tuple[tuple[str, object], ...]:
    """The filters given (None or empty: not given), checked against the layer and the
    filters' vocabularies."""
    chosen = {name: value for name, value in given.items() if value not in (None, (), [])}
    unknown = sorted(set(chosen) - set(layer.filters))
    if unknown:
        raise BadParameter(f"the {layer.name} layer has no filter {', '.join(unknown)}; "
                           f"it has {', '.join(layer.filters) or 'none'}")
    for name, value in chosen.items():
        _check_value(name, layer.filters[name], value)
    return tuple(sorted((name, tuple(v) if isinstance(v, list) else v)
                        for name, v in chosen.items()))


def _check_value(name: str, declared: Filter, value: object) -> None:
    values = value if isinstance(value, list | tuple) else [value]
    allowed = declared.values
    bad = [v for v in values if allowed is not None and v not in allowed]
    if bad:
        raise BadParameter(f"{name}: unknown value {bad[0]!r}; one of "
                           f"{', '.join(sorted(allowed))}")
    if declared.pattern is not None and not all(
            isinstance(v, str) and re.fullmatch(declared.pattern, v) for v in values):
        raise BadParameter(declared.hint or f"{name}: not a value this filter takes")
