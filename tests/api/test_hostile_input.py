"""Hostile input (issue 11 §2): each class gets a 4xx problem+json with its stable code,
and writes nothing (every table's row count is the same after).

NUL characters anywhere text arrives (JSON, forms, the unauthenticated login, paths,
queries), integers beyond 64 bits in paths and queries (every operation that takes one)
and in bodies, moments no calendar holds. The gate is api/limits.py; the safety nets
behind it are api/errors.py's. Images and body sizes: test_hostile_bodies.py.
"""

import json

import pytest

from tests.api.hostile import PROBLEM, category, patroller, refused, row_counts, spot, staff
from tests.grid.incidents.conftest import new_key, report, report_body

__all__ = ["category", "patroller", "spot", "staff"]  # fixtures, imported for this module

HUGE = "19490857233094197248"  # > 2**64
INT64_MAX = 2**63 - 1


# --- NUL characters ----------------------------------------------------------------------

def _users_post(client, staff, spot, category, nul):
    return client.post("/api/v1/users", json={
        "username": "nul_user", "password": "Ward-Office-2026!", "role": "village_staff",
        "scope_code": "430202001001", "full_name": f"张{nul}三", "phone": "13812345678"})


def _users_patch(client, staff, spot, category, nul):
    user_id = staff.principal.user_id
    return client.patch(f"/api/v1/users/{user_id}", json={"version": 1, "full_name": f"李{nul}"})


def _report(field):
    def send(client, staff, spot, category, nul):
        body = report_body(spot, category)
        body[field] = f"{body.get(field) or category}{nul}x"
        return report(client, spot.worker, body)
    return send


NUL_IN_JSON = {
    "report description": _report("description"),
    "report address": _report("address"),
    "report category": _report("category"),
    "user full name": _users_post,
    "user edit": _users_patch,
}


@pytest.mark.parametrize("send", NUL_IN_JSON.values(), ids=NUL_IN_JSON.keys())
def test_a_nul_in_json_text_is_refused(client, session, staff, spot, category, send):
    before = row_counts(session)
    body = refused(send(client, staff, spot, category, "\x00"), 422, "nul_character")
    assert body["where"] == "body"
    assert row_counts(session) == before


def test_a_raw_nul_byte_in_a_json_body_is_refused(client, session, spot, category):
    raw = json.dumps(report_body(spot, category), ensure_ascii=False).replace("路边", "路\x00边")
    response = client.post("/api/v1/incidents", content=raw.encode(), headers={
        **spot.worker.headers, "Idempotency-Key": new_key(),
        "Content-Type": "application/json"})
    refused(response, 422, "nul_character")


def test_an_escaped_backslash_before_u0000_is_plain_text(client, spot, category):
    """`\\\\u0000` in JSON is a backslash and the letters u0000: text, not a NUL."""
    response = report(client, spot.worker, report_body(spot, category,
                                                        description="路径 C:\\u0000 旁"))
    assert response.status_code == 201, response.text
    assert response.json()["description"] == "路径 C:\\u0000 旁"


@pytest.mark.parametrize("multipart", [False, True], ids=["form", "multipart"])
def test_a_nul_in_the_unauthenticated_login_name_is_refused(anonymous, session, demo_city,
                                                            multipart):
    before = row_counts(session)
    fields = {"username": "demo_admin\x00", "password": "whatever"}
    if multipart:
        response = anonymous.post("/api/v1/auth/token",
                                  files={k: (None, v) for k, v in fields.items()})
    else:
        response = anonymous.post("/api/v1/auth/token", data=fields)
    refused(response, 422, "nul_character")
    assert row_counts(session) == before  # not even the audit of a failed login


@pytest.mark.parametrize("url", [
    "/api/v1/incidents?category=S01%0002",
    "/api/v1/areas?parent=430202%00",
    "/api/v1/areas/4302%0002",
    "/map/4302%0002",
])
def test_a_nul_in_a_path_or_query_is_refused(client, demo_city, url):
    body = refused(client.get(url), 422, "nul_character")
    assert body["where"] in ("path", "query")


# --- integers beyond 64 bits -------------------------------------------------------------

# Plausible values for the path parameters that are not integers.
PATH_VALUES = {"code": "430200", "layer": "incidents", "action": "file", "year": "2026",
               "collection_id": "incidents", "collectionId": "incidents", "format": "geojson"}


