"""Mapbox Vector Tiles of the layers: one hand-written statement per tile (ST_AsMVT).

- areas: the level shown follows the zoom (LEVEL_BY_ZOOM; never coarser than the
  caller's own area: a township's staff sees the township up to z11), polygons simplified to a pixel
  of the tile's 4096 grid before they are projected and clipped;
- incidents: points from z12 (CLUSTER_BELOW) up; below, one point per cell of a 32 × 32
  grid over the tile, at the mean of its incidents, with `count`, `overdue` (red) and
  `warning` (yellow); each incident counts in exactly one tile (half-open cells);
- staff: the newest position of each grid worker.

At most `budget` features per tile; a tile that had more says `X-Tile-Truncated: true`.
The spatial lookup runs first, fenced (OFFSET 0), and only its rows meet the territory:
the pool's connections use generic plans, where an unknown scope range could otherwise
send the planner down the code btree of the whole territory (see geo/locate.py). Zoom,
x, y, level and budget are validated integers and names, written into the text, so the
spatial part is planned with its real tile.
"""

import hashlib
from dataclasses import dataclass

from fastapi import Response
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.orm import Session

from core.scope import Scope
from grid.layers.params import BadParameter, Selection
from grid.layers.query import conditions
from grid.layers.registry import Layer

MVT = "application/vnd.mapbox-vector-tile"
MAX_ZOOM = 24
EXTENT, BUFFER = 4096, 64
CLUSTER_BELOW = 12  # incidents are clustered at z0–11
CLUSTER_CELLS = 32  # per tile side
# The areas shown at each zoom: counties up to z9, townships z10–11, villages z12–13,
# grids from z14.
LEVEL_BY_ZOOM = ((9, "county"), (11, "township"), (13, "village"), (MAX_ZOOM, "grid"))
LEVEL_ORDER = ("county", "township", "village", "grid")
# The level of a scope's own area, by the length of its code prefix (a city or a
# province spans counties).
SCOPE_LEVEL = {6: "county", 9: "township", 12: "village", 15: "grid"}
# Inner selects named like the tables, so the layer's conditions (which name `incident`,
# `a`, `p`, `w`) apply unchanged.
SPATIAL_SOURCE = {
    "areas": "(SELECT * FROM area WHERE level = '{level}' AND geom && {box} OFFSET 0) a",
    "incidents": "(SELECT * FROM incident WHERE geom && {box} OFFSET 0) incident "
                 "JOIN category c ON c.id = incident.category_id",
    "staff": "(SELECT * FROM staff_position WHERE geom && {box} OFFSET 0) p "
             "JOIN grid_worker w ON w.id = p.worker_id",
}

# The clusters read only what they count and filter on, and join the categories only for
# a category filter: at z8 a tile covers ~100,000 incidents, and the join and the wide rows
# were two thirds of its time (bench/README.md, tiles).
CLUSTER_SOURCE = ("(SELECT geom, deadline, state, grid_code, grid_id, category_id, "
                  "reported_at FROM incident WHERE geom && {box} OFFSET 0) incident")
CATEGORY_JOIN = " JOIN category c ON c.id = incident.category_id"


@dataclass(frozen=True)
class Tile:
    data: bytes
    truncated: bool

    @property
    def etag(self) -> str:
        """A strong validator of what was sent: the hash of the tile's bytes."""
        digest = hashlib.blake2b(self.data + bytes([self.truncated]), digest_size=16)
        return f'"{digest.hexdigest()}"'


def level_at(z: int, scope: Scope | None = None) -> str:
    """The zoom's level, but never above the caller's own: a township's staff zoomed out
    sees their township's outline, not an empty map (no county lies in their scope)."""
    level = next(level for top, level in LEVEL_BY_ZOOM if z <= top)
    if scope is None:
        return level
    own = "grid" if scope.own_grids_of is not None else SCOPE_LEVEL.get(len(scope.low),
                                                                         "county")
    return max(level, own, key=LEVEL_ORDER.index)


