"""Demo patrols: loops inside the workers' grids, measured, and their newest positions."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from grid.patrols.demo import load_demo_patrols


def test_demo_patrols_walk_inside_the_grids(session, settings, demo_city):
    # The demo load made its patrols already (grid/demo.py): made anew here, in the test's
    # rolled-back transaction.
    session.execute(text("DELETE FROM staff_position WHERE source_type = 'patrol' AND "
                         "source_id IN (SELECT id FROM patrol WHERE client_key LIKE 'demo-%')"))
    session.execute(text("DELETE FROM patrol WHERE client_key LIKE 'demo-%'"))
    now = datetime.now(UTC)
    made = load_demo_patrols(session, city_code="430200", seed=settings.demo_seed,
                             workers=12, points=10, now=now)
    assert made == 12
    rows = session.execute(text("""
        SELECT p.id, p.worker_id, p.distance_m, p.started_at, p.ended_at,
               count(pp.*) AS points, bool_and(ST_Covers(g.geom, pp.geom)) AS inside,
               ST_Length(ST_MakeLine(pp.geom ORDER BY pp.recorded_at)::geography) AS length,
               max(pp.recorded_at) AS last
        FROM patrol p JOIN patrol_point pp ON pp.patrol_id = p.id
        CROSS JOIN LATERAL (SELECT a.geom FROM grid_assignment ga JOIN area a
                            ON a.id = ga.grid_id WHERE ga.worker_id = p.worker_id
                            ORDER BY a.code LIMIT 1) g
        WHERE p.client_key LIKE 'demo-%' GROUP BY p.id""")).all()
    assert len(rows) == 12
    for row in rows:
        assert row.points == 10 and row.inside
        assert row.distance_m == pytest.approx(row.length) and row.distance_m > 0
        assert row.started_at < row.ended_at <= now and row.last == row.ended_at
        # At walking pace: under 6 km/h from the first fix to the last (a minute apart).
        assert row.distance_m / (row.points - 1) < 100, row
    positions = dict(session.execute(text(
        "SELECT w.id, p.recorded_at FROM staff_position p JOIN grid_worker w "
        "ON w.user_id = p.user_id WHERE w.id = ANY(:w)"),
        {"w": [row.worker_id for row in rows]}).all())
    assert positions == {row.worker_id: row.last for row in rows}
    # The demo grid worker (the first by staff number) is among them.
    assert session.scalar(text(
        "SELECT count(*) FROM patrol p JOIN grid_worker w ON w.id = p.worker_id "
        "JOIN app_user u ON u.id = w.user_id WHERE u.username = 'demo_grid_worker'")) == 1
    # Loaded again: nothing doubles.
    assert load_demo_patrols(session, city_code="430200", seed=1, workers=12, now=now) == 0
