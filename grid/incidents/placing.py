"""Where a report lands (上报), read in one statement: its grid, chain, worker and village
centre, and what else the report path needs from the database before it writes (the
reporter's name, the 小类, the calendar's version, the duplicates, its ids drawn ahead).
Used by grid/incidents/service.py `report`."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.orm import Session

from core import audit
from core.errors import InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from core.workflow.calendar_store import VERSION_COLUMNS_SQL
from geo.locate import ChainLink
from grid.categories.service import ACTIVE_MINOR_JSON_SQL
from grid.settings import grid_settings


@dataclass(frozen=True)
class Place:
    """Where a report lands: its grid and chain, the grid's worker, the village's centre."""

    grid_id: int
    chain: list[ChainLink]  # city first, grid last
    worker_id: int | None  # the grid's worker (the first by staff number when several)
    centre_id: int
    centre_name: str
    reporter_name: str | None  # the reporter's full name, for the timeline
    category: dict | None  # the active 小类 asked for (grid.categories ACTIVE_MINOR_JSON_SQL)
    calendar_version: tuple  # core/workflow/calendar_store VERSION_COLUMNS_SQL
    audit_id: int  # the report's audit event's id, drawn ahead (core/audit.py NEXT_ID_SQL)
    incident_id: int  # the new incident's id, drawn ahead (its kernel rows refer to it)
    duplicates: list[int]  # open incidents like it nearby (DUPLICATES_SQL)

    @property
    def grid(self) -> ChainLink:
        return self.chain[-1]

    @property
    def village_code(self) -> str:
        return self.grid.code[:12]


# Open incidents of the same 小类 within the radius and the time window of a new report at
# (lon, lat), nearest and then newest first. Metres on the geography; first the GiST index
# on the geometry with a box of radius/60,000 degrees, which holds the radius up to
# latitude 54° (Mohe): a degree of longitude there is 65 km.
DUPLICATES_SQL = """
    ARRAY(SELECT o.id
          FROM incident o, (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geom) n
          WHERE o.category_id = (SELECT id FROM category WHERE code = :category_code)
            AND o.state NOT IN ('closed', 'evaluated', 'void', 'merged')
            AND o.reported_at >= :since
            AND ST_DWithin(o.geom, n.geom, :radius_m / 60000.0)
            AND ST_DWithin(o.geom::geography, n.geom::geography, :radius_m)
          ORDER BY ST_Distance(o.geom::geography, n.geom::geography), o.reported_at DESC,
                   o.id
          LIMIT 10)"""
INCIDENT_NEXT_ID_SQL = "nextval(pg_get_serial_sequence('incident', 'id'))"

# One statement for what a report needs to know about its point. The grids under it come
# from the GiST index (fenced by OFFSET 0, as in geo/locate.py); one in the reporter's
# territory wins over one outside it where grids touch. The same statement reads what the
# report needs besides (the reporter's name, the 小类, the calendar's version, the
# duplicates) and draws the ids of its incident and its audit event: each was a statement
# of its own (bench/README.md, intake).
PLACE_SQL = """
    WITH hit AS (
        SELECT g.id, g.code, ({scope}) AS in_scope FROM (
            SELECT id, code FROM area
            WHERE level = 'grid'
              AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
            OFFSET 0) AS g
        ORDER BY 3 DESC, g.code LIMIT 1)
    SELECT hit.id, hit.code, hit.in_scope,
        (SELECT w.id FROM grid_assignment ga JOIN grid_worker w ON w.id = ga.worker_id
         WHERE ga.grid_id = hit.id ORDER BY w.staff_code LIMIT 1) AS worker_id,
        c.id AS centre_id, c.name AS centre_name,
        (SELECT json_agg(json_build_array(a.level, a.code, a.name) ORDER BY array_position(
                    ARRAY['city', 'county', 'township', 'village', 'grid'], a.level::text))
         FROM area a WHERE a.code IN (
            substr(hit.code, 1, 4) || '00', substr(hit.code, 1, 6), substr(hit.code, 1, 9),
            substr(hit.code, 1, 12), hit.code)) AS chain,
        (SELECT full_name FROM app_user WHERE id = :reporter_id) AS reporter_name,
        {minor} AS category, {calendar}, {audit_id} AS audit_id,
        {incident_id} AS incident_id, {duplicates} AS duplicates
    FROM hit
    LEFT JOIN unit c ON c.kind = 'centre' AND c.is_active AND c.seat_code = substr(hit.code, 1, 12)
""".replace("{minor}", ACTIVE_MINOR_JSON_SQL).replace(
    "{calendar}", VERSION_COLUMNS_SQL).replace("{audit_id}", audit.NEXT_ID_SQL).replace(
    "{incident_id}", INCIDENT_NEXT_ID_SQL).replace("{duplicates}", DUPLICATES_SQL)


@lru_cache(maxsize=1024)
def _place_statement(scope_sql: str):
    return text(PLACE_SQL.replace("{scope}", scope_sql))


def place_of(session: Session, *, principal: Principal, lon: float, lat: float,
             category: str, reported_at: datetime) -> Place:
    """The grid under the point; 422 when outside every grid or the reporter's territory."""
    scope = Scope.of(principal)
    near = grid_settings()
    row = session.execute(_place_statement(scope.area_condition("g")), {
        "lon": lon, "lat": lat, "reporter_id": principal.user_id, "category_code": category,
        "since": reported_at - timedelta(hours=near.duplicate_window_hours),
        "radius_m": near.duplicate_radius_m, **scope.params}).first()
    if row is None:
        raise InvalidInput(f"({lon}, {lat}) lies outside every grid of the jurisdiction",
                           code="point_outside_grids", lon=lon, lat=lat)
    if not row.in_scope:
        raise InvalidInput(f"({lon}, {lat}) lies in grid {row.code}, outside your territory",
                           code="point_outside_territory", lon=lon, lat=lat)
    if row.centre_id is None:
        raise NotFound(f"no centre sits at area {row.code[:12]}")
    return Place(grid_id=row.id, chain=[ChainLink(*link) for link in row.chain],
                 worker_id=row.worker_id, centre_id=row.centre_id, centre_name=row.centre_name,
                 reporter_name=row.reporter_name, category=row.category,
                 calendar_version=(row.calendar_loaded_at, row.calendar_years,
                                   row.calendar_days), audit_id=row.audit_id,
                 incident_id=row.incident_id, duplicates=list(row.duplicates))
