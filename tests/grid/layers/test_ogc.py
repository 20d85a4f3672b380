"""OGC API – Features Part 1 Core at /ogc: the declared conformance classes are honoured,
and GDAL's OAPIF driver lists and reads the collections."""

from datetime import UTC, datetime

import pytest
from shapely.geometry import box, shape
from sqlalchemy import text

from tests.conftest import bearer
from tests.grid.layers.conftest import add_incident

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON_CLASS = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
COLLECTIONS = ["cities", "counties", "townships", "villages", "grids", "incidents", "staff"]


def rels(body: dict) -> dict[str, dict]:
    return {link["rel"]: link for link in body["links"]}


def test_landing_page_and_conformance(client):
    landing = client.get("/ogc")
    assert landing.status_code == 200 and landing.headers["content-type"] == "application/json"
    links = rels(landing.json())
    assert {"self", "service-desc", "conformance", "data"} <= set(links)
    assert links["service-desc"]["href"].endswith("/openapi.json")
    assert client.get(links["service-desc"]["href"]).status_code == 200
    conformance = client.get(links["conformance"]["href"]).json()["conformsTo"]
    assert set(conformance) == {CORE, GEOJSON_CLASS}  # oas30 is not claimed: we serve 3.1
    data = client.get(links["data"]["href"]).json()
    assert [c["id"] for c in data["collections"]] == COLLECTIONS


def test_collections_carry_the_territory_extent(anonymous, township):
    body = anonymous.get("/ogc/collections/grids", headers=township.headers).json()
    assert body["itemType"] == "feature" and body["crs"] == [
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84"]
    west, south, east, north = body["extent"]["spatial"]["bbox"][0]
    city = anonymous.get("/ogc/collections/grids", headers=bearer_admin(anonymous)).json()
    cw, cs, ce, cn = city["extent"]["spatial"]["bbox"][0]
    assert cw <= west < east <= ce and cs <= south < north <= cn
    assert (east - west) < (ce - cw)
    assert rels(body)["items"]["type"] == "application/geo+json"


def bearer_admin(client) -> dict:
    from core.settings import get_settings
    return bearer(get_settings())


def walk(client, url: str, headers: dict | None = None) -> tuple[list[dict], list[dict]]:
    found, bodies = [], []
    while url:
        response = client.get(url, headers=headers or {})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/geo+json"
        body = response.json()
        assert body["numberReturned"] == len(body["features"])
        datetime.fromisoformat(body["timeStamp"])
        found += body["features"]
        bodies.append(body)
        url = rels(body).get("next", {}).get("href")
    return found, bodies


def test_next_links_walk_the_whole_set_exactly_once(anonymous, session, township, inside):
    for _ in range(3):
        add_incident(session, inside)
    found, bodies = walk(anonymous, "/ogc/collections/incidents/items?limit=25",
                         township.headers)
    ids = [feature["id"] for feature in found]
    expected = list(session.scalars(text(
        "SELECT id FROM incident WHERE grid_code >= :t AND grid_code < :t || ':' ORDER BY id"),
        {"t": township.principal.scope_code}))
    assert ids == expected and len(set(ids)) == len(ids)
    assert all(body["numberReturned"] == 25 for body in bodies[:-1])
    assert "collection" in rels(bodies[0])


def test_limit_default_and_cap(client, settings):
    default = client.get("/ogc/collections/grids/items").json()
    assert default["numberReturned"] == settings.layer_page_default
    capped = client.get("/ogc/collections/grids/items", params={"limit": 999999}).json()
    assert capped["numberReturned"] == settings.layer_page_max
    assert "next" in rels(capped)


def test_bbox_filter(client, inside):
    window = (inside.lon - 0.02, inside.lat - 0.02, inside.lon + 0.02, inside.lat + 0.02)
    found, _ = walk(client, "/ogc/collections/grids/items?limit=50&bbox="
                    + ",".join(map(str, window)))
    assert inside.grid_code in {f["id"] for f in found}
    assert all(shape(f["geometry"]).intersects(box(*window)) for f in found)
    every, _ = walk(client, "/ogc/collections/grids/items?limit=1000")
    expected = {f["id"] for f in every if shape(f["geometry"]).intersects(box(*window))}
    assert {f["id"] for f in found} == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2021-03-04T05:06:07Z", {"instant"}),
    ("2021-03-04T05:06:07+00:00", {"instant"}),
    ("2021-03-04", {"instant", "same day"}),
    ("2021-03-01T00:00:00Z/2021-03-04T05:06:07Z", {"instant", "before"}),
    ("../2021-03-04T05:06:07Z", {"instant", "before"}),
    ("/2021-03-03", {"before"}),
    ("2021-03-04T05:06:07Z/..", {"instant", "same day", "after"}),
    ("2021-03-04T05:06:08Z/", {"same day", "after"}),
])
def test_datetime_instants_and_intervals(client, session, inside, value, expected):
    moments = {"before": datetime(2021, 3, 2, 12, tzinfo=UTC),
               "instant": datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC),
               "same day": datetime(2021, 3, 4, 10, tzinfo=UTC),  # 18:00 in Shanghai
               "after": datetime(2021, 3, 9, tzinfo=UTC)}
    ids = {add_incident(session, inside, reported_at=moment): name
           for name, moment in moments.items()}
    found, _ = walk(client, "/ogc/collections/incidents/items?limit=1000&datetime="
                    + value.replace("+", "%2B"))
    assert {ids[f["id"]] for f in found if f["id"] in ids} == expected


