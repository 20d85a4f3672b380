"""OGC API – Features Part 1 Core at /ogc with grid's collections (incidents, staff): the
declared conformance classes are honoured, and GDAL's OAPIF driver lists and reads the
collections."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from tests.conftest import bearer
from tests.geo.layers.conftest import rels
from tests.geo.layers.conftest import walk_items as walk
from tests.grid.layers.conftest import add_incident

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"


GEOJSON_CLASS = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"


COLLECTIONS = ["cities", "counties", "townships", "villages", "grids", "incidents", "staff"]


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
    # The grid's collections first; the other platforms' follow.
    assert [c["id"] for c in data["collections"]][:len(COLLECTIONS)] == COLLECTIONS


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


@pytest.mark.parametrize("query", [
    "bbox=1,2,3", "bbox=x,1,2,3", "limit=0", "limit=ten", "datetime=yesterday",
    "datetime=2021-01-01T00:00:00", "datetime=../..", "f=html", "foo=bar", "cursor=@@",
    "state=lost", "level=grid",
])
def test_bad_parameters_are_400(client, query):
    response = client.get("/ogc/collections/incidents/items?" + query)
    assert response.status_code == 400, (query, response.text)
    assert response.headers["content-type"] == "application/problem+json"


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
    assert list(layers)[:len(COLLECTIONS)] == COLLECTIONS
    assert layers["incidents"] == "Point" and layers["grids"] == "MultiPolygon"
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT i.id, i.state, c.name FROM incident i JOIN category c "
            "ON c.id = i.category_id ORDER BY i.id")).all()
        townships = connection.scalar(text("SELECT count(*) FROM area "
                                           "WHERE level = 'township'"))
    assert sorted(map(tuple, read["incidents"])) == [tuple(row) for row in rows]
    assert read["townships"] == townships and read["valid"]


def test_incident_queryables_carry_the_vocabularies(client):
    from grid.incidents.enums import LABELS_ZH, State

    schema = client.get("/ogc/collections/incidents/queryables").json()
    properties = schema["properties"]
    assert set(properties) == {"geometry", "state", "deadline", "category", "reported_at"}
    assert properties["state"]["enum"] == [str(state) for state in State]
    assert {v["const"]: v["title"] for v in properties["state"]["oneOf"]} == {
        str(state): LABELS_ZH[state] for state in State}
    assert properties["deadline"]["enum"] == ["green", "yellow", "red"]
    assert properties["category"]["pattern"] and "enum" not in properties["category"]
    assert properties["reported_at"] == {"type": "string", "format": "date-time",
                                         "x-ogc-role": "primary-instant"}
    assert properties["geometry"]["format"] == "geometry-point"
    # Each queryable is a query parameter of the items: a word outside the vocabulary is a 400.
    for name, words in (("state", properties["state"]["enum"]),
                        ("deadline", properties["deadline"]["enum"])):
        assert client.get("/ogc/collections/incidents/items",
                          params={name: words[0], "limit": 1}).status_code == 200
        assert client.get("/ogc/collections/incidents/items",
                          params={name: "lost"}).status_code == 400
