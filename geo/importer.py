"""Boundary import: GeoJSON, Shapefile and GeoPackage through GeoPandas/pyogrio.

A file is imported whole or not at all. Every feature is checked first (geometry type,
validity, code, parent, coordinates); only a file with no problem is written, inside a
savepoint, so a failure leaves the caller's transaction exactly as it was.
"""

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from shapely import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.audit import record
from core.errors import InvalidInput, NotFound
from geo.codes import code_extends, code_problem, expected_parent_code
from geo.crs import SourceCrs, geometry_to_wgs84, parse_crs
from geo.enums import AreaLevel
from geo.store import NewArea, Progress, existing_codes, insert_areas

MAX_PROBLEMS_SHOWN = 20
MAX_NAME_LENGTH = 100  # the area.name column


@dataclass
class ImportReport:
    path: str
    level: str
    crs: str
    imported: int
    codes: list[str] = field(default_factory=list)


class ImportRejected(InvalidInput):
    """The file was rejected; `problems` names each feature at fault."""

    title = "Boundary file rejected"

    def __init__(self, path: str, problems: list[str]) -> None:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        detail = f"{Path(path).name}: nothing imported; " + "; ".join(shown)
        if more:
            detail += f"; and {more} more"
        super().__init__(detail, problems=problems)
        self.problems = problems


def import_areas(
    session: Session,
    *,
    path: str | Path,
    level: AreaLevel | str,
    crs: str | None = None,
    parent_code: str | None = None,
    tolerance_m2: float = 1.0,
    progress: Progress | None = None,
    actor: str = "system",
) -> ImportReport:
    level = AreaLevel(level)
    frame = read_boundaries(path)
    source = declared_crs(frame, crs)
    areas, problems = prepare_features(frame, level=level, source=source)
    problems += check_parents(session, areas, level=level, parent_code=parent_code)
    problems += check_duplicates_in_database(session, areas)
    if not problems:
        problems += check_inside_parents(session, areas, tolerance_m2=tolerance_m2)
    if problems:
        raise ImportRejected(str(path), problems)
    try:
        with session.begin_nested():
            insert_areas(session, areas, progress=progress)
    except IntegrityError as exc:
        # Another import committed some of these codes after our duplicate check.
        raise ImportRejected(str(path), [f"duplicate code, imported concurrently: "
                                         f"{exc.orig.diag.message_detail}"]) from exc
    record(session, actor=actor, action="areas.import", subject_type="file",
           subject_id=Path(path).name, after={"level": str(level), "crs": source.name,
                                              "count": len(areas),
                                              "codes": [a.code for a in areas]})
    return ImportReport(
        path=str(path), level=str(level), crs=source.name, imported=len(areas),
        codes=[area.code for area in areas],
    )


def read_boundaries(path: str | Path) -> gpd.GeoDataFrame:
    path = Path(path)
    if not path.exists():
        raise NotFound(f"no such file: {path}")
    try:
        frame = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # GDAL reports unreadable files with many exception types
        raise InvalidInput(f"{path.name}: cannot be read as GeoJSON, Shapefile or "
                           f"GeoPackage ({exc})") from exc
    missing = [column for column in ("code", "name") if column not in frame.columns]
    if missing:
        raise InvalidInput(f"{path.name}: the attribute(s) {', '.join(missing)} are missing; "
                           "every feature needs a code and a name")
    if not isinstance(frame, gpd.GeoDataFrame) or "geometry" not in frame.columns:
        raise InvalidInput(f"{path.name}: holds no geometry (a table is not a boundary file)")
    if frame.empty:
        raise InvalidInput(f"{path.name}: the file holds no feature")
    return frame


def declared_crs(frame: gpd.GeoDataFrame, crs: str | None) -> SourceCrs:
    """The declared CRS wins; else the file's own; else WGS84, as RFC 7946 says."""
    if crs:
        return parse_crs(crs)
    if frame.crs is not None:
        epsg = CRS(frame.crs).to_epsg()
        return parse_crs(f"EPSG:{epsg}" if epsg else frame.crs.to_wkt())
    return parse_crs(None)


def prepare_features(
    frame: gpd.GeoDataFrame, *, level: AreaLevel, source: SourceCrs
) -> tuple[list[NewArea], list[str]]:
    """Every feature as a NewArea in WGS84, or the problems found, each naming its feature."""
    areas: list[NewArea] = []
    problems: list[str] = []
    first_seen: dict[str, int] = {}
    for number, row in enumerate(frame.itertuples(index=False), start=1):
        code = _text(row.code)
        label = f"feature {number} (code {code or '?'})"
        if code in first_seen:
            problems.append(f"{label}: duplicate code, also feature {first_seen[code]}")
            continue
        first_seen[code] = number
        outcome = _prepare_feature(row, code=code, level=level, source=source)
        if isinstance(outcome, str):
            problems.append(f"{label}: {outcome}")
        else:
            areas.append(outcome)
    return areas, problems


def _prepare_feature(row, *, code: str, level: AreaLevel, source: SourceCrs) -> NewArea | str:
    """The feature as a NewArea, or what is wrong with it."""
    problem = code_problem(code, level)
    if problem:
        return problem
    name = _text(row.name) or code
    if len(name) > MAX_NAME_LENGTH:
        return f"name is {len(name)} characters long, at most {MAX_NAME_LENGTH} are allowed"
    population = _text(getattr(row, "population", None))
    if population and not population.isdigit():
        return f"population {population!r} is not a whole number of people"
    geom, problem = _polygonal(row.geometry)
    if problem:
        return problem
    geom = geometry_to_wgs84(geom, source)
    problem = _coordinate_problem(geom)
    if problem:
        return f"{problem} (is the CRS {source.name} right?)"
    return NewArea(code=code, name=name, level=str(level),
                   parent_code=expected_parent_code(code, level), geom=geom,
                   population=int(population) if population else None)


