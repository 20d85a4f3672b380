"""Fixtures of the teams part: the demo city's teams put on duty, placed and qualified
inside the test's rolled-back transaction."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.units.positions import record_fix
from enforcement.teams import positions

CITY = "4302"  # the demo city (株洲市)


@dataclass
class Teams:
    now: datetime
    ids: list[int]  # on duty, placed, qualified for their department's work
    off_duty: int  # a team of the city with no shift now


def put_on_duty(session: Session, team_ids: list[int], *, now: datetime) -> int:
    """Every active member of the teams on a shift from an hour ago to 11 hours ahead."""
    return session.execute(text("""
        INSERT INTO enforcement_roster (team_id, user_id, shift, starts_at, ends_at, created_by)
        SELECT m.unit_id, m.user_id, '白班', :start, :end, 'test' FROM membership m
        WHERE m.unit_id = ANY(:ids) AND m.is_active ON CONFLICT DO NOTHING"""),
        {"ids": team_ids, "start": now - timedelta(hours=1),
         "end": now + timedelta(hours=11)}).rowcount


def members_of(session: Session, team_id: int) -> list[int]:
    return list(session.scalars(text("SELECT user_id FROM membership WHERE unit_id = :id "
                                     "AND is_active ORDER BY user_id"), {"id": team_id}))


def place(session: Session, team_id: int, lon: float, lat: float, *, now: datetime) -> None:
    """Each member of the team a fresh fix at (lon, lat)."""
    for user in members_of(session, team_id):
        record_fix(session, user_id=user, lon=lon, lat=lat, accuracy_m=5.0,
                   at=now - timedelta(minutes=1), source_type="test")


@pytest.fixture
def county_teams(session: Session, demo_city) -> Teams:
    """The city's teams: all but one on duty, each qualified for its department; members
    placed around their seats (deterministic offsets); positions refreshed."""
    now = datetime.now(UTC)
    ids = list(session.scalars(text("""
        SELECT id FROM unit WHERE kind IN ('squadron', 'enforcement_team')
          AND platform = 'enforcement' AND is_active AND seat_code LIKE :city || '%'
        ORDER BY id"""), {"city": CITY}))
    assert len(ids) >= 5
    off_duty, on_duty = ids[-1], ids[:-1]
    put_on_duty(session, on_duty, now=now)
    session.execute(text("""
        INSERT INTO enforcement_team_qualification (team_id, department_code)
        SELECT id, department_code FROM unit WHERE id = ANY(:ids) ON CONFLICT DO NOTHING"""),
        {"ids": ids})
    seats = session.execute(text("SELECT id, ST_X(location), ST_Y(location) FROM unit "
                                 "WHERE id = ANY(:ids)"), {"ids": ids}).all()
    for n, (team, lon, lat) in enumerate(seats):
        place(session, team, lon + 0.003 * ((n % 5) - 2), lat + 0.002 * ((n % 3) - 1), now=now)
    positions.refresh(session, now=now)
    return Teams(now=now, ids=on_duty, off_duty=off_duty)
