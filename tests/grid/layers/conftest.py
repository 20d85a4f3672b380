"""Fixtures for the map layers: a township's staff, a place far outside the township, and
small writers of incidents and staff positions in the test's rolled-back transaction."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from core.scope import Scope
from core.security import Principal
from core.users.enums import Role
from grid.incidents.models import Incident
from tests.conftest import bearer


@dataclass(frozen=True)
class Person:
    principal: Principal
    headers: dict[str, str]

    @property
    def scope(self) -> Scope:
        return Scope.of(self.principal)


def person(session, settings, username: str) -> Person:
    row = session.execute(text("SELECT id, username, role, scope_code FROM app_user "
                               "WHERE username = :u"), {"u": username}).one()
    return Person(Principal(row.id, row.username, Role(row.role), row.scope_code),
                  bearer(settings, role=row.role, scope_code=row.scope_code, user_id=row.id,
                         username=row.username))


@pytest.fixture
def township(demo_city, session, settings) -> Person:
    return person(session, settings, "demo_township_staff")


@pytest.fixture
def admin(demo_city, session, settings) -> Person:
    """The city's administrator: every area of the demo city."""
    return person(session, settings, "demo_admin")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The slippy-map tile holding a point (written here from the formula, not the app)."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """west, south, east, north of a tile in degrees."""
    n = 2**z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))
    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


@dataclass(frozen=True)
class Spot:
    grid_code: str
    grid_id: int
    lon: float
    lat: float


def spot(session, grid_code: str) -> Spot:
    row = session.execute(text(
        "SELECT id, ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT id, "
        "ST_PointOnSurface(geom) AS p FROM area WHERE code = :c) s"), {"c": grid_code}).one()
    return Spot(grid_code, row.id, row.lon, row.lat)


@pytest.fixture
def inside(session, township) -> Spot:
    """A point inside the first grid of the township."""
    code = session.scalar(text("SELECT min(code) FROM area WHERE level = 'grid' "
                               "AND code LIKE :t || '%'"), {"t": township.principal.scope_code})
    return spot(session, code)


@pytest.fixture
def outside(session, township) -> Spot:
    """A grid of another county whose z14 tile does not touch the township at all."""
    code = session.scalar(text("""
        SELECT g.code FROM area g, area t
        WHERE t.code = :t AND g.level = 'grid' AND substr(g.code, 1, 6) <> substr(:t, 1, 6)
          AND ST_Distance(g.geom::geography, t.geom::geography) > 20000
        ORDER BY g.code LIMIT 1"""), {"t": township.principal.scope_code})
    return spot(session, code)


def add_incident(session, where: Spot, *, deadline: str = "green", state: str = "reported",
                 reported_at: datetime | None = None, category: str | None = None,
                 lon: float | None = None, lat: float | None = None) -> int:
    """An incident at a spot, written as a row (the layers read rows; the workflow is the
    incident hub's business)."""
    category_id = session.scalar(text(
        "SELECT id FROM category WHERE level = 'minor' AND (CAST(:c AS text) IS NULL OR code = :c) "
        "ORDER BY code LIMIT 1"), {"c": category})
    reporter = session.scalar(text("SELECT id FROM app_user WHERE username = 'demo_admin'"))
    x, y = (lon if lon is not None else where.lon), (lat if lat is not None else where.lat)
    incident = Incident(
        category_id=category_id, urgency="normal", source="hotline", description="layers",
        geom=f"SRID=4326;POINT({x} {y})", grid_id=where.grid_id, grid_code=where.grid_code,
        reporter_id=reporter, owner_code=where.grid_code[:9], state=state, deadline=deadline,
        reported_at=reported_at or datetime.now(UTC))
    session.add(incident)
    session.flush()
    return incident.id


def worker_of(session, grid_code: str) -> tuple[int, str]:
    row = session.execute(text(
        "SELECT w.id, w.name FROM grid_worker w JOIN grid_assignment ga ON ga.worker_id = w.id "
        "JOIN area a ON a.id = ga.grid_id WHERE a.code = :c ORDER BY w.id LIMIT 1"),
        {"c": grid_code}).one()
    return row.id, row.name


def add_position(session, where: Spot, *, accuracy: float = 8.5,
                 recorded_at: datetime | None = None) -> int:
    """The newest fix of the spot's grid worker, at the spot."""
    worker_id, _ = worker_of(session, where.grid_code)
    session.execute(text(
        "INSERT INTO staff_position (worker_id, geom, accuracy_m, recorded_at) "
        "VALUES (:w, ST_SetSRID(ST_MakePoint(:x, :y), 4326), :a, :t) "
        "ON CONFLICT (worker_id) DO UPDATE SET geom = excluded.geom, "
        "accuracy_m = excluded.accuracy_m, recorded_at = excluded.recorded_at"),
        {"w": worker_id, "x": where.lon, "y": where.lat, "a": accuracy,
         "t": recorded_at or datetime.now(UTC)})
    return worker_id
