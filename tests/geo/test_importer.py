"""geo/importer.py: boundary files in, all of a file or none of it.

A synthetic city 990100 (lon 100.0–100.2, lat 40.0–40.1, in the Gobi, far from the demo
city) is planted straight through geo.store; files are written with geopandas to tmp_path
and imported with `import_areas`. Every rejection test checks two things: the message
names the feature at fault, and nothing was written — counted in the same session after
the rejection, both by the codes in the file and by the whole 9901 subtree.
"""

import re

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely import LineString, MultiPolygon, Point, Polygon
from sqlalchemy import text

from core.errors import InvalidInput, NotFound
from geo.crs import bd09_to_wgs84, gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from geo.enums import AreaLevel
from geo.importer import MAX_PROBLEMS_SHOWN, ImportRejected, import_areas
from tests.geo.fixtures.boundaries import (
    count_codes,
    feature,
    geodesic_area_m2,
    plant,
    rect,
    write_boundaries,
)

CITY = "990100"
CITY_BOX = rect(100.0, 40.0, 100.2, 40.1)
WEST, EAST = "990101", "990102"
WEST_BOX, EAST_BOX = rect(100.0, 40.0, 100.1, 40.1), rect(100.1, 40.0, 100.2, 40.1)
# Two townships tiling the west county.
WEST_TOWNSHIPS = {"990101001": rect(100.0, 40.0, 100.05, 40.1),
                  "990101101": rect(100.05, 40.0, 100.1, 40.1)}


@pytest.fixture
def city(session):
    plant(session, [(CITY, AreaLevel.city, CITY_BOX)])
    return CITY


@pytest.fixture
def counties(session, city):
    plant(session, [(WEST, AreaLevel.county, WEST_BOX), (EAST, AreaLevel.county, EAST_BOX)])
    return WEST, EAST


def subtree_count(session) -> int:
    return session.execute(text("SELECT count(*) FROM area WHERE code LIKE '9901%'")).scalar_one()


def stored(session, code: str):
    """The stored row of one area, with its parent's code and geometry facts."""
    return session.execute(text("""
        SELECT a.code, a.name, a.level, a.population, a.area_m2, p.code AS parent_code,
               ST_GeometryType(a.geom) AS geom_type, ST_SRID(a.geom) AS srid,
               ST_IsValid(a.geom) AS valid, ST_NumGeometries(a.geom) AS parts,
               ST_AsBinary(a.geom) AS wkb
        FROM area a LEFT JOIN area p ON p.id = a.parent_id WHERE a.code = :code
    """), {"code": code}).one()


def stored_geom(session, code: str):
    return shapely.from_wkb(bytes(stored(session, code).wkb))


def vertices(geom) -> np.ndarray:
    return shapely.get_coordinates(geom)


def reject(session, path, *, codes, level=AreaLevel.county, **kwargs) -> ImportRejected:
    """Import, expect ImportRejected, and check that nothing at all was written."""
    before = subtree_count(session)
    with pytest.raises(ImportRejected) as caught:
        import_areas(session, path=path, level=level, tolerance_m2=1.0, **kwargs)
    assert_nothing_written(session, codes, before)
    assert caught.value.detail.startswith(f"{path.name}: nothing imported; ")
    return caught.value


def assert_nothing_written(session, codes, subtree_before: int) -> None:
    new_codes = [c for c in codes if c not in (CITY, WEST, EAST)]
    assert count_codes(session, new_codes) == 0
    assert subtree_count(session) == subtree_before


