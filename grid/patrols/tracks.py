"""One day's patrol tracks of the caller's territory, for the supervisor map's staff layer
(api/static/map-staff.js): each patrol that started on the day, as a GeoJSON LineString of
its fixes in time order, with its worker and figures. Whose tracks: `visible_condition`
(the workers who look after a grid inside the scope; a grid worker his own).

A map asks for the tracks of its view (`bbox`), so a city's day never travels whole; at
most `limit` tracks, newest first, and `truncated` says when there were more.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.bounds import EARLIEST_YEAR, LATEST_YEAR
from core.errors import ValueOutOfRange
from core.security import Principal
from core.users.enums import Role
from geo.layers.params import parse_bbox
from grid.patrols.service import visible_condition

# Seven decimals is a centimetre: more than a phone's fix is worth; six (11 cm) is plenty.
DECIMALS = 6

_TRACKS = """
    SELECT p.id, p.worker_id, w.name AS worker_name, w.staff_code, p.started_at,
           p.ended_at, p.distance_m, t.points, ST_AsGeoJSON(t.line, {decimals})::json AS line
    FROM {patrols} p JOIN grid_worker w ON w.id = p.worker_id
    CROSS JOIN LATERAL (SELECT ST_MakeLine(pp.geom ORDER BY pp.recorded_at) AS line,
                               count(*) AS points
                        FROM patrol_point pp WHERE pp.patrol_id = p.id) t
    WHERE {visible} AND p.started_at >= :since AND p.started_at < :until
      AND t.points >= 2 {in_box}
    ORDER BY p.started_at DESC, p.id DESC
    LIMIT :limit
"""


# A territory's day (a township's, a county's, a city's): the day's patrols first, from the
# index on started_at (migration 0028), fenced (OFFSET 0), then whose they are. Left to
# itself the planner, which underestimates how many workers a territory holds (its areas
# are counted by a code range), visits every patrol each of them ever walked through the
# worker index: 10 ms against 0.7 ms for a county of 28 workers with 120 days of patrols
# each (tests/grid/patrols/test_tracks_index.py), and the gap grows with the history. A
# grid worker's own day is one worker's: his index.
_DAYS_PATROLS = ("(SELECT * FROM patrol WHERE started_at >= :since AND started_at < :until "
                 "OFFSET 0)")


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The day as [midnight, next midnight) in the system's time zone."""
    start = datetime.combine(day, time(), ZoneInfo(timezone))
    return start, start + timedelta(days=1)


def tracks(session: Session, *, principal: Principal, day: date, timezone: str,
           bbox: str | None, limit: int) -> dict:
    """A FeatureCollection of the day's tracks (in the view, when `bbox` is given)."""
    sql, params = statement(principal=principal, day=day, timezone=timezone, bbox=bbox,
                            limit=limit + 1)
    rows = session.execute(text(sql), params).all()
    return {"type": "FeatureCollection", "day": day.isoformat(),
            "truncated": len(rows) > limit,
            "features": [_feature(row) for row in rows[:limit]]}


def statement(*, principal: Principal, day: date, timezone: str, bbox: str | None,
              limit: int) -> tuple[str, dict]:
    """The query of the day's tracks and its parameters (a test reads its plan: the index
    on started_at, migration 0028)."""
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:  # year 9999 + 1 day would overflow
        raise ValueOutOfRange(f"day: a day between the years {EARLIEST_YEAR} and "
                              f"{LATEST_YEAR} is expected", day=day.isoformat())
    since, until = day_bounds(day, timezone)
    visible, params = visible_condition(principal)
    box = parse_bbox(bbox)
    in_box = ""
    if box is not None:
        in_box = "AND t.line && ST_MakeEnvelope(:west, :south, :east, :north, 4326)"
        params = {**params, **dict(zip(("west", "south", "east", "north"), box, strict=True))}
    own = principal.role is Role.grid_worker
    sql = _TRACKS.format(decimals=DECIMALS, visible=visible, in_box=in_box,
                         patrols="patrol" if own else _DAYS_PATROLS)
    return sql, {**params, "since": since, "until": until, "limit": limit}


def _feature(row) -> dict:
    return {"type": "Feature", "id": row.id, "geometry": row.line, "properties": {
        "id": row.id, "worker_id": row.worker_id, "worker_name": row.worker_name,
        "staff_code": row.staff_code, "started_at": row.started_at.isoformat(),
        "ended_at": row.ended_at.isoformat() if row.ended_at else None,
        "distance_m": round(float(row.distance_m), 1), "points": row.points}}