def _polygonal(geom: BaseGeometry | None) -> tuple[MultiPolygon | None, str | None]:
    """A valid two-dimensional MultiPolygon, repaired when GEOS can; or why not."""
    if geom is None or geom.is_empty:
        return None, "geometry is empty"
    if not isinstance(geom, Polygon | MultiPolygon):
        return None, f"geometry is {geom.geom_type}, expected Polygon or MultiPolygon"
    geom = shapely.force_2d(geom)  # heights from survey files mean nothing to an area
    if not geom.is_valid:
        reason = explain_validity(geom)
        repaired = _polygon_parts(shapely.make_valid(geom))
        if repaired is None or repaired.area < geom.area * 1e-6:
            return None, f"invalid ring that cannot be repaired ({reason})"
        geom = repaired
    return (geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])), None


def _polygon_parts(geom: BaseGeometry) -> MultiPolygon | None:
    parts = [
        part for part in shapely.get_parts(geom)
        if isinstance(part, Polygon | MultiPolygon) and not part.is_empty
    ]
    polygons = [p for part in parts for p in shapely.get_parts(part)]
    return MultiPolygon(polygons) if polygons else None


def _coordinate_problem(geom: BaseGeometry) -> str | None:
    coords = shapely.get_coordinates(geom)
    if not np.all(np.isfinite(coords)):
        return "coordinates are not finite numbers"
    if np.any(np.abs(coords[:, 0]) > 180) or np.any(np.abs(coords[:, 1]) > 90):
        return "coordinates fall outside longitude ±180 / latitude ±90 after conversion"
    return None


def check_parents(
    session: Session, areas: list[NewArea], *, level: AreaLevel, parent_code: str | None
) -> list[str]:
    """Every feature's code must extend its parent's, and the parent must exist."""
    if level.parent is None:
        return [f"a city has no parent, but --parent {parent_code} was given"] if parent_code \
            else []
    problems: list[str] = []
    if parent_code:
        parent_level = _level_of(session, parent_code)
        if parent_level is None:
            return [f"parent {parent_code} does not exist"]
        if parent_level is not level.parent:
            return [f"parent {parent_code} is a {parent_level}; a {level}'s parent is a "
                    f"{level.parent}"]
        strays = [a for a in areas if not code_extends(a.code, parent_code, parent_level)]
        problems += [f"feature code {a.code}: does not extend its parent's code {parent_code}"
                     for a in strays]
        areas = [a for a in areas if a not in strays]
    known = _codes_at_level(session, {a.parent_code for a in areas}, level.parent)
    problems += [
        f"feature code {a.code}: its parent {level.parent} {a.parent_code} does not exist; "
        "import that level first"
        for a in areas if a.parent_code not in known
    ]
    return problems


def check_duplicates_in_database(session: Session, areas: list[NewArea]) -> list[str]:
    taken = existing_codes(session, [area.code for area in areas])
    return [f"feature code {code}: duplicate code, already in the database"
            for code in sorted(taken)]


_OUTSIDE_PARENT = text(
    """
    SELECT f.code, ST_Area(ST_Difference(f.g, p.geom, 1e-9)::geography) AS outside_m2,
           ST_X(ST_PointOnSurface(ST_Difference(f.g, p.geom, 1e-9))) AS lon,
           ST_Y(ST_PointOnSurface(ST_Difference(f.g, p.geom, 1e-9))) AS lat
    FROM (SELECT code, parent_code, ST_GeomFromWKB(wkb, 4326) AS g
          FROM unnest(CAST(:codes AS text[]), CAST(:parents AS text[]), CAST(:wkbs AS bytea[]))
               AS t(code, parent_code, wkb)) AS f
    JOIN area p ON p.code = f.parent_code
    WHERE NOT ST_CoveredBy(f.g, p.geom)
    """
)


def check_inside_parents(
    session: Session, areas: list[NewArea], *, tolerance_m2: float
) -> list[str]:
    """A child may stick out of its parent only by floating-point noise."""
    with_parent = [area for area in areas if area.parent_code]
    if not with_parent:
        return []
    rows = session.execute(_OUTSIDE_PARENT, {
        "codes": [a.code for a in with_parent],
        "parents": [a.parent_code for a in with_parent],
        "wkbs": [shapely.to_wkb(a.geom) for a in with_parent],
    })
    return [
        f"feature code {row.code}: {row.outside_m2:,.1f} m² lies outside its parent "
        f"(near {row.lon:.6f}, {row.lat:.6f})"
        for row in rows if row.outside_m2 > tolerance_m2
    ]


def _level_of(session: Session, code: str) -> AreaLevel | None:
    level = session.execute(text("SELECT level FROM area WHERE code = :code"),
                            {"code": code}).scalar()
    return AreaLevel(level) if level else None


def _codes_at_level(session: Session, codes: set[str | None], level: AreaLevel) -> set[str]:
    rows = session.execute(
        text("SELECT code FROM area WHERE code = ANY(:codes) AND level = :level"),
        {"codes": [c for c in codes if c], "level": str(level)},
    )
    return {row.code for row in rows}


def _text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
