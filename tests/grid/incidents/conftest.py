"""Fixtures for the incident hub: the demo city's people, a place to report from, and
small helpers to report and act through the API."""

import base64
import io
import uuid
from dataclasses import dataclass

import pytest
from PIL import Image
from sqlalchemy import text

from core.security import Principal
from core.units.service import grants_of
from core.users.enums import Role
from tests.conftest import bearer


@dataclass(frozen=True)
class Person:
    principal: Principal
    headers: dict[str, str]


@dataclass(frozen=True)
class Place:
    grid_code: str
    lon: float
    lat: float
    worker: Person  # the grid's worker (with a login)


def person_of(session, settings, username: str) -> Person:
    """A demo account, with its memberships (units, positions) as a request would carry."""
    row = session.execute(text("SELECT id, username, role, scope_code FROM app_user "
                               "WHERE username = :u"), {"u": username}).one()
    principal = Principal(row.id, row.username, Role(row.role), row.scope_code,
                          grants_of(session, user_id=row.id))
    return Person(principal, bearer(settings, role=row.role, scope_code=row.scope_code,
                                    user_id=row.id, username=row.username))


@pytest.fixture
def people(demo_city, session, settings) -> dict[str, Person]:
    """The demo accounts by role (village staff of the first village, and so on)."""
    return {role.value: person_of(session, settings, f"demo_{role}")
            for role in Role if role is not Role.grid_worker}


def place_in_village(session, settings, village: str) -> Place:
    """A point inside the first grid of a village that has a worker with a login."""
    row = session.execute(text("""
        SELECT a.code, ST_X(ST_PointOnSurface(a.geom)) AS lon,
               ST_Y(ST_PointOnSurface(a.geom)) AS lat, u.username
        FROM area a JOIN grid_assignment ga ON ga.grid_id = a.id
        JOIN grid_worker w ON w.id = ga.worker_id JOIN app_user u ON u.id = w.user_id
        WHERE a.level = 'grid' AND a.code LIKE :village || '%'
        ORDER BY a.code, w.staff_code LIMIT 1"""), {"village": village}).one()
    return Place(row.code, row.lon, row.lat, person_of(session, settings, row.username))


@pytest.fixture
def place(demo_city, session, settings, people) -> Place:
    """A point inside a grid of the village staff's village, and that grid's worker."""
    return place_in_village(session, settings, people["village_staff"].principal.scope_code)


def member_of(session, settings, unit_id: int) -> Person:
    """A desk member of a unit (the demo generates them), with his token."""
    username = session.execute(text(
        "SELECT u.username FROM membership m JOIN app_user u ON u.id = m.user_id "
        "WHERE m.unit_id = :unit AND m.is_active AND u.is_active "
        "AND m.position IN ('handler', 'receiver', 'dispatcher') ORDER BY u.username LIMIT 1"),
        {"unit": unit_id}).scalar_one()
    return person_of(session, settings, username)


@pytest.fixture
def units(session, place) -> dict[str, int]:
    """The units around the place: its village's and township's centres, the township's
    综合行政执法队, and its county's 城管 大队 (demo_enforcement_officer's)."""
    rows = session.execute(text("""
        SELECT CASE WHEN kind = 'centre' AND seat_code = :village THEN 'village_centre'
                    WHEN kind = 'centre' AND seat_code = :township THEN 'township_centre'
                    WHEN kind = 'enforcement_team' THEN 'township_team'
                    WHEN kind = 'brigade' THEN 'county_brigade' END AS role, id
        FROM unit WHERE is_active AND (
            (kind = 'centre' AND seat_code IN (:village, :township))
            OR (kind = 'enforcement_team' AND seat_code = :township)
            OR (kind = 'brigade' AND department_code = 'chengguan' AND seat_code = :county
                -- The officer's own 大队: other tests commit more 城管 brigades at this seat.
                AND id IN (SELECT m.unit_id FROM membership m JOIN app_user u ON u.id = m.user_id
                           WHERE u.username = 'demo_enforcement_officer' AND m.is_active)))"""),
        {"village": place.grid_code[:12], "township": place.grid_code[:9],
         "county": place.grid_code[:6]}).all()
    return {row.role: row.id for row in rows}


@pytest.fixture
def minor(session, demo_city) -> str:
    """An active 小类 code."""
    return session.scalar(text("SELECT code FROM category WHERE level = 'minor' AND active "
                               "ORDER BY code LIMIT 1"))


def report_body(place: Place, category: str, **extra) -> dict:
    return {"location": {"type": "Point", "coordinates": [place.lon, place.lat]},
            "category": category, "description": "路边垃圾堆积，影响通行", **extra}


def new_key() -> str:
    return str(uuid.uuid4())


def png_base64(colour=(200, 30, 30), size=(64, 48)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def report(client, person: Person, body: dict, key: str | None = None):
    return client.post("/api/v1/incidents", json=body,
                       headers={**person.headers, "Idempotency-Key": key or new_key()})


def act(client, person: Person, incident: dict | int, action: str, version: int | None = None,
        **fields):
    incident_id = incident if isinstance(incident, int) else incident["id"]
    if version is None:
        version = client.get(f"/api/v1/incidents/{incident_id}",
                             headers=person.headers).json()["version"]
    return client.post(f"/api/v1/incidents/{incident_id}/actions/{action}",
                       json={"version": version, **fields}, headers=person.headers)


# --- committed data and a real worker (the live server: tests/conftest.py) --------------

@pytest.fixture(scope="module")
def committed(engine, settings, demo_city):
    """People, a place and a 小类 read on a connection of their own (nothing to roll back)."""
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        people = {role.value: person_of(session, settings, f"demo_{role}")
                  for role in Role if role is not Role.grid_worker}
        place = place_in_village(session, settings,
                                 people["village_staff"].principal.scope_code)
        category = session.scalar(text("SELECT code FROM category WHERE level = 'minor' "
                                       "AND active ORDER BY code LIMIT 1"))
    return people, place, category


@pytest.fixture(scope="module")
def worker_queue(database_url):
    """A Celery worker process of its own, on a queue of its own, on the test database."""
    import os
    import subprocess
    import sys

    name = f"test-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "core.celery_app", "worker", "--pool=threads",
         "--concurrency=4", "--queues", name, "--loglevel=warning", "--without-gossip",
         "--without-mingle"],
        env={**os.environ, "DATABASE_URL": database_url})
    yield name
    worker.terminate()
    worker.wait(timeout=30)
