"""Patrols (巡查): a grid worker's phone starts a patrol, uploads its fixes in batches (late,
repeated, out of order: the phone is often offline) and ends it; centres read the tracks.

Keyword-only functions on a sync session; they flush, the edge commits.

Two rules keep concurrent and repeated batches exact:
- a batch locks its patrol row (`FOR UPDATE`) for the rest of its transaction, stores its
  points with `ON CONFLICT DO NOTHING` on (patrol, instant), then recomputes the length
  from every stored point. Batches of one patrol therefore run one after the other, each
  seeing the points of those before it: a resent batch adds nothing, a late batch that
  falls between earlier fixes splits the segment it falls in, and nothing is counted twice.
- the worker's `staff_position` moves only to a newer fix (`ON CONFLICT ... DO UPDATE ...
  WHERE recorded_at <`): PostgreSQL re-checks the condition on the row's newest version
  after waiting for its lock, so the newest fix wins whatever order batches commit in,
  also across two patrols of the same worker.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from core import audit
from core.errors import Forbidden, InvalidInput, NotFound
from core.scope import Scope
from core.security import Principal
from core.units.positions import record_fix
from core.users.enums import Role
from grid.incidents.service import now_utc
from grid.patrols.schemas import PatrolEndIn, PatrolStartIn, PointIn

# A phone's clock runs a little ahead at times; further ahead is a wrong clock.
CLOCK_SKEW = timedelta(minutes=5)
# A worker walks the streets around his grids, not another city: a fix further than this
# from every one of his grids is a bad fix (or a wrong coordinate system), refused.
MAX_DISTANCE_FROM_GRIDS_M = 30_000


# --- who records -------------------------------------------------------------------------

def own_worker_id(session: Session, *, principal: Principal) -> int:
    """The grid worker behind the login: only he records his patrols."""
    worker_id = session.scalar(text("SELECT id FROM grid_worker WHERE user_id = :user"),
                               {"user": principal.user_id})
    if worker_id is None:
        raise Forbidden("this account is not a grid worker's: only a grid worker records "
                        "patrols")
    return worker_id


def _check_not_future(at: datetime, *, now: datetime, what: str) -> None:
    if at > now + CLOCK_SKEW:
        raise InvalidInput(f"{what} {at.isoformat()} is in the future (the server's time is "
                           f"{now.isoformat()}): check the phone's clock")


# --- start and end -----------------------------------------------------------------------

@dataclass(frozen=True)
class Started:
    patrol_id: int
    created: bool  # False: the client key was seen before, this is the first patrol again


def start_patrol(session: Session, *, principal: Principal, data: PatrolStartIn,
                 now: datetime | None = None) -> Started:
    """A new patrol, or the one this client key started before (a replay)."""
    now = now or now_utc()
    worker_id = own_worker_id(session, principal=principal)
    started_at = data.started_at or now
    _check_not_future(started_at, now=now, what="started_at")
    # ON CONFLICT: two replays racing each other still make one patrol.
    created = session.scalar(text("""
        INSERT INTO patrol (worker_id, client_key, started_at, distance_m)
        VALUES (:worker, :key, :started, 0)
        ON CONFLICT ON CONSTRAINT uq_patrol_client_key DO NOTHING RETURNING id"""),
        {"worker": worker_id, "key": data.client_key, "started": started_at})
    if created is None:
        first = session.scalar(text("SELECT id FROM patrol WHERE worker_id = :worker "
                                    "AND client_key = :key"),
                               {"worker": worker_id, "key": data.client_key})
        return Started(first, created=False)
    audit.record(session, actor=principal.username, action="patrol.start",
                 subject_type="patrol", subject_id=created,
                 after={"worker_id": worker_id, "started_at": started_at.isoformat()})
    return Started(created, created=True)


@dataclass(frozen=True)
class _Locked:
    id: int
    worker_id: int
    started_at: datetime
    ended_at: datetime | None


def _lock_own(session: Session, *, principal: Principal, patrol_id: int) -> _Locked:
    """The caller's own patrol, locked for this transaction; 404 for anyone else's."""
    row = session.execute(text("""
        SELECT p.id, p.worker_id, p.started_at, p.ended_at FROM patrol p
        JOIN grid_worker w ON w.id = p.worker_id
        WHERE p.id = :id AND w.user_id = :user FOR UPDATE OF p"""),
        {"id": patrol_id, "user": principal.user_id}).one_or_none()
    if row is None:
        raise NotFound(f"no patrol {patrol_id} of yours")
    return _Locked(*row)


def end_patrol(session: Session, *, principal: Principal, patrol_id: int, data: PatrolEndIn,
               now: datetime | None = None) -> int:
    """End the patrol; ending it again changes nothing (the phone may resend)."""
    now = now or now_utc()
    patrol = _lock_own(session, principal=principal, patrol_id=patrol_id)
    if patrol.ended_at is not None:
        return patrol.id
    ended_at = data.ended_at or now
    _check_not_future(ended_at, now=now, what="ended_at")
    if ended_at < patrol.started_at:
        raise InvalidInput(f"ended_at {ended_at.isoformat()} is before the patrol started "
                           f"({patrol.started_at.isoformat()})")
    session.execute(text("UPDATE patrol SET ended_at = :ended WHERE id = :id"),
                    {"ended": ended_at, "id": patrol.id})
    audit.record(session, actor=principal.username, action="patrol.end",
                 subject_type="patrol", subject_id=patrol.id,
                 after={"ended_at": ended_at.isoformat()})
    return patrol.id


# --- points ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Batch:
    patrol_id: int
    accepted: int
    duplicates: int


def add_points(session: Session, *, principal: Principal, patrol_id: int,
               points: list[PointIn], now: datetime | None = None) -> Batch:
    """Store a batch of fixes once each, then the track's length and the worker's newest
    position (see the module docstring for why concurrent batches stay exact)."""
    now = now or now_utc()
    patrol = _lock_own(session, principal=principal, patrol_id=patrol_id)
    unique = {point.recorded_at: point for point in points}  # one fix per instant
    _check_times(list(unique), patrol=patrol, now=now)
    _check_near_grids(session, worker_id=patrol.worker_id, points=list(unique.values()))
    stored = _insert_points(session, patrol_id=patrol.id, points=list(unique.values()))
    if stored:
        recompute_distances(session, patrol_ids=[patrol.id])
    newest = max(unique.values(), key=lambda point: point.recorded_at)
    _move_staff_position(session, worker_id=patrol.worker_id, patrol_id=patrol.id,
                         point=newest)
    return Batch(patrol.id, accepted=stored, duplicates=len(points) - stored)


def _check_times(instants: list[datetime], *, patrol: _Locked, now: datetime) -> None:
    """Every fix between the patrol's start and its end (or now), give or take a clock skew."""
    latest = min(now, patrol.ended_at) if patrol.ended_at else now
    for at in instants:
        _check_not_future(at, now=now, what="a point's recorded_at")
        if at < patrol.started_at - CLOCK_SKEW:
            raise InvalidInput(f"a point recorded at {at.isoformat()} is before the patrol "
                               f"started ({patrol.started_at.isoformat()})")
        if at > latest + CLOCK_SKEW:
            raise InvalidInput(f"a point recorded at {at.isoformat()} is after the patrol "
                               f"ended ({latest.isoformat()})")


