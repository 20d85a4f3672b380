"""Open311 GeoReport v2 (/open311/v2) through the app, in JSON and XML: discovery, the
service list and definitions, POST with the api_key (missing, unknown, revoked, valid),
the request becoming a grid incident (source 市民随手拍) whose moves flow back as status,
status_notes and FixMyStreet updates, GET requests with the spec's 90-day window and
1,000 limit, tokens, and the errors array (400, 403, 404) — never problem+json here.

Each request is served in the test's rolled-back session (tests/conftest.py `app`). A
refused POST writes nothing: checked by counting requests and incidents around it.
"""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from convenience.open311.keys import revoke_key
from core.security import Principal
from core.users.enums import Role
from core.workflow import case_types, runner

BASE = "/open311/v2"


def _xml(response) -> ET.Element:
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def _count(session, table: str) -> int:
    return session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def _post(client, fmt: str = "json", **fields):
    return client.post(f"{BASE}/requests.{fmt}", data=fields)


# --- discovery and services ---------------------------------------------------------------

def test_discovery_names_the_endpoint_and_both_formats(anonymous):
    body = anonymous.get("/open311/discovery.json").json()
    endpoint = body["endpoints"][0]
    assert endpoint["url"].endswith("/open311/v2")
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = _xml(anonymous.get(f"{BASE}/discovery.xml"))
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == [
        "text/xml", "application/json"]


