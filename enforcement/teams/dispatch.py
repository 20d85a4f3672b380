"""The nearest qualified team (issue §8): distance in metres on the WGS 84 spheroid from a
case's location, among the teams on duty, qualified for the matter, not recused and free.

The search walks two GiST indexes (PostGIS KNN, then a radius): first the planar KNN
(`geom <-> point`, degrees, cheap per row) yields teams in near-first order and the filters
(on duty, qualified, not recused, free, in the territory) are probed per row as they come,
until `limit` pass; the largest of their exact distances on the WGS 84 spheroid
(`ST_Distance(…, true)`) is a radius that holds the true `limit` nearest; every passing team
within it (`ST_DWithin` on the geography's index) is ordered by its exact distance.
Planar order alone would be wrong (a degree of longitude is ~11 % shorter than one of
latitude here); a KNN on the geography is exact but costs ~50 µs a row of recheck, and the
filters make it read several rows per team offered (bench/enforcement_teams.py).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.errors import InvalidInput, NotFound
from core.scope import Scope
from enforcement.teams.positions import ON_DUTY_SQL, TEAMS_SQL


@dataclass(frozen=True)
class Wanted:
    """What the dispatcher needs: qualified for a department's work (None: any team)."""

    matter_code: str | None
    department_code: str | None


def team_scope(scope: Scope, *, alias: str = "u", pyformat: bool = False) -> str:
    """A team is in the territory when its seat is, or one area of its jurisdiction."""
    area = scope.code_condition("ua.area_code", pyformat=pyformat)
    seat = scope.code_condition(f"{alias}.seat_code", pyformat=pyformat)
    return (f"({seat} OR EXISTS (SELECT 1 FROM unit_area ua WHERE ua.unit_id = {alias}.id "
            f"AND {area}))")


def wanted_for(session: Session, *, matter: str | None) -> Wanted:
    """The matter's department, from the matters catalogue (enforcement_matter)."""
    if matter is None:
        return Wanted(None, None)
    department = session.scalar(text("SELECT department_code FROM enforcement_matter "
                                     "WHERE code = :code AND active"), {"code": matter})
    if department is None:
        raise InvalidInput(f"no active matter {matter!r} in the catalogue",
                           code="unknown_matter", matter=matter)
    return Wanted(matter, department)


def case_matter(session: Session, *, case_id: int, scope: Scope) -> str | None:
    """The matter code of a case of the caller's territory (404 outside it)."""
    row = session.execute(text(f"""
        SELECT m.code FROM enforcement_case c
        LEFT JOIN enforcement_matter m ON m.id = c.matter_id
        WHERE c.id = :case AND {scope.code_condition('c.area_code')}"""),
        {"case": case_id, **scope.params}).first()
    if row is None:
        raise NotFound(f"no case {case_id} in your territory", code="case_not_found")
    return row[0]


def recused_team_ids(session: Session, *, case_id: int | None) -> list[int]:
    """The teams that may not take case `case_id` (行政处罚法第四十三条, 回避): a team one of
    whose active members declared a conflict of interest with a party of the case (by ID
    number or 统一社会信用代码), or was recused from it by the head's decision. The one
    place this rule is read (the cases part's tables: enforcement_conflict, _party,
    _recusal)."""
    if case_id is None:
        return []
    return list(session.scalars(text("""
        SELECT DISTINCT m.unit_id FROM membership m
        WHERE m.is_active AND (
            EXISTS (SELECT 1 FROM enforcement_party p
                    JOIN enforcement_conflict c
                         ON c.party_key = p.id_number OR c.party_key = p.uscc
                    WHERE p.case_id = :case AND c.user_id = m.user_id)
            OR EXISTS (SELECT 1 FROM enforcement_recusal r
                       WHERE r.case_id = :case AND r.officer_id = m.user_id
                         AND r.decision = 'granted'))
        ORDER BY m.unit_id"""), {"case": case_id}))


