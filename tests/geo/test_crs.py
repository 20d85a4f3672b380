"""geo/crs.py: GCJ-02 and BD-09 against an independent implementation, and parse_crs.

The reference is `eviltransform` (a separate implementation of the same published
formulas; its functions take and return (lat, lng)). Distances are geodesic on WGS84.
"""

import eviltransform
import numpy as np
import pytest
from pyproj import Geod, Transformer

from core.errors import InvalidInput
from geo.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    geometry_to_wgs84,
    lonlat_to_wgs84,
    parse_crs,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")

# Every 1.5° across GCJ-02's bounding box (lon 72.004–137.8347, lat 0.8293–55.8271):
# 44 × 37 = 1,628 points.
_LON, _LAT = np.meshgrid(np.arange(73.0, 137.5, 1.5), np.arange(1.0, 55.5, 1.5))
GRID_LON, GRID_LAT = _LON.ravel(), _LAT.ravel()

# Published test vectors of the eviltransform project (WGS-84 -> GCJ-02), (lat, lng).
REFERENCE_PAIRS = {
    "shanghai": ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    "shenzhen": ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    "beijing": ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
}

OUTSIDE_CHINA = {  # (lon, lat)
    "tokyo": (139.6917, 35.6895),
    "london": (-0.1276, 51.5072),
    "new york": (-74.006, 40.7128),
    "moscow": (37.6173, 55.7558),
    "jakarta": (106.8456, -6.2088),
    "sydney": (151.2093, -33.8688),
}