# --- success ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".geojson", ".shp", ".gpkg"])
def test_imports_counties_from_each_format(session, city, tmp_path, suffix):
    path = write_boundaries(tmp_path / f"counties{suffix}", [
        feature(WEST, WEST_BOX, name="West County", population=120_000),
        feature(EAST, EAST_BOX, name="East County", population=80_000),
    ])

    report = import_areas(session, path=path, level="county", tolerance_m2=1.0)

    assert report.imported == 2
    assert sorted(report.codes) == [WEST, EAST]
    assert report.crs == "EPSG:4326"
    for code, box, name, population in [(WEST, WEST_BOX, "West County", 120_000),
                                        (EAST, EAST_BOX, "East County", 80_000)]:
        row = stored(session, code)
        assert (row.name, row.level, row.population) == (name, "county", population)
        assert row.parent_code == CITY
        assert (row.geom_type, row.srid, row.valid) == ("ST_MultiPolygon", 4326, True)
        assert row.area_m2 == pytest.approx(geodesic_area_m2(box), rel=1e-6)
        assert stored_geom(session, code).equals(MultiPolygon([box]))


def test_imports_townships_under_the_given_parent(session, counties, tmp_path):
    path = write_boundaries(tmp_path / "townships.geojson",
                            [feature(code, box) for code, box in WEST_TOWNSHIPS.items()])

    report = import_areas(session, path=path, level=AreaLevel.township, parent_code=WEST)

    assert report.imported == 2
    for code, box in WEST_TOWNSHIPS.items():
        row = stored(session, code)
        assert (row.level, row.parent_code) == ("township", WEST)
        assert row.area_m2 == pytest.approx(geodesic_area_m2(box), rel=1e-6)


def test_a_city_imports_without_parent(session, tmp_path):
    path = write_boundaries(tmp_path / "city.geojson", [feature(CITY, CITY_BOX)])

    import_areas(session, path=path, level="city")

    row = stored(session, CITY)
    assert (row.level, row.parent_code) == ("city", None)
    assert row.area_m2 == pytest.approx(geodesic_area_m2(CITY_BOX), rel=1e-6)


def test_a_multipolygon_feature_is_kept_whole(session, city, tmp_path):
    two_islands = MultiPolygon([rect(100.0, 40.0, 100.05, 40.05), rect(100.1, 40.05, 100.15, 40.1)])
    path = write_boundaries(tmp_path / "islands.geojson", [feature(WEST, two_islands)])

    import_areas(session, path=path, level="county")

    row = stored(session, WEST)
    assert row.parts == 2
    assert row.area_m2 == pytest.approx(geodesic_area_m2(two_islands), rel=1e-6)


def test_a_file_in_web_mercator_is_converted_by_its_own_crs(session, city, tmp_path):
    to_mercator = Transformer.from_crs(4326, 3857, always_xy=True)
    west_3857 = shapely.transform(WEST_BOX, lambda xy: np.column_stack(
        to_mercator.transform(xy[:, 0], xy[:, 1])))
    assert vertices(west_3857)[:, 0].min() > 1e7  # metres, not degrees
    path = write_boundaries(tmp_path / "mercator.gpkg", [feature(WEST, west_3857)], crs=3857)

    report = import_areas(session, path=path, level="county")

    assert report.crs == "EPSG:3857"
    np.testing.assert_allclose(vertices(stored_geom(session, WEST)), vertices(WEST_BOX),
                               atol=1e-9)


def test_a_declared_cgcs2000_gauss_kruger_crs_is_converted(session, city, tmp_path):
    """The file carries no CRS of its own (GeoJSON defaults to WGS84); --crs says EPSG:4542,
    CGCS2000 / 3-degree Gauss-Krüger CM 99E, the zone of lon 100."""
    to_gk = Transformer.from_crs(4490, 4542, always_xy=True)
    west_gk = shapely.transform(WEST_BOX, lambda xy: np.column_stack(
        to_gk.transform(xy[:, 0], xy[:, 1])))
    assert vertices(west_gk)[:, 1].min() > 4_000_000  # northing in metres
    path = write_boundaries(tmp_path / "gauss_kruger.geojson", [feature(WEST, west_gk)],
                            crs=None)

    report = import_areas(session, path=path, level="county", crs="EPSG:4542")

    assert report.crs == "EPSG:4542"
    np.testing.assert_allclose(vertices(stored_geom(session, WEST)), vertices(WEST_BOX),
                               atol=1e-9)


