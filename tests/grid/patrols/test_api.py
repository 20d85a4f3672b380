"""Patrols through the API: idempotent start and point batches, the length on the
ellipsoid, the track as GeoJSON, refusals (422) and who may record and read (403/404)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.grid.patrols.conftest import (
    centre_headers,
    fixes,
    geodesic_length,
    other_walker_of,
)

# The account of a grid worker, whose position staff_position keeps.
W = "(SELECT user_id FROM grid_worker WHERE id = :w)"


def start(client, walker, key: str | None = None, **body):
    return client.post("/api/v1/patrols", headers=walker.person.headers,
                       json={"client_key": key or str(uuid.uuid4()), **body})


def send(client, walker, patrol_id: int, points: list[dict]):
    return client.post(f"/api/v1/patrols/{patrol_id}/points", headers=walker.person.headers,
                       json={"points": points})


def started(client, walker) -> int:
    response = start(client, walker,
                     started_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat())
    assert response.status_code == 201, response.text
    return response.json()["id"]


def stored_points(session, patrol_id: int) -> int:
    return session.scalar(text("SELECT count(*) FROM patrol_point WHERE patrol_id = :p"),
                          {"p": patrol_id})


def test_a_replayed_start_is_the_same_patrol(anonymous, session, walker):
    key = str(uuid.uuid4())
    first = start(anonymous, walker, key)
    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"/api/v1/patrols/{first.json()['id']}"
    body = first.json()
    assert (body["worker_id"], body["client_key"], body["points"]) == (walker.worker_id, key, 0)
    again = start(anonymous, walker, key, started_at="2020-01-01T00:00:00+08:00")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert again.json()["started_at"] == body["started_at"]  # the first start stands
    assert session.scalar(text("SELECT count(*) FROM patrol WHERE client_key = :k"),
                          {"k": key}) == 1


def test_a_resent_batch_stores_nothing_twice(anonymous, session, walker):
    patrol = started(anonymous, walker)
    t0 = datetime.now(UTC) - timedelta(minutes=30)
    points = fixes(walker, 12, start=t0)
    first = send(anonymous, walker, patrol, points)
    assert first.status_code == 200, first.text
    assert (first.json()["accepted"], first.json()["duplicates"]) == (12, 0)
    distance = first.json()["distance_m"]
    # The same batch again, and one overlapping it by half: only the new half is stored.
    again = send(anonymous, walker, patrol, points)
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 12)
    assert again.json()["distance_m"] == distance
    more = fixes(walker, 18, start=t0)
    overlap = send(anonymous, walker, patrol, more[6:])
    assert (overlap.json()["accepted"], overlap.json()["duplicates"]) == (6, 6)
    assert stored_points(session, patrol) == 18
    assert overlap.json()["distance_m"] == pytest.approx(geodesic_length(more), abs=0.01)


def test_the_length_is_on_the_ellipsoid_whatever_the_order_of_batches(anonymous, walker):
    patrol = started(anonymous, walker)
    points = fixes(walker, 30, step_m=80)
    # Late fixes arrive after later ones: the last third first, then the first, then the middle.
    for part in (points[20:], points[:10], points[10:20]):
        assert send(anonymous, walker, patrol, part).status_code == 200
    expected = geodesic_length(points)
    assert expected > 29 * 80 * 0.99  # walking east ~80 m a step
    track = anonymous.get(f"/api/v1/patrols/{patrol}", headers=walker.person.headers)
    assert track.status_code == 200
    assert track.headers["content-type"] == "application/geo+json"
    feature = track.json()
    assert feature["type"] == "Feature" and feature["id"] == patrol
    assert feature["properties"]["distance_m"] == pytest.approx(expected, abs=0.01)
    assert feature["properties"]["points"] == 30
    properties = feature["properties"]
    last_fix = datetime.fromisoformat(points[-1]["recorded_at"])
    assert properties["last_point_at"] == last_fix.isoformat().replace("+00:00", "Z")
    assert properties["duration_s"] == pytest.approx(  # not ended: up to the last fix
        (last_fix - datetime.fromisoformat(properties["started_at"])).total_seconds())
    assert feature["geometry"]["type"] == "LineString"
    coordinates = feature["geometry"]["coordinates"]
    assert [round(c[0], 7) for c in coordinates] == [round(p["lon"], 7) for p in points]


def test_the_newest_fix_is_the_workers_position(anonymous, session, walker):
    patrol = started(anonymous, walker)
    points = fixes(walker, 10)
    send(anonymous, walker, patrol, points[5:])
    send(anonymous, walker, patrol, points[:5])  # older, arriving later
    row = session.execute(text(
        "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, recorded_at, source_id AS patrol_id, "
        f"accuracy_m FROM staff_position WHERE user_id = {W}"),
        {"w": walker.worker_id}).one()
    newest = points[-1]
    assert (row.lon, row.lat) == pytest.approx((newest["lon"], newest["lat"]))
    assert row.recorded_at == datetime.fromisoformat(newest["recorded_at"])
    assert (row.patrol_id, row.accuracy_m) == (patrol, newest["accuracy_m"])


def test_ending_is_idempotent_and_bounds_later_points(anonymous, walker):
    patrol = started(anonymous, walker)
    points = fixes(walker, 4)
    send(anonymous, walker, patrol, points)
    ended_at = (datetime.fromisoformat(points[-1]["recorded_at"]) + timedelta(seconds=5))
    first = anonymous.post(f"/api/v1/patrols/{patrol}/end", headers=walker.person.headers,
                           json={"ended_at": ended_at.isoformat()})
    assert first.status_code == 200 and first.json()["ended_at"] is not None
    again = anonymous.post(f"/api/v1/patrols/{patrol}/end", headers=walker.person.headers,
                           json={})
    assert again.json()["ended_at"] == first.json()["ended_at"]
    # A fix taken before the end still arrives late; one long after it is refused.
    late = fixes(walker, 1, start=ended_at - timedelta(seconds=1))
    assert send(anonymous, walker, patrol, late).json()["accepted"] == 1
    after = fixes(walker, 1, start=ended_at + timedelta(minutes=30))
    refused = send(anonymous, walker, patrol, after)
    assert refused.status_code == 422 and "after the patrol ended" in refused.json()["detail"]


@pytest.mark.parametrize("bad, says", [
    ({"lon": 181.0}, "less than or equal to 180"),
    ({"lat": -91.0}, "greater than or equal to -90"),
    ({"accuracy_m": -1.0}, "greater than or equal to 0"),
    ({"recorded_at": "2026-01-01T08:00:00"}, "timezone"),
    ({"lon": 116.39, "lat": 39.91}, "km from your grids"),  # Beijing, not Zhuzhou
    ({"lon": -113.2, "lat": 27.9}, "km from your grids"),  # a sign lost
    ({"recorded_at": "future"}, "in the future"),
    ({"recorded_at": "before start"}, "before the patrol started"),
])
def test_bad_points_are_refused_whole(anonymous, session, walker, bad, says):
    patrol = started(anonymous, walker)
    good = fixes(walker, 3)
    point = {**good[2], **bad}
    if bad.get("recorded_at") == "future":
        point["recorded_at"] = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    elif bad.get("recorded_at") == "before start":
        point["recorded_at"] = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    response = send(anonymous, walker, patrol, [*good[:2], point])
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert says in response.text
    assert stored_points(session, patrol) == 0  # nothing of the batch is kept


def test_points_outside_his_grids_but_near_are_accepted(anonymous, walker):
    """He walks the streets around his grid: 5 km away is still a patrol."""
    patrol = started(anonymous, walker)
    near = [{**p, "lon": p["lon"] + 0.05} for p in fixes(walker, 2)]  # ~5 km east
    assert send(anonymous, walker, patrol, near).json()["accepted"] == 2


def test_malformed_requests_are_problems(anonymous, walker):
    patrol = started(anonymous, walker)
    for body in ({"points": []}, {"points": fixes(walker, 1001)}, {"nope": 1}):
        response = anonymous.post(f"/api/v1/patrols/{patrol}/points",
                                  headers=walker.person.headers, json=body)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
    for body in ({"client_key": "short"}, {"client_key": "a b c d e f g h"},
                 {"client_key": str(uuid.uuid4()),
                  "started_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}):
        assert start(anonymous, walker, **body).status_code == 422
    ended = anonymous.post(f"/api/v1/patrols/{patrol}/end", headers=walker.person.headers,
                           json={"ended_at": "2000-01-01T00:00:00Z"})
    assert ended.status_code == 422 and "before the patrol started" in ended.json()["detail"]


# --- who records, who reads --------------------------------------------------------------

def test_only_the_worker_himself_records_his_patrol(anonymous, session, settings, walker):
    patrol = started(anonymous, walker)
    colleague = other_walker_of(session, settings, walker, same_village=True)
    points = fixes(walker, 2)
    refused = send(anonymous, colleague, patrol, points)
    assert refused.status_code == 404
    ended = anonymous.post(f"/api/v1/patrols/{patrol}/end", headers=colleague.person.headers,
                           json={})
    assert ended.status_code == 404
    # A centre may read patrols but not record one.
    village = centre_headers(settings, role="village_staff", scope_code=walker.grid_code[:12])
    assert anonymous.post("/api/v1/patrols", headers=village,
                          json={"client_key": str(uuid.uuid4())}).status_code == 403
    assert anonymous.post(f"/api/v1/patrols/{patrol}/points", headers=village,
                          json={"points": points}).status_code == 403
    assert stored_points(session, patrol) == 0


def test_a_grid_worker_reads_his_own_patrols_only(anonymous, session, settings, walker):
    mine = started(anonymous, walker)
    colleague = other_walker_of(session, settings, walker, same_village=True)
    theirs = started(anonymous, colleague)
    assert anonymous.get(f"/api/v1/patrols/{theirs}",
                         headers=walker.person.headers).status_code == 404
    listed = anonymous.get("/api/v1/patrols", headers=walker.person.headers).json()
    ids = [item["id"] for item in listed["items"]]
    assert mine in ids and theirs not in ids
    assert {item["worker_id"] for item in listed["items"]} == {walker.worker_id}
    assert anonymous.get("/api/v1/patrols", params={"worker": colleague.worker_id},
                         headers=walker.person.headers).status_code == 404


def test_centres_read_the_patrols_of_their_territory(anonymous, session, settings, walker):
    here = started(anonymous, walker)
    elsewhere_walker = other_walker_of(session, settings, walker, same_village=False)
    elsewhere = started(anonymous, elsewhere_walker)
    send(anonymous, walker, here, fixes(walker, 3))
    for role, scope in (("village_staff", walker.grid_code[:12]),
                        ("township_staff", walker.grid_code[:9]),
                        ("supervisor", walker.grid_code[:9])):
        headers = centre_headers(settings, role=role, scope_code=scope)
        track = anonymous.get(f"/api/v1/patrols/{here}", headers=headers)
        assert track.status_code == 200 and track.json()["properties"]["points"] == 3
        listed = anonymous.get("/api/v1/patrols", headers=headers,
                               params={"worker": walker.worker_id, "limit": 500}).json()
        assert [item["id"] for item in listed["items"]][:1] == [here]
        everyone = anonymous.get("/api/v1/patrols", headers=headers,
                                 params={"limit": 500}).json()["items"]
        assert here in [item["id"] for item in everyone]
        assert all(item["staff_code"].startswith(scope) for item in everyone)
    # The village centre next door sees neither the patrol nor the worker.
    other = centre_headers(settings, role="village_staff",
                           scope_code=elsewhere_walker.grid_code[:12])
    assert anonymous.get(f"/api/v1/patrols/{here}", headers=other).status_code == 404
    assert anonymous.get("/api/v1/patrols", headers=other,
                         params={"worker": walker.worker_id}).status_code == 404
    theirs = anonymous.get("/api/v1/patrols", headers=other, params={"limit": 500}).json()
    assert elsewhere in [item["id"] for item in theirs["items"]]
    assert here not in [item["id"] for item in theirs["items"]]
    # since: patrols started at or after it.
    later = anonymous.get("/api/v1/patrols", headers=other, params={
        "since": (datetime.now(UTC) + timedelta(minutes=1)).isoformat()}).json()
    assert later["total"] == 0


def test_roles_without_patrols_are_refused(anonymous, settings, walker):
    patrol = started(anonymous, walker)
    for role in ("enforcement_officer", "market_inspector", "service_clerk", "proxy_agent",
                 "admin"):
        headers = centre_headers(settings, role=role, scope_code=walker.grid_code[:6])
        assert anonymous.get(f"/api/v1/patrols/{patrol}", headers=headers).status_code == 403
        assert anonymous.get("/api/v1/patrols", headers=headers).status_code == 403
    assert anonymous.get("/api/v1/patrols").status_code == 401