def test_single_items(anonymous, session, township, inside, outside):
    ours, theirs = add_incident(session, inside), add_incident(session, outside)
    one = anonymous.get(f"/ogc/collections/incidents/items/{ours}", headers=township.headers)
    assert one.status_code == 200 and one.headers["content-type"] == "application/geo+json"
    body = one.json()
    assert body["type"] == "Feature" and body["id"] == ours
    assert {"self", "collection"} <= set(rels(body))
    for url in (f"/ogc/collections/incidents/items/{theirs}",
                f"/ogc/collections/grids/items/{outside.grid_code}",
                f"/ogc/collections/townships/items/{inside.grid_code}",  # a grid, not a township
                "/ogc/collections/incidents/items/abc"):
        missing = anonymous.get(url, headers=township.headers)
        assert missing.status_code == 404, url
        assert missing.headers["content-type"] == "application/problem+json"
    grid = anonymous.get(f"/ogc/collections/grids/items/{inside.grid_code}",
                         headers=township.headers).json()
    assert grid["properties"]["level"] == "grid"


def test_content_negotiation(client):
    assert client.get("/ogc/collections/grids/items?limit=1&f=json").headers[
        "content-type"] == "application/geo+json"
    plain = client.get("/ogc/collections/grids/items?limit=1",
                       headers={"Accept": "application/json"})
    assert plain.headers["content-type"] == "application/json"
    assert plain.json()["type"] == "FeatureCollection"


@pytest.mark.parametrize("query", [
    "bbox=1,2,3", "bbox=x,1,2,3", "limit=0", "limit=ten", "datetime=yesterday",
    "datetime=2021-01-01T00:00:00", "datetime=../..", "f=html", "foo=bar", "cursor=@@",
    "state=lost", "level=grid",
])
def test_bad_parameters_are_400(client, query):
    response = client.get("/ogc/collections/incidents/items?" + query)
    assert response.status_code == 400, (query, response.text)
    assert response.headers["content-type"] == "application/problem+json"


def test_unknown_collection(client):
    assert client.get("/ogc/collections/rivers").status_code == 404
    assert client.get("/ogc/collections/rivers/items").status_code == 404


def test_no_token_no_ogc(anonymous):
    for url in ("/ogc", "/ogc/collections", "/ogc/collections/incidents/items"):
        assert anonymous.get(url).status_code == 401


# --- GDAL ------------------------------------------------------------------------------------

# Run in a process of its own: pyogrio holds the GIL while GDAL waits for HTTP, so in this
# process the live server's thread could never answer.
GDAL_READER = """
import json, sys
import pyogrio
url = sys.argv[1]
layers = [[str(name), str(kind)] for name, kind in pyogrio.list_layers(url)]
incidents = pyogrio.read_dataframe(url, layer="incidents")
townships = pyogrio.read_dataframe(url, layer="townships")
print(json.dumps({
    "drivers": "OAPIF" in pyogrio.list_drivers(), "layers": layers,
    "incidents": [[int(i), s, n] for i, s, n in zip(incidents["id"], incidents["state"],
                                                    incidents["category_name"])],
    "townships": len(townships), "valid": bool(townships.geometry.is_valid.all())},
    ensure_ascii=False))
"""


def test_gdal_lists_and_reads_the_collections(live_server, settings, engine):
    """GDAL's OAPIF driver with the bearer token: GDAL_HTTP_AUTH=BEARER (the driver sets its
    own Accept header, which replaces GDAL_HTTP_HEADERS)."""
    import json
    import os
    import subprocess
    import sys

    token = bearer(settings)["Authorization"].split()[1]
    done = subprocess.run(
        [sys.executable, "-c", GDAL_READER, f"OAPIF:{live_server.url}/ogc"],
        env={**os.environ, "GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": token},
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    read = json.loads(done.stdout)
    assert read["drivers"]
    layers = dict(read["layers"])
    assert list(layers) == COLLECTIONS
    assert layers["incidents"] == "Point" and layers["grids"] == "MultiPolygon"
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT i.id, i.state, c.name FROM incident i JOIN category c "
            "ON c.id = i.category_id ORDER BY i.id")).all()
        townships = connection.scalar(text("SELECT count(*) FROM area "
                                           "WHERE level = 'township'"))
    assert sorted(map(tuple, read["incidents"])) == [tuple(row) for row in rows]
    assert read["townships"] == townships and read["valid"]
