"""The 随手拍 page with photos: the photos are checked and stored with the request first
(kernel attachments of the request), the page answers "accepted" with the request's id,
and the filing (in the background, like an Open311 POST) carries the photos to the
incident it becomes — once, however often the filing task comes. A bad photo refuses the
whole report and writes nothing."""

import base64
import hashlib

from sqlalchemy import text

from tests.factories import png_base64

URL = "/api/v1/convenience/public/reports"


def _count(session, sql: str, **params) -> int:
    return session.execute(text(sql), params).scalar_one()


def _attachments_of(session, subject_type: str, subject_id: int) -> list:
    return session.execute(text(
        "SELECT id, kind, sha256, content_type FROM attachment WHERE subject_type = :t "
        "AND subject_id = :i ORDER BY id"), {"t": subject_type, "i": subject_id}).all()


def test_photos_are_stored_first_and_the_filed_incident_carries_them_once(
        session, anonymous, place, minor, file_pending):
    red, blue = png_base64((200, 0, 0), (40, 30)), png_base64((0, 0, 200), (30, 40))
    response = anonymous.post(URL, json={
        "service_code": minor, "lat": place.lat, "long": place.lon, "description": "占道经营",
        "photos": [{"content_type": "image/png", "data": red},
                   {"content_type": "image/png", "data": blue}]})
    assert response.status_code == 201, response.text
    body = response.json()
    request_id = int(body["service_request_id"])
    assert (body["status"], body["status_notes"]) == ("accepted", "已受理，正在分派")
    stored = _attachments_of(session, "open311_request", request_id)
    assert [p.id for p in stored] == body["photo_ids"] and len(stored) == 2
    assert {p.sha256 for p in stored} == {hashlib.sha256(base64.b64decode(d)).hexdigest()
                                          for d in (red, blue)}
    # Accepted, not filed: no incident yet, and the filing task's message carries the id.
    row = session.execute(text("SELECT filing, subject_id FROM open311_request WHERE id = :id"),
                          {"id": request_id}).one()
    assert tuple(row) == ("queued", None)
    payload = session.scalar(text(
        "SELECT payload FROM outbox_message WHERE topic = 'task:open311.file' "
        "AND payload -> 'args' -> 0 = to_jsonb(CAST(:id AS bigint))"), {"id": request_id})
    assert payload == {"task": "open311.file", "args": [request_id]}

    assert file_pending() == [request_id]
    assert file_pending() == []  # a second task files nothing, copies nothing
    incident_id = session.scalar(text("SELECT subject_id FROM open311_request WHERE id = :id "
                                      "AND subject_type = 'incident'"), {"id": request_id})
    carried = _attachments_of(session, "incident", incident_id)
    assert sorted((p.sha256, p.kind, p.content_type) for p in carried) == sorted(
        (p.sha256, "report", "image/png") for p in stored)
    assert _count(session, "SELECT count(*) FROM incident WHERE idempotency_key = :k",
                  k=f"open311-{request_id}") == 1


def test_a_bad_photo_refuses_the_report_and_writes_nothing(session, anonymous, place, minor):
    counts = ("SELECT count(*) FROM open311_request", "SELECT count(*) FROM attachment",
              "SELECT count(*) FROM outbox_message")
    before = [_count(session, sql) for sql in counts]
    not_png = base64.b64encode(b"GIF89a not really a png").decode()
    response = anonymous.post(URL, json={
        "service_code": minor, "lat": place.lat, "long": place.lon,
        "photos": [{"content_type": "image/png", "data": png_base64()},
                   {"content_type": "image/png", "data": not_png}]})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] in ("image_unreadable", "attachment_type_mismatch")
    assert [_count(session, sql) for sql in counts] == before


def test_a_report_without_photos_is_accepted_the_same_way(session, anonymous, place, minor):
    response = anonymous.post(URL, json={"service_code": minor, "lat": place.lat,
                                         "long": place.lon, "description": "垃圾满溢"})
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "accepted" and response.json()["photo_ids"] == []
