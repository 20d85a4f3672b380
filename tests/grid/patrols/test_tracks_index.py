"""A county's day of patrol tracks (GET /api/v1/patrols/tracks, grid/patrols/tracks.py)
reads the index on patrol.started_at (migration 0028): with a season of patrols of every
worker of a county, the planner takes the day's range from the index rather than reading
every patrol, and the answer is still that day's tracks."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from core.security import Principal
from core.users.enums import Role
from grid.patrols import tracks

DAYS = 120  # a season: one patrol a day for each of the county's workers


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _season(session, county: str) -> list[int]:
    """A patrol a day for DAYS days for every worker of the county's grids (rolled back
    with the test), with two fixes each, so each is a track."""
    workers = session.scalars(text("""
        SELECT DISTINCT ga.worker_id FROM grid_assignment ga JOIN area a ON a.id = ga.grid_id
        WHERE a.code LIKE :county || '%'"""), {"county": county}).all()
    assert len(workers) >= 20, "a county with workers"
    session.execute(text("""
        INSERT INTO patrol (worker_id, client_key, started_at, distance_m)
        SELECT w, 'index-test-' || d || '-' || w,
               date_trunc('day', now()) - d * interval '1 day' + interval '9 hours', 0
        FROM unnest(CAST(:workers AS bigint[])) AS w, generate_series(1, :days) AS d"""),
        {"workers": workers, "days": DAYS})
    session.execute(text("""
        INSERT INTO patrol_point (patrol_id, recorded_at, geom)
        SELECT p.id, p.started_at + k * interval '1 minute',
               ST_SetSRID(ST_MakePoint(113.1 + k * 0.001, 27.8), 4326)
        FROM patrol p, generate_series(0, 1) AS k WHERE p.client_key LIKE 'index-test-%'"""))
    session.execute(text("ANALYZE patrol"))
    return workers


def test_a_countys_day_of_tracks_reads_the_started_at_index(session, settings, demo_city):
    county = session.scalar(text(
        "SELECT code FROM area WHERE level = 'county' ORDER BY code LIMIT 1"))
    workers = _season(session, county)
    dispatcher = Principal(0, "test-county_dispatcher", Role.county_dispatcher, county)
    day = (datetime.now(ZoneInfo(settings.timezone)) - timedelta(days=10)).date()
    sql, params = tracks.statement(principal=dispatcher, day=day, timezone=settings.timezone,
                                   bbox=None, limit=301)
    plan = session.execute(text(f"EXPLAIN (FORMAT JSON) {sql}"), params).scalar()
    nodes = list(_nodes(plan[0]["Plan"]))
    on_patrol = [node for node in nodes if node.get("Relation Name") == "patrol"]
    assert on_patrol and all(node["Node Type"] != "Seq Scan" for node in on_patrol), \
        json.dumps(plan, indent=1)
    assert any(node.get("Index Name") == "ix_patrol_started_at" for node in nodes), \
        json.dumps(plan, indent=1)
    # The same statement answers that day's tracks: one per worker (the cap above them).
    rows = session.execute(text(sql), params).all()
    mine = [row for row in rows if row.worker_id in set(workers)]
    assert len(mine) == min(len(workers), 301)
    assert {row.started_at.astimezone(ZoneInfo(settings.timezone)).date()
            for row in mine} == {day}
