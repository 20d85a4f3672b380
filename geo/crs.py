"""Coordinate reference systems: EPSG codes through PROJ, plus China's GCJ-02 and BD-09.

GCJ-02 ("Mars coordinates", used by Amap, Tencent and every map licensed in China) and
BD-09 (Baidu) are obfuscations of WGS84, not datums: PROJ does not know them. We apply
the published forward formulas and invert them by fixed-point iteration, which converges
to well under a millimetre in a few steps. Everything is vectorised over numpy arrays so
a whole boundary file converts in one call.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from core.errors import InvalidInput

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 algorithm uses it
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_INVERSE_TOLERANCE_DEG = 1e-10  # ~0.01 mm
_INVERSE_MAX_STEPS = 30


def _outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """GCJ-02 leaves points outside China's rough bounding box unshifted."""
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    outside = _outside_china(lon, lat)
    return np.where(outside, 0.0, d_lon), np.where(outside, 0.0, d_lat)


def wgs84_to_gcj02(lon, lat):
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    d_lon, d_lat = _gcj_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_bd09(lon, lat):
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_approx(lon, lat):
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(forward, lon, lat, first_guess):
    """Solve forward(x) = target by fixed-point iteration from a first guess."""
    target_lon, target_lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    guess_lon, guess_lat = first_guess
    for _ in range(_INVERSE_MAX_STEPS):
        fwd_lon, fwd_lat = forward(guess_lon, guess_lat)
        err_lon, err_lat = fwd_lon - target_lon, fwd_lat - target_lat
        guess_lon, guess_lat = guess_lon - err_lon, guess_lat - err_lat
        if np.all(np.abs(err_lon) < _INVERSE_TOLERANCE_DEG) and np.all(
            np.abs(err_lat) < _INVERSE_TOLERANCE_DEG
        ):
            break
    return guess_lon, guess_lat


def gcj02_to_wgs84(lon, lat):
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return _invert(wgs84_to_gcj02, lon, lat, (lon, lat))


def bd09_to_gcj02(lon, lat):
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return _invert(gcj02_to_bd09, lon, lat, _bd09_to_gcj02_approx(lon, lat))


def bd09_to_wgs84(lon, lat):
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon, lat):
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


# --- declared source CRS ------------------------------------------------------------

CHINESE_OFFSETS = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_ALIASES = {"gcj-02": "gcj02", "gcj": "gcj02", "bd-09": "bd09", "bd09ll": "bd09"}


@dataclass(frozen=True)
class SourceCrs:
    """A CRS a user may declare: an EPSG (or any PROJ-known) CRS, or gcj02 / bd09."""

    name: str
    crs: CRS | None = None  # None for the Chinese offsets, which PROJ does not know

    @property
    def is_wgs84(self) -> bool:
        # CGCS2000 (EPSG:4490) equals WGS84 within a metre, which is what DESIGN.md allows.
        return self.crs is not None and self.crs.to_epsg() in (4326, 4490)


@lru_cache(maxsize=64)
def parse_crs(text: str | int | None) -> SourceCrs:
    """Parse 'EPSG:4547', '4547', 'gcj02', 'bd09', a WKT or PROJ string; default WGS84."""
    if text is None or str(text).strip() == "":
        return SourceCrs("EPSG:4326", CRS.from_epsg(4326))
    key = str(text).strip().lower()
    key = _ALIASES.get(key, key)
    if key in CHINESE_OFFSETS:
        return SourceCrs(key)
    try:
        crs = CRS.from_epsg(int(key)) if key.isdigit() else CRS.from_user_input(str(text).strip())
    except (CRSError, ValueError) as exc:
        raise InvalidInput(
            f"unknown CRS {text!r}: give an EPSG code (e.g. EPSG:4490), gcj02 or bd09",
            crs=str(text),
        ) from exc
    epsg = crs.to_epsg()
    return SourceCrs(f"EPSG:{epsg}" if epsg else crs.name, crs)


@lru_cache(maxsize=64)
def _transformer(crs: CRS) -> Transformer:
    return Transformer.from_crs(crs, 4326, always_xy=True)


def lonlat_to_wgs84(x, y, source: SourceCrs):
    """Convert coordinate arrays from the source CRS to WGS84 (lon, lat)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if source.name in CHINESE_OFFSETS:
        return CHINESE_OFFSETS[source.name](x, y)
    if source.is_wgs84:
        return x, y
    return _transformer(source.crs).transform(x, y)


def geometry_to_wgs84(geom: BaseGeometry, source: SourceCrs) -> BaseGeometry:
    """Convert every vertex of a geometry from the source CRS to WGS84."""
    if source.is_wgs84:
        return geom

    def convert(coords: np.ndarray) -> np.ndarray:
        lon, lat = lonlat_to_wgs84(coords[:, 0], coords[:, 1], source)
        return np.column_stack([lon, lat])

    return shapely.transform(geom, convert)