def test_a_cgcs2000_geographic_file_is_stored_as_is(session, city, tmp_path):
    path = write_boundaries(tmp_path / "cgcs2000.gpkg", [feature(WEST, WEST_BOX)], crs=4490)

    report = import_areas(session, path=path, level="county")

    assert report.crs == "EPSG:4490"
    assert stored_geom(session, WEST).equals(MultiPolygon([WEST_BOX]))


@pytest.mark.parametrize(("declared", "forward", "inverse"), [
    ("gcj02", wgs84_to_gcj02, gcj02_to_wgs84),
    ("BD-09", wgs84_to_bd09, bd09_to_wgs84),
], ids=["gcj02", "bd09"])
def test_a_declared_chinese_offset_is_removed(session, city, tmp_path, declared, forward,
                                              inverse):
    """The file holds the WGS84 counties shifted by the offset; the import must undo it."""
    shifted = {code: shapely.transform(box, lambda xy: np.column_stack(forward(xy[:, 0], xy[:, 1])))
               for code, box in [(WEST, WEST_BOX), (EAST, EAST_BOX)]}
    path = write_boundaries(tmp_path / f"{declared}.geojson",
                            [feature(code, geom) for code, geom in shifted.items()], crs=None)

    import_areas(session, path=path, level="county", crs=declared)

    for code, box in [(WEST, WEST_BOX), (EAST, EAST_BOX)]:
        in_file, in_db = vertices(shifted[code]), vertices(stored_geom(session, code))
        expected = np.column_stack(inverse(in_file[:, 0], in_file[:, 1]))
        np.testing.assert_allclose(in_db, expected, atol=1e-9)
        np.testing.assert_allclose(in_db, vertices(box), atol=1e-9)  # ~0.1 mm
        shift_m = np.hypot((in_file[:, 0] - in_db[:, 0]) * 85_300,  # m per ° lon at lat 40
                           (in_file[:, 1] - in_db[:, 1]) * 111_000)
        assert (shift_m > 100).all() and (shift_m < 2_000).all()


def test_a_bow_tie_is_repaired_and_imported_valid(session, city, tmp_path):
    bow_tie = Polygon([(100.0, 40.0), (100.1, 40.1), (100.1, 40.0), (100.0, 40.1)])
    assert not bow_tie.is_valid
    path = write_boundaries(tmp_path / "bow_tie.geojson", [feature(WEST, bow_tie)])

    import_areas(session, path=path, level="county")

    row = stored(session, WEST)
    assert row.valid and row.parts == 2  # the two triangles of the bow
    assert row.area_m2 == pytest.approx(geodesic_area_m2(shapely.make_valid(bow_tie)), rel=1e-6)
    assert row.area_m2 == pytest.approx(geodesic_area_m2(WEST_BOX) / 2, rel=1e-3)


def test_a_child_out_of_its_parent_by_less_than_the_tolerance_is_accepted(session, city,
                                                                           tmp_path):
    # A spike 1e-6° (≈ 0.1 m) beyond the city's east edge over 1e-5° (≈ 1 m): ≈ 0.05 m².
    spiked = Polygon([(100.1, 40.0), (100.2, 40.0), (100.2, 40.05), (100.200001, 40.050005),
                      (100.2, 40.05001), (100.2, 40.1), (100.1, 40.1)])
    assert geodesic_area_m2(spiked.difference(CITY_BOX)) < 1.0
    assert not spiked.within(CITY_BOX)
    path = write_boundaries(tmp_path / "spike.geojson", [feature(EAST, spiked)])

    with pytest.raises(ImportRejected, match="lies outside its parent"):  # it is measured
        import_areas(session, path=path, level="county", tolerance_m2=0.01)
    import_areas(session, path=path, level="county", tolerance_m2=1.0)

    assert count_codes(session, [EAST]) == 1


