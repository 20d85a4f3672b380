"""Mapbox Vector Tiles of the registered layers: one hand-written statement per tile
(ST_AsMVT).

- each feature with the layer's properties, polygons and lines simplified to a pixel of
  the tile's 4096 grid before they are projected and clipped;
- a layer may take a filter from the zoom (the areas: the level shown follows it);
- a point layer may be clustered below a zoom: one point per cell of a 32 × 32 grid over
  the tile, at the mean of its points, with `count` and the layer's counts (incidents:
  `overdue`, `warning`); each point counts in exactly one tile (half-open cells).

At most `budget` features per tile; a tile that had more says `X-Tile-Truncated: true`, and
a layer may say which features a full tile keeps first. The spatial lookup runs first,
fenced (OFFSET 0), and only its rows meet the territory: the pool's connections use
generic plans, where an unknown scope range could otherwise send the planner down the code
btree of the whole territory (see geo/locate.py). Zoom, x, y, a zoom filter's word and the
budget are validated integers and words, written into the text, so the spatial part is
planned with its real tile.
"""

import hashlib
from dataclasses import dataclass

from fastapi import Response
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.orm import Session

from core.scope import Scope
from geo.layers.declaration import Layer
from geo.layers.params import BadParameter, Selection
from geo.layers.query import conditions

MVT = "application/vnd.mapbox-vector-tile"
MAX_ZOOM = 24
EXTENT, BUFFER = 4096, 64


@dataclass(frozen=True)
class Tile:
    data: bytes
    truncated: bool

    @property
    def etag(self) -> str:
        """A strong validator of what was sent: the hash of the tile's bytes."""
        digest = hashlib.blake2b(self.data + bytes([self.truncated]), digest_size=16)
        return f'"{digest.hexdigest()}"'


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


def _spatial_source(layer: Layer, template: str | None, *, box: str, where: str,
                    **words: str) -> tuple[str, str]:
    """(FROM text, WHERE text): the fenced spatial source the layer declares, or its plain
    source with the box as the first condition."""
    if template is not None:
        return template.format(box=box, **words), where
    return layer.source, f"{layer.geom} && {box} AND {where}"


def _zoom_word(layer: Layer, chosen: dict, z: int, scope: Scope) -> dict[str, str]:
    """The zoom filter's word (given by the caller, or the zoom's), popped from `chosen`:
    it goes into the text, so only a word of its vocabulary."""
    rule = layer.zoom_filter
    if rule is None:
        return {}
    word = chosen.pop(rule.name, None) or rule.at(z, scope)
    if word not in layer.filters[rule.name].values:
        raise BadParameter(f"{rule.name}: unknown value {word!r}")
    return {rule.name: word}


def features_sql(layer: Layer, *, scope: Scope, z: int, x: int, y: int,
                 filters: tuple, budget: int) -> tuple[str, dict]:
    chosen = dict(filters)
    words = _zoom_word(layer, chosen, z, scope)
    where, params = conditions(layer, scope=scope,
                               selection=Selection(filters=tuple(chosen.items())))
    source, where = _spatial_source(layer, layer.tile_source, box=_box(z, x, y, BUFFER / EXTENT),
                                    where=where, **words)
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