def test_the_service_list_is_the_grids_minor_categories(anonymous, session, minor):
    services = anonymous.get(f"{BASE}/services.json").json()
    minors = session.execute(text(
        "SELECT count(*) FROM category m JOIN category p ON p.id = m.parent_id "
        "WHERE m.level = 'minor' AND m.active AND p.active")).scalar_one()
    assert len(services) == minors
    first = next(s for s in services if s["service_code"] == minor)
    assert first["type"] == "realtime" and first["metadata"] is True and first["group"]
    root = _xml(anonymous.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and len(root.findall("service")) == minors
    assert root.find("service/metadata").text == "true"


def test_a_service_definition_has_its_attributes(anonymous, minor):
    definition = anonymous.get(f"{BASE}/services/{minor}.json").json()
    assert definition["service_code"] == minor
    codes = [a["code"] for a in definition["attributes"]]
    assert "found_at" in codes  # the shared one (migration 0020)
    root = _xml(anonymous.get(f"{BASE}/services/{minor}.xml"))
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/datatype").text == "datetime"


def test_an_unknown_service_is_404_in_the_errors_format(anonymous):
    response = anonymous.get(f"{BASE}/services/Z9999.json")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body[0]["code"] == 404 and "Z9999" in body[0]["description"]
    response = anonymous.get(f"{BASE}/services/Z9999.xml")
    assert response.status_code == 404
    root = _xml(response)
    assert root.tag == "errors" and root.find("error/code").text == "404"


def test_an_unknown_format_or_path_is_answered_in_the_errors_format(anonymous):
    response = anonymous.get(f"{BASE}/services.html")
    assert response.status_code == 400 and isinstance(response.json(), list)
    response = anonymous.get(f"{BASE}/nothing.xml")
    assert response.status_code == 404 and _xml(response).tag == "errors"
    response = anonymous.delete(f"{BASE}/services.json")
    assert response.status_code == 405 and response.json()[0]["code"] == 405


# --- the API key ---------------------------------------------------------------------------

def test_post_without_a_key_is_403_and_writes_nothing(anonymous, session, place, minor):
    before = _count(session, "open311_request"), _count(session, "incident")
    response = _post(anonymous, service_code=minor, lat=place.lat, long=place.lon)
    assert response.status_code == 403
    assert response.json()[0]["code"] == 403
    assert "api_key" in response.json()[0]["description"]
    response = _post(anonymous, "xml", api_key="not-a-key", service_code=minor,
                     lat=place.lat, long=place.lon)
    assert response.status_code == 403 and _xml(response).find("error/code").text == "403"
    assert (_count(session, "open311_request"), _count(session, "incident")) == before


def test_a_revoked_key_is_refused(anonymous, session, api_key, place, minor):
    ok = _post(anonymous, api_key=api_key, service_code=minor, lat=place.lat, long=place.lon)
    assert ok.status_code == 200
    revoke_key(session, app_name="测试市民通", actor="test")
    refused = _post(anonymous, api_key=api_key, service_code=minor, lat=place.lat,
                    long=place.lon)
    assert refused.status_code == 403


# --- POST: an incident, and its status flowing back ------------------------------------------

def test_a_request_with_a_location_becomes_an_incident_whose_moves_flow_back(
        anonymous, session, settings, api_key, place, minor, file_pending):
    response = _post(anonymous, api_key=api_key, service_code=minor, lat=place.lat,
                     long=place.lon, description="井盖缺失，夜间危险", email="a@example.com",
                     first_name="三", last_name="张", phone="13800000000",
                     media_url="https://example.com/p.jpg",
                     **{"attribute[found_at]": "2026-12-07T08:30:00+08:00"})
    assert response.status_code == 200, response.text
    created = response.json()[0]
    assert "token" not in created  # realtime: the id, not a token
    request_id = int(created["service_request_id"])
    # Accepted, not yet filed: GET shows it open, being dispatched, with no expectation.
    accepted = anonymous.get(f"{BASE}/requests/{request_id}.json").json()[0]
    assert (accepted["status"], accepted["status_notes"]) == ("open", "已受理，正在分派")
    assert accepted["expected_datetime"] is None
    listed = anonymous.get(f"{BASE}/requests.json",
                           params={"service_request_id": request_id}).json()
    assert [r["status_notes"] for r in listed] == ["已受理，正在分派"]
    assert session.execute(text("SELECT count(*) FROM case_link WHERE a_type = "
                                "'open311_request' AND a_id = :r"), {"r": request_id}
                           ).scalar_one() == 0
    assert file_pending() == [request_id]
    assert file_pending() == []  # filed once: a repeated task finds it linked
    row = session.execute(text(
        "SELECT subject_type, subject_id, api_key_id, attributes FROM open311_request "
        "WHERE id = :id"), {"id": request_id}).one()
    assert row.subject_type == "incident"
    assert row.attributes == {"found_at": "2026-12-07T08:30:00+08:00"}
    incident = session.execute(text(
        "SELECT source, grid_code, state, description FROM incident WHERE id = :id"),
        {"id": row.subject_id}).one()
    assert (incident.source, incident.grid_code, incident.state) == (
        "citizen_app", place.grid_code, "reported")
    # The kernel link, seen from the incident.
    assert session.execute(text(
        "SELECT kind FROM case_link WHERE a_type = 'open311_request' AND a_id = :r "
        "AND b_type = 'incident' AND b_id = :i"), {"r": request_id, "i": row.subject_id}
    ).scalar_one() == "became"

    got = anonymous.get(f"{BASE}/requests/{request_id}.json").json()[0]
    assert got["status"] == "open" and got["lat"] == pytest.approx(place.lat)
    assert "email" not in got and "phone" not in got  # no personal data
    assert got["media_url"] == "https://example.com/p.jpg"

    # The centre files it, then voids it with a reason: the request follows.
    incident_type = case_types.get("incident")
    centre = Principal(0, "test-centre", Role.township_staff, place.township)
    for move, reason in (("file", None), ("void", "重复上报，已合并处理")):
        subject = session.get(incident_type.model, row.subject_id)
        runner.run(session, incident_type, subject, move, principal=centre,
                   data={"reason": reason}, expected_version=subject.version,
                   settings=settings)
    session.flush()
    got = anonymous.get(f"{BASE}/requests/{request_id}.json").json()[0]
    assert got["status"] == "closed"
    voided = incident_type.workflow.labels["void"]  # the grid's own word (作废)
    assert got["status_notes"] == f"{voided}：重复上报，已合并处理"
    root = _xml(anonymous.get(f"{BASE}/requests/{request_id}.xml"))
    assert root.find("request/status").text == "closed"

    updates = anonymous.get(f"{BASE}/servicerequestupdates.json").json()
    mine = [u for u in updates if u["service_request_id"] == str(request_id)]
    assert [u["status"] for u in mine] == ["open", "open", "closed"]  # 信息收集, 立案, 作废
    assert mine[-1]["description"] == f"{voided}：重复上报，已合并处理"
    root = _xml(anonymous.get(f"{BASE}/servicerequestupdates.xml"))
    assert root.tag == "service_request_updates"
    assert len(root.findall("request_update")) >= 3
    # Read again: no update is written twice.
    again = anonymous.get(f"{BASE}/servicerequestupdates.json").json()
    assert len([u for u in again if u["service_request_id"] == str(request_id)]) == 3


def test_post_in_xml(anonymous, api_key, place, minor):
    response = _post(anonymous, "xml", api_key=api_key, service_code=minor, lat=place.lat,
                     long=place.lon, description="<b>不是标签</b> & 符号")
    assert response.status_code == 200
    root = _xml(response)
    assert root.tag == "service_requests"
    request_id = root.find("request/service_request_id").text
    got = _xml(anonymous.get(f"{BASE}/requests/{request_id}.xml"))
    assert got.find("request/description").text == "<b>不是标签</b> & 符号"


def test_an_address_only_request_becomes_a_12345_work_order(anonymous, session, api_key,
                                                               minor, file_pending):
    response = _post(anonymous, api_key=api_key, service_code=minor,
                     address_string="芦淞区建设路 12 号附近", phone="13900000000")
    assert response.status_code == 200, response.text
    request_id = int(response.json()[0]["service_request_id"])
    assert file_pending() == [request_id]
    subject = session.execute(text("SELECT subject_type, subject_id FROM open311_request "
                                   "WHERE id = :id"), {"id": request_id}).one()
    assert subject.subject_type == "work_order"
    order = session.execute(text("SELECT state, channel, caller_phone FROM work_order "
                                 "WHERE id = :id"), {"id": subject.subject_id}).one()
    assert tuple(order) == ("registered", "open311", "13900000000")
    got = anonymous.get(f"{BASE}/requests/{request_id}.json").json()[0]
    assert got["status"] == "open" and got["status_notes"].startswith("已受理")


@pytest.mark.parametrize("fields, code", [
    ({}, 400),  # no service_code
    ({"service_code": "Z9999", "lat": 27.8, "long": 113.1}, 404),
    ({"lat": 27.8}, 400),  # lat without long
    ({"lat": 91, "long": 113.1}, 400),
    ({"lat": "north", "long": 113.1}, 400),
    ({}, "no location"),
    ({"lat": 27.8, "long": 113.1, "media_url": "ftp://x/y"}, 400),
    ({"lat": 27.8, "long": 113.1, "attribute[nope]": "1"}, 400),
    ({"lat": 27.8, "long": 113.1, "attribute[found_at]": "yesterday"}, 400),
    ({"lat": 27.8, "long": 113.1, "description": "x" * 4001}, 400),
    ({"lat": 0.0, "long": 0.0}, 400),  # outside every grid
])
def test_bad_posts_are_400_or_404_and_write_nothing(anonymous, session, api_key, minor,
                                                    fields, code):
    fields = dict(fields)
    if code == "no location":
        fields, code = {"service_code": minor}, 400
    elif code == 400 and fields and "service_code" not in fields:
        fields["service_code"] = minor
    tables = ("open311_request", "incident", "outbox_message")
    before = [_count(session, table) for table in tables]
    response = _post(anonymous, api_key=api_key, **fields)
    assert response.status_code == code, response.text
    body = response.json()
    assert isinstance(body, list) and body[0]["description"]
    assert "application/problem+json" not in response.headers["content-type"]
    # Refused before acceptance: no request, no incident, no filing task.
    assert [_count(session, table) for table in tables] == before


# --- GET requests: filters, the 90-day window, the 1,000 limit, tokens -----------------------

def _insert_requests(session, *, count: int, ago: timedelta, status: str = "open",
                     service_code: str = "S0101") -> list[int]:
    now = datetime.now(UTC)
    return list(session.execute(text("""
        INSERT INTO open311_request (token, channel, service_code, service_name, status,
                                     requested_at, updated_at)
        SELECT md5(random()::text || g), 'open311', :code, '测试', :status,
               :at - g * interval '1 second', :at - g * interval '1 second'
        FROM generate_series(1, :n) g RETURNING id"""),
        {"code": service_code, "status": status, "at": now - ago, "n": count}).scalars())


def test_the_default_window_is_the_last_90_days(anonymous, session):
    old = _insert_requests(session, count=1, ago=timedelta(days=100))[0]
    recent = _insert_requests(session, count=1, ago=timedelta(days=1))[0]
    ids = {r["service_request_id"] for r in anonymous.get(f"{BASE}/requests.json").json()}
    assert str(recent) in ids and str(old) not in ids
    start = (datetime.now(UTC) - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (datetime.now(UTC) - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = {r["service_request_id"] for r in anonymous.get(
        f"{BASE}/requests.json", params={"start_date": start, "end_date": end}).json()}
    assert str(old) in ids and str(recent) not in ids
    # Only a start: 90 days from it.
    ids = {r["service_request_id"] for r in anonymous.get(
        f"{BASE}/requests.json", params={"start_date": start}).json()}
    assert str(old) in ids and str(recent) not in ids


def test_a_window_over_90_days_or_without_a_zone_is_400(anonymous):
    response = anonymous.get(f"{BASE}/requests.json", params={
        "start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02T00:00:00Z"})
    assert response.status_code == 400 and "90 days" in response.json()[0]["description"]
    response = anonymous.get(f"{BASE}/requests.xml", params={
        "start_date": "2026-01-01T00:00:00"})
    assert response.status_code == 400 and _xml(response).tag == "errors"
    response = anonymous.get(f"{BASE}/requests.json", params={"status": "pending"})
    assert response.status_code == 400


def test_at_most_1000_requests_newest_first(anonymous, session):
    ids = _insert_requests(session, count=1005, ago=timedelta(hours=1))
    body = anonymous.get(f"{BASE}/requests.json").json()
    assert len(body) == 1000
    assert body[0]["service_request_id"] == str(ids[0])  # the newest of them
    assert len(_xml(anonymous.get(f"{BASE}/requests.xml")).findall("request")) == 1000


def test_filters_by_id_code_and_status(anonymous, session):
    a, b = _insert_requests(session, count=2, ago=timedelta(hours=2), service_code="S0102")
    closed = _insert_requests(session, count=1, ago=timedelta(hours=2), status="closed",
                              service_code="S0103")[0]
    body = anonymous.get(f"{BASE}/requests.json",
                         params={"service_request_id": f"{a},{closed}"}).json()
    assert {r["service_request_id"] for r in body} == {str(a), str(closed)}
    body = anonymous.get(f"{BASE}/requests.json", params={"service_code": "S0102"}).json()
    assert {r["service_request_id"] for r in body} >= {str(a), str(b)}
    assert all(r["service_code"] == "S0102" for r in body)
    body = anonymous.get(f"{BASE}/requests.json", params={"status": "closed"}).json()
    assert str(closed) in {r["service_request_id"] for r in body}
    assert all(r["status"] == "closed" for r in body)
    # service_request_id overrides the others.
    body = anonymous.get(f"{BASE}/requests.json", params={
        "service_request_id": str(a), "status": "closed", "service_code": "S0103"}).json()
    assert [r["service_request_id"] for r in body] == [str(a)]


def test_tokens_resolve_to_the_request(anonymous, session, api_key, place, minor):
    created = _post(anonymous, api_key=api_key, service_code=minor, lat=place.lat,
                    long=place.lon).json()[0]
    token = session.execute(text("SELECT token FROM open311_request WHERE id = :id"),
                            {"id": int(created["service_request_id"])}).scalar_one()
    body = anonymous.get(f"{BASE}/tokens/{token}.json").json()
    assert body == [{"service_request_id": created["service_request_id"], "token": token}]
    root = _xml(anonymous.get(f"{BASE}/tokens/{token}.xml"))
    assert root.find("request/token").text == token
    assert anonymous.get(f"{BASE}/tokens/nope.json").status_code == 404


def test_an_unknown_request_is_404(anonymous):
    assert anonymous.get(f"{BASE}/requests/999999999.json").status_code == 404
    response = anonymous.get(f"{BASE}/requests/abc.xml")
    assert response.status_code == 404 and _xml(response).tag == "errors"