# --- rejections: geometry -----------------------------------------------------------


def test_rejects_a_ring_that_cannot_be_repaired(session, city, tmp_path):
    """A ring whose points are collinear has no area: make_valid yields only lines."""
    flat = Polygon([(100.0, 40.05), (100.1, 40.05), (100.05, 40.05), (100.0, 40.05)])
    path = write_boundaries(tmp_path / "flat.geojson",
                            [feature(WEST, WEST_BOX), feature(EAST, flat)])

    rejected = reject(session, path, codes=[WEST, EAST])

    assert rejected.problems == [rejected.problems[0]]
    assert rejected.problems[0].startswith(f"feature 2 (code {EAST}): invalid ring that "
                                           "cannot be repaired")


@pytest.mark.parametrize("geometry", [Point(100.15, 40.05),
                                      LineString([(100.1, 40.0), (100.2, 40.1)])],
                         ids=["Point", "LineString"])
def test_rejects_a_feature_that_is_not_polygonal(session, city, tmp_path, geometry):
    path = write_boundaries(tmp_path / "mixed.geojson",
                            [feature(WEST, WEST_BOX), feature(EAST, geometry)])

    rejected = reject(session, path, codes=[WEST, EAST])

    assert rejected.problems == [f"feature 2 (code {EAST}): geometry is {geometry.geom_type}, "
                                 "expected Polygon or MultiPolygon"]


def test_rejects_a_feature_without_geometry(session, city, tmp_path):
    path = write_boundaries(tmp_path / "null.geojson",
                            [feature(WEST, WEST_BOX), feature(EAST, None)])

    rejected = reject(session, path, codes=[WEST, EAST])

    assert rejected.problems == [f"feature 2 (code {EAST}): geometry is empty"]


def test_rejects_a_child_outside_its_parent_beyond_tolerance(session, city, tmp_path):
    """The east county runs 0.01° (≈ 850 m) past the city's east edge."""
    too_wide = rect(100.1, 40.0, 100.21, 40.1)
    outside = geodesic_area_m2(rect(100.2, 40.0, 100.21, 40.1))
    path = write_boundaries(tmp_path / "too_wide.geojson",
                            [feature(WEST, WEST_BOX), feature(EAST, too_wide)])

    rejected = reject(session, path, codes=[WEST, EAST])

    assert len(rejected.problems) == 1
    match = re.fullmatch(rf"feature code {EAST}: ([\d,.]+) m² lies outside its parent "
                         r"\(near ([\d.]+), ([\d.]+)\)", rejected.problems[0])
    assert match, rejected.problems[0]
    assert float(match[1].replace(",", "")) == pytest.approx(outside, rel=1e-3)
    assert 100.2 < float(match[2]) < 100.21 and 40.0 < float(match[3]) < 40.1


def test_rejects_projected_coordinates_read_as_wgs84(session, city, tmp_path):
    """Web-Mercator metres in a file with no CRS: read as WGS84 they are out of range."""
    to_mercator = Transformer.from_crs(4326, 3857, always_xy=True)
    west_3857 = shapely.transform(WEST_BOX, lambda xy: np.column_stack(
        to_mercator.transform(xy[:, 0], xy[:, 1])))
    path = write_boundaries(tmp_path / "metres.geojson", [feature(WEST, west_3857)], crs=None)

    rejected = reject(session, path, codes=[WEST])

    assert rejected.problems == [
        f"feature 1 (code {WEST}): coordinates fall outside longitude ±180 / latitude ±90 "
        "after conversion (is the CRS EPSG:4326 right?)"]


