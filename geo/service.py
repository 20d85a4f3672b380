"""Reading the area hierarchy: look-ups, subtrees and GeoJSON. Locate is in geo/locate.py."""

import json

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound
from core.scope import Scope, prefix_range
from geo.codes import ALL_CODES, subtree_prefix
from geo.enums import LEVELS, AreaLevel

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


def get_area(session: Session, *, code: str, scope: Scope) -> dict:
    """One area; outside the caller's scope it is 'not found', not 'forbidden'."""
    return _record(_one_area(session, code=code, scope=scope, columns=_AREA_COLUMNS))


def get_area_feature(session: Session, *, code: str, scope: Scope, simplify_m: float = 0
                     ) -> dict:
    columns = f"{_AREA_COLUMNS}, {_geojson_column(simplify_m)}"
    return _feature(_one_area(session, code=code, scope=scope, columns=columns))


def _one_area(session: Session, *, code: str, scope: Scope, columns: str):
    row = session.execute(
        text(f"SELECT {columns} FROM area a WHERE a.code = :code AND {scope.area_condition()}"),
        {"code": code, **scope.params}).first()
    if row is None:
        raise NotFound(f"no area with code {code}", area_code=code)
    return row


def list_areas(
    session: Session, *, scope: Scope, level: AreaLevel | None = None,
    parent_code: str | None = None, limit: int = 100, offset: int = 0,
) -> tuple[list[dict], int]:
    """Areas in the scope, filtered by level and by the subtree of a parent; (page, total)."""
    bounds = (prefix_range(_subtree_prefix(session, parent_code, scope)) if parent_code
              else ALL_CODES)
    where = ("(CAST(:level AS text) IS NULL OR a.level = :level) "
             "AND a.code >= :low AND a.code < :high AND a.code <> :parent "
             f"AND {scope.area_condition()}")
    params = {"level": str(level) if level else None, "parent": parent_code or "", **bounds,
              "limit": limit, "offset": offset, **scope.params}
    total = session.execute(text(f"SELECT count(*) FROM area a WHERE {where}"), params).scalar()
    rows = session.execute(
        text(f"SELECT {_AREA_COLUMNS} FROM area a WHERE {where} "
             "ORDER BY a.code LIMIT :limit OFFSET :offset"), params)
    return [_record(row) for row in rows], total


def children_features(session: Session, *, code: str, scope: Scope, simplify_m: float = 0
                      ) -> dict:
    parent = get_area(session, code=code, scope=scope)
    rows = session.execute(
        text(f"SELECT {_AREA_COLUMNS}, {_geojson_column(simplify_m)} FROM area a "
             "WHERE a.parent_id = (SELECT id FROM area WHERE code = :code) "
             f"AND {scope.area_condition()} ORDER BY a.code"),
        {"code": code, **scope.params})
    return _collection(rows, parent=parent)


def descendant_features(
    session: Session, *, code: str, level: AreaLevel, scope: Scope, simplify_m: float = 0
) -> dict:
    """Every area of one level inside an area's subtree, as a FeatureCollection."""
    parent = get_area(session, code=code, scope=scope)
    if LEVELS.index(level) <= LEVELS.index(AreaLevel(parent["level"])):
        raise InvalidInput(f"a {parent['level']} has no descendants at level {level}")
    rows = session.execute(
        text(f"SELECT {_AREA_COLUMNS}, {_geojson_column(simplify_m)} FROM area a "
             "WHERE a.level = :level AND a.code >= :low AND a.code < :high "
             f"AND {scope.area_condition()} ORDER BY a.code"),
        {"level": str(level), **prefix_range(subtree_prefix(code, AreaLevel(parent["level"]))),
         **scope.params})
    return _collection(rows, parent=parent)


def _collection(rows, *, parent: dict) -> dict:
    return {"type": "FeatureCollection", "parent": parent,
            "features": [_feature(row) for row in rows]}


def _subtree_prefix(session: Session, code: str, scope: Scope) -> str:
    area = get_area(session, code=code, scope=scope)
    return subtree_prefix(code, AreaLevel(area["level"]))


def count_by_level(session: Session) -> dict[str, int]:
    rows = session.execute(text("SELECT level, count(*) AS n FROM area GROUP BY level"))
    counts = {row.level: row.n for row in rows}
    return {str(level): counts.get(str(level), 0) for level in LEVELS}
