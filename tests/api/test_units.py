"""/api/v1/departments, /units, /memberships and `gridgov units`: every role reads the units
serving its territory, an admin manages those of their scope; refusals are problem+json
with a stable `error`.

HTTP tests run in the rolled-back `session` (the `client` fixture: a city admin). The CLI
commits: its test works on a unit made for it and deletes it afterwards.
"""

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from api.cli import app as cli_app
from core.codes import contains
from core.db import get_engine
from core.units.memberships import today
from tests.conftest import bearer

pytestmark = pytest.mark.usefixtures("demo_city")
PROBLEM = "application/problem+json"
COUNTY, OTHER_COUNTY = "430202", "430203"
TOWNSHIP = "430202001"
CARD = {"credential_number": "43020299000002", "credential_issuer": "荷塘区人民政府",
        "credential_expires_on": (today() + timedelta(days=400)).isoformat()}


def as_role(settings, role: str, scope_code: str) -> dict[str, str]:
    return bearer(settings, role=role, scope_code=scope_code, username=f"t-{role}")


def unit_id(session, code: str) -> int:
    return session.scalar(text("SELECT id FROM unit WHERE code = :c"), {"c": code})


def user_id(session, username: str) -> int:
    return session.scalar(text("SELECT id FROM app_user WHERE username = :u"), {"u": username})


def new_unit(client, headers=None, **fields):
    body = {"code": "api-squadron", "name": "接口测试中队", "kind": "squadron",
            "platform": "enforcement", "department_code": "chengguan", "seat_code": TOWNSHIP,
            "area_codes": [TOWNSHIP]} | fields
    return client.post("/api/v1/units", json=body, headers=headers or {})


def test_departments_for_every_role(client, settings):
    response = client.get("/api/v1/departments",
                          headers=as_role(settings, "grid_worker", TOWNSHIP + "001"))
    assert response.status_code == 200
    names = {d["code"]: d["name"] for d in response.json()}
    assert names["chengguan"] == "城市管理" and names["ecology"] == "生态环境"


def test_a_township_desk_sees_the_units_serving_it_and_no_other_countys(client, session,
                                                                       settings):
    response = client.get("/api/v1/units", params={"platform": "enforcement", "limit": 1000},
                          headers=as_role(settings, "township_staff", TOWNSHIP))
    assert response.status_code == 200
    codes = {unit["code"] for unit in response.json()["items"]}
    # The 城管 squadron covering the township (a squadron covers several townships).
    squadron = session.scalar(text(
        "SELECT u.code FROM unit u JOIN unit_area ua ON ua.unit_id = u.id "
        "WHERE u.kind = 'squadron' AND u.department_code = 'chengguan' "
        "AND ua.area_code = :t"), {"t": TOWNSHIP})
    assert squadron is not None
    assert {f"{COUNTY}-brigade-chengguan", f"{COUNTY}-brigade-ecology",
            f"{TOWNSHIP}-enforcement_team", squadron} <= codes
    assert not any(code.startswith(OTHER_COUNTY) for code in codes)


def test_list_filters_and_the_shape_of_a_unit(client):
    response = client.get("/api/v1/units", params={"kind": "brigade", "department": "ecology"})
    body = response.json()
    assert body["total"] == 9 and len(body["items"]) == 9
    unit = body["items"][0]
    assert unit["kind_label"] == "执法大队" and unit["department"] == "生态环境"
    assert unit["location"]["type"] == "Point" and len(unit["location"]["coordinates"]) == 2
    assert unit["members"] >= 2 and unit["version"] == 1
    response = client.get("/api/v1/units", params={"serving": "99"})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM


def test_serving_a_grid_lists_exactly_the_units_that_cover_it(client, session, settings):
    """The consoles' dispatch and referral lists (`serving=<grid>`): every active unit whose
    jurisdiction contains the grid, the rule the dispatch and the referral check, and no
    other; for a village's desk the same list."""
    grid = session.scalar(text("SELECT code FROM area WHERE level = 'grid' AND code LIKE "
                               ":t || '%' ORDER BY code LIMIT 1"), {"t": TOWNSHIP})
    areas = session.execute(text("SELECT ua.unit_id, ua.area_code FROM unit_area ua "
                                 "JOIN unit u ON u.id = ua.unit_id WHERE u.is_active")).all()
    covering = {unit for unit, area in areas if contains(area, grid)}
    response = client.get("/api/v1/units", params={"serving": grid, "limit": 1000})
    assert response.status_code == 200
    body = response.json()
    assert {u["id"] for u in body["items"]} == covering and body["total"] == len(covering)
    assert {"centre", "service_station", "enforcement_team", "market_office", "squadron",
            "brigade", "department"} <= {u["kind"] for u in body["items"]}
    assert all(not u["seat_code"].startswith(OTHER_COUNTY) for u in body["items"])
    desk = client.get("/api/v1/units", params={"serving": grid, "limit": 1000},
                      headers=as_role(settings, "village_staff", grid[:12]))
    assert {u["id"] for u in desk.json()["items"]} == covering


