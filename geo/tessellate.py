"""Seeded tessellation of a polygon into n cells that tile it exactly.

Used to synthesise townships, villages and grids inside real district boundaries: sample
n points, relax them with a few Lloyd steps so cells are evenly sized, take the Voronoi
diagram and clip it to the parent. Clipping in the parent's own coordinates keeps its
boundary vertices bit for bit, so children tile the parent with no gap and no overlap.
"""

import math

import numpy as np
import shapely
from shapely import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

LLOYD_STEPS = 3


def tessellate(parent: BaseGeometry, n: int, rng: np.random.Generator) -> list[MultiPolygon]:
    """n MultiPolygons tiling `parent`, each the Voronoi cell of a relaxed seed point."""
    if n == 1:
        return [as_multipolygon(parent)]
    # Voronoi in degrees would stretch cells east-west; scale x by cos(latitude).
    x_scale = math.cos(math.radians(parent.centroid.y))
    seeds = sample_points(parent, n, rng)
    for _ in range(LLOYD_STEPS):
        cells = clipped_voronoi(parent, seeds, x_scale)
        seeds = np.array([_inner_centre(cell, seed) for cell, seed in zip(cells, seeds,
                                                                          strict=True)])
    cells = clipped_voronoi(parent, seeds, x_scale)
    return [as_multipolygon(cell) for cell in merge_stray_fragments(cells, seeds)]


def sample_points(parent: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """n distinct uniform random points inside the parent (rejection sampling)."""
    minx, miny, maxx, maxy = parent.bounds
    shapely.prepare(parent)
    found: list[np.ndarray] = []
    count = 0
    while count < n:
        batch = rng.uniform((minx, miny), (maxx, maxy), size=(max(4 * n, 64), 2))
        inside = batch[shapely.contains_xy(parent, batch[:, 0], batch[:, 1])]
        found.append(inside)
        count += len(inside)
    return np.concatenate(found)[:n]


def clipped_voronoi(parent: BaseGeometry, seeds: np.ndarray, x_scale: float) -> list:
    """Voronoi cells of the seeds (in input order), clipped to the parent."""
    scaled = seeds * (x_scale, 1.0)
    minx, miny, maxx, maxy = parent.bounds
    frame = shapely.box(minx * x_scale - 1, miny - 1, maxx * x_scale + 1, maxy + 1)
    diagram = shapely.voronoi_polygons(shapely.multipoints(scaled), extend_to=frame,
                                       ordered=True)
    cells = shapely.get_parts(diagram)
    cells = shapely.transform(cells, lambda xy: xy / (x_scale, 1.0))
    return [_polygonal(shapely.intersection(cell, parent)) for cell in cells]


def merge_stray_fragments(cells: list, seeds: np.ndarray) -> list:
    """Give each piece of a cell cut off from its seed to the neighbour it borders most.

    Clipping a Voronoi cell to a concave parent can leave islands far from the seed: a
    grid in two places is no use to the worker who patrols it.
    """
    cells = list(cells)
    for i, seed in enumerate(seeds):
        parts = shapely.get_parts(cells[i])
        if len(parts) < 2:
            continue
        point = shapely.Point(seed)
        keep = [p for p in parts if p.intersects(point)] or [max(parts, key=lambda p: p.area)]
        tree = STRtree(cells)
        for fragment in parts:
            if any(fragment.equals(k) for k in keep):
                continue
            neighbour = _longest_border_neighbour(fragment, cells, tree, exclude=i)
            if neighbour is None:
                keep.append(fragment)
                continue
            cells[neighbour] = _polygonal(shapely.union(cells[neighbour], fragment))
        cells[i] = _polygonal(shapely.union_all(keep))
    return cells


def _longest_border_neighbour(fragment, cells, tree: STRtree, *, exclude: int) -> int | None:
    best, best_length = None, 0.0
    boundary = fragment.boundary
    for j in tree.query(fragment, predicate="intersects"):
        if j == exclude:
            continue
        length = boundary.intersection(cells[j]).length
        if length > best_length:
            best, best_length = int(j), length
    return best


def _inner_centre(cell: BaseGeometry, fallback: np.ndarray) -> np.ndarray:
    if cell.is_empty:
        return fallback
    centre = cell.centroid
    if not cell.contains(centre):
        centre = cell.point_on_surface()
    return np.array([centre.x, centre.y])


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    return shapely.union_all(parts) if len(parts) > 1 else (parts[0] if parts else Polygon())


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    return MultiPolygon([p for p in shapely.get_parts(geom) if isinstance(p, Polygon)])


def reading_order(geoms: list[BaseGeometry]) -> list[int]:
    """Indices sorted north→south in bands, west→east within a band (GB/T 30428 numbering)."""
    if not geoms:
        return []
    centres = np.array([[g.centroid.x, g.centroid.y] for g in geoms])
    miny, maxy = centres[:, 1].min(), centres[:, 1].max()
    bands = max(1, round(math.sqrt(len(geoms))))
    height = (maxy - miny) / bands or 1.0
    band = np.minimum(((maxy - centres[:, 1]) / height).astype(int), bands - 1)
    return sorted(range(len(geoms)), key=lambda i: (band[i], centres[i, 0]))


def allocate(total: int, weights: np.ndarray, *, minimum: int = 1) -> np.ndarray:
    """Split `total` in proportion to weights, every share at least `minimum`.

    Parts whose proportional share falls below the minimum are raised to it and the rest
    is shared again among the others (so a big village really gets more grids); the
    integer rounding is by largest remainder, so the shares add up to `total` exactly.
    """
    weights = np.asarray(weights, dtype=float)
    if total < minimum * len(weights):
        raise ValueError(f"cannot give {len(weights)} parts at least {minimum} each from {total}")
    pinned = np.zeros(len(weights), dtype=bool)
    while not pinned.all():
        free = total - minimum * pinned.sum()
        exact = np.where(pinned, minimum, weights / weights[~pinned].sum() * free)
        below = ~pinned & (exact < minimum)
        if not below.any():
            break
        pinned |= below
    else:
        exact = np.full(len(weights), float(minimum))
    shares = np.floor(exact).astype(int)
    leftover = total - shares.sum()
    remainders = np.where(pinned, -1.0, exact - shares)
    shares[np.argsort(-remainders, kind="stable")[:leftover]] += 1
    return shares