def check_tile(z: int, x: int, y: int) -> None:
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z):
        raise BadParameter(f"no tile {z}/{x}/{y}: at zoom {z}, x and y are 0 to {2**z - 1}")


def _envelope(z: int, x: int, y: int, margin: float = 0) -> str:
    return f"ST_TileEnvelope({z}, {x}, {y}, margin => {margin})"


def _box(z: int, x: int, y: int, margin: float) -> str:
    return f"ST_Transform({_envelope(z, x, y, margin)}, 4326)"


def _tile_property(layer: Layer, name: str, expr: str) -> str:
    # MVT has no time type: instants travel as RFC 3339 text, as in the GeoJSON.
    if expr == layer.temporal:
        return f"(to_json({expr}) #>> '{{}}') AS {name}"
    return f"{expr} AS {name}"


def features_sql(layer: Layer, *, scope: Scope, z: int, x: int, y: int,
                 filters: tuple, budget: int) -> tuple[str, dict]:
    # An areas tile may name its level (validated: a known level); else the zoom's.
    chosen = dict(filters)
    level = chosen.pop("level", None) or level_at(z, scope)
    where, params = conditions(layer, scope=scope,
                               selection=Selection(filters=tuple(chosen.items())))
    source = SPATIAL_SOURCE[layer.name].format(level=level, box=_box(z, x, y, BUFFER / EXTENT))
    geom = layer.geom
    if layer.geometry_type != "Point":
        # One pixel of the tile's grid, in degrees of longitude.
        tolerance = 360 / (2**z * EXTENT)
        geom = f"ST_Simplify({geom}, {tolerance!r}, true)"
    columns = ", ".join(_tile_property(layer, name, expr) for name, expr in layer.properties)
    priority = f"{layer.tile_priority} AS mvt_priority," if layer.tile_priority else ""
    order = "ORDER BY mvt_priority" if layer.tile_priority else ""
    sql = f"""
        WITH rows AS (
            SELECT * FROM (
                SELECT {layer.tile_id} AS mvt_id, {columns}, {priority}
                       ST_AsMVTGeom(ST_Transform({geom}, 3857), {_envelope(z, x, y)},
                                    {EXTENT}, {BUFFER}, true) AS geom
                FROM {source} WHERE {where}) candidates
            WHERE geom IS NOT NULL {order} LIMIT {budget + 1})
        SELECT (SELECT ST_AsMVT(t, '{layer.name}', {EXTENT}, 'geom', 'mvt_id')
                FROM (SELECT mvt_id, {", ".join(f'"{n}"' for n in layer.property_names)}, geom
                      FROM rows {order} LIMIT {budget}) t),
               (SELECT count(*) FROM rows) > {budget}"""
    return sql, params


def clusters_sql(layer: Layer, *, scope: Scope, z: int, x: int, y: int,
                 filters: tuple, budget: int) -> tuple[str, dict]:
    where, params = conditions(layer, scope=scope, selection=Selection(filters=filters))
    source = CLUSTER_SOURCE.format(box=_box(z, x, y, 0))
    if any(name == "category" for name, _ in filters):
        source += CATEGORY_JOIN
    # The tile's bounds and cell size as numbers in the text: the planner then sees how
    # many rows fall in the tile and aggregates them in a hash, not an external sort.
    west, south, east, north = _web_mercator_bounds(z, x, y)
    cell = (east - west) / CLUSTER_CELLS
    sql = f"""
        WITH points AS (
            SELECT {MERCATOR_X.format(lon="ST_X(incident.geom)")} AS px,
                   {MERCATOR_Y.format(lat="ST_Y(incident.geom)")} AS py, incident.deadline
            FROM {source} WHERE {where}),
        cells AS (
            SELECT floor((px - {west!r}) / {cell!r})::int AS cx,
                   floor((py - {south!r}) / {cell!r})::int AS cy, px, py, deadline
            FROM points
            WHERE px >= {west!r} AND px < {east!r} AND py >= {south!r} AND py < {north!r}),
        clusters AS (
            SELECT cy * {CLUSTER_CELLS} + cx AS mvt_id, count(*) AS "count",
                   count(*) FILTER (WHERE deadline = 'red') AS overdue,
                   count(*) FILTER (WHERE deadline = 'yellow') AS warning,
                   ST_SetSRID(ST_MakePoint(avg(px), avg(py)), 3857) AS centre
            FROM cells GROUP BY cx, cy LIMIT {budget + 1}),
        rows AS (
            SELECT mvt_id, "count", overdue, warning,
                   ST_AsMVTGeom(centre, {_envelope(z, x, y)}, {EXTENT}, 0, false) AS geom
            FROM clusters)
        SELECT (SELECT ST_AsMVT(r, '{layer.name}', {EXTENT}, 'geom', 'mvt_id')
                FROM (SELECT * FROM rows LIMIT {budget}) r),
               (SELECT count(*) FROM rows) > {budget}"""
    return sql, params