def test_an_admin_creates_edits_and_deactivates_a_unit(client, session):
    created = new_unit(client)
    assert created.status_code == 201, created.text
    unit = created.json()
    seat = session.scalar(text("SELECT name FROM area WHERE code = :t"), {"t": TOWNSHIP})
    assert (unit["area_codes"], unit["seat"], unit["version"]) == ([TOWNSHIP], seat, 1)
    edited = client.patch(f"/api/v1/units/{unit['id']}",
                          json={"version": 1, "name": "接口测试第二中队"})
    assert edited.status_code == 200 and edited.json()["version"] == 2
    stale = client.patch(f"/api/v1/units/{unit['id']}", json={"version": 1, "name": "旧"})
    assert stale.status_code == 409 and stale.headers["content-type"] == PROBLEM
    assert stale.json()["code"] == "unit_stale" and stale.json()["version"] == 2
    assert client.delete(f"/api/v1/units/{unit['id']}", params={"version": 1}
                         ).status_code == 409
    gone = client.delete(f"/api/v1/units/{unit['id']}", params={"version": 2})
    assert gone.status_code == 200 and gone.json()["is_active"] is False
    listed = client.get("/api/v1/units", params={"q": "api-squadron"}).json()
    assert listed["total"] == 0
    listed = client.get("/api/v1/units", params={"q": "api-squadron",
                                                 "include_inactive": True}).json()
    assert [u["is_active"] for u in listed["items"]] == [False]


@pytest.mark.parametrize(("fields", "status", "error"), [
    ({"platform": "weather"}, 422, "unit_platform_unknown"),
    ({"area_codes": ["430202999"]}, 422, "area_unknown"),
    ({"kind": "centre", "platform": "grid", "area_codes": [TOWNSHIP]}, 409,
     "unit_centre_taken"),
    ({"code": f"{COUNTY}-centre"}, 409, "unit_code_taken"),
])
def test_bad_units_are_refused_with_a_stable_error(client, fields, status, error):
    response = new_unit(client, **fields)
    assert response.status_code == status and response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == error


def test_a_null_for_a_required_field_is_refused(client, session):
    response = client.patch(f"/api/v1/units/{unit_id(session, f'{COUNTY}-centre')}",
                            json={"version": 1, "name": None})
    assert response.status_code == 422 and "cannot be null" in response.text


def test_another_districts_admin_gets_404_everywhere(client, settings, session):
    theirs = as_role(settings, "admin", OTHER_COUNTY)
    assert new_unit(client, headers=theirs).status_code == 404
    unit = unit_id(session, f"{COUNTY}-brigade-chengguan")
    for method, path, body in (
            ("GET", f"/api/v1/units/{unit}", None),
            ("PATCH", f"/api/v1/units/{unit}", {"version": 1, "name": "夺"}),
            ("DELETE", f"/api/v1/units/{unit}", None),
            ("GET", f"/api/v1/units/{unit}/members", None),
            ("GET", f"/api/v1/units/{unit}/jurisdiction", None),
            ("POST", f"/api/v1/units/{unit}/members",
             {"user_id": user_id(session, "demo_supervisor"), "position": "reviewer"})):
        response = client.request(method, path, json=body, headers=theirs)
        assert response.status_code == 404, (method, path, response.text)
        assert response.headers["content-type"] == PROBLEM
    membership = session.scalar(text("SELECT id FROM membership WHERE unit_id = :u LIMIT 1"),
                                {"u": unit})
    assert client.delete(f"/api/v1/memberships/{membership}", headers=theirs
                         ).status_code == 404


def test_only_admins_write(client, settings, session):
    desk = as_role(settings, "county_dispatcher", COUNTY)
    assert new_unit(client, headers=desk).status_code == 403
    unit = unit_id(session, f"{COUNTY}-brigade-chengguan")
    assert client.get(f"/api/v1/units/{unit}", headers=desk).status_code == 200
    assert client.post(f"/api/v1/units/{unit}/members", headers=desk,
                       json={"user_id": 1, "position": "head"}).status_code == 403