def summary_sql(layer: Layer, *, scope: Scope, z: int, x: int, y: int,
                budget: int) -> tuple[str, dict]:
    """A clustered tile summed from the layer's ClusterSummary (declaration.py): the same
    cells (a cell of zoom z is 2^(L−z) × 2^(L−z) cells of level L ≥ z, all aligned to the
    world's edges), counts and centres (Σx / n) as counting the points would give."""
    rule = layer.cluster
    summary = rule.summary
    where, params = conditions(layer, scope=scope, selection=Selection())
    level = min((level for level in summary.levels if level >= z), default=None)
    level = level if level is not None else max(summary.levels)
    shift = level - z  # ≥ 0: clusters_sql sends finer zooms to the points
    span, n = rule.cells << shift, rule.cells
    x0, y0 = x * span, (2**z - 1 - y) * span  # the tile's first cell, at the level
    sums = "".join(f", sum({column}) AS {name}" for name, column in summary.sums)
    names = "".join(f", {name}" for name, _ in summary.sums)
    sql = f"""
        WITH cells AS (
            SELECT ((e.gx - {x0}) >> {shift}) AS cx, ((e.gy - {y0}) >> {shift}) AS cy,
                   e.n, e.sx, e.sy{"".join(f", e.{column}" for _, column in summary.sums)}
            FROM {summary.table} e
            WHERE e.level = {level} AND e.gx >= {x0} AND e.gx < {x0 + span}
              AND e.gy >= {y0} AND e.gy < {y0 + span} AND {where}),
        clusters AS (
            SELECT cy * {n} + cx AS mvt_id, sum(n) AS "count"{sums},
                   ST_SetSRID(ST_MakePoint(sum(sx) / sum(n), sum(sy) / sum(n)), 3857) AS centre
            FROM cells GROUP BY cx, cy HAVING sum(n) > 0 LIMIT {budget + 1}),
        rows AS (
            SELECT mvt_id, "count"{names},
                   ST_AsMVTGeom(centre, {_envelope(z, x, y)}, {EXTENT}, 0, false) AS geom
            FROM clusters)
        SELECT (SELECT ST_AsMVT(r, '{layer.name}', {EXTENT}, 'geom', 'mvt_id')
                FROM (SELECT * FROM rows LIMIT {budget}) r),
               (SELECT count(*) FROM rows) > {budget}"""
    return sql, params


def clusters_sql(layer: Layer, *, scope: Scope, z: int, x: int, y: int,
                 filters: tuple, budget: int) -> tuple[str, dict]:
    rule = layer.cluster
    # A summary serves its own levels and the zooms below them; a finer zoom counts points.
    if rule.summary is not None and not filters and z <= max(rule.summary.levels):
        return summary_sql(layer, scope=scope, z=z, x=x, y=y, budget=budget)
    where, params = conditions(layer, scope=scope, selection=Selection(filters=filters))
    source, where = _spatial_source(layer, rule.source or layer.tile_source,
                                    box=_box(z, x, y, 0), where=where)
    # The narrow source joins what a filter needs only when that filter is given.
    given = {name for name, _ in filters}
    source += "".join(join for name, join in rule.joins.items() if name in given)
    carried = "".join(f", {name}" for name, _ in rule.carry)
    counted = "".join(f", {name}" for name, _ in rule.counts)
    counts = "".join(f",\n                   count(*) FILTER (WHERE {condition}) AS {name}"
                     for name, condition in rule.counts)
    # The tile's bounds and cell size as numbers in the text: the planner then sees how
    # many rows fall in the tile and aggregates them in a hash, not an external sort.
    west, south, east, north = _web_mercator_bounds(z, x, y)
    cell = (east - west) / rule.cells
    sql = f"""
        WITH points AS (
            SELECT {MERCATOR_X.format(lon=f"ST_X({layer.geom})")} AS px,
                   {MERCATOR_Y.format(lat=f"ST_Y({layer.geom})")} AS py
                   {"".join(f", {expr} AS {name}" for name, expr in rule.carry)}
            FROM {source} WHERE {where}),
        cells AS (
            SELECT floor((px - {west!r}) / {cell!r})::int AS cx,
                   floor((py - {south!r}) / {cell!r})::int AS cy, px, py{carried}
            FROM points
            WHERE px >= {west!r} AND px < {east!r} AND py >= {south!r} AND py < {north!r}),
        clusters AS (
            SELECT cy * {rule.cells} + cx AS mvt_id, count(*) AS "count"{counts},
                   ST_SetSRID(ST_MakePoint(avg(px), avg(py)), 3857) AS centre
            FROM cells GROUP BY cx, cy LIMIT {budget + 1}),
        rows AS (
            SELECT mvt_id, "count"{counted},
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
    clustered = layer.cluster is not None and z < layer.cluster.below
    build = clusters_sql if clustered else features_sql
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
