"""Hostile bodies (issue 11 §2, §3): decompression bombs on every image path; bodies too
large (declared or streamed), with too many values or nested too deep; validation errors
by the thousand. Each is refused with a 4xx problem+json and its stable code, before it
is parsed where it can be, and writes nothing. bench/hostile.py measures what the
service does meanwhile.
"""

import base64
import json
import struct
import zlib
from functools import cache
from pathlib import Path

import pytest

from api.limits import UPLOAD_ROUTES
from core import images
from core.errors import ImageTooLarge
from tests.api.hostile import category, patroller, refused, row_counts, spot, staff
from tests.grid.incidents.conftest import report, report_body

__all__ = ["category", "patroller", "spot", "staff"]  # fixtures, imported for this module


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
    from core.attachments.service import make_thumbnail

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
