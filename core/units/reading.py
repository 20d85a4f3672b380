"""Which units a user reads and which an admin manages, and units as the API shows them.

Every signed-in user reads the units that serve their territory (a jurisdiction
overlapping it: the county's 大队 that acts in a township, the township's own 所) or sit
in it: the consoles pick dispatch targets from them. An admin manages a unit whose seat
lies in their scope and whose jurisdiction lies wholly in it (the rules of accounts,
core/users/service.py); any other unit is "not found" to them, existing or not. Writes:
core/units/admin.py and core/units/memberships.py.
"""

import json
import re
from collections.abc import Sequence

from sqlalchemy import and_, exists, func, not_, or_, select, text
from sqlalchemy.orm import Session

from core.codes import chain_codes, level_of_code, parent_code
from core.errors import InvalidInput, NotFound
from core.scope import Scope
from core.units.enums import UnitKind
from core.units.models import Department, Unit, UnitArea

# --- who sees and who manages which unit ------------------------------------------------

def _ancestors(scope: Scope) -> list[str]:
    """The areas above the scope's subtrees: a unit acting there serves the territory too."""
    codes: set[str] = set()
    for prefix in scope.prefixes:
        if not prefix:
            continue
        code = {2: prefix + "0000", 4: prefix + "00"}.get(len(prefix), prefix)
        while (code := parent_code(code)) is not None:
            codes.add(code)
    return sorted(codes)


def readable(scope: Scope):
    """SQL: the unit sits in the territory or its jurisdiction overlaps it."""
    serving = select(UnitArea.unit_id).where(or_(
        scope.column_condition(UnitArea.area_code),
        UnitArea.area_code.in_(_ancestors(scope))))
    return or_(scope.column_condition(Unit.seat_code), Unit.id.in_(serving))


def manageable(scope: Scope):
    """SQL: seat and every jurisdiction area inside the scope."""
    outside = exists().where(UnitArea.unit_id == Unit.id,
                             not_(scope.column_condition(UnitArea.area_code)))
    return and_(scope.column_condition(Unit.seat_code), ~outside)


def read_unit(session: Session, *, scope: Scope, unit_id: int) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.id == unit_id, readable(scope)))
    if unit is None:
        raise NotFound(f"no unit {unit_id}", code="unit_not_found")
    return unit


def managed_unit(session: Session, *, scope: Scope, unit_id: int) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.id == unit_id, manageable(scope)))
    if unit is None:
        raise NotFound(f"no unit {unit_id} in your scope", code="unit_not_found")
    return unit


def unit_by_code(session: Session, *, scope: Scope, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code, readable(scope)))
    if unit is None:
        raise NotFound(f"no unit {code}", code="unit_not_found")
    return unit


# --- reading ----------------------------------------------------------------------------

def list_departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.code)))


def list_units(
    session: Session, *, scope: Scope, kind: str | None = None, platform: str | None = None,
    department: str | None = None, area: str | None = None, serving: str | None = None,
    search: str | None = None, include_inactive: bool = False, limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict], int]:
    """Units the caller reads, filtered; (page as views, total).

    `area`: seated in that area's subtree; `serving`: acting at that area (a jurisdiction
    area is it or above it); `search`: in the name or the code.
    """
    conditions = [readable(scope)]
    if not include_inactive:
        conditions.append(Unit.is_active)
    if kind:
        conditions.append(Unit.kind == unit_kind(kind))
    if platform:
        conditions.append(Unit.platform == platform)
    if department:
        conditions.append(Unit.department_code == department)
    if area:
        conditions.append(Scope.of_areas([area_code(area)]).column_condition(Unit.seat_code))
    if serving:
        chain = chain_codes(area_code(serving), top="province")
        conditions.append(Unit.id.in_(select(UnitArea.unit_id)
                                      .where(UnitArea.area_code.in_(chain))))
    if search and search.strip():
        pattern = "%" + re.sub(r"([%_\\])", r"\\\1", search.strip()) + "%"
        conditions.append(or_(Unit.name.ilike(pattern, escape="\\"),
                              Unit.code.ilike(pattern, escape="\\")))
    total = session.scalar(select(func.count()).select_from(Unit).where(*conditions))
    units = session.scalars(select(Unit).where(*conditions)
                            .order_by(Unit.seat_code, Unit.kind, Unit.code)
                            .limit(limit).offset(offset))
    return unit_views(session, [unit.id for unit in units]), total


_VIEW_SQL = text("""
    SELECT u.id, u.code, u.name, u.kind, u.platform, u.department_code, d.name AS department,
           u.parent_id, p.name AS parent, u.seat_code, a.name AS seat, u.is_active, u.version,
           ST_X(u.location) AS lon, ST_Y(u.location) AS lat,
           COALESCE((SELECT array_agg(ua.area_code ORDER BY ua.area_code) FROM unit_area ua
                     WHERE ua.unit_id = u.id), '{}') AS area_codes,
           (SELECT count(*) FROM membership m WHERE m.unit_id = u.id AND m.is_active)
               AS members
    FROM unit u LEFT JOIN department d ON d.code = u.department_code
    LEFT JOIN unit p ON p.id = u.parent_id LEFT JOIN area a ON a.code = u.seat_code
    WHERE u.id = ANY(:ids)""")


def unit_views(session: Session, unit_ids: Sequence[int]) -> list[dict]:
    """Units as the API shows them, in the order of `unit_ids` (one query for a page)."""
    if not unit_ids:
        return []
    rows = {row.id: row._asdict() for row in session.execute(_VIEW_SQL,
                                                             {"ids": list(unit_ids)})}
    return [{**rows[i], "area_codes": list(rows[i]["area_codes"])} for i in unit_ids]


def unit_view(session: Session, unit: Unit) -> dict:
    return unit_views(session, [unit.id])[0]


def jurisdiction_features(session: Session, *, scope: Scope, unit_id: int,
                          simplify_m: float = 0) -> dict:
    """The unit's jurisdiction as a GeoJSON FeatureCollection (RFC 7946)."""
    unit = read_unit(session, scope=scope, unit_id=unit_id)
    geometry = ("ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, :tolerance), 6)"
                if simplify_m > 0 else "ST_AsGeoJSON(geom, 7)")
    rows = session.execute(text(
        f"SELECT a.code, a.name, a.level, {geometry} AS geojson FROM unit_area ua "
        "JOIN area a ON a.code = ua.area_code WHERE ua.unit_id = :unit ORDER BY a.code"),
        {"unit": unit.id, "tolerance": simplify_m / 111_320})
    return {"type": "FeatureCollection", "unit": {"id": unit.id, "name": unit.name},
            "features": [{"type": "Feature", "id": row.code,
                          "properties": {"code": row.code, "name": row.name,
                                         "level": row.level},
                          "geometry": json.loads(row.geojson)} for row in rows]}

# --- input -----------------------------------------------------------------------------

def unit_kind(kind: str) -> str:
    try:
        return str(UnitKind(kind))
    except ValueError:
        raise InvalidInput(f"unknown unit kind {kind!r}: one of {', '.join(UnitKind)}",
                           code="unit_kind_unknown") from None

def area_code(code: str) -> str:
    try:
        level_of_code(code)
    except ValueError:
        raise InvalidInput(f"{code!r} is not an area code", code="area_code_invalid") from None
    return code
