"""吹哨报到 (issue §7): a township calls departments; each call runs on the kernel's clock
with the limits of the table (30 minutes to respond, then to arrive, then to act; the
citation shown); only the called department answers; a
stale answer is a 409; an unanswered call turns red in the kernel's sweep; the calls and
answers are counted in the KPIs."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from core.workflow.sweep import sweep
from tests.conftest import bearer

WHISTLES = "/api/v1/enforcement/whistles"


@pytest.fixture
def place(session, demo_city):
    """A township of the demo city and a point inside it."""
    code, lon, lat = session.execute(text(
        "SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM area "
        "WHERE level = 'township' AND code LIKE '430202%' ORDER BY code LIMIT 1")).one()
    return code, lon, lat


def _officer(session, settings, *, department: str, county: str) -> dict:
    user, name = session.execute(text("""
        SELECT a.id, a.username FROM membership m JOIN unit u ON u.id = m.unit_id
        JOIN app_user a ON a.id = m.user_id
        WHERE u.department_code = :dept AND u.seat_code LIKE :county || '%'
          AND m.position = 'handler' AND m.is_active AND a.role = 'enforcement_officer'
        ORDER BY a.id LIMIT 1"""), {"dept": department, "county": county}).one()
    return bearer(settings, user_id=user, username=name)


def _blow(client, settings, place, **extra):
    code, lon, lat = place
    township = bearer(settings, role="township_staff", scope_code=code)
    body = {"matter": "占道经营、油烟扰民", "departments": ["chengguan", "market"],
            "lon": lon, "lat": lat, "address": "测试路1号", **extra}
    response = client.post(WHISTLES, json=body, headers=township)
    assert response.status_code == 201, response.text
    return response.json(), township


def test_a_whistle_calls_each_department_on_its_clock(client, settings, place):
    whistle, _ = _blow(client, settings, place)
    assert whistle["area_code"].startswith(place[0])  # the finest area: its grid
    calls = {call["department_code"]: call for call in whistle["calls"]}
    assert set(calls) == {"chengguan", "market"}
    for call in calls.values():
        assert call["state"] == "called" and call["deadline"] == "green"
        (clock,) = call["clocks"]
        # The default response limit of the table (30 minutes, elapsed), its citation.
        assert clock["limit"] == "30min" and "北京市街道办事处条例第五条" in clock["citation"]
        assert clock["due_at"] == call["step_due_at"]
        called = datetime.fromisoformat(call["called_at"])
        assert datetime.fromisoformat(clock["due_at"]) - called == timedelta(minutes=30)


def test_the_limit_is_data_an_admin_edits(client, session, settings, place):
    limits = client.get(f"{WHISTLES}/limits").json()
    assert {(row["department_code"], row["urgency"]) for row in limits} >= {
        (None, "normal"), (None, "urgent")}
    own = client.put(f"{WHISTLES}/limits", json={
        "department_code": "market", "urgency": "normal", "respond_limit": "15min",
        "arrive_limit": "2h", "act_limit": "1d", "citation": "测试区吹哨报到工作规则第三条",
        "version": 0})
    assert own.status_code == 200, own.text
    again = client.put(f"{WHISTLES}/limits", json={
        "department_code": "market", "urgency": "normal", "respond_limit": "15min",
        "arrive_limit": "3h", "act_limit": "1d", "citation": "测试", "version": 0})
    assert again.status_code == 409 and again.json()["code"] == "stale_version"
    bad = client.put(f"{WHISTLES}/limits", json={
        "department_code": "market", "urgency": "normal", "respond_limit": "15min",
        "arrive_limit": "0h", "act_limit": "1d", "citation": "测试", "version": 1})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_duration"
    whistle, _ = _blow(client, settings, place)
    calls = {call["department_code"]: call for call in whistle["calls"]}
    assert calls["market"]["clocks"][0]["limit"] == "15min"
    assert calls["market"]["clocks"][0]["citation"].endswith("测试区吹哨报到工作规则第三条")
    assert calls["chengguan"]["clocks"][0]["limit"] == "30min"


def test_only_the_called_department_answers(client, session, settings, place):
    whistle, township = _blow(client, settings, place)
    call = next(c for c in whistle["calls"] if c["department_code"] == "chengguan")
    act = f"{WHISTLES}/{whistle['id']}/calls/{call['id']}/actions"
    ecology = _officer(session, settings, department="ecology", county=place[0][:6])
    refused = client.post(f"{act}/respond", json={"version": 1}, headers=ecology)
    assert refused.status_code == 403 and refused.json()["code"] == "not_called_department"
    officer = _officer(session, settings, department="chengguan", county=place[0][:6])
    early = client.post(f"{act}/arrive", json={"version": 1}, headers=officer)
    assert early.status_code == 409 and early.json()["code"] == "move_not_allowed_now"
    responded = client.post(f"{act}/respond", json={"version": 1}, headers=officer)
    assert responded.status_code == 200, responded.text
    # A second officer who read version 1 too: 409, nothing moves twice.
    stale = client.post(f"{act}/respond", json={"version": 1}, headers=officer)
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    arrived = client.post(f"{act}/arrive", json={"version": 2}, headers=officer)
    assert arrived.status_code == 200, arrived.text
    no_result = client.post(f"{act}/act", json={"version": 3}, headers=officer)
    assert no_result.status_code == 422 and no_result.json()["code"] == "result_required"
    acted = client.post(f"{act}/act", json={"version": 3, "result": "已责令当事人整改"},
                        headers=officer)
    assert acted.status_code == 200, acted.text
    # Only the township closes it (销号).
    assert client.post(f"{act}/close", json={"version": 4}, headers=officer).status_code == 403
    closed = client.post(f"{act}/close", json={"version": 4}, headers=township).json()
    done = next(c for c in closed["calls"] if c["id"] == call["id"])
    assert done["state"] == "closed" and done["responded_late"] is False
    assert done["arrived_late"] is False
    assert [e["action"] for e in done["timeline"]] == ["open", "respond", "arrive", "act",
                                                       "close"]
    # One clock per step: 30min, then 4h, then 2d, all stopped.
    assert sorted(c["limit"] for c in done["clocks"]) == ["2d", "30min", "4h"]
    assert all(clock["stopped_at"] for clock in done["clocks"])


def test_an_unanswered_call_goes_red_in_the_sweep_and_counts(client, session, settings,
                                                            place):
    whistle, _ = _blow(client, settings, place, urgency="urgent")
    due = max(datetime.fromisoformat(c["step_due_at"]) for c in whistle["calls"])
    result = sweep(session, now=due + timedelta(minutes=1), settings=settings)
    assert result.by_case_type["enforcement.whistle_call"]["red"] == 2
    red = client.get(WHISTLES, params={"deadline": "red"}).json()
    assert whistle["id"] in [item["id"] for item in red["items"]]
    assert {c["deadline"] for c in client.get(f"{WHISTLES}/{whistle['id']}").json()["calls"]} \
        == {"red"}
    today = datetime.now(UTC).date()
    figures = client.get("/api/v1/enforcement/kpis", params={
        "by": "department", "since": (today - timedelta(days=1)).isoformat(),
        "until": (today + timedelta(days=2)).isoformat()}).json()
    rows = {row["key"]: row for row in figures["whistles"]}
    assert rows["chengguan"]["calls"] >= 1 and rows["chengguan"]["overdue"] >= 1
    assert rows["chengguan"]["arrived"] == 0 and rows["chengguan"]["responded"] == 0
    by_area = client.get("/api/v1/enforcement/kpis", params={
        "by": "area", "level": "township", "since": (today - timedelta(days=1)).isoformat(),
        "until": (today + timedelta(days=2)).isoformat()}).json()
    township = {row["key"]: row for row in by_area["whistles"]}[place[0]]
    assert township["whistles"] >= 1 and township["calls"] >= 2
    book = client.get("/api/v1/enforcement/kpis", params={
        "format": "xlsx", "table": "whistles", "by": "department",
        "since": (today - timedelta(days=1)).isoformat(),
        "until": (today + timedelta(days=2)).isoformat()})
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).active
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["编码", "名称", "吹哨次数", "报到要求数"]
    assert "chengguan" in [row[0].value for row in sheet.iter_rows(min_row=2)]


def test_bad_whistles_are_refused_and_write_nothing(client, session, settings, place):
    code, lon, lat = place
    township = bearer(settings, role="township_staff", scope_code=code)
    before = session.scalar(text("SELECT count(*) FROM enforcement_whistle"))
    cases = {
        "unknown_department": {"departments": ["no_such"]},
        "outside_territory": {"lon": lon + 1.5},
        "unknown_matter": {"matter_code": "NO-SUCH"},
    }
    for expected, change in cases.items():
        body = {"matter": "测试", "departments": ["chengguan"], "lon": lon, "lat": lat,
                **change}
        response = client.post(WHISTLES, json=body, headers=township)
        assert response.status_code in (404, 422), (expected, response.text)
        assert response.json()["code"] in (expected, "outside_areas"), expected
    assert client.post(WHISTLES, json={"matter": "x", "departments": [], "lon": lon,
                                       "lat": lat}, headers=township).status_code == 422
    officer = bearer(settings, role="enforcement_officer", scope_code="430202")
    assert client.post(WHISTLES, json={"matter": "x", "departments": ["chengguan"],
                                       "lon": lon, "lat": lat},
                       headers=officer).status_code == 403
    assert session.scalar(text("SELECT count(*) FROM enforcement_whistle")) == before
