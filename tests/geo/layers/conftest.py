"""Fixtures for the map layers: a township's staff, the city's administrator, a place far
outside the township, and the helpers every layer's tests share (tiles, pages, files)."""

import math
from dataclasses import dataclass
from datetime import datetime

import mapbox_vector_tile
import pytest
from sqlalchemy import text

from core.scope import Scope
from core.security import Principal
from core.users.enums import Role
from geo.layers import tiles
from tests.conftest import bearer

GEOJSON = "application/geo+json"
SUFFIX = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".zip"}
MEDIA = {"geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3",
         "shp": "application/zip"}


@dataclass(frozen=True)
class Person:
    principal: Principal
    headers: dict[str, str]

    @property
    def scope(self) -> Scope:
        return Scope.of(self.principal)


def person(session, settings, username: str) -> Person:
    row = session.execute(text("SELECT id, username, role, scope_code FROM app_user "
                               "WHERE username = :u"), {"u": username}).one()
    return Person(Principal(row.id, row.username, Role(row.role), row.scope_code),
                  bearer(settings, role=row.role, scope_code=row.scope_code, user_id=row.id,
                         username=row.username))


@pytest.fixture
def township(demo_city, session, settings) -> Person:
    return person(session, settings, "demo_township_staff")


@pytest.fixture
def admin(demo_city, session, settings) -> Person:
    """The city's administrator: every area of the demo city."""
    return person(session, settings, "demo_admin")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The slippy-map tile holding a point (written here from the formula, not the app)."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """west, south, east, north of a tile in degrees."""
    n = 2**z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))
    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


@dataclass(frozen=True)
class Spot:
    grid_code: str
    grid_id: int
    lon: float
    lat: float


def spot(session, grid_code: str) -> Spot:
    row = session.execute(text(
        "SELECT id, ST_X(p) AS lon, ST_Y(p) AS lat FROM (SELECT id, "
        "ST_PointOnSurface(geom) AS p FROM area WHERE code = :c) s"), {"c": grid_code}).one()
    return Spot(grid_code, row.id, row.lon, row.lat)


@pytest.fixture
def inside(session, township) -> Spot:
    """A point inside the first grid of the township."""
    code = session.scalar(text("SELECT min(code) FROM area WHERE level = 'grid' "
                               "AND code LIKE :t || '%'"), {"t": township.principal.scope_code})
    return spot(session, code)


@pytest.fixture
def outside(session, township) -> Spot:
    """A grid of another county whose tiles down to z9 do not touch the township at all
    (a z9 tile here is ~70 km a side, ~100 km across)."""
    code = session.scalar(text("""
        SELECT g.code FROM area g, area t
        WHERE t.code = :t AND g.level = 'grid' AND substr(g.code, 1, 6) <> substr(:t, 1, 6)
          AND ST_Distance(g.geom::geography, t.geom::geography) > 100000
        ORDER BY g.code LIMIT 1"""), {"t": township.principal.scope_code})
    return spot(session, code)


# --- vector tiles (tests/*/layers/test_tiles.py) ----------------------------------------------

def decode(tile) -> dict:
    return mapbox_vector_tile.decode(tile.data) if tile.data else {}


def features(tile, layer: str) -> list[dict]:
    return decode(tile).get(layer, {}).get("features", [])


def render(session, layer, scope, z, lon, lat, *, budget=5000, filters=()):
    x, y = tile_of(lon, lat, z)
    return tiles.render(session, layer=layer, scope=scope, z=z, x=x, y=y, filters=filters,
                        budget=budget)


def coordinates(geometry) -> list[tuple[float, float]]:
    def walk(value):
        if isinstance(value[0], int | float):
            yield tuple(value)
        else:
            for item in value:
                yield from walk(item)
    return list(walk(geometry["coordinates"]))


def tile_url(layer, z, lon, lat) -> str:
    x, y = tile_of(lon, lat, z)
    return f"/tiles/{layer}/{z}/{x}/{y}.mvt"


# --- GeoJSON pages (test_features.py) and OGC items (test_ogc.py) -----------------------------

def walk_pages(client, url: str, params: dict, headers: dict) -> tuple[list[dict], int]:
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


def bbox_around(where, size=0.05) -> str:
    return f"{where.lon - size},{where.lat - size},{where.lon + size},{where.lat + size}"


def rels(body: dict) -> dict[str, dict]:
    return {link["rel"]: link for link in body["links"]}


def walk_items(client, url: str, headers: dict | None = None) -> tuple[list[dict], list[dict]]:
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


# --- exports (test_export.py) -----------------------------------------------------------------

def download(client, layer: str, file_format: str, headers: dict, tmp_path, **params):
    response = client.get(f"/api/v1/layers/{layer}/export",
                          params={"format": file_format, **params}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(MEDIA[file_format])
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith(
        f'{SUFFIX[file_format]}"')
    path = tmp_path / f"{layer}{SUFFIX[file_format]}"
    path.write_bytes(response.content)
    return path, response.content