def test_members_added_listed_edited_and_ended(client, session):
    unit = unit_id(session, f"{COUNTY}-squadron-chengguan-1")
    supervisor = user_id(session, "demo_supervisor")
    refused = client.post(f"/api/v1/units/{unit}/members",
                          json={"user_id": supervisor, "position": "handler"})
    assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    assert refused.json()["code"] == "membership_credential_required"
    added = client.post(f"/api/v1/units/{unit}/members",
                        json={"user_id": supervisor, "position": "handler", **CARD})
    assert added.status_code == 201, added.text
    membership = added.json()
    assert (membership["position_label"], membership["credential_valid"],
            membership["username"]) == ("承办人", True, "demo_supervisor")
    listed = client.get(f"/api/v1/units/{unit}/members", params={"position": "handler"}).json()
    assert sorted(m["credential_valid"] for m in listed) == [False, True, True]
    patched = client.patch(f"/api/v1/memberships/{membership['id']}",
                           json={"version": 1, "credential_issuer": "株洲市人民政府"})
    assert patched.status_code == 200 and patched.json()["version"] == 2
    stale = client.patch(f"/api/v1/memberships/{membership['id']}",
                         json={"version": 1, "position": "reviewer"})
    assert stale.status_code == 409 and stale.json()["code"] == "membership_stale"
    ended = client.delete(f"/api/v1/memberships/{membership['id']}")
    assert ended.status_code == 200 and ended.json()["is_active"] is False
    listed = client.get(f"/api/v1/units/{unit}/members", params={"include_ended": True}).json()
    assert membership["id"] in [m["id"] for m in listed if not m["is_active"]]


def test_the_jurisdiction_as_geojson(client, session):
    unit = unit_id(session, f"{COUNTY}-squadron-market-1")
    response = client.get(f"/api/v1/units/{unit}/jurisdiction", params={"simplify": 50})
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    covered = session.scalar(text("SELECT count(*) FROM unit_area WHERE unit_id = :u"),
                             {"u": unit})
    assert [f["properties"]["level"] for f in body["features"]] == ["township"] * covered


# --- the command line -------------------------------------------------------------------

@pytest.fixture
def cli(database_url, engine):
    get_engine.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(cli_app, [str(arg) for arg in args])
    with Session(engine) as session:
        session.execute(text("DELETE FROM unit WHERE code = 'cli-team'"))
        session.commit()
    get_engine().dispose()
    get_engine.cache_clear()


def test_the_units_commands(cli, engine):
    made = cli("units", "create", "--code", "cli-team", "--name", "命令行测试中队", "--kind",
               "squadron", "--platform", "enforcement", "--department", "chengguan",
               "--parent", f"{COUNTY}-brigade-chengguan", "--seat", TOWNSHIP,
               "--area", TOWNSHIP)
    assert made.exit_code == 0, made.output
    refused = cli("units", "add-member", "--unit", "cli-team", "--user", "demo_supervisor",
                  "--position", "handler")
    assert refused.exit_code == 2 and "执法证" in refused.output
    added = cli("units", "add-member", "--unit", "cli-team", "--user", "demo_supervisor",
                "--position", "handler", "--credential", "43020299000003", "--issuer",
                "荷塘区人民政府", "--expires", CARD["credential_expires_on"])
    assert added.exit_code == 0, added.output
    members = cli("units", "members", "cli-team", "--json")
    assert members.exit_code == 0, members.output
    (member,) = json.loads(members.output)
    assert (member["username"], member["credential_number"], member["credential_valid"]) == (
        "demo_supervisor", "43020299000003", True)
    assert cli("units", "members", "cli-team").exit_code == 0  # the table
    listed = cli("units", "list", "--search", "cli-team", "--json")
    assert listed.exit_code == 0 and '"members": 1' in listed.output
    with engine.connect() as connection:
        membership = connection.execute(text(
            "SELECT m.id FROM membership m JOIN unit u ON u.id = m.unit_id "
            "WHERE u.code = 'cli-team'")).scalar_one()
    ended = cli("units", "end-member", membership)
    assert ended.exit_code == 0, ended.output
    with engine.connect() as connection:
        assert connection.execute(text("SELECT is_active FROM membership WHERE id = :id"),
                                  {"id": membership}).scalar_one() is False
    assert cli("units", "end-member", 0).exit_code == 2


def test_demo_accounts_tell_how_to_find_the_members_and_the_expired_credentials(cli):
    result = cli("demo", "accounts")
    assert result.exit_code == 0, result.output
    text_out = " ".join(result.output.split())
    assert "<unit code>.<position><n>" in text_out and "gridgov units members" in text_out
    assert f"{COUNTY}-squadron-chengguan-1.handler2" in text_out
    assert f"{COUNTY}-squadron-market-1.handler2" in text_out
    # A concrete grid worker's login, and people's names rather than role names.
    # People's names rather than role names (pages show the names).
    assert "demo_grid_worker" in text_out and "王建军" in text_out and "演示 " not in text_out
