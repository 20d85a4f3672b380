"""Hostile input (issue 11 §2, §3): each class gets a 4xx problem+json with its stable
code, and writes nothing (every table's row count is the same after).

NUL characters anywhere text arrives, integers beyond 64 bits in paths and queries (every
operation that takes one), decompression bombs on every image path, moments no calendar
holds, bodies too large, too many values, too deep, and validation errors by the million.
The gate is api/limits.py; the safety nets behind it are api/errors.py's.
"""

import base64
import json
import struct
import zlib
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import text

from api.limits import UPLOAD_ROUTES
from core import images
from core.errors import ImageTooLarge
from tests.grid.incidents.conftest import (
    Person,
    Place,
    new_key,
    person_of,
    place_in_village,
    report,
    report_body,
)
from tests.grid.patrols.conftest import Walker, forget_patrols, walker_of

PROBLEM = "application/problem+json"
HUGE = "19490857233094197248"  # > 2**64
INT64_MAX = 2**63 - 1


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
    """An active 小类."""
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


# --- images: pixels as well as bytes -----------------------------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


@cache
def png_of_zeros(width: int, height: int, bit_depth: int = 8) -> bytes:
    """A valid greyscale PNG, all black: megapixels that deflate to kilobytes."""
    row = b"\x00" * (1 + (width * bit_depth + 7) // 8)  # the filter byte, then the pixels
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data)
            + _chunk(b"IEND", b""))


def _bombs() -> dict[str, bytes]:
    return {"30000x30000": png_of_zeros(30000, 30000, bit_depth=1),  # 900 Mpx in ~110 kB
            "11000x11000": png_of_zeros(11000, 11000)}  # 121 Mpx, under Pillow's own limit


@pytest.mark.parametrize("size", ["30000x30000", "11000x11000"])
def test_a_decompression_bomb_in_a_report_is_refused(client, session, spot, category, size):
    raw = _bombs()[size]
    assert len(raw) < 400_000
    before = row_counts(session)
    photo = {"content_type": "image/png", "data": base64.b64encode(raw).decode()}
    response = report(client, spot.worker, report_body(spot, category, photos=[photo]))
    body = refused(response, 422, "image_too_large")
    assert "pixels" in body["detail"]
    assert row_counts(session) == before


def test_a_decompression_bomb_added_to_an_incident_is_refused(client, session, spot, category):
    incident = report(client, spot.worker, report_body(spot, category)).json()
    before = row_counts(session)
    photo = {"content_type": "image/png",
             "data": base64.b64encode(_bombs()["11000x11000"]).decode()}
    response = client.post(f"/api/v1/incidents/{incident['id']}/photos",
                           json={"kind": "after", "photos": [photo]},
                           headers=spot.worker.headers)
    refused(response, 422, "image_too_large")
    assert row_counts(session) == before


def test_the_thumbnail_task_does_not_decode_a_bomb(tmp_path: Path, settings):
    """A file stored before the cap (or under a higher one) is refused unopened."""
    from grid.incidents.photos import make_thumbnail

    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / "bomb.png").write_bytes(_bombs()["11000x11000"])

    class Stored:
        path = "ab/bomb.png"

    with pytest.raises(ImageTooLarge):
        make_thumbnail(Stored(), media_dir=tmp_path, max_pixels=settings.photo_max_pixels)
    assert sorted(p.name for p in (tmp_path / "ab").iterdir()) == ["bomb.png"]


def test_a_phone_photo_still_thumbnails_upright(tmp_path: Path, settings):
    """The pixel cap and the JPEG draft decoding keep a normal photo's thumbnail as it was:
    at most 320 px, turned as its EXIF says."""
    from PIL import Image

    source, target = tmp_path / "photo.jpg", tmp_path / "photo.thumb.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turned 90° clockwise
    Image.new("RGB", (4000, 3000), (10, 120, 200)).save(source, "JPEG", exif=exif)
    images.write_thumbnail(source, target, size=(320, 320),
                           max_pixels=settings.photo_max_pixels)
    with Image.open(target) as thumbnail:
        assert thumbnail.size == (240, 320)
    assert not (tmp_path / "photo.thumb.jpg.part").exists()


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


# --- bodies: size, values, depth, errors --------------------------------------------------

