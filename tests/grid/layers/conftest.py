"""Fixtures for grid's map layers (incidents, staff): geo's layer fixtures, and small
writers of incidents and staff positions in the test's rolled-back transaction."""

from datetime import UTC, datetime

from sqlalchemy import text

from grid.incidents.models import Incident
from tests.geo.layers.conftest import (  # noqa: F401  (fixtures)
    Spot,
    admin,
    inside,
    outside,
    township,
)


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
        "INSERT INTO staff_position (user_id, geom, accuracy_m, recorded_at) "
        "SELECT user_id, ST_SetSRID(ST_MakePoint(:x, :y), 4326), :a, :t "
        "FROM grid_worker WHERE id = :w "
        "ON CONFLICT (user_id) DO UPDATE SET geom = excluded.geom, "
        "accuracy_m = excluded.accuracy_m, recorded_at = excluded.recorded_at"),
        {"w": worker_id, "x": where.lon, "y": where.lat, "a": accuracy,
         "t": recorded_at or datetime.now(UTC)})
    return worker_id
