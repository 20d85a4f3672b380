"""Where each team is: the mean of its on-duty members' fresh fixes (`staff_position`, fed
by the field app's patrol and position uploads), or its seat when none is fresh.

Kept in `enforcement_team_position` (one row per team, GiST indexes on the geometry and
the geography), so the nearest-team search is a KNN index scan, not an aggregate over
every member's fix per request; the row also copies the team's qualifications and whether
it is busy (what the search filters on). Refreshed by the beat
(`enforcement.teams.refresh_positions`) and right after a roster, qualification or
availability edit; each row says when it was refreshed and how fresh its fixes are.
"""

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from enforcement.teams.models import TEAM_KINDS

# A fix older than this does not place a team (its member may have gone home without
# closing the app); the team falls back to its seat.
FRESH_FIX = timedelta(minutes=30)
REFRESH_TASK = "enforcement.teams.refresh_positions"
REFRESH_SECONDS = 30.0

TEAMS_SQL = f"u.kind IN ({', '.join(repr(k) for k in TEAM_KINDS)}) AND u.platform = 'enforcement'"

# On duty at :now: a roster shift that has begun and not ended. A scalar subquery, not
# EXISTS: the planner pulls an EXISTS up into a join, and for the nearest-team KNN (a few
# dozen rows in distance order) a per-row index probe is what is wanted.
ON_DUTY_SQL = ("COALESCE((SELECT true FROM enforcement_roster r WHERE r.team_id = {team} "
               "AND r.ends_at > :now AND r.starts_at <= :now LIMIT 1), false)")

_REFRESH = f"""
    INSERT INTO enforcement_team_position (team_id, geom, geog, source, fixes, fix_at,
                                           departments, matters, busy, refreshed_at)
    SELECT u.id, p.geom, p.geom::geography, p.source, p.fixes, p.fix_at,
           ARRAY(SELECT q.department_code FROM enforcement_team_qualification q
                 WHERE q.team_id = u.id AND q.department_code IS NOT NULL
                 ORDER BY q.department_code),
           ARRAY(SELECT q.matter_code FROM enforcement_team_qualification q
                 WHERE q.team_id = u.id AND q.matter_code IS NOT NULL ORDER BY q.matter_code),
           COALESCE((SELECT s.status = 'busy' FROM enforcement_team_state s
                     WHERE s.team_id = u.id), false),
           :now
    FROM unit u
    CROSS JOIN LATERAL (
        SELECT COALESCE(ST_Centroid(ST_Collect(sp.geom)), u.location) AS geom,
               CASE WHEN count(sp.user_id) > 0 THEN 'members' ELSE 'seat' END AS source,
               count(sp.user_id) AS fixes, max(sp.recorded_at) AS fix_at
        FROM (SELECT DISTINCT r.user_id FROM enforcement_roster r
              WHERE r.team_id = u.id AND r.ends_at > :now AND r.starts_at <= :now) duty
        JOIN staff_position sp ON sp.user_id = duty.user_id AND sp.recorded_at > :fresh_after
    ) p
    WHERE {TEAMS_SQL} AND u.is_active AND p.geom IS NOT NULL {{only}}
    ORDER BY u.id
    ON CONFLICT (team_id) DO UPDATE
        SET geom = EXCLUDED.geom, geog = EXCLUDED.geog, source = EXCLUDED.source,
            fixes = EXCLUDED.fixes, fix_at = EXCLUDED.fix_at,
            departments = EXCLUDED.departments, matters = EXCLUDED.matters,
            busy = EXCLUDED.busy, refreshed_at = EXCLUDED.refreshed_at
        WHERE enforcement_team_position.refreshed_at <= EXCLUDED.refreshed_at"""


def refresh(session: Session, *, now: datetime, team_ids: list[int] | None = None) -> int:
    """Recompute the positions of every team (or of `team_ids`); returns how many rows
    changed. Rows are written in team order, so two refreshes never deadlock, and an
    older refresh never overwrites a newer one."""
    only = "AND u.id = ANY(:ids)" if team_ids is not None else ""
    return session.execute(text(_REFRESH.format(only=only)),
                           {"now": now, "fresh_after": now - FRESH_FIX,
                            "ids": list(team_ids or [])}).rowcount
