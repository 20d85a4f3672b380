"""Teams (issue §8): the list with positions and duty, rosters, qualifications,
availability; bad input is a 4xx problem with a code and writes nothing; a stale edit is
a 409 (how each is checked: the response, then the rows)."""

from datetime import datetime, timedelta

from sqlalchemy import text

from core.workflow.calendar import zone
from tests.conftest import bearer
from tests.enforcement.teams.conftest import members_of

TEAMS = "/api/v1/enforcement/teams"


def test_the_list_shows_positions_duty_and_qualifications(client, county_teams):
    page = client.get(TEAMS, params={"limit": 500}).json()
    assert page["total"] == len(county_teams.ids) + 1
    by_id = {team["id"]: team for team in page["items"]}
    on = by_id[county_teams.ids[0]]
    assert on["on_duty"] and on["on_duty_members"] >= 2
    assert on["position"]["type"] == "Point" and on["position_source"] == "members"
    assert on["qualifications"]["departments"] == [on["department_code"]]
    off = by_id[county_teams.off_duty]
    assert not off["on_duty"] and off["position_source"] == "seat"
    only_on = client.get(TEAMS, params={"on_duty": "false", "limit": 500}).json()
    assert [team["id"] for team in only_on["items"]] == [county_teams.off_duty]
    market = client.get(TEAMS, params={"department": "market", "limit": 500}).json()
    assert market["items"] and {t["department_code"] for t in market["items"]} == {"market"}


def test_a_roster_puts_members_on_duty_and_moves_the_team(client, session, settings,
                                                          county_teams):
    team = county_teams.off_duty
    tz = zone(settings.timezone)
    day = datetime.now(tz).date()
    members = members_of(session, team)
    start = datetime.combine(day, datetime.min.time(), tz)
    body = {"day": day.isoformat(), "shifts": [
        {"shift": "全天", "starts_at": start.isoformat(),
         "ends_at": (start + timedelta(hours=24)).isoformat(), "user_ids": members}]}
    saved = client.put(f"{TEAMS}/{team}/roster", json=body)
    assert saved.status_code == 200, saved.text
    assert [m["user_id"] for m in saved.json()[0]["members"]] == members
    shown = client.get(f"{TEAMS}/{team}").json()
    assert shown["on_duty"] and shown["position_source"] == "members"
    assert client.get(f"{TEAMS}/{team}/roster", params={"day": day.isoformat()}).json() \
        == saved.json()


def test_bad_rosters_are_refused_and_write_nothing(client, session, settings, county_teams):
    team = county_teams.off_duty
    tz = zone(settings.timezone)
    day = datetime.now(tz).date()
    start = datetime.combine(day, datetime.min.time(), tz)
    stranger = members_of(session, county_teams.ids[0])[0]
    good = {"shift": "白班", "starts_at": (start + timedelta(hours=8)).isoformat(),
            "ends_at": (start + timedelta(hours=20)).isoformat(),
            "user_ids": members_of(session, team)}
    cases = {
        "not_a_member": {**good, "user_ids": [stranger]},
        "shift_bounds": {**good, "ends_at": (start + timedelta(hours=40)).isoformat()},
        "shift_outside_day": {**good, "starts_at": (start - timedelta(hours=2)).isoformat()},
    }
    for code, shift in cases.items():
        response = client.put(f"{TEAMS}/{team}/roster",
                              json={"day": day.isoformat(), "shifts": [shift]})
        assert response.status_code == 422, code
        assert response.json()["code"] == code
    naive = client.put(f"{TEAMS}/{team}/roster", json={"day": day.isoformat(), "shifts": [
        {**good, "starts_at": "2026-12-07T08:00:00"}]})
    assert naive.status_code == 422 and naive.json()["code"] == "validation_failed"
    assert session.scalar(text("SELECT count(*) FROM enforcement_roster WHERE team_id = :t"),
                          {"t": team}) == 0


def test_qualifications_refuse_unknown_codes(client, session, county_teams):
    team = county_teams.ids[0]
    response = client.put(f"{TEAMS}/{team}/qualifications",
                          json={"departments": ["no_such_dept"], "matters": []})
    assert response.status_code == 422 and response.json()["code"] == "unknown_department"
    response = client.put(f"{TEAMS}/{team}/qualifications",
                          json={"departments": [], "matters": ["NO-SUCH-MATTER"]})
    assert response.status_code == 422 and response.json()["code"] == "unknown_matter"
    # Nothing written: the team keeps its department's work.
    assert client.get(f"{TEAMS}/{team}").json()["qualifications"]["departments"] != []


def test_availability_names_the_version_read(client, county_teams):
    team = county_teams.ids[1]
    read = client.get(f"{TEAMS}/{team}").json()
    assert read["status"] == "free" and read["status_version"] == 0
    first = client.put(f"{TEAMS}/{team}/availability",
                       json={"status": "busy", "version": 0, "subject_type": "whistle_call",
                             "subject_id": 7})
    assert first.status_code == 200 and first.json()["busy_with"]["subject_id"] == 7
    # A second dispatcher who read version 0 too: 409, his edit does not overwrite.
    second = client.put(f"{TEAMS}/{team}/availability", json={"status": "free", "version": 0})
    assert second.status_code == 409 and second.json()["code"] == "stale_version"
    assert client.get(f"{TEAMS}/{team}").json()["status"] == "busy"
    no_subject = client.put(f"{TEAMS}/{team}/availability",
                            json={"status": "busy", "version": 1})
    assert no_subject.status_code == 422 and no_subject.json()["code"] == "subject_required"


def test_outside_teams_are_not_found_and_officers_do_not_manage(client, session, settings,
                                                                county_teams):
    team = county_teams.ids[0]
    seat = session.scalar(text("SELECT seat_code FROM unit WHERE id = :id"), {"id": team})
    other = session.scalar(text(
        "SELECT code FROM area WHERE level = 'township' AND code LIKE '4302%' "
        "AND code <> :seat AND NOT EXISTS (SELECT 1 FROM unit_area ua WHERE ua.unit_id = :t "
        "AND ua.area_code = area.code) ORDER BY code LIMIT 1"),
        {"seat": seat[:9], "t": team})
    outsider = bearer(settings, role="township_staff", scope_code=other)
    assert client.get(f"{TEAMS}/{team}", headers=outsider).status_code == 404
    officer = bearer(settings, role="enforcement_officer", scope_code="430200")
    response = client.put(f"{TEAMS}/{team}/availability", headers=officer,
                          json={"status": "free", "version": 0})
    assert response.status_code == 403