def _integer_parameters(app) -> list[tuple[str, str, str, str]]:
    """(method, path template, parameter, where) of every integer path or query parameter
    of every operation in the OpenAPI."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
                if "integer" in types and parameter["in"] in ("path", "query"):
                    found.append((method.upper(), path, parameter["name"], parameter["in"]))
    return found


def _url(path: str, parameter: str | None, where: str | None, value: str) -> str:
    def fill(segment: str) -> str:
        if not (segment.startswith("{") and "}" in segment):
            return segment
        name, rest = segment[1:].split("}", 1)
        if where == "path" and name == parameter:
            return value + rest
        return PATH_VALUES.get(name, "1") + rest
    url = "/".join(fill(segment) for segment in path.split("/"))
    return f"{url}?{parameter}={value}" if where == "query" else url


def test_every_integer_parameter_beyond_64_bits_is_422(app, client, demo_city, session):
    parameters = _integer_parameters(app)
    # Ids in paths, limit and offset, tile coordinates: the operations the probe found
    # (seven of them gave 500) and every other.
    assert len({(m, p) for m, p, _, _ in parameters}) >= 15
    assert ("GET", "/api/v1/incidents/{incident_id}/photos/{photo_id}", "incident_id",
            "path") in parameters
    assert ("GET", "/api/v1/areas", "offset", "query") in parameters
    before = row_counts(session)
    for method, path, name, where in parameters:
        for value in (HUGE, f"-{HUGE}", str(INT64_MAX + 1)):
            response = client.request(method, _url(path, name, where, value),
                                      json={} if method in ("POST", "PUT", "PATCH") else None)
            body = refused(response, 422, "integer_out_of_range")
            assert where in body["where"], (method, path, name)
    assert row_counts(session) == before


def test_the_largest_64_bit_integer_is_a_plain_answer(client, demo_city):
    """At the edge, the route answers as for any id or offset: not found, an empty page."""
    missing = client.get(f"/api/v1/incidents/{INT64_MAX}")
    refused(missing, 404, "not_found")
    page = client.get(f"/api/v1/areas?limit=10&offset={INT64_MAX}")
    assert page.status_code == 200 and page.json()["items"] == []


def test_the_probes_requests_are_422(client, demo_city):
    for url in (f"/api/v1/incidents/{HUGE}/photos/147",
                "/api/v1/areas?limit=727&offset=190249094747303373713702912"):
        refused(client.get(url), 422, "integer_out_of_range")


def test_a_huge_integer_in_a_json_body_is_a_4xx(client, session, staff, spot, category):
    """Past validation (no schema bounds `version` or an id) to the database: the safety
    net answers 422 (api/errors.py). Each request runs in a savepoint of the test's
    transaction, as each runs in a transaction of its own in the app, rolled back on error."""
    incident = report(client, spot.worker, report_body(spot, category)).json()
    codes = set()
    for fields in ({"version": 2**70}, {"version": incident["version"], "into": 2**70},
                   {"version": 2**70, "handler_user_id": 2**70}):
        for action in ("merge", "dispatch"):
            attempt = session.begin_nested()
            response = client.post(f"/api/v1/incidents/{incident['id']}/actions/{action}",
                                   json=fields, headers=staff.headers)
            attempt.rollback()
            assert 400 <= response.status_code < 500, response.text
            assert response.headers["content-type"] == PROBLEM
            codes.add(response.json()["code"])
    assert "integer_out_of_range" in codes, codes


# --- moments no calendar holds ------------------------------------------------------------

@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                    "1900-01-01T00:00:00+08:00"])
def test_a_patrol_start_out_of_range_is_422(client, session, patroller, moment):
    before = row_counts(session)
    response = client.post("/api/v1/patrols", headers=patroller.person.headers,
                           json={"client_key": new_key(), "started_at": moment})
    body = refused(response, 422, "validation_failed")
    assert [e["type"] for e in body["errors"]] == ["datetime_out_of_range"]
    assert row_counts(session) == before


def test_patrol_points_and_end_out_of_range_are_422(client, session, patroller):
    started = client.post("/api/v1/patrols", headers=patroller.person.headers,
                          json={"client_key": new_key()})
    assert started.status_code == 201, started.text
    patrol = started.json()["id"]
    before = row_counts(session)
    point = {"lon": patroller.lon, "lat": patroller.lat, "recorded_at": "0001-01-01T00:00:00+14:00"}
    refused(client.post(f"/api/v1/patrols/{patrol}/points", headers=patroller.person.headers,
                        json={"points": [point]}), 422, "validation_failed")
    refused(client.post(f"/api/v1/patrols/{patrol}/end", headers=patroller.person.headers,
                        json={"ended_at": "9999-12-31T23:59:59-14:00"}), 422,
            "validation_failed")
    assert row_counts(session) == before


@pytest.mark.parametrize("url", [
    "/api/v1/incidents?since=0001-01-01T00:00:00%2B14:00",
    "/api/v1/incidents?until=9999-12-31T23:59:59-14:00",
    "/api/v1/patrols?since=0001-01-01T00:00:00%2B14:00",
])
def test_an_extreme_moment_in_a_query_is_never_a_500(client, demo_city, url):
    response = client.get(url)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == PROBLEM and response.json()["code"]
