import cProfile, pstats, io
from sqlalchemy import text
from market_supervision.register.demo import load_demo as register_demo
from market_supervision.inspections import demo as d


def test_tmp(session, settings, demo_city):
    register_demo(session, city_code="430200", seed=1, entities=1000)
    d.MOST = 60
    pr = cProfile.Profile(); pr.enable()
    n = d.load_demo(session, city_code="430200", seed=1, settings=settings)
    pr.disable()
    s = io.StringIO(); pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(45); print(n); print(s.getvalue()[:9000])