# Half the Web Mercator world's width, in metres (EPSG:3857), and the projection of a
# WGS84 point to it as arithmetic: for 100,000 points of a low-zoom tile, a tenth of the
# cost of ST_Transform (a PROJ call each). The same sphere and formulas as EPSG:3857.
MERCATOR_HALF = 20037508.342789244
MERCATOR_X = f"({{lon}} * {MERCATOR_HALF / 180!r})"
MERCATOR_Y = "(ln(tan(radians(45 + {lat} / 2))) * 6378137.0)"


def _web_mercator_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """West, south, east and north of a tile in EPSG:3857 metres (ST_TileEnvelope's), each
    edge computed as its neighbour computes it, so that cells stay half-open across tiles."""
    size = 2 * MERCATOR_HALF / 2**z
    return (-MERCATOR_HALF + x * size, MERCATOR_HALF - (y + 1) * size,
            -MERCATOR_HALF + (x + 1) * size, MERCATOR_HALF - y * size)


def tile_sql(layer: Layer, *, scope: Scope, z: int, x: int, y: int, filters: tuple = (),
             budget: int) -> tuple[str, dict]:
    check_tile(z, x, y)
    build = clusters_sql if layer.name == "incidents" and z < CLUSTER_BELOW else features_sql
    return build(layer, scope=scope, z=z, x=x, y=y, filters=filters, budget=budget)


def _tile(row) -> Tile:
    data, truncated = row
    return Tile(bytes(data or b""), bool(truncated))


async def render_async(pool: AsyncConnectionPool, *, layer: Layer, scope: Scope, z: int,
                       x: int, y: int, filters: tuple = (), budget: int) -> Tile:
    """The API's path: the async pool, no ORM, no thread hop."""
    sql, params = tile_sql(layer, scope=scope, z=z, x=x, y=y, filters=filters, budget=budget)
    async with pool.connection() as connection:
        cursor = await connection.execute(sql, params)
        return _tile(await cursor.fetchone())


def render(session: Session, *, layer: Layer, scope: Scope, z: int, x: int, y: int,
           filters: tuple = (), budget: int) -> Tile:
    """The same tile inside a session's transaction (tests, tasks, benchmarks)."""
    sql, params = tile_sql(layer, scope=scope, z=z, x=x, y=y, filters=filters, budget=budget)
    return _tile(session.connection().exec_driver_sql(sql, params).one())


def tile_response(tile: Tile, *, if_none_match: str | None, max_age: int) -> Response:
    """200 with the tile (an empty tile: no body), or 304 when the client's copy is it."""
    headers = {"ETag": tile.etag, "Cache-Control": f"private, max-age={max_age}",
               "Vary": "Authorization"}
    if tile.truncated:
        headers["X-Tile-Truncated"] = "true"
    if if_none_match and _matches(if_none_match, tile.etag):
        return Response(status_code=304, headers=headers)
    return Response(tile.data, media_type=MVT, headers=headers)


def _matches(if_none_match: str, etag: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags
