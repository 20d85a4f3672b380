"""Reporting (上报) through the API: the point resolves the area chain and the grid worker,
replays are stored once, and bad input is a 4xx that writes nothing."""

import base64

import pytest
from sqlalchemy import text

from geo.crs import wgs84_to_gcj02
from tests.grid.incidents.conftest import new_key, png_base64, report, report_body


def count(session, table: str) -> int:
    return session.scalar(text(f"SELECT count(*) FROM {table}"))


def test_a_report_resolves_its_chain_worker_owner_and_deadline(client, session, place, minor):
    worker = place.worker
    response = report(client, worker, report_body(place, minor, urgency="urgent"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"/api/v1/incidents/{body['id']}"
    assert [link["level"] for link in body["chain"]] == ["city", "county", "township",
                                                         "village", "grid"]
    assert body["grid"]["code"] == place.grid_code
    # The village's centre holds it.
    centre = session.execute(text("SELECT id, name FROM unit WHERE kind = 'centre' "
                                  "AND seat_code = :v"), {"v": place.grid_code[:12]}).one()
    assert body["owner"] == {"code": place.grid_code[:12], "name": body["chain"][3]["name"],
                             "level": "village", "platform": "grid", "unit_id": centre.id,
                             "unit_name": centre.name}
    worker_id = session.scalar(text("SELECT id FROM grid_worker WHERE user_id = :u"),
                               {"u": worker.principal.user_id})
    assert body["responsible_worker_id"] == worker_id
    assert (body["state"], body["state_label"], body["step"]) == ("reported", "待受理",
                                                                  "filing")
    assert body["step_warn_at"] < body["step_due_at"]
    assert body["source"] == "grid_worker" and body["urgency"] == "urgent"
    assert [e["action"] for e in body["timeline"]] == ["report"]
    assert body["reporters"] == [worker.principal.user_id]
    assert body["allowed_actions"] == []  # a grid worker does not file his own reports
    # The audit row and the village centre's notification are written with it.
    audited = session.scalar(text("SELECT count(*) FROM audit_event WHERE action = "
                                  "'incident.report' AND subject_id = :id"),
                             {"id": str(body["id"])})
    assert audited == 1
    payload = session.scalar(text("SELECT payload FROM outbox_message WHERE topic = "
                                  "'incident.reported' ORDER BY id DESC LIMIT 1"))
    assert payload["audience"]["unit_ids"] == [centre.id]


def test_a_gcj02_point_is_stored_in_wgs84(client, place, minor):
    gcj_lon, gcj_lat = (float(v) for v in wgs84_to_gcj02(place.lon, place.lat))
    response = report(client, place.worker, report_body(place, minor, crs="gcj02") | {
        "location": {"type": "Point", "coordinates": [gcj_lon, gcj_lat]}})
    assert response.status_code == 201, response.text
    lon, lat = response.json()["location"]["coordinates"]
    assert abs(lon - place.lon) < 1e-5 and abs(lat - place.lat) < 1e-5
    assert response.json()["grid"]["code"] == place.grid_code


def test_a_replay_returns_the_first_result_and_stores_nothing(client, session, place, minor):
    key, body = new_key(), report_body(place, minor)
    first = report(client, place.worker, body, key)
    before = {t: count(session, t) for t in ("incident", "audit_event", "outbox_message")}
    again = report(client, place.worker, body, key)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert {t: count(session, t) for t in before} == before
    # The same key for another report is the client's bug, and says so.
    other = report(client, place.worker, body | {"description": "另一件事"}, key)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


@pytest.mark.parametrize("change, message", [
    ({"location": {"type": "Point", "coordinates": [181, 27]}}, "location"),
    ({"location": {"type": "LineString", "coordinates": [[113, 27], [113.1, 27]]}},
     "location"),
    ({"location": {"type": "Point", "coordinates": [116.4, 39.9]}}, "outside every grid"),
    ({"category": "NO-SUCH"}, "category"),
    ({"description": "   "}, "description"),
    ({"urgency": "whenever"}, "urgency"),
    ({"crs": "EPSG:999999"}, "CRS"),
    ({"photos": [{"content_type": "image/gif", "data": "R0lGODlh"}]}, "image/jpeg"),
    ({"photos": [{"content_type": "image/png", "data": "not base64!"}]}, "base64"),
    ({"photos": [{"content_type": "image/jpeg", "data": png_base64()}]}, "really PNG"),
    ({"photos": [{"content_type": "image/png",
                  "data": base64.b64encode(b"\x89PNG\r\n\x1a\n broken").decode()}]},
     "not a readable image"),
])
def test_bad_reports_are_4xx_problems_and_write_nothing(client, session, place, minor,
                                                       change, message):
    before = {t: count(session, t) for t in ("incident", "attachment", "audit_event")}
    response = report(client, place.worker, report_body(place, minor) | change)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert message.lower() in response.text.lower()
    assert {t: count(session, t) for t in before} == before


def test_a_report_needs_an_idempotency_key(client, place, minor):
    response = client.post("/api/v1/incidents", json=report_body(place, minor),
                           headers=place.worker.headers)
    assert response.status_code == 422 and "Idempotency-Key" in response.json()["detail"]


def test_a_grid_worker_reports_only_inside_his_grids(client, session, place, minor):
    other = session.execute(text("""
        SELECT ST_X(ST_PointOnSurface(a.geom)), ST_Y(ST_PointOnSurface(a.geom)) FROM area a
        WHERE a.level = 'grid' AND a.code NOT IN (
            SELECT g.code FROM area g JOIN grid_assignment ga ON ga.grid_id = g.id
            JOIN grid_worker w ON w.id = ga.worker_id WHERE w.user_id = :u)
        ORDER BY a.code LIMIT 1"""), {"u": place.worker.principal.user_id}).one()
    response = report(client, place.worker, report_body(place, minor) | {
        "location": {"type": "Point", "coordinates": list(other)}})
    assert response.status_code == 422 and "outside your territory" in response.json()["detail"]
    assert response.json()["code"] == "point_outside_territory"  # the pages' Chinese for it
    far = report(client, place.worker, report_body(place, minor) | {
        "location": {"type": "Point", "coordinates": [116.4, 39.9]}})
    assert (far.status_code, far.json()["code"]) == (422, "point_outside_grids")


def test_photos_are_stored_once_and_served(client, session, place, minor, settings):
    photo = {"content_type": "image/png", "data": png_base64()}
    response = report(client, place.worker, report_body(place, minor, photos=[photo, photo]))
    assert response.status_code == 201, response.text
    photos = response.json()["photos"]
    assert len(photos) == 1 and photos[0]["bytes"] == len(base64.b64decode(photo["data"]))
    served = client.get(photos[0]["url"], headers=place.worker.headers)
    assert served.status_code == 200 and served.content == base64.b64decode(photo["data"])
    task = session.scalar(text("SELECT payload FROM outbox_message WHERE topic = "
                               "'task:attachments.thumbnails' ORDER BY id DESC LIMIT 1"))
    assert task["args"] == [[photos[0]["id"]]]


def test_an_oversized_photo_is_refused(client, place, minor, settings, monkeypatch):
    monkeypatch.setattr(settings, "photo_max_bytes", 100)
    photo = {"content_type": "image/png", "data": png_base64(size=(400, 400))}
    response = report(client, place.worker, report_body(place, minor, photos=[photo]))
    assert response.status_code == 422 and "the limit is 100" in response.json()["detail"]


def test_a_report_near_an_open_one_of_the_same_kind_is_flagged(client, session, place, minor):
    first = report(client, place.worker, report_body(place, minor)).json()
    near = report(client, place.worker, report_body(place, minor)).json()
    assert near["duplicate_candidates"][0] == first["id"]
    other_kind = session.scalar(text("SELECT code FROM category WHERE level = 'minor' "
                                     "AND code <> :code ORDER BY code LIMIT 1"), {"code": minor})
    assert first["id"] not in report(client, place.worker, report_body(place, other_kind)
                                     ).json()["duplicate_candidates"]
    # Outside the radius: the same incident moved 60 m away (radius 50 m) is not a candidate.
    session.execute(text("UPDATE incident SET geom = ST_Project(geom::geography, 60, 0)"
                         "::geometry WHERE id = :id"), {"id": first["id"]})
    assert first["id"] not in report(client, place.worker, report_body(place, minor)).json()[
        "duplicate_candidates"]


def test_the_201_body_is_what_a_get_reads_back(client, place, minor):
    """The report's body is built from what was written (grid/incidents/service.py), not
    read back: it must say exactly what the detail says, photos and clock included."""
    photo = {"content_type": "image/png", "data": png_base64()}
    response = report(client, place.worker, report_body(place, minor, photos=[photo]))
    assert response.status_code == 201, response.text
    read = client.get(response.headers["Location"], headers=place.worker.headers)
    assert read.status_code == 200, read.text
    assert response.json() == read.json()
    assert response.json()["photos"] and response.json()["clocks"]
