"""GeoJSON by bbox with keyset paging of grid's layers: /api/v1/layers/{incidents,staff}/
features, and the list of every layer."""

from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import box, shape
from sqlalchemy import text

from tests.geo.layers.conftest import bbox_around as _bbox_around
from tests.geo.layers.conftest import walk_pages as walk
from tests.grid.layers.conftest import add_incident, add_position


def test_the_layers_are_listed(client):
    body = client.get("/api/v1/layers").json()
    names = [layer["name"] for layer in body]
    # The grid's first; the other platforms' follow, in the order they plug in.
    assert names[:3] == ["areas", "incidents", "staff"] and len(set(names)) == len(names)
    incidents = body[1]
    assert incidents["properties"] == ["id", "state", "category", "category_name", "urgency",
                                       "deadline", "reported_at", "grid_code"]
    assert incidents["tiles"] == "/tiles/incidents/{z}/{x}/{y}.mvt"


def test_paging_walks_every_incident_once(anonymous, session, township, inside, outside):
    for _ in range(5):
        add_incident(session, inside)
    add_incident(session, outside)
    bbox = "110,25,115,30"
    found, pages = walk(anonymous, "/api/v1/layers/incidents/features",
                        {"bbox": bbox, "limit": 7}, township.headers)
    ids = [feature["id"] for feature in found]
    expected = list(session.scalars(text(
        "SELECT id FROM incident WHERE grid_code >= :t AND grid_code < :t || ':' "
        "AND ST_Intersects(geom, ST_MakeEnvelope(110, 25, 115, 30, 4326)) ORDER BY id"),
        {"t": township.principal.scope_code}))
    assert ids == expected and len(ids) == len(set(ids))
    assert pages == max(1, -(-len(ids) // 7)), "no empty last page"
    assert all(f["properties"]["grid_code"].startswith(township.principal.scope_code)
               for f in found)
    first = found[0]
    assert set(first["properties"]) == {"id", "state", "category", "category_name", "urgency",
                                        "deadline", "reported_at", "grid_code"}
    assert first["geometry"]["type"] == "Point"


def test_bbox_and_filters(client, session, inside):
    red = add_incident(session, inside, deadline="red", state="filed")
    green = add_incident(session, inside, deadline="green")
    category = session.scalar(text("SELECT c.code FROM incident i JOIN category c "
                                   "ON c.id = i.category_id WHERE i.id = :i"), {"i": red})
    params = {"bbox": _bbox_around(inside, 0.001), "limit": 1000}
    ids = {f["id"] for f in client.get("/api/v1/layers/incidents/features",
                                       params={**params, "deadline": "red"}).json()["features"]}
    assert red in ids and green not in ids
    found = client.get("/api/v1/layers/incidents/features",
                       params={**params, "state": "filed,handling",
                               "category": category[:3]}).json()["features"]
    assert red in {f["id"] for f in found} and green not in {f["id"] for f in found}
    assert all(f["properties"]["state"] in ("filed", "handling") for f in found)
    assert all(f["properties"]["category"].startswith(category[:3]) for f in found)
    window = box(inside.lon - 0.001, inside.lat - 0.001, inside.lon + 0.001, inside.lat + 0.001)
    assert all(shape(f["geometry"]).intersects(window) for f in found)


def test_datetime_filter(client, session, inside):
    old = add_incident(session, inside, reported_at=datetime(2020, 5, 1, 8, tzinfo=UTC))
    new = add_incident(session, inside)
    found = client.get("/api/v1/layers/incidents/features", params={
        "bbox": _bbox_around(inside, 0.001), "datetime": "2020-05-01"}).json()["features"]
    assert [f["id"] for f in found] == [old] and new not in {f["id"] for f in found}


def test_staff_features(anonymous, session, township, inside, outside):
    worker = add_position(session, inside, recorded_at=datetime.now(UTC) - timedelta(minutes=3))
    stranger = add_position(session, outside)
    found, _ = walk(anonymous, "/api/v1/layers/staff/features", {}, township.headers)
    ids = {f["id"] for f in found}
    assert worker in ids and stranger not in ids
    assert found[0]["properties"]["accuracy_m"] == 8.5


@pytest.mark.parametrize(("params", "status"), [
    ({"bbox": "1,2,3"}, 400), ({"bbox": "a,b,c,d"}, 400), ({"bbox": "10,50,20,40"}, 400),
    ({"bbox": "170,10,-170,20"}, 400), ({"bbox": "0,0,200,10"}, 400),
    ({"cursor": "not-a-cursor"}, 400), ({"cursor": "WyJhIl0"}, 400),  # ["a"]: not an id
    ({"state": "lost"}, 400), ({"deadline": "blue"}, 400), ({"level": "grid"}, 400),
    ({"datetime": "2020-13-01"}, 400), ({"datetime": "2021-01-01T00:00:00"}, 400),
    ({"datetime": "2021-01-02/2021-01-01"}, 400), ({"datetime": "../.."}, 400),
    ({"limit": 0}, 422),
])
def test_bad_parameters(client, params, status):
    response = client.get("/api/v1/layers/incidents/features", params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