# Read from the position row's copies (enforcement/teams/positions.py): probing the
# qualification and state tables per row cost a hashed subplan over every qualification
# and most of the planning time (bench/enforcement_teams.py). Duty stays a live probe of
# the roster (a per-row index lookup): it changes with the clock, not with an edit.
# The matter's department is looked up in the same statement (an InitPlan, run once): the
# separate lookup was a round trip of its own, the largest part of a matter query's time
# over the filtered KNN under load (bench/enforcement_teams.py).
DEPARTMENT_SQL = ("(SELECT m.department_code FROM enforcement_matter m "
                  "WHERE m.code = :matter AND m.active)")
QUALIFIED_SQL = f"({DEPARTMENT_SQL} = ANY(tp.departments) OR :matter = ANY(tp.matters))"
FREE_SQL = "NOT tp.busy"


def nearest_sql(scope: Scope, *, qualified: bool, include_busy: bool) -> str:
    """Two index walks (see the module's doc): `first`, the `:limit` nearest teams that
    pass the filters by planar distance in degrees (a GiST KNN on the geometry, cheap per
    row); `radius`, the largest spheroid distance among them; then every team passing the
    filters within that radius on the spheroid (ST_DWithin on the geography's index),
    ordered by its exact distance. No team nearer than the k-th can be missed: it lies
    within the radius."""
    conditions = [TEAMS_SQL, "u.is_active", ON_DUTY_SQL.format(team="tp.team_id"),
                  "NOT (tp.team_id = ANY(:recused))", team_scope(scope)]
    if qualified:
        conditions.append(QUALIFIED_SQL)
    if not include_busy:
        conditions.append(FREE_SQL)
    where = " AND ".join(conditions)
    geometry = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    point = f"CAST({geometry} AS geography)"
    return f"""
        WITH first AS (
            SELECT tp.geog FROM enforcement_team_position tp JOIN unit u ON u.id = tp.team_id
            WHERE {where}
            ORDER BY tp.geom <-> {geometry}
            LIMIT :limit),
        radius AS (SELECT max(ST_Distance(geog, {point}, true)) AS metres FROM first)
        SELECT tp.team_id, ST_Distance(tp.geog, {point}, true) AS distance_m,
               ST_X(tp.geom) AS lon, ST_Y(tp.geom) AS lat, tp.source, tp.fix_at, u.name,
               {DEPARTMENT_SQL if qualified else "NULL"} AS department_code
        FROM radius, enforcement_team_position tp JOIN unit u ON u.id = tp.team_id
        WHERE ST_DWithin(tp.geog, {point}, radius.metres + 0.001, true) AND {where}
        ORDER BY distance_m, tp.team_id
        LIMIT :limit"""


@dataclass(frozen=True)
class Near:
    team_id: int
    distance_m: float
    lon: float
    lat: float
    source: str
    fix_at: datetime | None
    name: str
    department_code: str | None = None  # the matter's, when one was wanted


def nearest(session: Session, *, scope: Scope, lon: float, lat: float, wanted: Wanted,
            recused: list[int], now: datetime, limit: int, include_busy: bool = False
            ) -> list[Near]:
    """The teams on duty at `now`, qualified (when a matter is wanted), not recused (and
    free unless `include_busy`), nearest first, with their distance in metres."""
    sql = nearest_sql(scope, qualified=wanted.matter_code is not None,
                      include_busy=include_busy)
    rows = session.execute(text(sql), {
        "lon": lon, "lat": lat, "now": now, "recused": recused, "limit": limit,
        "matter": wanted.matter_code, **scope.params}).all()
    return [Near(*row) for row in rows]


def nearest_for(session: Session, *, scope: Scope, lon: float, lat: float,
                matter: str | None, recused: list[int], now: datetime, limit: int,
                include_busy: bool = False) -> tuple[Wanted, list[Near]]:
    """`nearest` with the matter named by its code: one statement when a team is found
    (the department comes back on its rows); only an empty answer looks the matter up,
    to tell an unknown matter (422) from no team qualified."""
    found = nearest(session, scope=scope, lon=lon, lat=lat, wanted=Wanted(matter, None),
                    recused=recused, now=now, limit=limit, include_busy=include_busy)
    if matter is None:
        return Wanted(None, None), found
    if not found:
        return wanted_for(session, matter=matter), found
    return Wanted(matter, found[0].department_code), found
