"""The register's demo (issue 14 §7) on the demo city, in the test's transaction: valid
codes whose positions 3–8 are the district's, entities spread by population, plans and
tasks, draws through the same algorithm that verify."""

from sqlalchemy import text

from core.uscc import uscc_problem
from market_supervision.register import drawing
from market_supervision.register.demo import load_demo, remove_demo

DRAWS_SQL = "SELECT id FROM market_draw WHERE area_code LIKE '4302%' ORDER BY id"


def test_the_demo_register_and_its_draws(session, demo_city):
    # Draws other tests committed in the city (browser journeys commit theirs) are not
    # the demo's: count what loading it adds.
    before = set(session.scalars(text(DRAWS_SQL)).all())
    seen = []
    made = load_demo(session, city_code="430200", seed=7, entities=3000,
                     stage=lambda stage, done, total: seen.append(stage))
    assert made["entities"] == 3000 and made["tasks"] and made["draws"]
    assert {"市场主体", "双随机抽取"} <= set(seen)
    rows = session.execute(text(
        "SELECT uscc, area_code, type, industry, risk_class FROM market_entity "
        "WHERE source = 'demo'")).all()
    assert len(rows) == 3000
    for uscc, area_code, _kind, _industry, risk in rows:
        assert uscc_problem(uscc) is None, uscc
        assert uscc[2:8] == area_code[:6]  # the district's GB/T 2260 code
        assert risk in "ABCD"
    assert len({kind for _, _, kind, _, _ in rows}) >= 4
    assert len({industry for *_, industry, _ in rows}) >= 8
    # spread by population: the most populous county holds more than the least
    per_county = dict(session.execute(text(
        "SELECT substr(area_code, 1, 6), count(*) FROM market_entity WHERE source = 'demo' "
        "GROUP BY 1")).all())
    people = dict(session.execute(text(
        "SELECT code, population FROM area WHERE level = 'county' AND code LIKE '4302%'")).all())
    assert per_county[max(people, key=people.get)] > per_county[min(people, key=people.get)]
    draws = [d for d in session.scalars(text(DRAWS_SQL)).all() if d not in before]
    assert len(draws) == made["draws"]
    for draw_id in draws[:3]:
        assert drawing.verify(session, principal=None, draw_id=draw_id).matches
    remove_demo(session, city_code="430200")
    assert session.scalar(text("SELECT count(*) FROM market_entity WHERE source = 'demo'")) == 0
    assert session.scalar(text("SELECT count(*) FROM market_draw")) == 0