def distance_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.abs(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def reference(function, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Apply an eviltransform (lat, lng) function pointwise; return (lon, lat) arrays."""
    out = np.array([function(y, x) for x, y in zip(lon, lat, strict=True)])
    return out[:, 1], out[:, 0]


# --- forward ------------------------------------------------------------------------


def test_wgs84_to_gcj02_matches_eviltransform_across_china():
    lon, lat = wgs84_to_gcj02(GRID_LON, GRID_LAT)
    ref_lon, ref_lat = reference(eviltransform.wgs2gcj, GRID_LON, GRID_LAT)
    assert distance_m(lon, lat, ref_lon, ref_lat).max() < 1.0


def test_gcj02_offset_is_hundreds_of_metres_inside_china():
    """Guards the comparison above: the shift itself is large, so agreement means something."""
    lon, lat = wgs84_to_gcj02(GRID_LON, GRID_LAT)
    shift = distance_m(GRID_LON, GRID_LAT, lon, lat)
    assert shift.min() > 10
    assert np.median(shift) > 100
    assert shift.max() < 2_000


@pytest.mark.parametrize("place", sorted(REFERENCE_PAIRS))
def test_wgs84_to_gcj02_reproduces_published_pairs(place):
    (wgs_lat, wgs_lng), (gcj_lat, gcj_lng) = REFERENCE_PAIRS[place]
    lon, lat = wgs84_to_gcj02(wgs_lng, wgs_lat)
    assert distance_m(lon, lat, gcj_lng, gcj_lat) < 1.0


@pytest.mark.parametrize("place", sorted(REFERENCE_PAIRS))
def test_gcj02_to_wgs84_reproduces_published_pairs(place):
    (wgs_lat, wgs_lng), (gcj_lat, gcj_lng) = REFERENCE_PAIRS[place]
    lon, lat = gcj02_to_wgs84(gcj_lng, gcj_lat)
    assert distance_m(lon, lat, wgs_lng, wgs_lat) < 1.0


def test_wgs84_to_bd09_matches_eviltransform_across_china():
    lon, lat = wgs84_to_bd09(GRID_LON, GRID_LAT)
    ref_lon, ref_lat = reference(eviltransform.wgs2bd, GRID_LON, GRID_LAT)
    assert distance_m(lon, lat, ref_lon, ref_lat).max() < 1.0


def test_gcj02_to_bd09_matches_eviltransform_across_china():
    gcj_lon, gcj_lat = wgs84_to_gcj02(GRID_LON, GRID_LAT)
    lon, lat = gcj02_to_bd09(gcj_lon, gcj_lat)
    ref_lon, ref_lat = reference(eviltransform.gcj2bd, gcj_lon, gcj_lat)
    assert distance_m(lon, lat, ref_lon, ref_lat).max() < 1.0


# --- inverse ------------------------------------------------------------------------


def test_gcj02_to_wgs84_lands_back_under_eviltransforms_forward():
    """The inverse, checked by the definition of an inverse with the independent forward."""
    gcj_lon, gcj_lat = wgs84_to_gcj02(GRID_LON, GRID_LAT)
    lon, lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    again_lon, again_lat = reference(eviltransform.wgs2gcj, lon, lat)
    assert distance_m(again_lon, again_lat, gcj_lon, gcj_lat).max() < 1.0


def test_gcj02_to_wgs84_matches_eviltransform_exact_where_that_converged():
    """eviltransform's bisection stops at 1e-6° or after 30 steps; where its own answer does
    not map back onto the input (it failed to converge), it is no reference, so those few
    points are left out, and the test insists that at least 99% are kept."""
    gcj_lon, gcj_lat = wgs84_to_gcj02(GRID_LON, GRID_LAT)
    lon, lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    ref_lon, ref_lat = reference(eviltransform.gcj2wgs_exact, gcj_lon, gcj_lat)
    back_lon, back_lat = reference(eviltransform.wgs2gcj, ref_lon, ref_lat)
    converged = (np.abs(back_lon - gcj_lon) < 2e-6) & (np.abs(back_lat - gcj_lat) < 2e-6)
    assert converged.mean() > 0.99
    assert distance_m(lon, lat, ref_lon, ref_lat)[converged].max() < 1.0


def test_bd09_to_wgs84_lands_back_under_eviltransforms_forward():
    bd_lon, bd_lat = wgs84_to_bd09(GRID_LON, GRID_LAT)
    lon, lat = bd09_to_wgs84(bd_lon, bd_lat)
    again_lon, again_lat = reference(eviltransform.wgs2bd, lon, lat)
    assert distance_m(again_lon, again_lat, bd_lon, bd_lat).max() < 1.0
    assert distance_m(lon, lat, GRID_LON, GRID_LAT).max() < 1.0


def test_bd09_to_gcj02_matches_eviltransform_across_china():
    bd_lon, bd_lat = wgs84_to_bd09(GRID_LON, GRID_LAT)
    lon, lat = bd09_to_gcj02(bd_lon, bd_lat)
    ref_lon, ref_lat = reference(eviltransform.bd2gcj, bd_lon, bd_lat)
    assert distance_m(lon, lat, ref_lon, ref_lat).max() < 1.0


# --- round trips --------------------------------------------------------------------


@pytest.mark.parametrize(("forward", "inverse"), [
    (wgs84_to_gcj02, gcj02_to_wgs84),
    (wgs84_to_bd09, bd09_to_wgs84),
    (gcj02_to_bd09, bd09_to_gcj02),
], ids=["wgs-gcj-wgs", "wgs-bd-wgs", "gcj-bd-gcj"])
def test_round_trip_error_is_under_a_millimetre(forward, inverse):
    lon, lat = inverse(*forward(GRID_LON, GRID_LAT))
    assert distance_m(lon, lat, GRID_LON, GRID_LAT).max() < 1e-3


def test_conversions_keep_the_shape_of_their_input():
    lon, lat = wgs84_to_gcj02(_LON, _LAT)
    assert lon.shape == lat.shape == _LON.shape
    lon, lat = gcj02_to_wgs84(116.4, 39.9)
    assert np.ndim(lon) == 0 and np.ndim(lat) == 0


# --- outside China ------------------------------------------------------------------


@pytest.mark.parametrize("place", sorted(OUTSIDE_CHINA))
def test_gcj02_leaves_points_outside_china_unchanged(place):
    lon, lat = OUTSIDE_CHINA[place]
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)
    assert eviltransform.wgs2gcj(lat, lon) == (lat, lon)  # the reference agrees


@pytest.mark.parametrize("place", sorted(OUTSIDE_CHINA))
def test_bd09_round_trips_outside_china(place):
    lon, lat = OUTSIDE_CHINA[place]
    back_lon, back_lat = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert distance_m(back_lon, back_lat, lon, lat) < 1e-3


# --- parse_crs and declared-CRS conversion ------------------------------------------


@pytest.mark.parametrize(("given", "name"), [
    ("EPSG:4490", "EPSG:4490"),
    ("epsg:4490", "EPSG:4490"),
    ("4326", "EPSG:4326"),
    (4326, "EPSG:4326"),
    (" EPSG:4326 ", "EPSG:4326"),
    (None, "EPSG:4326"),
    ("", "EPSG:4326"),
])
def test_parse_crs_reads_wgs84_and_cgcs2000_as_wgs84(given, name):
    source = parse_crs(given)
    assert source.name == name
    assert source.is_wgs84


@pytest.mark.parametrize(("given", "name"), [
    ("gcj02", "gcj02"), ("GCJ-02", "gcj02"), ("gcj", "gcj02"),
    ("bd09", "bd09"), ("BD-09", "bd09"), ("bd09ll", "bd09"),
])
def test_parse_crs_knows_the_chinese_offsets(given, name):
    source = parse_crs(given)
    assert source.name == name
    assert source.crs is None
    assert not source.is_wgs84


def test_parse_crs_reads_a_projected_cgcs2000_crs():
    source = parse_crs("EPSG:4547")
    assert source.name == "EPSG:4547"
    assert "Gauss-Kruger CM 114E" in source.crs.name
    assert not source.is_wgs84


@pytest.mark.parametrize("given", ["EPSG:999999", "999999", "foo", "gcj03", "EPSG:"])
def test_parse_crs_rejects_unknown_crs(given):
    with pytest.raises(InvalidInput) as caught:
        parse_crs(given)
    assert "unknown CRS" in caught.value.detail
    assert repr(given) in caught.value.detail
    assert caught.value.extra["crs"] == given


def test_projected_coordinates_convert_like_pyproj():
    # Changsha (lon 112.94, lat 28.23) in CGCS2000 / 3-degree GK CM 114E, by pyproj itself.
    x, y = Transformer.from_crs(4490, 4547, always_xy=True).transform(112.94, 28.23)
    assert 300_000 < x < 500_000  # west of the central meridian's 500 km false easting
    lon, lat = lonlat_to_wgs84(x, y, parse_crs("EPSG:4547"))
    assert distance_m(lon, lat, 112.94, 28.23) < 1e-3


def test_wgs84_coordinates_pass_through_untouched():
    lon, lat = lonlat_to_wgs84([112.94], [28.23], parse_crs("EPSG:4490"))
    assert (lon[0], lat[0]) == (112.94, 28.23)


def test_geometry_to_wgs84_converts_every_vertex_from_gcj02():
    from shapely import Polygon

    ring = [(112.90, 28.20), (112.95, 28.20), (112.95, 28.25), (112.90, 28.25)]
    gcj_ring = [tuple(map(float, wgs84_to_gcj02(x, y))) for x, y in ring]
    converted = geometry_to_wgs84(Polygon(gcj_ring), parse_crs("gcj02"))
    for (x, y), (cx, cy) in zip(ring, list(converted.exterior.coords)[:-1], strict=True):
        assert distance_m(cx, cy, x, y) < 1e-3
