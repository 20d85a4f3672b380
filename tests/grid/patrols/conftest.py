"""Fixtures for patrols: the demo grid worker, a point inside his grid, and fixes."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.conftest import bearer
from tests.grid.incidents.conftest import Person, person_of


@dataclass(frozen=True)
class Walker:
    """A grid worker with a login, his worker id and a point inside his first grid."""

    person: Person
    worker_id: int
    grid_code: str
    lon: float
    lat: float


def walker_of(session, settings, username: str) -> Walker:
    row = session.execute(text("""
        SELECT w.id, a.code, ST_X(ST_PointOnSurface(a.geom)) AS lon,
               ST_Y(ST_PointOnSurface(a.geom)) AS lat
        FROM app_user u JOIN grid_worker w ON w.user_id = u.id
        JOIN grid_assignment ga ON ga.worker_id = w.id JOIN area a ON a.id = ga.grid_id
        WHERE u.username = :u ORDER BY a.code LIMIT 1"""), {"u": username}).one()
    return Walker(person_of(session, settings, username), row.id, row.code, row.lon, row.lat)


def other_walker_of(session, settings, walker: Walker, *, same_village: bool) -> Walker:
    """Another grid worker with a login: of the same village if it has one (else the
    next), or of another village."""
    village = walker.grid_code[:12]
    condition = "" if same_village else "AND w.staff_code NOT LIKE :v || '%'"
    username = session.scalar(text(f"""
        SELECT u.username FROM app_user u JOIN grid_worker w ON w.user_id = u.id
        WHERE u.role = 'grid_worker' AND w.id <> :me {condition}
        ORDER BY w.staff_code LIKE :v || '%' DESC, w.staff_code LIMIT 1"""),
        {"v": village, "me": walker.worker_id})
    return walker_of(session, settings, username)


def forget_patrols(session, worker_id: int) -> None:
    """The demo load gives some workers a patrol and a position: tests start without."""
    session.execute(text("DELETE FROM staff_position WHERE user_id = "
                         "(SELECT user_id FROM grid_worker WHERE id = :w)"), {"w": worker_id})
    session.execute(text("DELETE FROM patrol WHERE worker_id = :w"), {"w": worker_id})


@pytest.fixture
def walker(demo_city, session, settings) -> Walker:
    walker = walker_of(session, settings, "demo_grid_worker")
    forget_patrols(session, walker.worker_id)
    return walker


def centre_headers(settings, *, role: str, scope_code: str) -> dict[str, str]:
    return bearer(settings, role=role, scope_code=scope_code, user_id=0,
                  username=f"test-{role}")


def fixes(walker: Walker, count: int, *, start: datetime | None = None,
          step_m: float = 50.0, every_s: int = 10) -> list[dict]:
    """`count` fixes walking east from the walker's point, `every_s` seconds apart."""
    start = start or datetime.now(UTC) - timedelta(minutes=30)
    degrees = step_m / 98_000  # a degree of longitude is ~98 km at 28° N
    return [{"lon": walker.lon + i * degrees, "lat": walker.lat + (i % 3) * degrees / 4,
             "accuracy_m": 5.0 + i % 4,
             "recorded_at": (start + timedelta(seconds=i * every_s)).isoformat()}
            for i in range(count)]


def geodesic_length(points: list[dict]) -> float:
    """The track's length on the WGS84 ellipsoid, by pyproj (independent of PostGIS)."""
    from pyproj import Geod

    ordered = sorted(points, key=lambda p: p["recorded_at"])
    return Geod(ellps="WGS84").line_length([p["lon"] for p in ordered],
                                           [p["lat"] for p in ordered])