def _check_near_grids(session: Session, *, worker_id: int, points: list[PointIn]) -> None:
    """422 for a fix absurdly far from every grid of the worker (none: nothing to check).
    Metres on the geography; the worker's few grids are collected once per batch."""
    far = session.execute(text("""
        WITH own AS (
            SELECT ST_Collect(a.geom) AS geom FROM grid_assignment ga
            JOIN area a ON a.id = ga.grid_id WHERE ga.worker_id = :worker
        )
        SELECT p.i, p.lon, p.lat FROM own,
               unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[]))
                   WITH ORDINALITY AS p(lon, lat, i)
        WHERE own.geom IS NOT NULL
          AND NOT ST_DWithin(ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)::geography,
                             own.geom::geography, :radius)
        ORDER BY p.i LIMIT 1"""),
        {"worker": worker_id, "lons": [p.lon for p in points], "lats": [p.lat for p in points],
         "radius": MAX_DISTANCE_FROM_GRIDS_M}).first()
    if far is not None:
        raise InvalidInput(f"the point ({far.lon}, {far.lat}) is more than "
                           f"{MAX_DISTANCE_FROM_GRIDS_M // 1000} km from your grids: a bad "
                           "fix or another coordinate system (send WGS84)",
                           lon=far.lon, lat=far.lat)


def _insert_points(session: Session, *, patrol_id: int, points: list[PointIn]) -> int:
    """How many of the points were new (a resent one is skipped by the primary key)."""
    return len(session.execute(text("""
        INSERT INTO patrol_point (patrol_id, recorded_at, geom, accuracy_m)
        SELECT :patrol, p.at, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326), p.accuracy
        FROM unnest(CAST(:ats AS timestamptz[]), CAST(:lons AS float8[]),
                    CAST(:lats AS float8[]), CAST(:accuracies AS float8[]))
             AS p(at, lon, lat, accuracy)
        ON CONFLICT (patrol_id, recorded_at) DO NOTHING RETURNING recorded_at"""),
        {"patrol": patrol_id, "ats": [p.recorded_at for p in points],
         "lons": [p.lon for p in points], "lats": [p.lat for p in points],
         "accuracies": [p.accuracy_m for p in points]}).all())


