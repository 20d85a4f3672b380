"""A layer geo has never heard of, declared and registered only here (as a platform would),
is served by every output: vector tiles, GeoJSON pages, OGC API items with its
queryables, and a GeoPackage export, each inside the caller's territory.

Its table (fire hydrants with the code of the area they stand in) is created in the test's
rolled-back transaction, so the tiles are rendered on the test's session: the API's tile
route reads committed data from its own pool, and is only asked to refuse a bad filter.
"""

from collections.abc import Iterator

import mapbox_vector_tile
import pyogrio
import pytest
from sqlalchemy import text

from core.scope import Scope
from core.security import Principal
from core.users.enums import Permission, Role
from geo.layers import Filter, Layer, registry, tiles
from geo.layers.registry import LayerConflict
from tests.conftest import bearer
from tests.geo.layers.conftest import Person, download, rels, tile_of, walk_items, walk_pages

KINDS = {"pillar": "地上式", "underground": "地下式"}


def _hydrant_scope(scope: Scope) -> tuple[str, dict]:
    return scope.code_condition("h.code", pyformat=True), scope.params


HYDRANTS = Layer(
    name="hydrants", title="Fire hydrants", title_zh="消火栓",
    permission=Permission.areas_read, geometry_type="Point",
    source="test_hydrant h", geom="h.geom", key="h.id", key_type=int, tile_id="h.id",
    properties=(("id", "h.id"), ("code", "h.code"), ("kind", "h.kind")),
    scope=_hydrant_scope,
    filters={"kind": Filter("h.kind = %(f_kind)s", lambda v: {"f_kind": str(v)},
                            title="类型", description="pillar or underground",
                            values=KINDS)},
)


@pytest.fixture
def other_district(settings, outside) -> Person:
    """A county dispatcher of the district the `outside` grid lies in."""
    county = outside.grid_code[:6]
    principal = Principal(0, "other-district", Role.county_dispatcher, county)
    return Person(principal, bearer(settings, role="county_dispatcher", scope_code=county,
                                    username="other-district"))


