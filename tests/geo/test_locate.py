"""Locate agrees with Shapely: the same grid for every point inside, a 404 outside."""

import numpy as np
import pytest
import shapely
from shapely.strtree import STRtree

from geo.crs import wgs84_to_bd09, wgs84_to_gcj02

POINTS = 10_000


@pytest.fixture(scope="module")
def grid_index(demo_city):
    areas, _ = demo_city
    grids = [a for a in areas if a.level == "grid"]
    return STRtree([g.geom for g in grids]), [g.code for g in grids], areas[0].geom.bounds


def _expected(tree: STRtree, codes: list[str], lon: float, lat: float) -> str | None:
    hits = tree.query(shapely.Point(lon, lat), predicate="intersects")
    return min((codes[i] for i in hits), default=None)


def _random_points(grid_index, n: int, seed: int = 7):
    _, _, (minx, miny, maxx, maxy) = grid_index
    return np.random.default_rng(seed).uniform((minx, miny), (maxx, maxy), size=(n, 2))


def test_locate_agrees_with_shapely_on_random_points(client, grid_index):
    """10,000 uniform points over the city's bounding box, in one batch request (the grid
    lookup is one statement for both routes: geo/locate.py GRIDS_UNDER)."""
    tree, codes, _ = grid_index
    points = _random_points(grid_index, POINTS)
    response = client.post("/api/v1/areas/locate", json={"points": points.tolist()})
    assert response.status_code == 200, response.text[:500]
    expected = [_expected(tree, codes, lon, lat) for lon, lat in points]
    found = response.json()["grids"]
    wrong = [(tuple(p), e, f) for p, e, f in zip(points, expected, found, strict=True) if e != f]
    assert not wrong, f"{len(wrong)} points located unlike Shapely, e.g. {wrong[:5]}"
    # The box holds both kinds in quantity, so both branches were really exercised.
    inside = sum(code is not None for code in expected)
    assert inside > 3000 and POINTS - inside > 1000


