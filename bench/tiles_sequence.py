"""A recorded pan-and-zoom session over the bench province, as the tile requests a map
client makes (bench/tiles.py times them).

    .venv/bin/python bench/tiles_sequence.py              # the tiles per zoom
    .venv/bin/python bench/tiles_sequence.py --json FILE  # the whole sequence

The session is a seeded script of views of a 1280 × 800 px map: the whole province at
z8; for each of `cities` places, zoom in step by step (z9 … z12, as a wheel does) onto a
random point of the province, pan around at z12, zoom in to z16 onto a nearby grid, pan
around there and at z15, zoom back out to z11, pan once more, and on to the next place.

Each view becomes the 256 px Web Mercator tiles that cover it (Leaflet's GridLayer: the
visible tiles, no margin). A pan requests only the tiles that the previous view did not
show, since the client keeps the tiles of the zoom it is on; a zoom change requests every
tile of the new view, since the tiles of other zooms were pruned (no browser cache: the
first visit of a session). The same seed gives the same sequence, whatever the data.
"""

import argparse
import json
import math
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.province import DX, DY, LAT0, LON0, NX, NY  # noqa: E402

WIDTH, HEIGHT = 1280, 800  # the map's viewport in CSS pixels
TILE = 256
SEED = 20261123
# The province's rectangle (bench/province.py: a lattice of NX × NY cells from LON0, LAT0).
WEST, SOUTH, EAST, NORTH = LON0, LAT0, LON0 + NX * DX, LAT0 + NY * DY


@dataclass(frozen=True)
class View:
    step: str      # what the user did: "start", "zoom in", "pan", "zoom out"
    zoom: int
    lon: float     # the centre
    lat: float


@dataclass(frozen=True)
class Request:
    view: int      # index of the view that asked for it
    z: int
    x: int
    y: int


def world_pixel(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel coordinates of a point at a zoom (256 px tiles)."""
    size = TILE * 2 ** zoom
    sin = math.sin(math.radians(lat))
    return ((lon + 180) / 360 * size,
            (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * size)


def lon_lat(px: float, py: float, zoom: int) -> tuple[float, float]:
    size = TILE * 2 ** zoom
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / size))))
    return px / size * 360 - 180, lat


def covering_tiles(view: View) -> list[tuple[int, int, int]]:
    """The tiles a WIDTH × HEIGHT viewport centred there shows, row by row."""
    cx, cy = world_pixel(view.lon, view.lat, view.zoom)
    last = 2 ** view.zoom - 1
    x0, x1 = math.floor((cx - WIDTH / 2) / TILE), math.floor((cx + WIDTH / 2 - 1) / TILE)
    y0, y1 = math.floor((cy - HEIGHT / 2) / TILE), math.floor((cy + HEIGHT / 2 - 1) / TILE)
    return [(view.zoom, x, y) for y in range(max(0, y0), min(last, y1) + 1)
            for x in range(max(0, x0), min(last, x1) + 1)]


def _inside(lon: float, lat: float, margin: float = 0.02) -> tuple[float, float]:
    """The point moved into the province (a user pans back towards the data)."""
    return (min(max(lon, WEST + margin), EAST - margin),
            min(max(lat, SOUTH + margin), NORTH - margin))


def _pan(rng: np.random.Generator, view: View) -> View:
    """A drag of 250–600 px in a random direction."""
    distance, angle = rng.uniform(250, 600), rng.uniform(0, 2 * math.pi)
    px, py = world_pixel(view.lon, view.lat, view.zoom)
    lon, lat = _inside(*lon_lat(px + distance * math.cos(angle),
                                py + distance * math.sin(angle), view.zoom))
    return View("pan", view.zoom, lon, lat)


def _zoom_towards(view: View, zoom: int, lon: float, lat: float, share: float) -> View:
    """One wheel step: the centre moves `share` of the way to the target."""
    return View("zoom in" if zoom > view.zoom else "zoom out", zoom,
                view.lon + (lon - view.lon) * share, view.lat + (lat - view.lat) * share)


def views(*, cities: int = 3, seed: int = SEED) -> list[View]:
    """The scripted session (see the module docstring)."""
    rng = np.random.default_rng(seed)
    current = View("start", 8, (WEST + EAST) / 2, (SOUTH + NORTH) / 2)
    script = [current]

    def go(view: View) -> None:
        nonlocal current
        current = view
        script.append(view)

    for _ in range(cities):
        if current.zoom > 8:
            go(View("zoom out", 8, current.lon, current.lat))
        lon, lat = rng.uniform(WEST + 0.3, EAST - 0.3), rng.uniform(SOUTH + 0.3, NORTH - 0.3)
        for zoom, share in ((9, 0.5), (10, 0.8), (11, 0.95), (12, 1.0)):
            go(_zoom_towards(current, zoom, lon, lat, share))
        for _ in range(4):
            go(_pan(rng, current))
        # A grid a few kilometres from the centre: zoom onto it.
        lon, lat = _inside(current.lon + rng.uniform(-0.05, 0.05),
                           current.lat + rng.uniform(-0.04, 0.04))
        for zoom, share in ((13, 0.6), (14, 0.9), (15, 1.0), (16, 1.0)):
            go(_zoom_towards(current, zoom, lon, lat, share))
        for _ in range(6):
            go(_pan(rng, current))
        go(View("zoom out", 15, current.lon, current.lat))
        for _ in range(3):
            go(_pan(rng, current))
        for zoom in (14, 13, 12, 11):
            go(View("zoom out", zoom, current.lon, current.lat))
        go(_pan(rng, current))
    return script


def requests(script: list[View]) -> list[Request]:
    """The tile requests of the session, in order (see the module docstring)."""
    out: list[Request] = []
    shown: set[tuple[int, int, int]] = set()
    for k, view in enumerate(script):
        tiles = covering_tiles(view)
        out += [Request(k, *tile) for tile in tiles if tile not in shown]
        shown = set(tiles)
    return out


def per_zoom(sequence: list[Request]) -> dict[int, int]:
    return dict(sorted(Counter(r.z for r in sequence).items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cities", type=int, default=3)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", type=Path, help="write the views and the requests there")
    args = parser.parse_args(argv)
    script = views(cities=args.cities, seed=args.seed)
    sequence = requests(script)
    distinct = len({(r.z, r.x, r.y) for r in sequence})
    print(f"{len(script)} views, {len(sequence)} tile requests per layer "
          f"({distinct} distinct): per zoom {per_zoom(sequence)}")
    if args.json:
        args.json.write_text(json.dumps(
            {"seed": args.seed, "cities": args.cities, "viewport": [WIDTH, HEIGHT],
             "views": [vars(v) for v in script], "requests": [vars(r) for r in sequence]},
            indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
