"""Vector tiles of the areas (/tiles/areas/{z}/{x}/{y}.mvt): decoded with
mapbox-vector-tile, checked against the rows, and the tile route's HTTP behaviour.

Content tests render through the service on the test's session (it sees the rows the
test writes); the HTTP tests go through the app, whose tiles come from the read pool and
see the committed demo city.
"""

import mapbox_vector_tile
import pytest
from sqlalchemy import text

from geo.layers.areas import AREAS
from tests.geo.layers.conftest import coordinates, features, render
from tests.geo.layers.conftest import tile_url as _url

MVT = "application/vnd.mapbox-vector-tile"


# --- areas ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("z", "level"), [(8, "township"), (11, "township"),
                                          (12, "village"), (14, "grid"), (17, "grid")])
def test_areas_follow_the_zoom_inside_the_scope(session, township, inside, z, level):
    found = features(render(session, AREAS, township.scope, z, inside.lon, inside.lat),
                     "areas")
    assert found, f"no area at z{z}"
    assert {f["properties"]["level"] for f in found} == {level}
    code = township.principal.scope_code
    assert all(f["properties"]["code"].startswith(code) for f in found)
    mine = {"township": code, "village": inside.grid_code[:12], "grid": inside.grid_code}
    assert mine[level] in {f["properties"]["code"] for f in found}
    # Clipped to the tile and its 64-unit buffer.
    points = [p for f in found for p in coordinates(f["geometry"])]
    assert all(-64 <= x <= 4160 and -64 <= y <= 4160 for x, y in points)
    sample = next(f for f in found if f["properties"]["code"] == mine[level])
    row = session.execute(text("SELECT name, population, id FROM area WHERE code = :c"),
                          {"c": mine[level]}).one()
    assert (sample["properties"]["name"], sample["properties"]["population"],
            sample["id"]) == (row.name, row.population, row.id)


def test_the_city_sees_counties_when_zoomed_out(session, admin, inside):
    found = features(render(session, AREAS, admin.scope, 8, inside.lon, inside.lat), "areas")
    assert {f["properties"]["level"] for f in found} == {"county"}
    assert inside.grid_code[:6] in {f["properties"]["code"] for f in found}


def test_polygons_are_simplified_when_zoomed_out(session, admin, inside):
    """The same county has fewer vertices at z6 than at z9 (simplified to the pixel)."""
    def vertices(z):
        found = features(render(session, AREAS, admin.scope, z, inside.lon, inside.lat),
                         "areas")
        county = next(f for f in found if f["properties"]["code"] == inside.grid_code[:6])
        return len(coordinates(county["geometry"]))
    assert vertices(6) < vertices(9)


def test_a_grid_worker_sees_his_own_grids_only(session, settings):
    from tests.geo.layers.conftest import person, spot

    worker = person(session, settings, "demo_grid_worker")
    own = set(session.scalars(text(
        "SELECT a.code FROM area a JOIN grid_assignment ga ON ga.grid_id = a.id "
        "JOIN grid_worker w ON w.id = ga.worker_id WHERE w.user_id = :u"),
        {"u": worker.principal.user_id}))
    where = spot(session, min(own))
    for z in (10, 15):
        found = features(render(session, AREAS, worker.scope, z, where.lon, where.lat),
                         "areas")
        codes = {f["properties"]["code"] for f in found}
        assert min(own) in codes and codes <= own


# --- HTTP ----------------------------------------------------------------------------------------

def test_http_empty_tile_is_an_empty_200(client):
    response = client.get("/tiles/areas/10/0/0.mvt")  # the Pacific, off Alaska
    assert response.status_code == 200 and response.content == b""
    assert response.headers["etag"]


def test_http_truncation_is_told(anonymous, app, admin, inside):
    app.state.settings = app.state.settings.model_copy(update={"tile_feature_budget": 1})
    response = anonymous.get(_url("areas", 12, inside.lon, inside.lat), headers=admin.headers)
    assert response.headers["x-tile-truncated"] == "true"
    assert len(mapbox_vector_tile.decode(response.content)["areas"]["features"]) == 1


def test_http_tiles_need_a_token(anonymous):
    assert anonymous.get("/tiles/areas/3/0/0.mvt").status_code == 401
