"""What the tiles benchmark's methods return: emptiness over the whole session, and the
features of a sample of tiles, decoded with mapbox-vector-tile and counted per method.

gridgov's tiles are not meant to equal the others': below z12 its incidents layer sends
one point per occupied cell of a 32 × 32 grid with the number of incidents it stands for
(`count`), not the incidents; every layer stops at the feature budget (5,000); areas are
simplified to a pixel. So the comparison shows, per zoom, the features each method sent
and, for gridgov's clusters, the incidents they stand for.
"""

from collections import defaultdict

import mapbox_vector_tile
import numpy as np
from rich.table import Table

from bench.tiles_methods import Method
from bench.tiles_sequence import Request


def empty_mismatches(runs) -> list[str]:
    """Tiles a method sent empty while the plain statement had something, per run."""
    lines = []
    for run in runs:
        bare = next(r for r in runs if r.baseline and r.layer == run.layer
                    and r.clients == run.clients)
        if run is bare:
            continue
        missing = int(((bare.sizes > 0) & (run.sizes == 0)).sum())
        if missing:
            lines.append(f"{run.method}, {run.layer}, {run.clients} client(s): {missing} of "
                         f"{int((bare.sizes > 0).sum())} non-empty tiles")
    return lines


def sample_of(sequence: list[Request], per_zoom_count: int,
              non_empty: np.ndarray | None = None) -> list[Request]:
    """`per_zoom_count` requests of each zoom, spread evenly over the session; among the
    tiles where `non_empty` (the plain statement's sizes) is true, where a zoom has any."""
    by_zoom: dict[int, list[tuple[int, Request]]] = defaultdict(list)
    for k, r in enumerate(sequence):
        by_zoom[r.z].append((k, r))
    chosen = []
    for z in sorted(by_zoom):
        group = [r for k, r in by_zoom[z] if non_empty is None or non_empty[k]] \
            or [r for _, r in by_zoom[z]]
        step = max(1, len(group) // per_zoom_count)
        chosen += group[step // 2::step][:per_zoom_count]  # mid-views, not the corners
    return chosen


def counts(data: bytes) -> tuple[int, int]:
    """(features, incidents they stand for: the sum of `count` where there is one)."""
    if not data:
        return 0, 0
    features = stands_for = 0
    for layer in mapbox_vector_tile.decode(data).values():
        for feature in layer["features"]:
            features += 1
            stands_for += int(feature["properties"].get("count", 1))
    return features, stands_for


def compare_sample(methods: list[Method], layers: list[str], sequence: list[Request], *,
                   per_zoom_count: int, runs) -> list[dict]:
    """Per layer and zoom: tiles sampled (non-empty ones by the plain statement in the
    timed runs), and per method the features (and what they stand for), the non-empty
    tiles and the bytes."""
    out = []
    for layer in layers:
        plain = next(r for r in runs if r.baseline and r.layer == layer)
        sample = sample_of(sequence, per_zoom_count, plain.sizes > 0)
        totals: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for method in methods:
            fetch, close = method.open_fetcher()
            try:
                for r in sample:
                    data = fetch(layer, r.z, r.x, r.y)
                    features, stands_for = counts(data)
                    total = totals[(r.z, method.name)]
                    total[0] += features
                    total[1] += stands_for
                    total[2] += bool(data)
                    total[3] += len(data)
            finally:
                close()
        for z in sorted({r.z for r in sample}):
            tiles = sum(1 for r in sample if r.z == z)
            out.append({"layer": layer, "z": z, "tiles": tiles, "methods": {
                m.name: dict(zip(("features", "stands_for", "non_empty", "bytes"),
                                 totals[(z, m.name)], strict=True)) for m in methods}})
    return out


def _cell(figures: dict) -> str:
    text = f"{figures['features']:,}"
    if figures["stands_for"] != figures["features"]:
        text += f" (= {figures['stands_for']:,})"
    return text


def comparison_table(comparison: list[dict]) -> Table:
    names = list(comparison[0]["methods"]) if comparison else []
    t = Table(title="features in a sample of tiles (clusters: = incidents they stand for)",
              title_justify="left")
    for name in ("layer", "z", "tiles", *names):
        t.add_column(name, justify="left" if name == "layer" else "right")
    for row in comparison:
        t.add_row(row["layer"], str(row["z"]), str(row["tiles"]),
                  *(_cell(row["methods"][name]) for name in names))
    return t


def comparison_markdown(comparison: list[dict]) -> str:
    names = list(comparison[0]["methods"]) if comparison else []
    lines = ["| layer | z | tiles | " + " | ".join(names) + " |",
             "|---|--:|--:|" + "--:|" * len(names)]
    for row in comparison:
        lines.append(f"| {row['layer']} | {row['z']} | {row['tiles']} | "
                     + " | ".join(_cell(row["methods"][name]) for name in names) + " |")
    return "\n".join(lines)
