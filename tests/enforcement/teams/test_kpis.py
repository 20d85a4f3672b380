"""Enforcement KPIs (issue §9): the cases' figures computed from the cases' own columns and
the kernel's clocks, per unit and per area, inside the territory; a bad period is a 422."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.conftest import bearer

KPIS = "/api/v1/enforcement/kpis"


def _case(session, unit, area, **columns) -> int:
    names = ", ".join(columns)
    values = ", ".join(f":{name}" for name in columns)
    return session.scalar(text(f"""
        INSERT INTO enforcement_case (procedure, state, owner_unit_id, owner_code, area_code,
                                      source, title, {names})
        VALUES ('ordinary', 'closed', :unit, :area, :area, 'patrol', '测试', {values})
        RETURNING id"""), {"unit": unit, "area": area, **columns})


def _clock(session, case, *, late: bool, at: datetime) -> None:
    session.execute(text("""
        INSERT INTO case_clock (subject_type, subject_id, case_type, name, "limit",
                                started_at, due_at, stopped_at, late)
        VALUES ('enforcement_case', :case, 'enforcement.ordinary', 'decision', '90cd',
                :at, :at, :at, :late)"""), {"case": case, "at": at, "late": late})


def test_case_figures_per_unit_and_area(client, session, settings, demo_city):
    unit, seat = session.execute(text(
        "SELECT id, seat_code FROM unit WHERE kind = 'enforcement_team' "
        "AND seat_code LIKE '430202%' ORDER BY id LIMIT 1")).one()
    now = datetime.now(UTC)
    day = timedelta(days=1)
    a = _case(session, unit, seat, filed_at=now - 3 * day, closed_at=now - day,
              decided_at=now - day, outcome="penalty", fine_fen=50_000,
              confiscation_fen=10_000, hearing_offered=True, notified_at=now - 2 * day,
              hearing_at=now - 1.5 * day)
    b = _case(session, unit, seat, filed_at=now - 3 * day, closed_at=now - day,
              decided_at=now - day, outcome="penalty", fine_fen=20_000,
              hearing_offered=True, notified_at=now - 2 * day)
    _case(session, unit, seat, filed_at=now - 2 * day)
    _clock(session, a, late=False, at=now - day)
    _clock(session, b, late=True, at=now - day)
    period = {"since": (now - 10 * day).date().isoformat(),
              "until": (now + day).date().isoformat()}
    rows = {row["key"]: row for row in client.get(KPIS, params=period).json()["cases"]}
    mine = rows[str(unit)]
    assert (mine["filed"], mine["closed"], mine["closed_on_time"]) == (3, 2, 1)
    assert mine["on_time_rate"] == 0.5 and mine["fines_fen"] == 80_000
    assert (mine["hearing_offered"], mine["hearings"], mine["hearing_rate"]) == (2, 1, 0.5)
    assert mine["review_correction_rate"] is None
    counties = {row["key"]: row for row in client.get(
        KPIS, params={**period, "by": "area"}).json()["cases"]}
    assert counties["430202"]["filed"] >= 3
    other = bearer(settings, role="township_staff", scope_code="430203001")
    outside = client.get(KPIS, params=period, headers=other).json()
    assert str(unit) not in [row["key"] for row in outside["cases"]]
    sheet = client.get(KPIS, params={**period, "format": "csv"})
    assert sheet.status_code == 200 and "立案数" in sheet.content.decode("utf-8-sig")


def test_a_period_that_ends_before_it_starts_is_422(client, demo_city):
    response = client.get(KPIS, params={"since": "2026-12-01", "until": "2026-11-01"})
    assert response.status_code == 422 and response.json()["code"] == "period_empty"
    unknown = client.get(KPIS, params={"by": "nobody"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "validation_failed"
