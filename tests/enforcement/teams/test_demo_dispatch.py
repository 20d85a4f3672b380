"""The demo's open cases past 立案 dispatched to teams through the 派遣 move
(enforcement/teams/demo_dispatch.py): teams busy on cases, the cases' officers named from
the team, the timeline recording the move; removed without a trace."""

from sqlalchemy import text

from enforcement.cases import demo as cases_demo
from enforcement.teams import demo as teams_demo


def test_the_demo_dispatches_open_cases_to_qualified_free_teams(session, settings, demo_city):
    cases_demo.load_demo(session, city_code="430200", seed=7, settings=settings, cases=60)
    counts = teams_demo.load_demo(session, city_code="430200", seed=1, settings=settings)
    assert counts["dispatched"] > 0, counts
    sent = session.execute(text("""
        SELECT c.id, c.team_id, c.officer_ids, c.filed_at, s.subject_id
        FROM enforcement_case c
        JOIN enforcement_team_state s ON s.team_id = c.team_id AND s.status = 'busy'
             AND s.subject_type = 'enforcement_case'
        WHERE c.area_code LIKE '4302%' AND c.team_id IS NOT NULL""")).all()
    assert len(sent) == counts["dispatched"]
    for case_id, team_id, officers, filed_at, subject_id in sent:
        assert subject_id == case_id and filed_at is not None
        members = set(session.scalars(text(
            "SELECT user_id FROM membership WHERE unit_id = :t AND is_active"), {"t": team_id}))
        assert len(officers) >= 2 and set(officers) <= members
    moved = session.scalar(text(
        "SELECT count(*) FROM timeline_event WHERE subject_type = 'enforcement_case' "
        "AND action = 'dispatch' AND subject_id = ANY(:ids)"), {"ids": [r[0] for r in sent]})
    assert moved == len(sent)
    teams_demo.remove_demo(session, city_code="430200")
    cases_demo.remove_demo(session, city_code="430200")
    assert session.scalar(text("SELECT count(*) FROM enforcement_team_state WHERE "
                               "subject_type = 'enforcement_case'")) == 0
