"""Reading the area hierarchy: look-ups, subtrees, GeoJSON, and locate (point → grid → chain).

Locate is the hottest read path (every field report, every hotline call), so it is one
hand-written statement: the GiST index finds the grid, and the chain comes from the
grid's code, which is the path.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound
from geo.codes import ALL_CODES, subtree_prefix, subtree_range
from geo.crs import lonlat_to_wgs84, parse_crs
from geo.enums import LEVELS, AreaLevel

_LEVEL_ORDER = "array_position(ARRAY['city','county','township','village','grid'], a.level)"


@dataclass(frozen=True)
class ChainLink:
    level: str
    code: str
    name: str


@dataclass(frozen=True)
class Location:
    grid: ChainLink
    chain: list[ChainLink]  # city first, grid last


_LOCATE = text(f"""
    WITH hit AS (
        SELECT code FROM area
        WHERE level = 'grid' AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
        ORDER BY code LIMIT 1
    )
    SELECT a.level, a.code, a.name
    FROM hit JOIN area a ON a.code IN (
        substr(hit.code, 1, 4) || '00', substr(hit.code, 1, 6), substr(hit.code, 1, 9),
        substr(hit.code, 1, 12), hit.code)
    ORDER BY {_LEVEL_ORDER}
""")

_LOCATE_MANY = text("""
    SELECT p.i, hit.code
    FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[])) WITH ORDINALITY AS p(lon, lat, i)
    LEFT JOIN LATERAL (
        SELECT code FROM area
        WHERE level = 'grid' AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
        ORDER BY code LIMIT 1
    ) AS hit ON true
    ORDER BY p.i
""")


def to_wgs84_point(lon: float, lat: float, crs: str | None) -> tuple[float, float]:
    source = parse_crs(crs)
    x, y = lonlat_to_wgs84(lon, lat, source)
    x, y = float(x), float(y)
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        raise InvalidInput(f"({lon}, {lat}) in {source.name} is not a valid position")
    return x, y


def locate(session: Session, *, lon: float, lat: float, crs: str | None = None) -> Location:
    """The grid containing a point, and its chain of areas, city first."""
    x, y = to_wgs84_point(lon, lat, crs)
    rows = session.execute(_LOCATE, {"lon": x, "lat": y}).all()
    if not rows:
        raise NotFound(f"({lon}, {lat}) lies outside every grid of the jurisdiction",
                       lon=lon, lat=lat)
    chain = [ChainLink(row.level, row.code, row.name) for row in rows]
    return Location(grid=chain[-1], chain=chain)


def locate_many(
    session: Session, *, points: Sequence[tuple[float, float]], crs: str | None = None
) -> list[str | None]:
    """Grid codes for many points in one statement (None where outside every grid)."""
    if not points:
        return []
    lons, lats = zip(*points, strict=True)
    x, y = lonlat_to_wgs84(lons, lats, parse_crs(crs))
    rows = session.execute(_LOCATE_MANY, {"lons": list(map(float, x)),
                                          "lats": list(map(float, y))})
    return [row.code for row in rows]


# --- areas as records and GeoJSON ----------------------------------------------------

_AREA_COLUMNS = """
    a.code, a.name, a.level, a.area_m2, a.population,
    (SELECT p.code FROM area p WHERE p.id = a.parent_id) AS parent_code
"""


def _record(row) -> dict:
    return {
        "code": row.code, "name": row.name, "level": row.level,
        "parent_code": row.parent_code, "area_m2": round(row.area_m2, 1),
        "population": row.population,
    }


def _feature(row) -> dict:
    return {"type": "Feature", "id": row.code, "properties": _record(row),
            "geometry": json.loads(row.geojson)}


def _geojson_column(simplify_m: float) -> str:
    # Metres to degrees at the equator: a conservative simplification tolerance.
    if simplify_m > 0:
        return (f"ST_AsGeoJSON(ST_SimplifyPreserveTopology(a.geom, {simplify_m / 111_320:.10f}),"
                " 6) AS geojson")
    return "ST_AsGeoJSON(a.geom, 7) AS geojson"


def get_area(session: Session, *, code: str) -> dict:
    row = session.execute(text(f"SELECT {_AREA_COLUMNS} FROM area a WHERE a.code = :code"),
                          {"code": code}).first()
    if row is None:
        raise NotFound(f"no area with code {code}", code=code)
    return _record(row)


def get_area_feature(session: Session, *, code: str, simplify_m: float = 0) -> dict:
    row = session.execute(
        text(f"SELECT {_AREA_COLUMNS}, {_geojson_column(simplify_m)} FROM area a "
             "WHERE a.code = :code"), {"code": code}).first()
    if row is None:
        raise NotFound(f"no area with code {code}", code=code)
    return _feature(row)


def list_areas(
    session: Session, *, level: AreaLevel | None = None, parent_code: str | None = None,
    limit: int = 100, offset: int = 0,
) -> tuple[list[dict], int]:
    """Areas filtered by level and by the subtree of a parent; (page, total)."""
    bounds = subtree_range(_subtree_prefix(session, parent_code)) if parent_code else ALL_CODES
    where = ("(CAST(:level AS text) IS NULL OR a.level = :level) "
             "AND a.code >= :low AND a.code < :high AND a.code <> :parent")
    params = {"level": str(level) if level else None, "parent": parent_code or "", **bounds,
              "limit": limit, "offset": offset}
    total = session.execute(text(f"SELECT count(*) FROM area a WHERE {where}"), params).scalar()
    rows = session.execute(
        text(f"SELECT {_AREA_COLUMNS} FROM area a WHERE {where} "
             "ORDER BY a.code LIMIT :limit OFFSET :offset"), params)
    return [_record(row) for row in rows], total


def children_features(session: Session, *, code: str, simplify_m: float = 0) -> dict:
    parent = get_area(session, code=code)
    rows = session.execute(
        text(f"SELECT {_AREA_COLUMNS}, {_geojson_column(simplify_m)} FROM area a "
             "WHERE a.parent_id = (SELECT id FROM area WHERE code = :code) ORDER BY a.code"),
        {"code": code})
    return _collection(rows, parent=parent)


def descendant_features(
    session: Session, *, code: str, level: AreaLevel, simplify_m: float = 0
) -> dict:
    """Every area of one level inside an area's subtree, as a FeatureCollection."""
    parent = get_area(session, code=code)
    if LEVELS.index(level) <= LEVELS.index(AreaLevel(parent["level"])):
        raise InvalidInput(f"a {parent['level']} has no descendants at level {level}")
    rows = session.execute(
        text(f"SELECT {_AREA_COLUMNS}, {_geojson_column(simplify_m)} FROM area a "
             "WHERE a.level = :level AND a.code >= :low AND a.code < :high ORDER BY a.code"),
        {"level": str(level), **subtree_range(subtree_prefix(code, AreaLevel(parent["level"])))})
    return _collection(rows, parent=parent)


def _collection(rows, *, parent: dict) -> dict:
    return {"type": "FeatureCollection", "parent": parent,
            "features": [_feature(row) for row in rows]}


def _subtree_prefix(session: Session, code: str) -> str:
    area = get_area(session, code=code)
    return subtree_prefix(code, AreaLevel(area["level"]))


def count_by_level(session: Session) -> dict[str, int]:
    rows = session.execute(text("SELECT level, count(*) AS n FROM area GROUP BY level"))
    counts = {row.level: row.n for row in rows}
    return {str(level): counts.get(str(level), 0) for level in LEVELS}
