"""What a map layer declares: every output (vector tiles, GeoJSON pages, OGC API
Features, exports) reads a layer through its declaration, and nothing else.

A declaration names the layer's tables, geometry, key, properties, filters (with their
vocabularies), time column, tile rules (the fenced spatial source, clustering, priority)
and how the caller's territory (core/scope.py) becomes a condition in the query. The SQL is
written with psycopg's %(name)s placeholders, so the API's async pool and a SQLAlchemy
session (`exec_driver_sql`) run the very same text. A platform declares its layers in its
own `layers.py` and registers them (geo/layers/registry.py).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from core.scope import Scope
from core.users.enums import Permission


@dataclass(frozen=True)
class Filter:
    """A property filter a layer accepts: its SQL condition, how a value binds to it, and
    the values it accepts (checked before any SQL runs, and described by /queryables)."""

    sql: str
    bind: Callable[[object], dict]
    title: str = ""  # the property's label, in the domain's words (状态, 级别 ...)
    description: str = ""  # what a value means, in English, for the API documentation
    # The vocabulary: every allowed value with its label (None: a free value, see pattern).
    values: Mapping[str, str] | None = None
    # Several values at once (repeated, or separated by commas): a tuple reaches `bind`.
    many: bool = False
    # A free value's shape (a Python regular expression, matched whole) and what to say
    # when a value does not have it.
    pattern: str | None = None
    hint: str = ""


@dataclass(frozen=True)
class Cluster:
    """Points drawn, below a zoom, as one point per cell of a grid over the tile, at the
    mean of its points, with their `count` and the `counts` declared here. Each point
    counts in exactly one tile (half-open cells)."""

    below: int  # clustered at z < below
    # A narrow spatial source, {box} standing for the tile's box: only what the clusters
    # count and filter on (at low zoom a tile covers ~100,000 rows). None: the tile source.
    source: str | None = None
    carry: tuple[tuple[str, str], ...] = ()  # (name, SQL expression) the counts read
    counts: tuple[tuple[str, str], ...] = ()  # (property, condition on the carried names)
    # The joins the narrow source needs only when a filter is given (filter name → JOIN).
    joins: Mapping[str, str] = field(default_factory=dict)
    cells: int = 32  # per tile side
    # Points already counted per cell (ClusterSummary): summed instead of counted when no
    # filter is given. None: always counted from the points.
    summary: "ClusterSummary | None" = None


@dataclass(frozen=True)
class ClusterSummary:
    """A table of the layer's points counted per cell of each summarised zoom (`levels`;
    a cell is 1/cells of that zoom's tile side, column `gx` from the west edge of the
    world and row `gy` from its south edge in EPSG:3857), with `n`, the sums `sx`, `sy`
    of the points' EPSG:3857 coordinates, one column per count of the Cluster, and the
    columns the layer's scope reads. A tile at zoom z sums the finest level ≥ z … of the
    levels, or the coarsest for z below them: its clusters, counts and centres are those
    of the points, without reading them (a low-zoom tile covers ~100,000 points)."""

    table: str  # aliased `e`, as the layer's scope expects
    levels: tuple[int, ...]
    sums: tuple[tuple[str, str], ...] = ()  # (count property, column summed)


@dataclass(frozen=True)
class ZoomFilter:
    """A filter that a tile takes from its zoom when the caller does not give it (areas:
    the level). Its value is written into the tile source as {name}, so the filter needs
    a vocabulary: only one of its words ever reaches the text."""

    name: str
    at: Callable[[int, Scope], str]  # (zoom, the caller's scope) → a word of the filter


@dataclass(frozen=True)
class Collection:
    """An OGC API Features collection over a layer; `fixed` filters it always applies
    (the areas: one collection per level, each of one geometry type and one scale)."""

    id: str
    title: str
    title_zh: str
    fixed: tuple[tuple[str, object], ...] = ()
    layer: "Layer | None" = None  # set by the registry

    @property
    def open_filters(self) -> list[str]:
        fixed = {name for name, _ in self.fixed}
        return [name for name in self.layer.filters if name not in fixed]


@dataclass(frozen=True)
class Layer:
    name: str
    title: str  # English: the OGC collection's, and the map's layer control in English
    title_zh: str  # Chinese: the map's layer control (the pages speak Chinese first)
    permission: Permission  # besides areas_read, which every layer route needs
    geometry_type: str  # GeoJSON type of every feature
    source: str  # FROM ... JOIN ...
    geom: str  # the geometry column (SRID 4326)
    key: str  # unique, ordered: the feature id and the keyset of paging
    key_type: type  # int or str
    tile_id: str  # an integer column for the vector tile's feature id
    properties: tuple[tuple[str, str], ...]  # (name, SQL expression)
    # The caller's territory as (condition, parameters): always the first condition.
    scope: Callable[[Scope], tuple[str, dict]]
    filters: dict[str, Filter] = field(default_factory=dict)
    temporal: str | None = None  # the column `datetime` filters on
    # The tile's source with the spatial lookup first, fenced (OFFSET 0), {box} standing
    # for the tile's box, and named like `source` so the conditions apply unchanged.
    # None: `source`, with the box as one more condition.
    tile_source: str | None = None
    # Which features a full vector tile keeps first (an ORDER BY), if any.
    tile_priority: str | None = None
    cluster: Cluster | None = None  # points only
    zoom_filter: ZoomFilter | None = None
    # Shapefile columns are at most 10 characters: the names used there.
    short_names: dict[str, str] = field(default_factory=dict)
    # OGC collections; none declared: one, named like the layer.
    collections: tuple[Collection, ...] = ()

    @property
    def property_names(self) -> list[str]:
        return [name for name, _ in self.properties]

    @property
    def temporal_property(self) -> str | None:
        """The property that shows the `temporal` column, if one does."""
        return next((name for name, expr in self.properties if expr == self.temporal), None)
