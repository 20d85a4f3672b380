"""OGC API – Features Part 1 Core at /ogc over the areas' collections (cities ... grids):
extents, paging limits, bbox, content negotiation."""

from shapely.geometry import box, shape

from tests.conftest import bearer
from tests.geo.layers.conftest import rels
from tests.geo.layers.conftest import walk_items as walk


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


def test_content_negotiation(client):
    assert client.get("/ogc/collections/grids/items?limit=1&f=json").headers[
        "content-type"] == "application/geo+json"
    plain = client.get("/ogc/collections/grids/items?limit=1",
                       headers={"Accept": "application/json"})
    assert plain.headers["content-type"] == "application/json"
    assert plain.json()["type"] == "FeatureCollection"


def test_unknown_collection(client):
    assert client.get("/ogc/collections/rivers").status_code == 404
    assert client.get("/ogc/collections/rivers/items").status_code == 404


# --- queryables (Part 3) ---------------------------------------------------------------------

def test_queryables_of_a_level(client):
    """A level's collection fixes the level: only the geometry is left to query (by bbox)."""
    response = client.get("/ogc/collections/grids/queryables")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    schema = response.json()
    assert schema["$id"].endswith("/ogc/collections/grids/queryables")
    assert schema["properties"] == {"geometry": {"format": "geometry-multipolygon",
                                                 "x-ogc-role": "primary-geometry"}}
    assert schema["additionalProperties"] is False
    document = client.get("/ogc/collections/grids").json()
    assert rels(document)["http://www.opengis.net/def/rel/ogc/1.0/queryables"]["href"] \
        == schema["$id"]
    assert client.get("/ogc/collections/rivers/queryables").status_code == 404


def test_no_token_no_queryables(anonymous):
    assert anonymous.get("/ogc/collections/grids/queryables").status_code == 401
