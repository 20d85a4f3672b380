"""geo/coverage.py: children tile their parent; gaps, overlaps and strays are reported.

A small hierarchy under city 990200 (lon 101.0–101.2, lat 40.0–40.1) is planted straight
through geo.store (no import checks), so errors can be planted on purpose. Expected areas
come from pyproj's geodesic area, independent of PostGIS.
"""

import json

import numpy as np
import pytest
from shapely import LineString, Point
from shapely.ops import split

from geo.coverage import check_coverage
from geo.enums import AreaLevel
from tests.geo.fixtures.boundaries import geodesic_area_m2, plant, rect

PREFIX = "9902"
CITY = "990200"
CITY_BOX = rect(101.0, 40.0, 101.2, 40.1)
WEST, EAST = "990201", "990202"
WEST_BOX, EAST_BOX = rect(101.0, 40.0, 101.1, 40.1), rect(101.1, 40.0, 101.2, 40.1)
T1, T2 = "990201001", "990201101"
T1_BOX, T2_BOX = rect(101.0, 40.0, 101.05, 40.1), rect(101.05, 40.0, 101.1, 40.1)

# About 0.46 m²: 7e-6° of longitude (≈ 0.6 m) by 7e-6° of latitude (≈ 0.78 m).
SPECK = 7e-6


def plant_hierarchy(session, *, west=WEST_BOX, east=EAST_BOX, t1=T1_BOX, t2=T2_BOX):
    """City, two counties, two townships in the west county; any part may be replaced."""
    plant(session, [
        (CITY, AreaLevel.city, CITY_BOX),
        (WEST, AreaLevel.county, west),
        (EAST, AreaLevel.county, east),
        (T1, AreaLevel.township, t1),
        (T2, AreaLevel.township, t2),
    ])


def inside(point: tuple[float, float], region) -> bool:
    return Point(point).within(region.buffer(1e-9))


def test_a_clean_hierarchy_has_no_finding(session):
    plant_hierarchy(session)

    report = check_coverage(session, tolerance_m2=1.0, prefix=PREFIX)

    assert report.clean
    assert report.as_dict() == {"gaps": [], "overlaps": [], "outside_parent": []}


def test_neighbours_sharing_a_wiggly_border_are_clean(session):
    """Counties split along one 200-vertex jagged line: nothing but shared edges."""
    rng = np.random.default_rng(7)
    lats = np.linspace(40.0, 40.1, 200)
    lons = 101.1 + rng.uniform(-0.02, 0.02, size=lats.size)
    lons[0] = lons[-1] = 101.1
    border = LineString(np.column_stack([lons, lats]))
    west, east = sorted(split(CITY_BOX, border).geoms, key=lambda part: part.centroid.x)
    townships = sorted(split(west, LineString([(101.03, 39.9), (101.03, 40.2)])).geoms,
                       key=lambda part: part.centroid.x)
    plant_hierarchy(session, west=west, east=east, t1=townships[0], t2=townships[1])

    report = check_coverage(session, tolerance_m2=1.0, prefix=PREFIX)

    assert report.clean, report.as_dict()


# --- gaps ---------------------------------------------------------------------------


def test_a_strip_no_county_covers_is_a_gap_of_the_city(session):
    strip = rect(101.09, 40.0, 101.1, 40.1)
    plant_hierarchy(session, west=rect(101.0, 40.0, 101.09, 40.1),
                    t2=rect(101.05, 40.0, 101.09, 40.1))

    report = check_coverage(session, tolerance_m2=1.0, prefix=PREFIX)

    assert [gap.codes for gap in report.gaps] == [[CITY]]
    assert report.gaps[0].area_m2 == pytest.approx(geodesic_area_m2(strip), rel=1e-4)
    assert inside(report.gaps[0].point, strip)
    assert report.overlaps == [] and report.outside_parent == []


def test_a_hole_in_a_township_is_a_gap_of_its_county(session):
    hole = rect(101.07, 40.04, 101.08, 40.05)
    plant_hierarchy(session, t2=T2_BOX.difference(hole))

    report = check_coverage(session, tolerance_m2=1.0, prefix=PREFIX)

    assert [gap.codes for gap in report.gaps] == [[WEST]]
    assert report.gaps[0].area_m2 == pytest.approx(geodesic_area_m2(hole), rel=1e-4)
    assert inside(report.gaps[0].point, hole)
    assert report.overlaps == [] and report.outside_parent == []


def test_a_parent_without_children_is_not_a_gap(session):
    """The east county has no township yet: a level not imported is not a gap."""
    plant_hierarchy(session)

    report = check_coverage(session, tolerance_m2=1.0, prefix=PREFIX)

    assert EAST not in [code for gap in report.gaps for code in gap.codes]
    assert report.gaps == []


# --- overlaps -----------------------------------------------------------------------


