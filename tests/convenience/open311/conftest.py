"""Fixtures of the Open311 and 12345 tests: a point inside a grid of the demo city, an app
key, a 小类 to report."""

from dataclasses import dataclass

import pytest
from sqlalchemy import text

from convenience.open311 import filing
from convenience.open311.keys import create_key
from tests.geo.layers.conftest import inside, outside, township  # noqa: F401  (fixtures)


@dataclass(frozen=True)
class Place:
    grid_code: str
    lon: float
    lat: float
    village: str
    township: str
    county: str


@pytest.fixture
def place(session, demo_city) -> Place:
    row = session.execute(text(
        "SELECT code, ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat "
        "FROM area WHERE level = 'grid' ORDER BY code LIMIT 1")).one()
    return Place(row.code, row.lon, row.lat, row.code[:12], row.code[:9], row.code[:6])


@pytest.fixture
def minor(session, demo_city) -> str:
    """An active 小类 (an Open311 service code)."""
    return session.execute(text(
        "SELECT m.code FROM category m JOIN category p ON p.id = m.parent_id "
        "WHERE m.level = 'minor' AND m.active AND p.active ORDER BY m.code LIMIT 1")).scalar_one()


@pytest.fixture
def api_key(session) -> str:
    _, key = create_key(session, app_name="测试市民通", actor="test")
    return key


@pytest.fixture
def file_pending(session, settings):
    """The filing task's work (convenience/open311/filing.py) run here, in the test's
    transaction: deterministic, no worker. Returns the ids it filed."""
    def run() -> list[int]:
        return [request_id for request_id in filing.pending_ids(session)
                if filing.file_pending(session, request_id, settings=settings)]
    return run
