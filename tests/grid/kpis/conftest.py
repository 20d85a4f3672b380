"""Fixtures for the KPI tests: incidents inserted row by row with the instants and flags
each figure reads, so every expected number can be counted by hand."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(value: str) -> datetime:
    """'03-02 09:00' in March 2026 (or another month), Shanghai time."""
    return datetime.strptime(f"2026-{value}", "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Grid:
    id: int
    code: str
    worker_id: int | None

    @property
    def village(self) -> str:
        return self.code[:12]

    @property
    def township(self) -> str:
        return self.code[:9]

    @property
    def county(self) -> str:
        return self.code[:6]


def grid_of(session, code: str) -> Grid:
    row = session.execute(text(
        "SELECT a.id, a.code, (SELECT w.id FROM grid_worker w JOIN grid_assignment ga "
        "ON ga.worker_id = w.id WHERE ga.grid_id = a.id ORDER BY w.staff_code LIMIT 1) AS worker "
        "FROM area a WHERE a.code = :code"), {"code": code}).one()
    return Grid(row.id, row.code, row.worker)


@dataclass(frozen=True)
class Places:
    """Two grids in two villages of one township (a, b) and a grid of another county (y)."""

    a: Grid
    b: Grid
    y: Grid


@pytest.fixture
def places(session, demo_city) -> Places:
    township = session.scalar(text(
        "SELECT t.code FROM area t WHERE t.level = 'township' AND (SELECT count(*) FROM area v "
        "WHERE v.parent_id = t.id) >= 2 ORDER BY t.code LIMIT 1"))
    villages = session.scalars(text(
        "SELECT v.code FROM area v JOIN area t ON t.id = v.parent_id WHERE t.code = :t "
        "ORDER BY v.code LIMIT 2"), {"t": township}).all()
    a, b = (session.scalar(text("SELECT min(code) FROM area WHERE level = 'grid' "
                                "AND code LIKE :v || '%'"), {"v": v}) for v in villages)
    y = session.scalar(text("SELECT min(code) FROM area WHERE level = 'grid' "
                            "AND code NOT LIKE :county || '%'"), {"county": township[:6]})
    return Places(grid_of(session, a), grid_of(session, b), grid_of(session, y))


UNSET = object()


def add_incident(session, grid: Grid, *, reported: datetime, filed: datetime | None = None,
                 handled: datetime | None = None, verified: datetime | None = None,
                 closed: datetime | None = None, ever_overdue: bool = False,
                 rework_count: int = 0, verified_on_time: bool | None = None,
                 handler_unit: str | None = None, worker_id=UNSET, state: str | None = None
                 ) -> int:
    """One incident with exactly these instants and flags (a plausible state from them)."""
    if state is None:
        state = ("closed" if closed else "verified" if verified else "handled" if handled
                 else "filed" if filed else "reported")
    return session.execute(text("""
        INSERT INTO incident (category_id, urgency, source, description, address, geom,
            grid_id, grid_code, responsible_worker_id, reporter_id, state, version, owner_code,
            owner_platform, handler_unit_id, reported_at, filed_at, handled_at, verified_at,
            closed_at, deadline, ever_overdue, verified_on_time,
            rework_count, return_count, escalation_count, duplicate_candidates)
        SELECT (SELECT min(id) FROM category WHERE level = 'minor'), 'normal', 'patrol',
            'KPI 测试', '', ST_PointOnSurface(a.geom), a.id, a.code, :worker,
            (SELECT min(id) FROM app_user), :state, 1, left(a.code, 12), 'grid',
            (SELECT id FROM unit WHERE code = :unit),
            :reported, :filed, :handled, :verified, :closed, 'green', :overdue,
            :on_time, :rework, 0, 0, '[]'::jsonb
        FROM area a WHERE a.id = :grid RETURNING id"""), {
        "grid": grid.id, "worker": grid.worker_id if worker_id is UNSET else worker_id,
        "state": state, "unit": handler_unit, "reported": reported, "filed": filed,
        "handled": handled, "verified": verified, "closed": closed, "overdue": ever_overdue,
        "on_time": verified_on_time, "rework": rework_count}).scalar_one()


SINCE, UNTIL = at("03-01 00:00"), at("04-01 00:00")
# Units of the first demo district (core/units/demo.py codes them by seat, kind, department):
# its 城管 and 住建 departments, which incidents anywhere may be dispatched to here.
CITY_UNIT, HOUSING_UNIT = "430202-department-chengguan", "430202-department-housing"


def unit_id(session, code: str) -> int:
    return session.execute(text("SELECT id FROM unit WHERE code = :c"), {"c": code}).scalar_one()


@pytest.fixture
def march(session, places) -> Places:
    """The incidents of the worked example in test_service.py (March 2026)."""
    a, b, y = places.a, places.b, places.y
    # 1: closed on time after 4 days 2 hours, verified on time.
    add_incident(session, a, reported=at("03-02 09:00"), filed=at("03-02 10:00"),
                 handled=at("03-05 15:00"), verified=at("03-06 10:00"), verified_on_time=True,
                 closed=at("03-06 12:00"), handler_unit=CITY_UNIT)
    # 2: reworked once, verified late, overdue, closed after 9 days.
    add_incident(session, a, reported=at("03-03 09:00"), filed=at("03-03 11:00"),
                 handled=at("03-10 16:00"), rework_count=1, verified=at("03-12 09:00"),
                 verified_on_time=False, closed=at("03-12 11:00"), ever_overdue=True,
                 handler_unit=CITY_UNIT)
    # 3: reported, never filed (voided).
    add_incident(session, a, reported=at("03-04 14:00"), state="void")
    # 4: reported and filed in February, handled, verified and closed on 1 March (9 days
    #    1 hour after filing).
    add_incident(session, b, reported=at("02-20 09:30"), filed=at("02-20 10:00"),
                 handled=at("03-01 08:00"), verified=at("03-01 10:00"), verified_on_time=True,
                 closed=at("03-01 11:00"), handler_unit=CITY_UNIT)
    # 5: reported at 07:00 on 20 March in Shanghai (19 March in UTC), filed, still open.
    add_incident(session, b, reported=at("03-20 07:00"), filed=at("03-20 10:00"))
    # 6: reported on the last afternoon, filed after the period.
    add_incident(session, b, reported=at("03-31 15:00"), filed=at("04-01 09:00"))
    # 7: all of it in February: nothing in the period.
    add_incident(session, a, reported=at("02-01 09:00"), filed=at("02-01 10:00"),
                 handled=at("02-05 09:00"), verified=at("02-06 09:00"), verified_on_time=True,
                 closed=at("02-10 09:00"), handler_unit=CITY_UNIT)
    # 8: filed in the period, handled and closed after it (closed by now).
    add_incident(session, a, reported=at("03-25 09:00"), filed=at("03-25 10:00"),
                 handled=at("04-02 09:00"), closed=at("04-03 09:00"), handler_unit=HOUSING_UNIT)
    # 9: reported at the period's end (excluded); 10: at its start (included), not filed.
    add_incident(session, a, reported=at("04-01 00:00"))
    add_incident(session, b, reported=at("03-01 00:00"), state="void")
    # 11: another county, the same department, closed in the period.
    add_incident(session, y, reported=at("03-05 09:00"), filed=at("03-05 10:00"),
                 handled=at("03-06 09:00"), verified=at("03-06 12:00"), verified_on_time=True,
                 closed=at("03-06 15:00"), handler_unit=CITY_UNIT)
    return places