def recompute_distances(session: Session, *, patrol_ids: list[int]) -> None:
    """Each track's length from all its points in time order, on the ellipsoid.

    Recomputed rather than added to: a late batch may fall between stored fixes. It reads
    every point of the patrol once (a four-hour patrol at a fix every 5 s is ~3,000).
    """
    session.execute(text("""
        UPDATE patrol p SET distance_m = COALESCE((
            SELECT ST_Length(ST_MakeLine(geom ORDER BY recorded_at)::geography)
            FROM patrol_point WHERE patrol_id = p.id), 0)
        WHERE p.id = ANY(:ids)"""), {"ids": patrol_ids})


def _move_staff_position(session: Session, *, worker_id: int, patrol_id: int,
                         point: PointIn) -> None:
    """The worker's account's position (core/units/positions.py), if the fix is newer."""
    user_id = session.scalar(text("SELECT user_id FROM grid_worker WHERE id = :w"),
                             {"w": worker_id})
    if user_id is not None:
        record_fix(session, user_id=user_id, lon=point.lon, lat=point.lat,
                   accuracy_m=point.accuracy_m, at=point.recorded_at, source_type="patrol",
                   source_id=patrol_id)


# --- reading -----------------------------------------------------------------------------

def visible_condition(principal: Principal) -> tuple[str, dict]:
    """SQL on a `grid_worker w`: whose patrols the caller sees. A grid worker his own; a
    centre or leader the workers who look after a grid inside the territory."""
    if principal.role is Role.grid_worker:
        return "w.user_id = :me", {"me": principal.user_id}
    scope = Scope.of(principal)
    return (f"EXISTS (SELECT 1 FROM grid_assignment ga JOIN area a ON a.id = ga.grid_id "
            f"WHERE ga.worker_id = w.id AND {scope.area_condition('a')})", scope.params)


_SUMMARY = """
    SELECT p.id, p.worker_id, w.staff_code, w.name AS worker_name, p.client_key,
           p.started_at, p.ended_at, p.distance_m, s.points, s.last_point_at,
           EXTRACT(EPOCH FROM COALESCE(p.ended_at, s.last_point_at) - p.started_at)
               AS duration_s
    FROM patrol p JOIN grid_worker w ON w.id = p.worker_id
    CROSS JOIN LATERAL (SELECT count(*) AS points, max(recorded_at) AS last_point_at
                        FROM patrol_point pp WHERE pp.patrol_id = p.id) s
"""


def patrol_summary(session: Session, *, principal: Principal, patrol_id: int) -> dict:
    condition, params = visible_condition(principal)
    row = session.execute(text(f"{_SUMMARY} WHERE p.id = :id AND {condition}"),
                          {"id": patrol_id, **params}).one_or_none()
    if row is None:
        raise NotFound(f"no patrol {patrol_id} in your territory")
    return _summary_dict(row)


def _summary_dict(row) -> dict:
    summary = dict(row._mapping)
    summary["duration_s"] = (float(summary["duration_s"]) if summary["duration_s"] is not None
                             else None)
    return summary


def track_feature(session: Session, *, principal: Principal, patrol_id: int) -> dict:
    """The patrol as a GeoJSON Feature: the LineString of its fixes in time order."""
    properties = patrol_summary(session, principal=principal, patrol_id=patrol_id)
    geometry = None
    if properties["points"] >= 2:
        geometry = session.scalar(text("""
            SELECT ST_AsGeoJSON(ST_MakeLine(geom ORDER BY recorded_at), 7)::json
            FROM patrol_point WHERE patrol_id = :id"""), {"id": patrol_id})
    return {"type": "Feature", "id": patrol_id, "geometry": geometry, "properties": properties}


def list_patrols(session: Session, *, principal: Principal, worker: int | None,
                 since: datetime | None, until: datetime | None, limit: int,
                 offset: int) -> tuple[int, list[dict]]:
    """Patrols the caller may see, newest first; a worker outside the territory is 404."""
    condition, params = visible_condition(principal)
    if worker is not None:
        _check_worker_visible(session, worker=worker, condition=condition, params=params)
    where = [condition]
    bound = dict(params)
    for clause, name, value in (("p.worker_id = :worker", "worker", worker),
                                ("p.started_at >= :since", "since", since),
                                ("p.started_at < :until", "until", until)):
        if value is not None:
            where.append(clause)
            bound[name] = value
    joined = " AND ".join(where)
    total = session.scalar(text(f"SELECT count(*) FROM patrol p JOIN grid_worker w "
                                f"ON w.id = p.worker_id WHERE {joined}"), bound)
    rows = session.execute(text(f"{_SUMMARY} WHERE {joined} ORDER BY p.started_at DESC, "
                                "p.id DESC LIMIT :limit OFFSET :offset"),
                           {**bound, "limit": limit, "offset": offset}).all()
    return total, [_summary_dict(row) for row in rows]


def _check_worker_visible(session: Session, *, worker: int, condition: str,
                          params: dict) -> None:
    found = session.scalar(text(f"SELECT 1 FROM grid_worker w WHERE w.id = :worker "
                                f"AND {condition}"), {"worker": worker, **params})
    if found is None:
        raise NotFound(f"no grid worker {worker} in your territory")
