"""A synthetic province of 100,000 grids for the locate benchmark (not test data).

Fast and seeded: the province is a lattice of 400 × 250 cells of about 1.4 km, whose
corners are jittered and whose edges are broken into 1–9 wiggling intermediate points
(so a grid has 8–40 vertices, 24 on average). Each edge is computed once and shared by
the two cells on either side, so the grids tile the province exactly: no gap, no overlap.
Above the grids, recursive uneven splits of the lattice give 14 cities (codes 43xx00),
~120 counties, ~1,800 townships and ~29,000 villages, every one a union of whole cells,
coded after geo/codes.py. Each level is the coverage union of the one below, so parents
and children share their boundary vertices bit for bit.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import Polygon

from geo.demo_names import TOWNSHIP_SUFFIX, VILLAGE_SUFFIX, NameMaker
from geo.store import NewArea

# Hunan's fourteen prefecture-level cities (codes and names are real, shapes are not).
CITIES = [
    ("430100", "长沙市"), ("430200", "株洲市"), ("430300", "湘潭市"), ("430400", "衡阳市"),
    ("430500", "邵阳市"), ("430600", "岳阳市"), ("430700", "常德市"), ("430800", "张家界市"),
    ("430900", "益阳市"), ("431000", "郴州市"), ("431100", "永州市"), ("431200", "怀化市"),
    ("431300", "娄底市"), ("433100", "湘西土家族苗族自治州"),
]
NX, NY = 400, 250                       # lattice columns (west→east) and rows (south→north)
LON0, LAT0 = 108.8, 26.0                # south-west corner
DX, DY = 0.014, 0.0125                  # cell size in degrees (≈ 1.39 km × 1.39 km at 27.5°N)
CORNER_JITTER = 0.22                    # share of a cell a corner may move
EDGE_POINTS = (1, 9)                    # intermediate points per edge, inclusive
EDGE_WIGGLE = 0.05                      # share of a cell an edge point may leave the edge
CELLS_PER_TOWNSHIP = 55
CELLS_PER_VILLAGE = 3.4
SEED = 20240101

Stage = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Block:
    """A rectangle of lattice cells, [x0, x1) × [y0, y1)."""
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def cells(self) -> int:
        return (self.x1 - self.x0) * (self.y1 - self.y0)


def province_areas(*, nx: int = NX, ny: int = NY, seed: int = SEED,
                   stage: Stage | None = None) -> dict[str, list[NewArea]]:
    """Every area of the province by level (parents first within the dict's order)."""
    rng = np.random.default_rng(seed)
    cells = lattice_cells(nx, ny, rng)
    if stage:
        stage("geometry", 1, 1)
    root = Block(0, 0, nx, ny)
    levels: dict[str, list[NewArea]] = {k: [] for k in
                                        ("city", "county", "township", "village", "grid")}
    # Lattice blocks per level, in the same order as levels[...] (grids: one cell each).
    blocks: dict[str, list[Block]] = {k: [] for k in levels}

    city_blocks = reading_sorted(split(root, len(CITIES), rng, jitter=0.35))
    for (city_code, city_name), city_block in zip(CITIES, city_blocks, strict=True):
        levels["city"].append(NewArea(city_code, city_name, "city", None, Polygon()))
        blocks["city"].append(city_block)
        names = NameMaker(rng)  # names are unique within a city (counties) or county
        n_counties = int(rng.integers(5, 13))
        county_blocks = reading_sorted(split(city_block, n_counties, rng, jitter=0.35))
        n_districts = max(1, n_counties // 3)
        for c, county_block in enumerate(county_blocks):
            number = 2 + c if c < n_districts else 21 + c - n_districts
            county_code = f"{city_code[:4]}{number:02d}"
            suffix = "区" if c < n_districts else "县"
            levels["county"].append(NewArea(county_code, names.draw(suffix), "county",
                                            city_code, Polygon()))
            blocks["county"].append(county_block)
            _townships(county_code, county_block, rng, NameMaker(rng), levels, blocks)
        if stage:
            stage("hierarchy", len(levels["city"]), len(CITIES))

    # Geometry, bottom-up: a grid is a cell, everything else the union of its children.
    grid_geoms = [cells[b.y0 * nx + b.x0] for b in blocks["grid"]]
    levels["grid"] = [_with_geom(a, g) for a, g in zip(levels["grid"], grid_geoms, strict=True)]
    below = {a.code: a.geom for a in levels["grid"]}
    for level, child_len in (("village", 12), ("township", 9), ("county", 6), ("city", 6)):
        children: dict[str, list] = {}
        for code, geom in below.items():
            parent = code[:4] + "00" if level == "city" else code[:child_len]
            children.setdefault(parent, []).append(geom)
        done = []
        for i, area in enumerate(levels[level]):
            done.append(_with_geom(area, shapely.coverage_union_all(children[area.code])))
            if stage and (i % 500 == 0 or i == len(levels[level]) - 1):
                stage(f"union {level}", i + 1, len(levels[level]))
        levels[level] = done
        below = {a.code: a.geom for a in done}
    return levels


def _townships(county_code, county_block, rng, names, levels, blocks) -> None:
    n = _count(county_block.cells / CELLS_PER_TOWNSHIP, rng, cap=min(county_block.cells, 399))
    # Suffix ranges (geo/codes.py): 001-099 streets, 100-199 towns, 200-399 townships.
    n_street, n_town = min(99, round(n * 0.2)), min(100, round(n * 0.5))
    if n - n_street - n_town > 200:
        raise ValueError(f"{n} townships in county {county_code}: more than the codes allow")
    for t, township_block in enumerate(reading_sorted(split(county_block, n, rng, 0.3))):
        kind, number = (("street", 1 + t) if t < n_street else
                        ("town", 100 + t - n_street) if t < n_street + n_town else
                        ("township", 200 + t - n_street - n_town))
        code = f"{county_code}{number:03d}"
        levels["township"].append(NewArea(code, names.draw(TOWNSHIP_SUFFIX[kind]), "township",
                                          county_code, Polygon()))
        blocks["township"].append(township_block)
        _villages(code, kind, township_block, rng, names, levels, blocks)


def _villages(township_code, township_kind, township_block, rng, names, levels,
              blocks) -> None:
    n = _count(township_block.cells / CELLS_PER_VILLAGE, rng,
               cap=min(township_block.cells, 399))
    share = {"street": 1.0, "town": 0.3, "township": 0.05}[township_kind]
    n_community = min(199, round(n * share))
    if n - n_community > 200:
        n_community = n - 200
    for v, village_block in enumerate(reading_sorted(split(township_block, n, rng, 0.3))):
        kind, number = ("community", 1 + v) if v < n_community else (
            "village", 200 + v - n_community)
        code = f"{township_code}{number:03d}"
        name = names.draw(VILLAGE_SUFFIX[kind])
        levels["village"].append(NewArea(code, name, "village", township_code, Polygon()))
        blocks["village"].append(village_block)
        # Grids: one cell each, numbered north→south, west→east (GB/T 30428).
        g = 0
        for y in range(village_block.y1 - 1, village_block.y0 - 1, -1):
            for x in range(village_block.x0, village_block.x1):
                g += 1
                levels["grid"].append(NewArea(f"{code}{g:03d}", f"{name}第{g}网格", "grid",
                                              code, Polygon(),
                                              population=int(rng.integers(300, 3000))))
                blocks["grid"].append(Block(x, y, x + 1, y + 1))
        if g > 999:
            raise ValueError(f"village {code} has {g} grids (at most 999)")


def _with_geom(area: NewArea, geom) -> NewArea:
    return NewArea(area.code, area.name, area.level, area.parent_code, geom, area.population)


def _count(mean: float, rng: np.random.Generator, *, cap: int) -> int:
    return int(min(cap, max(1, round(mean * rng.lognormal(0, 0.2)))))


def split(block: Block, k: int, rng: np.random.Generator, jitter: float) -> list[Block]:
    """k rectangles of at least one cell each tiling the block, of roughly equal size."""
    if k == 1:
        return [block]
    if k > block.cells:
        raise ValueError(f"cannot split {block.cells} cells into {k}")
    w, h = block.x1 - block.x0, block.y1 - block.y0
    for axis in sorted("xy", key=lambda a: -(w if a == "x" else h)):
        length, other = (w, h) if axis == "x" else (h, w)
        # Halves first; in a nearly full block, a whole number of rows always fits.
        for k1 in (k // 2, max(1, min(k - 1, other * round(k / 2 / other)))):
            k2 = k - k1
            lo, hi = math.ceil(k1 / other), length - math.ceil(k2 / other)
            if lo > hi:
                continue
            p = round(length * k1 / k * (1 + rng.uniform(-jitter, jitter)))
            p = min(max(p, lo), hi)
            if axis == "x":
                a = Block(block.x0, block.y0, block.x0 + p, block.y1)
                b = Block(block.x0 + p, block.y0, block.x1, block.y1)
            else:
                a = Block(block.x0, block.y0, block.x1, block.y0 + p)
                b = Block(block.x0, block.y0 + p, block.x1, block.y1)
            return split(a, k1, rng, jitter) + split(b, k2, rng, jitter)
    raise ValueError(f"cannot split {block} into {k}")


def reading_sorted(blocks: list[Block]) -> list[Block]:
    """North→south by the block's top row, then west→east."""
    return sorted(blocks, key=lambda b: (-b.y1, b.x0))


def lattice_cells(nx: int, ny: int, rng: np.random.Generator) -> np.ndarray:
    """nx·ny polygons (row-major from the south-west) sharing corners and wiggly edges."""
    ii, jj = np.meshgrid(np.arange(nx + 1), np.arange(ny + 1), indexing="ij")
    cx = LON0 + (ii + rng.uniform(-CORNER_JITTER, CORNER_JITTER, ii.shape)) * DX
    cy = LAT0 + (jj + rng.uniform(-CORNER_JITTER, CORNER_JITTER, jj.shape)) * DY
    corners = np.stack([cx, cy], axis=-1)  # [i, j, xy]

    # Horizontal edges (i, j): corner (i, j) → (i+1, j); vertical (i, j): (i, j) → (i, j+1).
    h_pts, h_off = _edge_points(corners[:-1, :, :], corners[1:, :, :], rng)
    v_pts, v_off = _edge_points(corners[:, :-1, :], corners[:, 1:, :], rng)
    h_shape, v_shape = (nx, ny + 1), (nx + 1, ny)

    def h(i, j):
        e = i * h_shape[1] + j
        return h_pts[h_off[e]:h_off[e + 1]]

    def v(i, j):
        e = i * v_shape[1] + j
        return v_pts[v_off[e]:v_off[e + 1]]

    rings = []
    for j in range(ny):
        for i in range(nx):
            rings.append(np.concatenate([
                corners[i, j][None], h(i, j), corners[i + 1, j][None], v(i + 1, j),
                corners[i + 1, j + 1][None], h(i, j + 1)[::-1], corners[i, j + 1][None],
                v(i, j)[::-1], corners[i, j][None]]))
    lengths = np.array([len(r) for r in rings])
    coords = np.concatenate(rings)
    ring_index = np.repeat(np.arange(len(rings)), lengths)
    polygons = shapely.polygons(shapely.linearrings(coords, indices=ring_index))
    invalid = np.flatnonzero(~shapely.is_valid(polygons))
    if len(invalid):
        raise ValueError(f"{len(invalid)} invalid cells, e.g. {polygons[invalid[0]]}")
    return polygons


def _edge_points(a: np.ndarray, b: np.ndarray, rng: np.random.Generator):
    """Intermediate points of every edge a→b, flattened in edge order, with offsets."""
    a = a.reshape(-1, 2)
    b = b.reshape(-1, 2)
    counts = rng.integers(EDGE_POINTS[0], EDGE_POINTS[1] + 1, len(a))
    offsets = np.concatenate([[0], np.cumsum(counts)])
    edge = np.repeat(np.arange(len(a)), counts)
    t = rng.uniform(0.12, 0.88, len(edge))
    # Sort the fractions within each edge so the points go from a to b.
    order = np.lexsort((t, edge))
    t = t[order]
    direction = b[edge] - a[edge]
    normal = np.stack([-direction[:, 1], direction[:, 0]], axis=1)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    wiggle = rng.uniform(-EDGE_WIGGLE, EDGE_WIGGLE, len(edge))[:, None] * np.array([DX, DY])
    points = a[edge] + t[:, None] * direction + normal * wiggle
    return points, offsets