@pytest.fixture
def hydrants(session, inside, outside) -> Iterator[dict[str, list[int]]]:
    """Three hydrants in the township's grid (two pillars, one underground), one in the
    other district; the layer registered for the test only. {"ours": ids, "theirs": ids}"""
    session.execute(text(
        'CREATE TABLE test_hydrant (id bigint PRIMARY KEY, code varchar(15) COLLATE "C" '
        "NOT NULL, kind text NOT NULL, geom geometry(Point, 4326) NOT NULL)"))
    rows = [(1, inside, "pillar", 0), (2, inside, "underground", 1), (3, inside, "pillar", 2),
            (4, outside, "pillar", 0)]
    for key, spot, kind, step in rows:
        session.execute(text(
            "INSERT INTO test_hydrant VALUES (:id, :code, :kind, "
            "ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
            {"id": key, "code": spot.grid_code, "kind": kind,
             "x": spot.lon + step * 1e-5, "y": spot.lat})
    registry.register(HYDRANTS)
    try:
        yield {"ours": [1, 2, 3], "theirs": [4]}
    finally:
        registry.unregister(HYDRANTS.name)


def test_it_is_listed_with_its_filters(client, hydrants):
    listed = {layer["name"]: layer for layer in client.get("/api/v1/layers").json()}
    assert listed["hydrants"]["filters"] == ["kind"]
    assert listed["hydrants"]["properties"] == ["id", "code", "kind"]
    assert listed["hydrants"]["tiles"] == "/tiles/hydrants/{z}/{x}/{y}.mvt"


def _tile_ids(session, person: Person, spot, filters=()) -> list[int]:
    x, y = tile_of(spot.lon, spot.lat, 16)
    tile = tiles.render(session, layer=HYDRANTS, scope=person.scope, z=16, x=x, y=y,
                        filters=filters, budget=100)
    decoded = mapbox_vector_tile.decode(tile.data) if tile.data else {}
    return sorted(f["id"] for f in decoded.get("hydrants", {}).get("features", []))


def test_vector_tiles_within_scope(session, township, other_district, inside, outside,
                                   hydrants):
    assert _tile_ids(session, township, inside) == hydrants["ours"]
    assert _tile_ids(session, township, inside, (("kind", "pillar"),)) == [1, 3]
    assert _tile_ids(session, township, outside) == []
    assert _tile_ids(session, other_district, inside) == []
    assert _tile_ids(session, other_district, outside) == hydrants["theirs"]


def test_the_tile_route_checks_its_vocabulary(anonymous, township, inside, hydrants):
    x, y = tile_of(inside.lon, inside.lat, 16)
    response = anonymous.get(f"/tiles/hydrants/16/{x}/{y}.mvt", params={"kind": "tap"},
                             headers=township.headers)
    assert response.status_code == 400
    assert "pillar, underground" in response.json()["detail"]


def test_geojson_pages_within_scope(anonymous, township, other_district, hydrants):
    found, pages = walk_pages(anonymous, "/api/v1/layers/hydrants/features", {"limit": 2},
                              township.headers)
    assert [f["id"] for f in found] == hydrants["ours"] and pages == 2
    assert {f["properties"]["kind"] for f in found} == {"pillar", "underground"}
    underground, _ = walk_pages(anonymous, "/api/v1/layers/hydrants/features",
                                {"kind": "underground"}, township.headers)
    assert [f["id"] for f in underground] == [2]
    theirs, _ = walk_pages(anonymous, "/api/v1/layers/hydrants/features", {},
                           other_district.headers)
    assert [f["id"] for f in theirs] == hydrants["theirs"]
    for bad in ({"kind": "tap"}, {"level": "grid"}):  # a word it lacks, another layer's filter
        response = anonymous.get("/api/v1/layers/hydrants/features", params=bad,
                                 headers=township.headers)
        assert response.status_code == 400, bad
        assert response.headers["content-type"] == "application/problem+json"


def test_ogc_items_within_scope(anonymous, township, other_district, hydrants):
    collections = anonymous.get("/ogc/collections", headers=township.headers).json()
    assert "hydrants" in [c["id"] for c in collections["collections"]]
    found, _ = walk_items(anonymous, "/ogc/collections/hydrants/items?limit=2",
                          township.headers)
    assert [f["id"] for f in found] == hydrants["ours"]
    pillars, _ = walk_items(anonymous, "/ogc/collections/hydrants/items?kind=pillar",
                            township.headers)
    assert [f["id"] for f in pillars] == [1, 3]
    theirs, _ = walk_items(anonymous, "/ogc/collections/hydrants/items",
                           other_district.headers)
    assert [f["id"] for f in theirs] == hydrants["theirs"]
    one = anonymous.get("/ogc/collections/hydrants/items/1", headers=other_district.headers)
    assert one.status_code == 404


def test_ogc_queryables_describe_its_filters(anonymous, township, hydrants):
    document = anonymous.get("/ogc/collections/hydrants", headers=township.headers).json()
    link = rels(document)["http://www.opengis.net/def/rel/ogc/1.0/queryables"]
    response = anonymous.get(link["href"], headers=township.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    schema = response.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == link["href"] and schema["type"] == "object"
    assert set(schema["properties"]) == {"geometry", "kind"}
    kind = schema["properties"]["kind"]
    assert kind["enum"] == ["pillar", "underground"] and kind["title"] == "类型"
    assert kind["oneOf"] == [{"const": "pillar", "title": "地上式"},
                             {"const": "underground", "title": "地下式"}]
    assert schema["properties"]["geometry"] == {"format": "geometry-point",
                                                "x-ogc-role": "primary-geometry"}


def test_geopackage_export_within_scope(anonymous, session, township, other_district,
                                        hydrants, tmp_path):
    path, _ = download(anonymous, "hydrants", "gpkg", township.headers, tmp_path)
    frame = pyogrio.read_dataframe(path)
    assert pyogrio.read_info(path)["layer_name"] == "hydrants"
    assert sorted(frame["id"]) == hydrants["ours"]
    rows = session.execute(text("SELECT id, kind, ST_X(geom) AS x, ST_Y(geom) AS y "
                                "FROM test_hydrant ORDER BY id")).all()
    got = frame.set_index("id")
    for row in rows[:3]:
        assert got.loc[row.id, "kind"] == row.kind
        point = got.loc[row.id, "geometry"]
        assert abs(point.x - row.x) < 1e-9 and abs(point.y - row.y) < 1e-9
    theirs, _ = download(anonymous, "hydrants", "gpkg", other_district.headers, tmp_path)
    assert sorted(pyogrio.read_dataframe(theirs)["id"]) == hydrants["theirs"]


def test_registering_is_idempotent_and_names_are_unique(client, hydrants):
    assert registry.register(HYDRANTS) is HYDRANTS  # again: nothing changes
    assert [layer.name for layer in registry.all()].count("hydrants") == 1
    with pytest.raises(LayerConflict):
        registry.register(Layer(**{**vars(HYDRANTS), "title": "another"}))
    registry.unregister("hydrants")
    assert client.get("/api/v1/layers/hydrants/features").status_code == 404
    assert client.get("/ogc/collections/hydrants").status_code == 404
