"""Service points: the county 政务服务中心, township 便民服务中心 and village 便民服务站 (units
of core/units), with what residents need of them — address, phone, opening hours, windows,
the items each handles — and "the nearest one that handles this item" (a KNN on the
points' geography index, in metres)."""

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from convenience.services.models import PointItem, ServicePoint, ServiceWindow
from core.codes import subtree_range
from core.errors import Conflict, InvalidInput, NotFound

SERVICE_KINDS = ("service_hall", "service_centre", "service_station")
KIND_LEVEL = {"service_hall": "county", "service_centre": "township",
              "service_station": "village"}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_LABELS = dict(zip(DAYS, ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
                      strict=True))
PERIOD = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
# 条例第二十二条: 预约、错时、延时和周末服务 — the demo's halls open Saturday mornings.
DEFAULT_HOURS = {day: ["08:30-12:00", "14:00-17:30"] for day in DAYS[:5]}
HALL_HOURS = {**DEFAULT_HOURS, "sat": ["09:00-12:00"]}


def check_hours(hours: Mapping[str, Any]) -> dict[str, list[str]]:
    out = {}
    for day, periods in hours.items():
        if day not in DAYS:
            raise InvalidInput(f"unknown day {day!r}: one of {', '.join(DAYS)}",
                               code="opening_day_unknown")
        if not isinstance(periods, list) or len(periods) > 4:
            raise InvalidInput("a day has at most 4 periods", code="opening_hours_invalid")
        for period in periods:
            if not isinstance(period, str) or not PERIOD.match(period) \
                    or period[:5] >= period[6:]:
                raise InvalidInput(f"{day}: {period!r} is not HH:MM-HH:MM",
                                   code="opening_hours_invalid")
        out[day] = list(periods)
    return out


def hours_text(hours: Mapping[str, list[str]]) -> str:
    """周一至周五 08:30-12:00、14:00-17:30；周六 09:00-12:00"""
    groups: list[tuple[list[str], list[str]]] = []
    for day in DAYS:
        periods = hours.get(day) or []
        if groups and groups[-1][1] == periods and periods:
            groups[-1][0].append(day)
        elif periods:
            groups.append(([day], periods))
    parts = []
    for days, periods in groups:
        label = DAY_LABELS[days[0]] if len(days) == 1 else \
            f"{DAY_LABELS[days[0]]}至{DAY_LABELS[days[-1]][1]}"
        parts.append(f"{label} {'、'.join(periods)}")
    return "；".join(parts) or "暂未公布"


def _service_unit(session: Session, unit_id: int):
    row = session.execute(text(
        "SELECT id, kind, name, seat_code FROM unit WHERE id = :id AND is_active"),
        {"id": unit_id}).one_or_none()
    if row is None or row.kind not in SERVICE_KINDS:
        raise NotFound(f"no service point {unit_id}", code="service_point_not_found")
    return row


def upsert_point(session: Session, unit_id: int, *, address: str, phone: str,
                 opening_hours: Mapping, note: str = "", version: int | None = None) -> dict:
    _service_unit(session, unit_id)
    hours = check_hours(opening_hours)
    point = session.get(ServicePoint, unit_id, with_for_update=True)
    if point is None:
        point = ServicePoint(unit_id=unit_id, version=1)
        session.add(point)
        session.flush()
        session.execute(text("UPDATE svc_point p SET location = u.location::geography "
                             "FROM unit u WHERE u.id = p.unit_id AND p.unit_id = :id"),
                        {"id": unit_id})
    elif version is not None and point.version != version:
        raise Conflict(f"service point {unit_id} changed since you read it",
                       code="stale_version", current_version=point.version)
    else:
        point.version += 1
    point.address, point.phone, point.opening_hours, point.note = address, phone, hours, note
    session.flush()
    return point_dict(session, unit_id)


def set_windows(session: Session, unit_id: int, windows: Iterable[Mapping]) -> list[dict]:
    _service_unit(session, unit_id)
    session.execute(delete(ServiceWindow).where(ServiceWindow.unit_id == unit_id))
    numbers = set()
    for window in windows:
        if window["number"] in numbers:
            raise InvalidInput(f"window {window['number']} twice", code="window_repeated")
        numbers.add(window["number"])
        session.add(ServiceWindow(unit_id=unit_id, number=window["number"],
                                  name=window["name"], kind=window.get("kind", "comprehensive"),
                                  department_code=window.get("department_code")))
    session.flush()
    return windows_of(session, unit_id)


