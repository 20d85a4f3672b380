"""geo's own layer: the administrative areas and grids, and their OGC collections, one per
level (`cities`, `counties`, `townships`, `villages`, `grids`: a desktop GIS opens each
level as a layer of one geometry type and one scale).

In a vector tile the level shown follows the zoom (LEVEL_BY_ZOOM), never coarser than the
caller's own area: a township's staff sees the township up to z11.
"""

from core.scope import Scope
from core.users.enums import Permission
from geo.enums import LEVELS, AreaLevel
from geo.layers.declaration import Collection, Filter, Layer, ZoomFilter
from geo.layers.tiles import MAX_ZOOM

# The areas shown at each zoom: counties up to z9, townships z10–11, villages z12–13,
# grids from z14.
LEVEL_BY_ZOOM = ((9, "county"), (11, "township"), (13, "village"), (MAX_ZOOM, "grid"))
LEVEL_ORDER = ("county", "township", "village", "grid")
# The level of a scope's own area, by the length of its code prefix (a city or a
# province spans counties).
SCOPE_LEVEL = {6: "county", 9: "township", 12: "village", 15: "grid"}
LEVEL_LABELS = {AreaLevel.city: "市", AreaLevel.county: "区县", AreaLevel.township: "乡镇街道",
                AreaLevel.village: "村社区", AreaLevel.grid: "网格"}
# The collection of each level: (id, title), the label above as its Chinese title.
COLLECTION_NAMES = {AreaLevel.city: ("cities", "Cities"),
                    AreaLevel.county: ("counties", "Counties"),
                    AreaLevel.township: ("townships", "Townships and streets"),
                    AreaLevel.village: ("villages", "Villages and communities"),
                    AreaLevel.grid: ("grids", "Grid cells")}


def level_at(z: int, scope: Scope | None = None) -> str:
    """The zoom's level, but never above the caller's own: a township's staff zoomed out
    sees their township's outline, not an empty map (no county lies in their scope)."""
    level = next(level for top, level in LEVEL_BY_ZOOM if z <= top)
    if scope is None:
        return level
    own = "grid" if scope.own_grids_of is not None else SCOPE_LEVEL.get(scope.shortest_prefix,
                                                                         "county")
    return max(level, own, key=LEVEL_ORDER.index)


def _area_scope(scope: Scope) -> tuple[str, dict]:
    return scope.area_condition("a", pyformat=True), scope.params


LEVEL_FILTER = Filter(
    "a.level = %(f_level)s", lambda v: {"f_level": str(v)}, title="级别",
    description="city, county, township, village or grid",
    values={str(level): LEVEL_LABELS[level] for level in LEVELS})

AREAS = Layer(
    name="areas", title="Administrative areas and grids", title_zh="行政区划与网格",
    permission=Permission.areas_read, geometry_type="MultiPolygon",
    source="area a", geom="a.geom", key="a.code", key_type=str, tile_id="a.id",
    properties=(("code", "a.code"), ("name", "a.name"), ("level", "a.level"),
                ("population", "a.population")),
    scope=_area_scope, filters={"level": LEVEL_FILTER},
    # One level per tile, written into the text so the spatial part is planned with it.
    tile_source="(SELECT * FROM area WHERE level = '{level}' AND geom && {box} OFFSET 0) a",
    zoom_filter=ZoomFilter("level", level_at),
    collections=tuple(Collection(*COLLECTION_NAMES[level], LEVEL_LABELS[level],
                                 (("level", str(level)),)) for level in LEVELS),
)
