"""Concurrent edits lose nothing: against the live server (its own sessions, committed
data, requests really concurrent), eight answers to one whistle call naming the same
version make one move and seven 409s; eight dispatchers setting one team's availability
from the same version make one change and seven 409s. What the test committed is deleted
at its end."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import bearer

CONCURRENT = 8


@pytest.fixture
def committed(engine):
    """A session that commits, and the whistles and team states to delete afterwards."""
    made = {"whistles": [], "teams": []}
    with Session(engine) as session:
        yield session, made
        calls = list(session.scalars(text(
            "SELECT id FROM enforcement_whistle_call WHERE whistle_id = ANY(:ids)"),
            {"ids": made["whistles"]}))
        for table in ("case_clock", "timeline_event"):
            session.execute(text(f"DELETE FROM {table} WHERE subject_type = 'whistle_call' "
                                 "AND subject_id = ANY(:ids)"), {"ids": calls})
        session.execute(text("DELETE FROM enforcement_whistle WHERE id = ANY(:ids)"),
                        {"ids": made["whistles"]})
        for table in ("enforcement_team_state", "enforcement_team_position"):
            session.execute(text(f"DELETE FROM {table} WHERE team_id = ANY(:ids)"),
                            {"ids": made["teams"]})
        session.commit()


def _all_at_once(send) -> list[int]:
    with ThreadPoolExecutor(CONCURRENT) as pool:
        return sorted(pool.map(lambda _: send(), range(CONCURRENT)))


def test_concurrent_answers_and_availability_edits(live_server, settings, committed):
    session, made = committed
    code, lon, lat = session.execute(text(
        "SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM area "
        "WHERE level = 'township' AND code LIKE '430202%' ORDER BY code LIMIT 1")).one()
    user, name = session.execute(text("""
        SELECT a.id, a.username FROM membership m JOIN unit u ON u.id = m.unit_id
        JOIN app_user a ON a.id = m.user_id
        WHERE u.department_code = 'chengguan' AND u.seat_code LIKE '430202%'
          AND m.position = 'handler' AND a.role = 'enforcement_officer'
        ORDER BY a.id LIMIT 1""")).one()
    township = bearer(settings, role="township_staff", scope_code=code)
    officer = bearer(settings, user_id=user, username=name)
    admin = bearer(settings)
    with httpx.Client(base_url=live_server.url, timeout=60) as client:
        blown = client.post("/api/v1/enforcement/whistles", headers=township, json={
            "matter": "并发测试", "departments": ["chengguan"], "lon": lon, "lat": lat})
        assert blown.status_code == 201, blown.text
        whistle = blown.json()
        made["whistles"].append(whistle["id"])
        call = whistle["calls"][0]
        url = (f"/api/v1/enforcement/whistles/{whistle['id']}/calls/{call['id']}"
               "/actions/respond")
        statuses = _all_at_once(lambda: client.post(url, headers=officer,
                                                    json={"version": 1}).status_code)
        assert statuses == [200] + [409] * (CONCURRENT - 1)
        shown = client.get(f"/api/v1/enforcement/whistles/{whistle['id']}",
                           headers=admin).json()["calls"][0]
        assert shown["state"] == "responded" and shown["version"] == 2
        assert [e["action"] for e in shown["timeline"]] == ["open", "respond"]

        team = session.scalar(text("SELECT id FROM unit WHERE kind = 'enforcement_team' "
                                   "AND seat_code LIKE '430202%' ORDER BY id LIMIT 1"))
        made["teams"].append(team)
        statuses = _all_at_once(lambda: client.put(
            f"/api/v1/enforcement/teams/{team}/availability", headers=admin,
            json={"status": "busy", "version": 0, "subject_type": "whistle_call",
                  "subject_id": call["id"]}).status_code)
        assert statuses == [200] + [409] * (CONCURRENT - 1)
        state = session.execute(text("SELECT status, version FROM enforcement_team_state "
                                     "WHERE team_id = :t"), {"t": team}).one()
        assert tuple(state) == ("busy", 1)
