"""Enforcement cases as a layer of the supervisor's map (enforcement/cases/layers.py):
listed, served as vector tiles and GeoJSON with its filters, inside the caller's
territory only; a case with no point is not on the map."""

import mapbox_vector_tile
from sqlalchemy import text

from core.scope import Scope
from core.security import Principal
from core.users.enums import Role
from enforcement.cases.layers import CASES
from enforcement.cases.schemas import CaseIn
from enforcement.cases.service import open_case
from geo.layers import tiles
from tests.conftest import bearer
from tests.enforcement.cases.conftest import at, grid_code, move
from tests.geo.layers.conftest import tile_of, walk_pages

URL = "/api/v1/layers/enforcement_cases/features"


def _located(session, settings, desk, lon, lat, *, grid):
    data = CaseIn(procedure="ordinary", unit_id=desk.unit.id, source="patrol",
                  title="占道经营（地图）", area_code=grid,
                  location={"type": "Point", "coordinates": [lon, lat]},
                  officer_ids=[desk.ids["officer_a"], desk.ids["officer_b"]],
                  parties=[{"kind": "citizen", "name": "张三", "id_number": "11010519491231002X"}])
    case, _ = open_case(session, principal=desk.people["dispatcher"], data=data,
                        settings=settings, now=at("2026-09-01 10:00"))
    return case


def _cases(session, settings, desk):
    grid = grid_code(session, desk.township)
    lon, lat = session.execute(text(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM area "
        "WHERE code = :g) q"), {"g": grid}).one()
    clue = _located(session, settings, desk, lon, lat, grid=grid)
    filed = _located(session, settings, desk, lon + 1e-5, lat, grid=grid)
    move(session, settings, desk, filed, "file", now=at("2026-09-01 11:00"),
         matter_code="TEST-CG-0001")
    nowhere = _located(session, settings, desk, lon, lat, grid=grid)
    session.execute(text("UPDATE enforcement_case SET geom = NULL WHERE id = :id"),
                    {"id": nowhere.id})
    session.flush()
    return (lon, lat), clue, filed, nowhere


def _tile_ids(session, scope, lon, lat, filters=()):
    x, y = tile_of(lon, lat, 16)
    tile = tiles.render(session, layer=CASES, scope=scope, z=16, x=x, y=y, filters=filters,
                        budget=100)
    decoded = mapbox_vector_tile.decode(tile.data) if tile.data else {}
    return sorted(f["id"] for f in decoded.get("enforcement_cases", {}).get("features", []))


def test_cases_are_a_scoped_layer(anonymous, session, settings, desk):
    (lon, lat), clue, filed, nowhere = _cases(session, settings, desk)
    ours = Principal(0, "township-supervisor", Role.supervisor, desk.township)
    other_county = session.scalar(text(
        "SELECT code FROM area WHERE level = 'county' AND code <> :c ORDER BY code LIMIT 1"),
        {"c": desk.township[:6]})
    theirs = Principal(0, "other-supervisor", Role.supervisor, other_county)
    assert _tile_ids(session, Scope.of(ours), lon, lat) == sorted([clue.id, filed.id])
    assert _tile_ids(session, Scope.of(ours), lon, lat, (("state", ("investigating",)),)) \
        == [filed.id]
    assert _tile_ids(session, Scope.of(theirs), lon, lat) == []

    headers = bearer(settings, role="supervisor", scope_code=desk.township,
                     username="layer-supervisor")
    listed = {layer["name"] for layer in anonymous.get("/api/v1/layers",
                                                         headers=headers).json()}
    assert "enforcement_cases" in listed
    found, _ = walk_pages(anonymous, URL, {"limit": 500}, headers)
    ids = {f["id"] for f in found}
    assert {clue.id, filed.id} <= ids and nowhere.id not in ids
    shown = next(f for f in found if f["id"] == filed.id)["properties"]
    assert (shown["state"], shown["matter_code"], shown["clock"]) == (
        "investigating", "TEST-CG-0001", "green")
    assert "张三" not in str(found)  # no party on the map
    other = bearer(settings, role="supervisor", scope_code=other_county,
                   username="layer-other")
    hidden, _ = walk_pages(anonymous, URL, {"limit": 500}, other)
    assert not {clue.id, filed.id} & {f["id"] for f in hidden}
    bad = anonymous.get(URL, params={"clock": "purple"}, headers=headers)
    assert bad.status_code == 400
    officer_only = bearer(settings, role="grid_worker", scope_code=desk.township,
                          username="layer-grid-worker")
    assert anonymous.get(URL, headers=officer_only).status_code == 403
