"""GeoJSON by bbox with keyset paging: /api/v1/layers/areas/features."""

from tests.geo.layers.conftest import bbox_around as _bbox_around
from tests.geo.layers.conftest import walk_pages as walk


def test_areas_by_level_in_scope(anonymous, township, inside):
    found, _ = walk(anonymous, "/api/v1/layers/areas/features",
                    {"bbox": _bbox_around(inside, 0.5), "level": "village", "limit": 10},
                    township.headers)
    codes = [f["id"] for f in found]
    assert inside.grid_code[:12] in codes and codes == sorted(codes)
    assert all(f["properties"]["level"] == "village" for f in found)
    assert all(code.startswith(township.principal.scope_code) for code in codes)


def test_unknown_layer(client):
    response = client.get("/api/v1/layers/rivers/features")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_limit_is_capped(client, settings):
    body = client.get("/api/v1/layers/areas/features", params={"limit": 100000}).json()
    assert body["numberReturned"] == settings.layer_page_max
