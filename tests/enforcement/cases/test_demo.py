"""The demo: 300 matters with bands and valid codes; cases made through the live rules in
many steps, with clocks and numbered decisions; removed without a trace."""

from sqlalchemy import text

from enforcement.cases import demo


def test_the_demo_catalogue_and_cases_and_their_removal(session, settings, demo_city):
    counts = demo.load_demo(session, city_code="430200", seed=7, settings=settings, cases=60)
    assert counts["matters"] == 300 and counts["cases"] == 60
    assert session.execute(text("SELECT count(*) FROM enforcement_matter_band b JOIN "
                                "enforcement_matter m ON m.id = b.matter_id "
                                "WHERE m.code LIKE '4302%'")).scalar() == 900
    states = dict(session.execute(text(
        "SELECT state, count(*) FROM enforcement_case WHERE area_code LIKE '4302%' "
        "GROUP BY state")).all())
    assert len(states) >= 8, states
    assert session.execute(text(
        "SELECT count(*) FROM case_clock WHERE case_type = 'enforcement.case'")).scalar() > 60
    assert session.execute(text(
        "SELECT count(*) FROM document WHERE subject_type = 'enforcement_case' "
        "AND number IS NOT NULL")).scalar() > 0
    demo.remove_demo(session, city_code="430200")
    assert session.execute(text("SELECT count(*) FROM enforcement_case "
                                "WHERE area_code LIKE '4302%'")).scalar() == 0
    assert session.execute(text("SELECT count(*) FROM enforcement_matter "
                                "WHERE code LIKE '4302%'")).scalar() == 0


def test_the_demo_has_payment_plans_and_appeals_with_outcomes(session, settings, demo_city):
    """demo_remedies.py: through the live moves and appeals.py, so the KPI 复议/诉讼纠错率
    (enforcement/teams/kpis.py) has a figure."""
    counts = demo.load_demo(session, city_code="430200", seed=7, settings=settings, cases=120)
    assert counts["appeals"] > 0 and counts["payment_plans"] > 0, counts
    decided = session.execute(text(
        "SELECT count(*), count(*) FILTER (WHERE corrects) FROM enforcement_appeal a "
        "JOIN enforcement_case c ON c.id = a.case_id WHERE c.area_code LIKE '4302%' "
        "AND a.outcome IS NOT NULL")).one()
    assert decided[0] == counts["appeals"]
    assert session.execute(text(
        "SELECT count(*) FROM enforcement_instalment i JOIN enforcement_payment_plan p "
        "ON p.id = i.plan_id WHERE p.state = 'approved'")).scalar() >= counts["payment_plans"]
    demo.remove_demo(session, city_code="430200")
    assert session.execute(text("SELECT count(*) FROM enforcement_appeal")).scalar() == 0
