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