def test_a_declared_crs_overrides_the_files_own(session, city, tmp_path):
    """The GeoPackage says EPSG:3857 (rightly); --crs EPSG:4326 is believed, and fails."""
    to_mercator = Transformer.from_crs(4326, 3857, always_xy=True)
    west_3857 = shapely.transform(WEST_BOX, lambda xy: np.column_stack(
        to_mercator.transform(xy[:, 0], xy[:, 1])))
    path = write_boundaries(tmp_path / "mercator.gpkg", [feature(WEST, west_3857)], crs=3857)

    rejected = reject(session, path, codes=[WEST], crs="EPSG:4326")

    assert "coordinates fall outside longitude ±180" in rejected.problems[0]
    assert f"code {WEST}" in rejected.problems[0]


@pytest.mark.parametrize("declared", ["EPSG:999999", "foo"])
def test_rejects_an_unknown_crs(session, city, tmp_path, declared):
    path = write_boundaries(tmp_path / "fine.geojson", [feature(WEST, WEST_BOX)])
    before = subtree_count(session)

    with pytest.raises(InvalidInput) as caught:
        import_areas(session, path=path, level="county", crs=declared)

    assert f"unknown CRS {declared!r}" in caught.value.detail
    assert_nothing_written(session, [WEST], before)


# --- rejections: codes and parents --------------------------------------------------


def test_rejects_a_code_twice_in_the_file(session, city, tmp_path):
    path = write_boundaries(tmp_path / "twice.geojson",
                            [feature(WEST, WEST_BOX), feature(WEST, EAST_BOX)])

    rejected = reject(session, path, codes=[WEST])

    assert rejected.problems == [f"feature 2 (code {WEST}): duplicate code, also feature 1"]


def test_rejects_a_code_already_in_the_database(session, counties, tmp_path):
    """990101 exists; the file brings it again with a new 990103. Neither is written, and
    the existing 990101 keeps its name and geometry."""
    path = write_boundaries(tmp_path / "again.geojson", [
        feature(WEST, rect(100.0, 40.0, 100.05, 40.1), name="New West"),
        feature("990103", rect(100.05, 40.0, 100.1, 40.1)),
    ])

    rejected = reject(session, path, codes=[WEST, "990103"])

    assert rejected.problems == [f"feature code {WEST}: duplicate code, already in the database"]
    assert count_codes(session, [WEST]) == 1
    assert stored(session, WEST).name == f"area {WEST}"
    assert stored_geom(session, WEST).equals(MultiPolygon([WEST_BOX]))


@pytest.mark.parametrize(("code", "expected"), [
    ("99010", "a county code has 6 digits, '99010' has 5"),
    ("990100", "county code '990100' ends in 00, which is its city's code"),
    ("99O101", "code '99O101' must be digits only"),
], ids=["short", "city-code", "letter-O"])
def test_rejects_a_malformed_code(session, city, tmp_path, code, expected):
    path = write_boundaries(tmp_path / "bad_code.geojson",
                            [feature(WEST, WEST_BOX), feature(code, EAST_BOX)])

    rejected = reject(session, path, codes=[WEST, code])

    assert rejected.problems == [f"feature 2 (code {code}): {expected}"]


def test_rejects_a_code_that_does_not_extend_the_given_parent(session, counties, tmp_path):
    path = write_boundaries(tmp_path / "stray.geojson", [
        feature("990101001", WEST_TOWNSHIPS["990101001"]),
        feature("990102001", rect(100.1, 40.0, 100.15, 40.1)),  # belongs to the east county
    ])

    rejected = reject(session, path, codes=["990101001", "990102001"],
                      level=AreaLevel.township, parent_code=WEST)

    assert rejected.problems == [
        f"feature code 990102001: does not extend its parent's code {WEST}"]


def test_rejects_a_code_whose_derived_parent_does_not_exist(session, counties, tmp_path):
    """990109001 implies county 990109, which was never imported."""
    path = write_boundaries(tmp_path / "orphan.geojson", [
        feature("990101001", WEST_TOWNSHIPS["990101001"]),
        feature("990109001", rect(100.05, 40.0, 100.1, 40.1)),
    ])

    rejected = reject(session, path, codes=["990101001", "990109001"],
                      level=AreaLevel.township)

    assert rejected.problems == [
        "feature code 990109001: its parent county 990109 does not exist; "
        "import that level first"]


