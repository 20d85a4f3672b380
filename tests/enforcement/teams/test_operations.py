"""联合执法行动 (issue §7): a lead and cooperating departments with tasks, over an area
drawn or chosen; one visit records every department's checks; stale edits are 409;
bad areas are 422 and write nothing; operations, teams and whistles are map layers."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.conftest import bearer

OPERATIONS = "/api/v1/enforcement/operations"


@pytest.fixture
def township(session, demo_city):
    return session.execute(text(
        "SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM area "
        "WHERE level = 'township' AND code LIKE '430202%' ORDER BY code LIMIT 1")).one()


def _square(lon, lat, half=0.002):
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


def _body(**extra):
    start = datetime.now(UTC)
    return {"title": "占道经营联合整治", "lead_department_code": "chengguan",
            "lead_tasks": ["制定方案", "现场指挥"],
            "cooperating": [{"department_code": "market", "tasks": ["证照检查"]},
                            {"department_code": "ecology", "tasks": ["油烟检测"]}],
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(days=1)).isoformat(),
            "objects": [{"name": "一号门店", "checks": [
                {"department_code": "chengguan", "check": "门前三包"},
                {"department_code": "market", "check": "营业执照"},
                {"department_code": "ecology", "check": "油烟净化"}]}], **extra}


def test_an_operation_over_a_drawn_area(client, township):
    code, lon, lat = township
    created = client.post(OPERATIONS, json=_body(geometry=_square(lon, lat)))
    assert created.status_code == 201, created.text
    operation = created.json()
    # It lies in the smallest area holding the drawing (the village or the township).
    assert operation["area_code"].startswith(code) and operation["chosen_area_code"] is None
    assert operation["geometry"]["type"] == "MultiPolygon"
    roles = {d["department_code"]: d for d in operation["departments"]}
    assert roles["chengguan"]["role"] == "lead" and roles["market"]["tasks"] == ["证照检查"]
    listed = client.get(OPERATIONS, params={"department": "ecology"}).json()
    assert operation["id"] in [item["id"] for item in listed["items"]]


def test_an_operation_over_a_chosen_area_and_one_visit(client, township):
    code, _, _ = township
    operation = client.post(OPERATIONS, json=_body(area_code=code)).json()
    assert operation["area_code"] == code == operation["chosen_area_code"]
    thing = operation["objects"][0]
    visit = f"{OPERATIONS}/{operation['id']}/objects/{thing['id']}/visit"
    partial = client.post(visit, json={"version": thing["version"], "results": [
        {"department_code": "chengguan", "check": "门前三包", "result": "compliant"}]})
    assert partial.status_code == 422 and partial.json()["code"] == "checks_missing"
    results = [{"department_code": c["department_code"], "check": c["check"],
                "result": "compliant"} for c in thing["checks"]]
    done = client.post(visit, json={"version": thing["version"], "results": results})
    assert done.status_code == 200, done.text
    assert done.json()["visited_at"] and all(c["result"] for c in done.json()["checks"])
    again = client.post(visit, json={"version": thing["version"] + 1, "results": results})
    assert again.status_code == 409 and again.json()["code"] == "already_visited"


def test_edits_name_the_version_read(client, township):
    operation = client.post(OPERATIONS, json=_body(area_code=township[0])).json()
    url = f"{OPERATIONS}/{operation['id']}"
    first = client.patch(url, json={"version": operation["version"], "state": "running"})
    assert first.status_code == 200 and first.json()["state"] == "running"
    stale = client.patch(url, json={"version": operation["version"], "title": "改名"})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    back = client.patch(url, json={"version": first.json()["version"], "state": "planned"})
    assert back.status_code == 409 and back.json()["code"] == "state_not_allowed"
    assert client.delete(url, params={"version": first.json()["version"]}).status_code == 409
    swapped = client.patch(url, json={"version": first.json()["version"],
                                      "lead_department_code": "market",
                                      "cooperating": [{"department_code": "chengguan"}]})
    assert swapped.status_code == 200, swapped.text
    assert {(d["department_code"], d["role"]) for d in swapped.json()["departments"]} == {
        ("market", "lead"), ("chengguan", "cooperating")}


def test_bad_areas_are_refused_and_write_nothing(client, session, settings, township):
    code, lon, lat = township
    before = session.scalar(text("SELECT count(*) FROM enforcement_operation"))
    bowtie = {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.01, lat + 0.01],
                                                  [lon + 0.01, lat], [lon, lat + 0.01],
                                                  [lon, lat]]]}
    for body, expected in ((_body(geometry=bowtie), "invalid_geometry"),
                           (_body(), "area_required"),
                           (_body(area_code="439999"), "unknown_area"),
                           (_body(geometry=_square(lon + 5, lat)), "outside_territory"),
                           (_body(lead_department_code="no_such", area_code=code),
                            "unknown_department")):
        response = client.post(OPERATIONS, json=body)
        assert response.status_code == 422, (expected, response.text)
        assert response.json()["code"] == expected
    duplicate = _body(area_code=code)
    duplicate["cooperating"].append({"department_code": "chengguan"})
    assert client.post(OPERATIONS, json=duplicate).json()["code"] == "duplicate_department"
    other = session.scalar(text("SELECT code FROM area WHERE level = 'township' "
                                "AND code LIKE '430203%' ORDER BY code LIMIT 1"))
    outsider = bearer(settings, role="township_staff", scope_code=other)
    assert client.post(OPERATIONS, json=_body(area_code=code),
                       headers=outsider).json()["code"] == "outside_territory"
    assert session.scalar(text("SELECT count(*) FROM enforcement_operation")) == before


def test_teams_operations_and_whistles_are_layers(client, settings, township,
                                                  county_teams):
    code, lon, lat = township
    operation = client.post(OPERATIONS, json=_body(area_code=code)).json()
    whistle = client.post("/api/v1/enforcement/whistles", json={
        "matter": "测试", "departments": ["chengguan"], "lon": lon, "lat": lat}).json()
    names = [layer["name"] for layer in client.get("/api/v1/layers").json()]
    assert {"enforcement_teams", "enforcement_operations", "enforcement_whistles"} <= \
        set(names)
    bbox = f"{lon - 0.5},{lat - 0.5},{lon + 0.5},{lat + 0.5}"
    ops = client.get("/api/v1/layers/enforcement_operations/features",
                     params={"bbox": bbox}).json()
    assert operation["id"] in [f["id"] for f in ops["features"]]
    calls = client.get("/api/v1/layers/enforcement_whistles/features",
                       params={"bbox": bbox}).json()
    feature = next(f for f in calls["features"] if f["id"] == whistle["id"])
    assert feature["properties"]["open_calls"] == 1
    teams = client.get("/api/v1/layers/enforcement_teams/features",
                       params={"bbox": "110,25,116,30", "limit": 1000}).json()
    assert {f["id"] for f in teams["features"]} >= set(county_teams.ids)
    ogc = client.get("/ogc/collections/enforcement_whistles/items",
                     params={"bbox": bbox, "limit": 10})
    assert ogc.status_code == 200, ogc.text
    assert whistle["id"] in [f["id"] for f in ogc.json()["features"]]
    # Scoped: a township of another county sees neither.
    other = bearer(settings, role="township_staff", scope_code="430203001")
    hidden = client.get("/api/v1/layers/enforcement_operations/features",
                        params={"bbox": bbox}, headers=other).json()
    assert operation["id"] not in [f["id"] for f in hidden["features"]]