def test_counties_overlapping_are_reported_with_both_codes(session):
    overlap = rect(101.09, 40.0, 101.1, 40.1)
    plant_hierarchy(session, east=rect(101.09, 40.0, 101.2, 40.1))

    report = check_coverage(session, tolerance_m2=1.0, prefix=PREFIX)

    assert [sorted(found.codes) for found in report.overlaps] == [[WEST, EAST]]
    assert report.overlaps[0].area_m2 == pytest.approx(geodesic_area_m2(overlap), rel=1e-4)
    assert inside(report.overlaps[0].point, overlap)
    assert report.gaps == [] and report.outside_parent == []


def test_siblings_touching_along_an_edge_do_not_overlap(session):
    """Adjacent boxes share a whole edge (a 1-dimensional intersection): no overlap."""
    plant_hierarchy(session)

    assert check_coverage(session, tolerance_m2=0.0, prefix=PREFIX).overlaps == []


def test_overlapping_areas_of_different_parents_are_not_siblings(session):
    """A township of the west county overlapping the east county is not an overlap
    (different levels), but sticks out of its own county."""
    plant_hierarchy(session, t2=rect(101.05, 40.0, 101.11, 40.1))

    report = check_coverage(session, tolerance_m2=1.0, prefix=PREFIX)

    assert report.overlaps == []
    assert [found.codes for found in report.outside_parent] == [[T2, WEST]]


# --- outside the parent -------------------------------------------------------------


def test_a_county_beyond_the_city_edge_is_outside_its_parent(session):
    beyond = rect(101.2, 40.0, 101.21, 40.1)
    plant_hierarchy(session, east=rect(101.1, 40.0, 101.21, 40.1))

    report = check_coverage(session, tolerance_m2=1.0, prefix=PREFIX)

    assert [found.codes for found in report.outside_parent] == [[EAST, CITY]]
    found = report.outside_parent[0]
    assert found.area_m2 == pytest.approx(geodesic_area_m2(beyond), rel=1e-4)
    assert inside(found.point, beyond)
    assert report.gaps == [] and report.overlaps == []


# --- tolerance ----------------------------------------------------------------------


def _speck_gap(session):
    speck = rect(101.07, 40.04, 101.07 + SPECK, 40.04 + SPECK)
    plant_hierarchy(session, t2=T2_BOX.difference(speck))
    return speck, "gaps"


def _speck_overlap(session):
    # The east county (which has no township, so no gap can appear) pokes into the west.
    speck = rect(101.1 - SPECK, 40.04, 101.1, 40.04 + SPECK)
    plant_hierarchy(session, east=EAST_BOX.union(speck))
    return speck, "overlaps"


def _speck_outside(session):
    speck = rect(101.2, 40.04, 101.2 + SPECK, 40.04 + SPECK)
    plant_hierarchy(session, east=EAST_BOX.union(speck))
    return speck, "outside_parent"


@pytest.mark.parametrize("plant_speck", [_speck_gap, _speck_overlap, _speck_outside],
                         ids=["gap", "overlap", "outside"])
def test_findings_below_the_tolerance_are_ignored(session, plant_speck):
    """A ≈ 0.46 m² speck: ignored at 1 m², found at 0.1 m² (so the plant really is there)."""
    speck, kind = plant_speck(session)
    assert 0.2 < geodesic_area_m2(speck) < 1.0

    assert check_coverage(session, tolerance_m2=1.0, prefix=PREFIX).clean

    report = check_coverage(session, tolerance_m2=0.1, prefix=PREFIX)
    findings = getattr(report, kind)
    assert len(findings) == 1
    assert findings[0].area_m2 == pytest.approx(geodesic_area_m2(speck), rel=0.05)
    assert sum(len(v) for v in report.as_dict().values()) == 1


# --- scope and output ---------------------------------------------------------------


def test_prefix_limits_the_check_to_a_subtree(session):
    plant_hierarchy(session, east=rect(101.09, 40.0, 101.2, 40.1))  # an overlap in 9902

    assert check_coverage(session, tolerance_m2=1.0, prefix="9903").clean
    assert check_coverage(session, tolerance_m2=1.0, prefix=PREFIX).overlaps
    everything = check_coverage(session, tolerance_m2=1.0, prefix=None)
    assert [WEST, EAST] in [sorted(found.codes) for found in everything.overlaps]


def test_report_serialises_to_json(session):
    plant_hierarchy(session, east=rect(101.09, 40.0, 101.2, 40.1))

    as_dict = check_coverage(session, tolerance_m2=1.0, prefix=PREFIX).as_dict()

    decoded = json.loads(json.dumps(as_dict))
    assert set(decoded) == {"gaps", "overlaps", "outside_parent"}
    (overlap,) = decoded["overlaps"]
    assert set(overlap) == {"codes", "area_m2", "point"}
    assert len(overlap["point"]) == 2


# --- the demo city ------------------------------------------------------------------


@pytest.mark.slow
def test_the_demo_city_is_clean(session, demo_city, settings):
    report = check_coverage(session, tolerance_m2=settings.area_tolerance_m2, prefix="4302")

    assert report.clean, report.as_dict()
