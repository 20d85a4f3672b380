"""Demo patrols: a recent, ended patrol for the first grid workers of a city (those with a
login), a loop of fixes inside their first grid, and their position at its last fix, so
the map's staff layer and the patrol lists have something to show.

Set-based SQL (no per-worker round trips); seeded, so a reload draws the same loops.
The patrols go with their workers (ON DELETE CASCADE) when the demo city is removed.
"""

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.codes import subtree_range
from core.units.positions import record_fixes_from
from grid.patrols.service import recompute_distances

# A grid worker on patrol walks some 4 km/h (a fix a minute), stopping to look.
WALK_M_PER_MINUTE = 60


def load_demo_patrols(session: Session, *, city_code: str, seed: int, workers: int = 50,
                      points: int = 24, now: datetime | None = None) -> int:
    """Give `workers` grid workers a patrol that ended within the last four hours: `points`
    fixes a minute apart, walking round their first grid. Returns how many. Flushes."""
    now = now or datetime.now(UTC)
    params = {**subtree_range(city_code), "workers": workers, "points": points,
              "seed": seed % 2_147_483_647, "now": now}
    patrols = session.execute(text("""
        WITH chosen AS (
            SELECT w.id AS worker_id, row_number() OVER (ORDER BY w.staff_code) AS n
            FROM grid_worker w
            WHERE w.staff_code >= :low AND w.staff_code < :high AND w.user_id IS NOT NULL
            ORDER BY w.staff_code LIMIT :workers
        )
        INSERT INTO patrol (worker_id, client_key, started_at, ended_at, distance_m)
        SELECT worker_id, 'demo-' || worker_id,
               CAST(:now AS timestamptz) - make_interval(mins => (n * 37 % 240)::int + :points),
               CAST(:now AS timestamptz) - make_interval(mins => (n * 37 % 240)::int), 0
        FROM chosen
        ON CONFLICT ON CONSTRAINT uq_patrol_client_key DO NOTHING
        RETURNING id"""), params).scalars().all()
    if not patrols:
        return 0
    ids = {"ids": list(patrols)}
    # Random points in a disk inside the grid, visited in order of their bearing from its
    # centre: a loop at walking pace. Such a loop is about radius × (points/3 + 4) long, so
    # this radius keeps it near WALK_M_PER_MINUTE a minute, whatever the grid's size.
    radius_m = WALK_M_PER_MINUTE * points / (points / 3 + 4)
    session.execute(text("""
        INSERT INTO patrol_point (patrol_id, recorded_at, geom, accuracy_m)
        SELECT p.id, p.started_at + make_interval(mins => s.k::int), s.geom,
               4 + (s.k * 7 % 11)
        FROM patrol p
        CROSS JOIN LATERAL (
            SELECT a.geom FROM grid_assignment ga JOIN area a ON a.id = ga.grid_id
            WHERE ga.worker_id = p.worker_id ORDER BY a.code LIMIT 1) g
        CROSS JOIN LATERAL (
            SELECT d.geom, row_number() OVER (ORDER BY ST_Azimuth(ST_PointOnSurface(g.geom),
                                                                  d.geom)) AS k
            FROM ST_Dump(ST_GeneratePoints(
                ST_Intersection(g.geom, ST_Buffer(ST_PointOnSurface(g.geom)::geography,
                                                  :radius_m)::geometry),
                :points, :seed + p.worker_id::int)) d) s
        WHERE p.id = ANY(:ids)"""), {**ids, "points": params["points"], "seed": params["seed"],
                                     "radius_m": radius_m})
    recompute_distances(session, patrol_ids=ids["ids"])
    record_fixes_from(session, """
        SELECT DISTINCT ON (w.user_id) w.user_id, pp.geom, pp.accuracy_m, pp.recorded_at,
               'patrol', p.id
        FROM patrol p JOIN patrol_point pp ON pp.patrol_id = p.id
        JOIN grid_worker w ON w.id = p.worker_id
        WHERE p.id = ANY(:ids) AND w.user_id IS NOT NULL
        ORDER BY w.user_id, pp.recorded_at DESC""", ids)
    return len(patrols)
