"""geo/codes.py: the code is the path (GB/T 2260 county, GB/T 10114 township and village)."""

import pytest

from core.scope import prefix_range
from geo.codes import (
    ALL_CODES,
    ancestor_codes,
    code_extends,
    code_problem,
    expected_parent_code,
    subtree_prefix,
)
from geo.enums import AreaLevel

CITY, COUNTY, TOWNSHIP, VILLAGE, GRID = (
    AreaLevel.city, AreaLevel.county, AreaLevel.township, AreaLevel.village, AreaLevel.grid,
)


@pytest.mark.parametrize(("code", "level"), [
    ("430200", CITY),
    ("430211", COUNTY),
    ("430211001", TOWNSHIP),   # street 街道
    ("430211100", TOWNSHIP),   # town 镇
    ("430211399", TOWNSHIP),   # township 乡
    ("430211001001", VILLAGE),
    ("430211001200", VILLAGE),
    ("430211001001001", GRID),
])
def test_well_formed_codes_have_no_problem(code, level):
    assert code_problem(code, level) is None


@pytest.mark.parametrize(("code", "level", "expected"), [
    ("43021a", COUNTY, "digits only"),
    ("", COUNTY, "digits only"),
    ("４３０２１１", COUNTY, "digits only"),       # full-width digits pass str.isdigit()
    (" 430211", COUNTY, "digits only"),
    ("43021", COUNTY, "6 digits"),
    ("4302110", COUNTY, "6 digits"),
    ("430211", TOWNSHIP, "9 digits"),
    ("430211001", VILLAGE, "12 digits"),
    ("430211001001", GRID, "15 digits"),
    ("430211", CITY, "ends in 00"),
    ("430200", COUNTY, "which is its city's code"),
    ("430211000", TOWNSHIP, "suffix 000"),
    ("430211001000", VILLAGE, "suffix 000"),
    ("430211001001000", GRID, "suffix 000"),
])
def test_malformed_codes_are_explained(code, level, expected):
    problem = code_problem(code, level)
    assert problem is not None
    assert expected in problem


def test_problem_quotes_the_offending_code():
    assert "'43021a'" in code_problem("43021a", COUNTY)
    assert "'430211000'" in code_problem("430211000", TOWNSHIP)


@pytest.mark.parametrize(("code", "level", "parent"), [
    ("430200", CITY, None),
    ("430211", COUNTY, "430200"),
    ("430211001", TOWNSHIP, "430211"),
    ("430211001201", VILLAGE, "430211001"),
    ("430211001201007", GRID, "430211001201"),
])
def test_expected_parent_code_is_the_code_minus_its_own_suffix(code, level, parent):
    assert expected_parent_code(code, level) == parent


@pytest.mark.parametrize(("code", "level", "chain"), [
    ("430200", CITY, []),
    ("430211", COUNTY, ["430200"]),
    ("430211001", TOWNSHIP, ["430200", "430211"]),
    ("430211001201007", GRID, ["430200", "430211", "430211001", "430211001201"]),
])
def test_ancestor_codes_run_from_the_city_down(code, level, chain):
    assert ancestor_codes(code, level) == chain


def test_subtree_prefix_of_a_city_is_its_first_four_digits():
    assert subtree_prefix("430200", CITY) == "4302"


@pytest.mark.parametrize(("code", "level"), [
    ("430211", COUNTY), ("430211001", TOWNSHIP), ("430211001201", VILLAGE),
    ("430211001201007", GRID),
])
def test_subtree_prefix_below_a_city_is_the_code_itself(code, level):
    assert subtree_prefix(code, level) == code


@pytest.mark.parametrize(("child", "parent", "parent_level", "extends"), [
    ("430211", "430200", CITY, True),
    ("430281", "430200", CITY, True),
    ("430311", "430200", CITY, False),      # another city's county
    ("430200", "430200", CITY, False),      # the city itself is not its own child
    ("430211001", "430211", COUNTY, True),
    ("430212001", "430211", COUNTY, False),
    ("430211", "430211", COUNTY, False),
    ("430211001201", "430211001", TOWNSHIP, True),
    ("430211002201", "430211001", TOWNSHIP, False),
    ("430211001201007", "430211001201", VILLAGE, True),
    ("430211001202007", "430211001201", VILLAGE, False),
])
def test_code_extends(child, parent, parent_level, extends):
    assert code_extends(child, parent, parent_level) is extends


def test_prefix_range_bounds_a_prefix():
    assert prefix_range("4302") == {"low": "4302", "high": "4303"}
    assert prefix_range("430219") == {"low": "430219", "high": "43021:"}  # ':' follows '9'


SAMPLE_CODES = [
    "430100", "430199", "430200", "430201", "430211", "430211001", "430211001001",
    "430211001001001", "430219", "430219399", "430220", "430299", "430300", "4302", "43021",
    "990100", "000000",
]


@pytest.mark.parametrize("prefix", ["4302", "430211", "430219", "430211001", "4", "9901"])
def test_prefix_range_holds_exactly_the_codes_with_the_prefix(prefix):
    """Python compares str by code point, as the "C" collation of area.code does."""
    bounds = prefix_range(prefix)
    for code in SAMPLE_CODES:
        assert (bounds["low"] <= code < bounds["high"]) is code.startswith(prefix), code


def test_all_codes_range_holds_every_digit_code():
    assert all(ALL_CODES["low"] <= code < ALL_CODES["high"] for code in SAMPLE_CODES)
