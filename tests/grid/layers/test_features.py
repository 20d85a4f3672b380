"""GeoJSON by bbox with keyset paging: /api/v1/layers/{layer}/features and the list."""

from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import box, shape
from sqlalchemy import text

from tests.grid.layers.conftest import add_incident, add_position

GEOJSON = "application/geo+json"


def walk(client, url: str, params: dict, headers: dict) -> tuple[list[dict], int]:
    """Every feature of every page, following the `next` links; (features, pages)."""
    found, pages = [], 0
    response = client.get(url, params=params, headers=headers)
    while True:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == GEOJSON
        body = response.json()
        assert body["numberReturned"] == len(body["features"])
        found += body["features"]
        pages += 1
        following = [link["href"] for link in body["links"] if link["rel"] == "next"]
        if not following:
            return found, pages
        response = client.get(following[0], headers=headers)


def _bbox_around(where, size=0.05) -> str:
    return f"{where.lon - size},{where.lat - size},{where.lon + size},{where.lat + size}"


def test_the_layers_are_listed(client):
    body = client.get("/api/v1/layers").json()
    assert [layer["name"] for layer in body] == ["areas", "incidents", "staff"]
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


def test_areas_by_level_in_scope(anonymous, township, inside):
    found, _ = walk(anonymous, "/api/v1/layers/areas/features",
                    {"bbox": _bbox_around(inside, 0.5), "level": "village", "limit": 10},
                    township.headers)
    codes = [f["id"] for f in found]
    assert inside.grid_code[:12] in codes and codes == sorted(codes)
    assert all(f["properties"]["level"] == "village" for f in found)
    assert all(code.startswith(township.principal.scope_code) for code in codes)


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


def test_unknown_layer(client):
    response = client.get("/api/v1/layers/rivers/features")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_limit_is_capped(client, settings):
    body = client.get("/api/v1/layers/areas/features", params={"limit": 100000}).json()
    assert body["numberReturned"] == settings.layer_page_max