def test_rejects_a_given_parent_that_does_not_exist(session, counties, tmp_path):
    path = write_boundaries(tmp_path / "townships.geojson",
                            [feature(code, box) for code, box in WEST_TOWNSHIPS.items()])

    rejected = reject(session, path, codes=list(WEST_TOWNSHIPS), level=AreaLevel.township,
                      parent_code="990199")

    assert rejected.problems == ["parent 990199 does not exist"]


def test_rejects_a_given_parent_of_the_wrong_level(session, counties, tmp_path):
    path = write_boundaries(tmp_path / "townships.geojson",
                            [feature(code, box) for code, box in WEST_TOWNSHIPS.items()])

    rejected = reject(session, path, codes=list(WEST_TOWNSHIPS), level=AreaLevel.township,
                      parent_code=CITY)

    assert rejected.problems == [
        f"parent {CITY} is a city; a township's parent is a county"]


def test_rejects_a_parent_for_a_city(session, tmp_path):
    path = write_boundaries(tmp_path / "city.geojson", [feature(CITY, CITY_BOX)])

    rejected = reject(session, path, codes=[CITY], level=AreaLevel.city, parent_code="990000")

    assert rejected.problems == ["a city has no parent, but --parent 990000 was given"]
    assert count_codes(session, [CITY]) == 0


# --- rejections: the file itself ----------------------------------------------------


@pytest.mark.parametrize("missing", ["code", "name"])
def test_rejects_a_file_missing_a_required_attribute(session, city, tmp_path, missing):
    path = write_boundaries(tmp_path / "no_attribute.geojson", [
        {key: value for key, value in feature(WEST, WEST_BOX).items() if key != missing}])
    before = subtree_count(session)

    with pytest.raises(InvalidInput) as caught:
        import_areas(session, path=path, level="county")

    assert caught.value.detail.startswith(
        f"no_attribute.geojson: the attribute(s) {missing} are missing")
    assert_nothing_written(session, [WEST], before)


def test_rejects_a_file_gdal_cannot_read(session, city, tmp_path):
    path = tmp_path / "garbage.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [ {"type": ')
    before = subtree_count(session)

    with pytest.raises(InvalidInput) as caught:
        import_areas(session, path=path, level="county")

    assert caught.value.detail.startswith("garbage.geojson: cannot be read as GeoJSON, "
                                          "Shapefile or GeoPackage")
    assert subtree_count(session) == before


def test_rejects_a_table_without_geometry(session, city, tmp_path):
    """A CSV with code and name is readable by GDAL, but holds no boundaries."""
    path = tmp_path / "table.csv"
    path.write_text(f"code,name\n{WEST},West County\n")
    before = subtree_count(session)

    with pytest.raises(InvalidInput) as caught:
        import_areas(session, path=path, level="county")

    assert "table.csv" in caught.value.detail
    assert subtree_count(session) == before


def test_rejects_a_file_with_no_feature(session, city, tmp_path):
    import geopandas as gpd

    path = tmp_path / "empty.gpkg"
    gpd.GeoDataFrame({"code": [], "name": []}, geometry=gpd.GeoSeries([], crs=4326)).to_file(path)

    with pytest.raises(InvalidInput) as caught:
        import_areas(session, path=path, level="county")

    assert caught.value.detail == "empty.gpkg: the file holds no feature"


def test_a_missing_file_is_not_found(session, tmp_path):
    with pytest.raises(NotFound) as caught:
        import_areas(session, path=tmp_path / "nowhere.geojson", level="county")
    assert "nowhere.geojson" in caught.value.detail


# --- rejections: attribute values ---------------------------------------------------


