"""Shared by the hostile-input tests (test_hostile_input.py, test_hostile_bodies.py): the
people and places they act as (fixtures, imported into those modules), every table's row
count (a refusal writes nothing), and the check of a refusal's problem+json and stable
code."""

import pytest
from sqlalchemy import text

from tests.grid.incidents.conftest import Person, Place, person_of, place_in_village
from tests.grid.patrols.conftest import Walker, forget_patrols, walker_of

PROBLEM = "application/problem+json"


@pytest.fixture
def staff(demo_city, session, settings) -> Person:
    """The demo village's centre staff."""
    return person_of(session, settings, "demo_village_staff")


@pytest.fixture
def spot(staff, session, settings) -> Place:
    """A point in a grid of the staff's village, and its grid worker (who reports)."""
    return place_in_village(session, settings, staff.principal.scope_code)


@pytest.fixture
def category(demo_city, session) -> str:
    """An active 小类 (the first by code)."""
    return session.scalar(text("SELECT code FROM category WHERE level = 'minor' AND active "
                               "ORDER BY code LIMIT 1"))


@pytest.fixture
def patroller(demo_city, session, settings) -> Walker:
    """The demo grid worker, without the patrols the demo gave him."""
    walker = walker_of(session, settings, "demo_grid_worker")
    forget_patrols(session, walker.worker_id)
    return walker


def row_counts(session) -> dict[str, int]:
    tables = session.scalars(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename NOT IN ('spatial_ref_sys', 'alembic_version') ORDER BY 1")).all()
    return {table: session.scalar(text(f'SELECT count(*) FROM "{table}"')) for table in tables}


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == code and body["status"] == status, body
    return body


