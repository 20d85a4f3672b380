"""Locate: a point → its grid → the chain of areas above it, city first.

The hottest read path (every field report, every hotline call). One hand-written
statement: the grids' own GiST index finds the grid, and the chain comes from the grid's
code, which is the path. The API runs it on a psycopg async pool (bench/README.md: the
ORM session and the thread-pool hops were most of the time); tasks and services run the
same statement inside their own transaction through `locate(session, ...)`.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from psycopg_pool import AsyncConnectionPool
from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound
from core.scope import Scope
from geo.crs import lonlat_to_wgs84, parse_crs

# psycopg placeholders, so the pool and the session's driver run the very same text.
# {scope} is the caller's territory: a point outside it is "outside every grid" to them.
# The grids under the point come from the GiST index first, fenced by OFFSET 0, and only
# those one or two rows meet the scope: left to itself, a generic plan may walk the code
# btree over the whole scope instead (100,000 grids for a province's admin, per point).
GRIDS_UNDER = """
    SELECT g.code FROM (
        SELECT id, code FROM area
        WHERE level = 'grid' AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint({lon}, {lat}), 4326))
        OFFSET 0
    ) AS g
    WHERE {{scope}}
    ORDER BY g.code LIMIT 1
"""

LOCATE_SQL = """
    WITH hit AS (""" + GRIDS_UNDER.format(lon="%(lon)s", lat="%(lat)s") + """)
    SELECT a.level, a.code, a.name
    FROM hit JOIN area a ON a.code IN (
        substr(hit.code, 1, 4) || '00', substr(hit.code, 1, 6), substr(hit.code, 1, 9),
        substr(hit.code, 1, 12), hit.code)
    ORDER BY array_position(ARRAY['city', 'county', 'township', 'village', 'grid'], a.level)
"""

LOCATE_MANY_SQL = """
    SELECT hit.code
    FROM unnest(%(lons)s::float8[], %(lats)s::float8[]) WITH ORDINALITY AS p(lon, lat, i)
    LEFT JOIN LATERAL (""" + GRIDS_UNDER.format(lon="p.lon", lat="p.lat") + """) AS hit ON true
    ORDER BY p.i
"""


@dataclass(frozen=True)
class ChainLink:
    level: str
    code: str
    name: str


@dataclass(frozen=True)
class Location:
    grid: ChainLink
    chain: list[ChainLink]  # city first, grid last


def locate(
    session: Session, *, lon: float, lat: float, scope: Scope, crs: str | None = None
) -> Location:
    """The grid containing a point, and its chain of areas, city first.

    The grid must lie in the scope; the chain above it is its address, shown whole.
    """
    x, y = to_wgs84_point(lon, lat, crs)
    rows = session.connection().exec_driver_sql(
        _scoped(LOCATE_SQL, scope), {"lon": x, "lat": y, **scope.params}).all()
    return _location(rows, lon=lon, lat=lat)


async def locate_async(
    pool: AsyncConnectionPool, *, lon: float, lat: float, scope: Scope, crs: str | None = None
) -> Location:
    """`locate` on the API's async pool, outside any ORM session."""
    x, y = to_wgs84_point(lon, lat, crs)
    async with pool.connection() as connection:
        cursor = await connection.execute(_scoped(LOCATE_SQL, scope),
                                          {"lon": x, "lat": y, **scope.params}, prepare=True)
        rows = await cursor.fetchall()
    return _location(rows, lon=lon, lat=lat)


def locate_many(
    session: Session, *, points: Sequence[tuple[float, float]], scope: Scope,
    crs: str | None = None,
) -> list[str | None]:
    """Grid codes for many points in one statement (None where outside every grid)."""
    if not points:
        return []
    rows = session.connection().exec_driver_sql(
        _scoped(LOCATE_MANY_SQL, scope), {**_arrays(points, crs), **scope.params}).all()
    return [row[0] for row in rows]


async def locate_many_async(
    pool: AsyncConnectionPool, *, points: Sequence[tuple[float, float]], scope: Scope,
    crs: str | None = None,
) -> list[str | None]:
    if not points:
        return []
    async with pool.connection() as connection:
        cursor = await connection.execute(_scoped(LOCATE_MANY_SQL, scope),
                                          {**_arrays(points, crs), **scope.params})
        rows = await cursor.fetchall()
    return [row[0] for row in rows]


def _scoped(sql: str, scope: Scope) -> str:
    return sql.replace("{scope}", scope.area_condition("g", pyformat=True))


def to_wgs84_point(lon: float, lat: float, crs: str | None) -> tuple[float, float]:
    source = parse_crs(crs)
    x, y = lonlat_to_wgs84(lon, lat, source)
    x, y = float(x), float(y)
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise InvalidInput(f"({lon}, {lat}) in {source.name} is not a valid position")
    return x, y


def _arrays(points: Sequence[tuple[float, float]], crs: str | None) -> dict:
    lons, lats = zip(*points, strict=True)
    x, y = lonlat_to_wgs84(lons, lats, parse_crs(crs))
    return {"lons": [float(v) for v in x], "lats": [float(v) for v in y]}


def _location(rows, *, lon: float, lat: float) -> Location:
    if not rows:
        raise NotFound(f"({lon}, {lat}) lies outside every grid of the jurisdiction",
                       lon=lon, lat=lat)
    chain = [ChainLink(*row) for row in rows]
    return Location(grid=chain[-1], chain=chain)
