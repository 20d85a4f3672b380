"""The demo (issue §13.4): rosters, positions near the seats, qualifications, operations
and whistles answered through the workflow; removed without a trace."""

from sqlalchemy import text

from enforcement.teams.demo import load_demo, remove_demo

TABLES = ("enforcement_team_qualification", "enforcement_roster", "enforcement_team_state",
          "enforcement_team_position", "enforcement_operation", "enforcement_whistle",
          "enforcement_whistle_call")


def _counts(session) -> dict:
    return {table: session.scalar(text(f"SELECT count(*) FROM {table}")) for table in TABLES}


def test_the_demo_loads_and_goes(session, settings, demo_city):
    before = _counts(session)
    counts = load_demo(session, city_code="430200", seed=1, settings=settings)
    assert counts["operations"] == 3 and counts["whistles"] == 12 and counts["busy"] > 0
    after = _counts(session)
    assert all(after[table] > before[table] for table in TABLES)
    # Members sit near their seats: every team placed by its members lies within 1.5 km.
    far = session.scalar(text("""
        SELECT count(*) FROM enforcement_team_position p JOIN unit u ON u.id = p.team_id
        WHERE p.source = 'members' AND ST_Distance(p.geog, u.location::geography) > 1500"""))
    assert far == 0
    answered = session.scalar(text("SELECT count(*) FROM enforcement_whistle_call "
                                   "WHERE state = 'closed'"))
    assert answered > 0
    remove_demo(session, city_code="430200")
    assert _counts(session) == before
    assert session.scalar(text("SELECT count(*) FROM case_clock "
                               "WHERE subject_type = 'whistle_call'")) == 0