def test_rejects_a_population_that_is_not_a_number(session, city, tmp_path):
    """A population of 'n/a' must be a rejection naming the feature, not a crash."""
    path = write_boundaries(tmp_path / "population.geojson", [
        feature(WEST, WEST_BOX, population="120000"),
        feature(EAST, EAST_BOX, population="n/a"),
    ])

    rejected = reject(session, path, codes=[WEST, EAST])

    assert len(rejected.problems) == 1
    assert f"code {EAST}" in rejected.problems[0]
    assert "population" in rejected.problems[0]


def test_rejects_a_name_longer_than_the_column(session, city, tmp_path):
    """area.name is VARCHAR(100): a longer name must be a rejection, not a database error."""
    path = write_boundaries(tmp_path / "long_name.geojson", [
        feature(WEST, WEST_BOX), feature(EAST, EAST_BOX, name="东" * 101)])

    rejected = reject(session, path, codes=[WEST, EAST])

    assert len(rejected.problems) == 1
    assert f"code {EAST}" in rejected.problems[0]
    assert "name" in rejected.problems[0]


def test_imports_polygons_with_z_coordinates(session, city, tmp_path):
    """Shapefiles and GeoJSON often carry a z (here 0); the area is stored in 2D."""
    west_z = Polygon([(x, y, 0.0) for x, y in WEST_BOX.exterior.coords])
    path = write_boundaries(tmp_path / "with_z.geojson", [feature(WEST, west_z)])

    import_areas(session, path=path, level="county")

    row = stored(session, WEST)
    assert row.geom_type == "ST_MultiPolygon"
    assert row.area_m2 == pytest.approx(geodesic_area_m2(WEST_BOX), rel=1e-6)


# --- all or nothing -----------------------------------------------------------------


def test_one_bad_feature_among_good_ones_writes_none(session, counties, tmp_path):
    """Five good townships and one outside its county: the late (database) check fails,
    and none of the five good ones is written."""
    good = {f"99010100{i}": rect(100.0 + 0.01 * (i - 1), 40.0, 100.0 + 0.01 * i, 40.1)
            for i in range(1, 6)}
    bad = rect(100.09, 40.0, 100.11, 40.1)  # runs into the east county
    path = write_boundaries(tmp_path / "mostly_good.gpkg",
                            [feature(code, box) for code, box in good.items()]
                            + [feature("990101006", bad)])

    rejected = reject(session, path, codes=[*good, "990101006"], level=AreaLevel.township)

    assert len(rejected.problems) == 1
    assert rejected.problems[0].startswith("feature code 990101006: ")


def test_every_bad_feature_is_listed_and_the_message_is_capped(session, city, tmp_path):
    """25 features without polygons: all 25 in `problems`, 20 in the detail, '5 more'."""
    points = [feature(f"9901{n:02d}", Point(100.1, 40.05)) for n in range(1, 26)]
    path = write_boundaries(tmp_path / "points.geojson", [feature("990130", WEST_BOX), *points])

    rejected = reject(session, path, codes=["990130"] + [f["code"] for f in points])

    assert len(rejected.problems) == 25
    assert [p.split(":")[0] for p in rejected.problems] == [
        f"feature {n + 1} (code 9901{n:02d})" for n in range(1, 26)]
    assert rejected.detail.count("geometry is Point") == MAX_PROBLEMS_SHOWN
    assert rejected.detail.endswith("; and 5 more")
    assert rejected.extra["problems"] == rejected.problems


def test_the_session_stays_usable_after_a_rejection(session, city, tmp_path):
    bad = write_boundaries(tmp_path / "bad.geojson", [feature(WEST, Point(100.05, 40.05))])
    good = write_boundaries(tmp_path / "good.geojson", [feature(WEST, WEST_BOX)])

    with pytest.raises(ImportRejected):
        import_areas(session, path=bad, level="county")
    import_areas(session, path=good, level="county")

    assert count_codes(session, [WEST]) == 1