def windows_of(session: Session, unit_id: int) -> list[dict]:
    return [{"number": w.number, "name": w.name, "kind": w.kind,
             "department_code": w.department_code}
            for w in session.scalars(select(ServiceWindow).where(
                ServiceWindow.unit_id == unit_id).order_by(ServiceWindow.number))]


def set_items(session: Session, unit_id: int, item_ids: Iterable[int]) -> int:
    """The items a point handles (replaces the list)."""
    _service_unit(session, unit_id)
    ids = sorted(set(item_ids))
    found = set(session.scalars(text("SELECT id FROM svc_item WHERE id = ANY(:ids)"),
                                {"ids": ids}))
    if missing := [i for i in ids if i not in found]:
        raise InvalidInput(f"no items {missing[:5]}", code="item_not_found")
    session.execute(delete(PointItem).where(PointItem.unit_id == unit_id))
    if ids:
        session.execute(pg_insert(PointItem).values(
            [{"unit_id": unit_id, "item_id": i} for i in ids]).on_conflict_do_nothing())
    session.flush()
    return len(ids)


POINT_SQL = """
    SELECT u.id, u.code, u.name, u.kind, u.seat_code, ST_X(u.location) AS lon,
           ST_Y(u.location) AS lat, p.address, p.phone, p.opening_hours, p.note, p.version,
           (SELECT count(*) FROM svc_point_item pi WHERE pi.unit_id = u.id) AS items
    FROM unit u LEFT JOIN svc_point p ON p.unit_id = u.id
    WHERE u.id = :id AND u.is_active"""


def point_dict(session: Session, unit_id: int) -> dict:
    row = session.execute(text(POINT_SQL), {"id": unit_id}).one_or_none()
    if row is None or row.kind not in SERVICE_KINDS:
        raise NotFound(f"no service point {unit_id}", code="service_point_not_found")
    hours = row.opening_hours or {}
    return {"unit_id": row.id, "code": row.code, "name": row.name, "kind": row.kind,
            "level": KIND_LEVEL[row.kind], "area_code": row.seat_code,
            "lon": row.lon, "lat": row.lat, "address": row.address or "",
            "phone": row.phone or "", "opening_hours": hours,
            "opening_hours_text": hours_text(hours), "note": row.note or "",
            "version": row.version, "items": row.items,
            "windows": windows_of(session, unit_id)}


NEAREST_SQL = """
    SELECT u.id, u.name, u.kind, ST_X(u.location) AS lon, ST_Y(u.location) AS lat,
           p.address, p.phone, p.opening_hours,
           ST_Distance(p.location, ST_MakePoint(:lon, :lat)::geography) AS metres
    FROM svc_point p JOIN unit u ON u.id = p.unit_id AND u.is_active
    WHERE EXISTS (SELECT 1 FROM svc_point_item pi WHERE pi.unit_id = p.unit_id
                  AND pi.item_id = :item)
    ORDER BY p.location <-> ST_MakePoint(:lon, :lat)::geography
    LIMIT :limit"""


def nearest(session: Session, *, item_id: int, lon: float, lat: float, limit: int = 3
            ) -> list[dict]:
    """The service points nearest to (lon, lat) that handle the item, nearest first."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput("lon/lat out of range", code="value_out_of_range")
    rows = session.execute(text(NEAREST_SQL), {"item": item_id, "lon": lon, "lat": lat,
                                               "limit": limit})
    return [{"unit_id": r.id, "name": r.name, "kind": r.kind, "level": KIND_LEVEL[r.kind],
             "lon": r.lon, "lat": r.lat, "address": r.address, "phone": r.phone,
             "opening_hours_text": hours_text(r.opening_hours or {}),
             "metres": round(r.metres)} for r in rows]


def points_in(session: Session, *, area_code: str, limit: int, offset: int) -> list[dict]:
    rows = session.execute(text("""
        SELECT u.id FROM unit u WHERE u.kind = ANY(:kinds) AND u.is_active
          AND u.seat_code >= :low AND u.seat_code < :high
        ORDER BY u.seat_code, u.id LIMIT :limit OFFSET :offset"""),
        {"kinds": list(SERVICE_KINDS), **subtree_range(area_code), "limit": limit,
         "offset": offset})
    return [point_dict(session, r.id) for r in rows]