def test_locate_one_point_agrees_with_shapely(client, grid_index):
    """Through the one-point route (a 200 with the grid, or a 404 problem), 300 others."""
    tree, codes, _ = grid_index
    inside = outside = 0
    for lon, lat in _random_points(grid_index, 300, seed=8):
        expected = _expected(tree, codes, lon, lat)
        response = client.get("/api/v1/areas/locate", params={"lon": lon, "lat": lat})
        if expected is None:
            assert response.status_code == 404, (lon, lat, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            outside += 1
        else:
            assert response.status_code == 200, (lon, lat, response.text)
            assert response.json()["grid"]["code"] == expected, (lon, lat)
            inside += 1
    assert inside > 50 and outside > 30


def test_locate_returns_the_chain_city_first(client, demo_city):
    areas, _ = demo_city
    grid = next(a for a in areas if a.level == "grid")
    point = grid.geom.point_on_surface()
    body = client.get("/api/v1/areas/locate", params={"lon": point.x, "lat": point.y}).json()
    assert body["grid"] == {"code": grid.code, "name": grid.name}
    assert [link["level"] for link in body["chain"]] == [
        "city", "county", "township", "village", "grid"]
    assert [link["code"] for link in body["chain"]] == [
        "430200", grid.code[:6], grid.code[:9], grid.code[:12], grid.code]


@pytest.mark.parametrize(("crs", "forward"), [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_locate_converts_chinese_map_coordinates(client, demo_city, crs, forward):
    """A phone on Amap/Baidu sends shifted coordinates: they must land in the same grid."""
    areas, _ = demo_city
    # A grid where the shift matters: its inner point, shifted, falls outside it.
    for grid in (a for a in areas if a.level == "grid"):
        point = grid.geom.point_on_surface()
        lon, lat = map(float, forward(point.x, point.y))
        if not grid.geom.contains(shapely.Point(lon, lat)):
            break
    shifted = client.get("/api/v1/areas/locate", params={"lon": lon, "lat": lat, "crs": crs})
    assert shifted.json()["grid"]["code"] == grid.code
    # Undeclared, the same numbers (~500 m off) land elsewhere, or nowhere.
    unshifted = client.get("/api/v1/areas/locate", params={"lon": lon, "lat": lat})
    assert unshifted.status_code == 404 or unshifted.json()["grid"]["code"] != grid.code


@pytest.mark.parametrize("params", [
    {"lon": "east", "lat": "27.8"},
    {"lon": "113.1"},
    {"lon": "181", "lat": "27.8"},
    {"lon": "113.1", "lat": "-91"},
    {"lon": "nan", "lat": "27.8"},
    {"lon": "inf", "lat": "27.8"},
])
def test_malformed_coordinates_get_422_problem(client, params):
    response = client.get("/api/v1/areas/locate", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 422 and response.json()["detail"]


def test_unknown_crs_gets_422_problem(client, demo_city):
    response = client.get("/api/v1/areas/locate",
                          params={"lon": 113.1, "lat": 27.8, "crs": "EPSG:999999"})
    assert response.status_code == 422
    assert "unknown CRS" in response.json()["detail"]


def test_batch_locate_matches_single_locate(client, grid_index):
    tree, codes, (minx, miny, maxx, maxy) = grid_index
    points = np.random.default_rng(11).uniform((minx, miny), (maxx, maxy), size=(500, 2))
    response = client.post("/api/v1/areas/locate", json={"points": points.tolist()})
    assert response.status_code == 200
    assert response.json()["grids"] == [_expected(tree, codes, x, y) for x, y in points]


def test_batch_locate_rejects_bad_points(client):
    response = client.post("/api/v1/areas/locate", json={"points": [[113.1, 27.8], [200, 0]]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][:3] == ["body", "points", 1]


def test_service_locate_sees_its_own_transaction(session, demo_city):
    """Inside a transaction (an incident being filed), locate sees uncommitted grids too."""
    import shapely as shp

    from core.scope import EVERYWHERE
    from geo import locate as locating
    from geo.store import NewArea, insert_areas

    square = shp.box(60.0, 10.0, 60.1, 10.1)
    insert_areas(session, [
        NewArea("950100", "临时市", "city", None, square),
        NewArea("950101", "临时区", "county", "950100", square),
        NewArea("950101001", "临时街道", "township", "950101", square),
        NewArea("950101001001", "临时社区", "village", "950101001", square),
        NewArea("950101001001001", "临时网格", "grid", "950101001001", square),
    ])
    location = locating.locate(session, lon=60.05, lat=10.05, scope=EVERYWHERE)
    assert [link.code for link in location.chain] == [
        "950100", "950101", "950101001", "950101001001", "950101001001001"]
    assert locating.locate_many(session, points=[(60.05, 10.05), (0.0, 0.0)],
                                scope=EVERYWHERE) == [
        "950101001001001", None]


def test_locate_finds_grids_by_the_spatial_index_whatever_the_scope(engine, demo_city):
    """The plan PostgreSQL reuses for every call (generic) starts from the grid GiST index.

    A scope condition beside ST_Intersects once let the generic plan walk the code btree
    over the whole scope for each point: a province's 10,000-point batch took minutes.
    """
    from core.scope import Scope
    from geo.locate import LOCATE_MANY_SQL, _scoped

    sql = _scoped(LOCATE_MANY_SQL, Scope(("43",)))
    for number, name in enumerate(("lons", "lats", "scope_low_0", "scope_high_0"), start=1):
        sql = sql.replace(f"%({name})s", f"${number}")
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        raw.execute("SET plan_cache_mode = force_generic_plan")
        raw.execute(f"PREPARE wide_scope(float8[], float8[], text, text) AS {sql}")
        plan = raw.execute("EXPLAIN EXECUTE wide_scope("
                           "'{113.1}', '{27.8}', '43', '44')").fetchall()
        raw.execute("DEALLOCATE wide_scope")
        raw.execute("RESET plan_cache_mode")
    text_plan = "\n".join(row[0] for row in plan)
    assert "ix_area_grid_geom" in text_plan, text_plan
    assert "ix_area_level_code" not in text_plan and "pk_area" not in text_plan, text_plan