def test_a_json_body_over_the_limit_is_413_before_it_is_read(client, session, patroller, settings):
    before = row_counts(session)
    # The probe's body: 5 MB, an array of 2.5 million items.
    hostile = b'{"points": [' + b"0," * 2_500_000 + b"0]}"
    response = client.post("/api/v1/patrols/1/points", content=hostile, headers={
        **patroller.person.headers, "Content-Type": "application/json"})
    body = refused(response, 413, "body_too_large")
    assert body["max_bytes"] == settings.body_max_bytes
    assert len(response.content) < 1000  # not a 575 MB list of errors
    assert row_counts(session) == before


def test_a_streamed_body_is_cut_at_the_limit(client, patroller, settings):
    """Without a Content-Length the gate reads until the limit, then refuses."""
    chunks = (b"0," * 50_000 for _ in range(100))  # 10 MB, chunked
    response = client.post("/api/v1/patrols/1/points", content=chunks, headers={
        **patroller.person.headers, "Content-Type": "application/json"})
    refused(response, 413, "body_too_large")


def test_an_upload_may_be_larger_than_a_json_body(client, spot, category, settings):
    import base64
    import io

    import numpy as np
    from PIL import Image

    noise = np.random.default_rng(11).integers(0, 255, (800, 800, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(noise).save(buffer, "PNG")
    photo = {"content_type": "image/png", "data": base64.b64encode(buffer.getvalue()).decode()}
    body = report_body(spot, category, photos=[photo])
    assert len(json.dumps(body)) > settings.body_max_bytes
    response = report(client, spot.worker, body)
    assert response.status_code == 201, response.text[:300]


def test_an_upload_over_its_own_limit_is_413(app, client, session, spot, category, settings):
    app.state.settings = settings.model_copy(update={"upload_body_max_bytes": 64 * 1024})
    try:
        before = row_counts(session)
        photo = {"content_type": "image/png", "data": "A" * 100_000}
        response = report(client, spot.worker, report_body(spot, category, photos=[photo]))
        assert refused(response, 413, "body_too_large")["max_bytes"] == 64 * 1024
        assert row_counts(session) == before
    finally:
        app.state.settings = settings


def test_every_upload_route_exists(app):
    from tests.api.test_authorization import all_routes

    routes = {(method, route.path) for route in all_routes(app)
              for method in getattr(route, "methods", None) or ()}
    assert routes >= UPLOAD_ROUTES


def test_too_many_values_under_the_byte_limit_is_413(client, session, patroller, settings):
    hostile = b'{"points": [' + b"0," * 300_000 + b"0]}"  # 600 kB, 300,001 values
    assert len(hostile) < settings.body_max_bytes
    before = row_counts(session)
    response = client.post("/api/v1/patrols/1/points", content=hostile, headers={
        **patroller.person.headers, "Content-Type": "application/json"})
    body = refused(response, 413, "json_too_many_values")
    assert body["max_values"] == settings.json_max_values
    # Unknown keys by the ten thousand: the probe's other body (15 MB), smaller.
    keys = json.dumps({f"k{i}": 0 for i in range(60_000)}).encode()
    response = client.post("/api/v1/patrols", content=keys, headers={
        **patroller.person.headers, "Content-Type": "application/json"})
    refused(response, 413, "json_too_many_values")
    assert row_counts(session) == before


def test_nesting_too_deep_is_413(client, patroller):
    for depth in (40, 5_000):  # the second would overflow the JSON parser's stack
        hostile = b"[" * depth + b"]" * depth
        response = client.post("/api/v1/patrols", content=hostile, headers={
            **patroller.person.headers, "Content-Type": "application/json"})
        refused(response, 413, "json_too_deep")


def test_the_largest_legitimate_bodies_pass_the_gate(client, demo_city, patroller, settings):
    """A locate of 10,000 points (30,000 values) is under every limit."""
    points = [[113.1 + i * 1e-6, 27.8] for i in range(10_000)]
    response = client.post("/api/v1/areas/locate", json={"points": points})
    assert response.status_code == 200, response.text[:300]
    assert len(response.json()["grids"]) == 10_000


def test_validation_errors_are_capped(client, demo_city, settings):
    bad = [[999, 999]] * 5000  # two errors each
    response = client.post("/api/v1/areas/locate", json={"points": bad})
    body = refused(response, 422, "validation_failed")
    assert len(body["errors"]) == settings.validation_errors_max
    assert body["error_count"] == 10_000
    assert body["detail"].endswith("(and 9980 more errors)") and len(response.content) < 10_000
