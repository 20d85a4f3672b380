"""Folium map builders: the area hierarchy as a drill-down Leaflet page.

folium renders the page's skeleton: the map, an optional basemap, one empty layer per
level below the city and the layer control. The browser side (api/static/map.js) fills
those layers from the areas API and handles the drill-down, so the page stays small and
always shows what the API serves.

Every script and style sheet comes from the app's own /static: folium's defaults point
at public content-delivery hosts, which government intranets usually cannot reach.
"""

import html
from dataclasses import dataclass
from urllib.parse import urlsplit

import folium
from folium.elements import JSCSSMixin
from jinja2 import Template
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.errors import NotFound
from geo.enums import LEVELS, AreaLevel

LAYER_NAMES = {
    AreaLevel.county: "区县 districts",
    AreaLevel.township: "乡镇街道 townships",
    AreaLevel.village: "村社区 villages",
    AreaLevel.grid: "网格 grids",
}
# Shown when the page opens, and so loaded at once; the others load the first time they
# are switched on (a city has thousands of villages and grids).
EAGER_LEVELS = frozenset({AreaLevel.county, AreaLevel.township})
# Metres: invisible at the zoom a whole city or district is seen at, and it shrinks the
# GeoJSON several times over.
SIMPLIFY_M = 20


@dataclass(frozen=True)
class MapView:
    """Where a map page opens: the area, the chain of areas above it, and its bounds."""

    chain: list[dict]  # {code, name, level}: the top of the hierarchy first, the area last
    bounds: list[list[float]]  # [[south, west], [north, east]] of the area

    @property
    def root(self) -> dict:
        return self.chain[0]

    @property
    def area(self) -> dict:
        return self.chain[-1]


# The preferred city when it is loaded, else the first city, else the first top area.
_DEFAULT_ROOT = text("""
    SELECT code FROM area
    WHERE parent_id IS NULL
    ORDER BY code = :preferred DESC, array_position(CAST(:levels AS text[]), level), code
    LIMIT 1
""")

_CHAIN = text("""
    WITH RECURSIVE chain AS (
        SELECT id, parent_id, code, name, level, 0 AS depth FROM area WHERE code = :code
        UNION ALL
        SELECT p.id, p.parent_id, p.code, p.name, p.level, chain.depth + 1
        FROM area p JOIN chain ON p.id = chain.parent_id
    )
    SELECT code, name, level FROM chain ORDER BY depth DESC
""")

_BOUNDS = text("""
    SELECT ST_YMin(geom) AS south, ST_XMin(geom) AS west,
           ST_YMax(geom) AS north, ST_XMax(geom) AS east
    FROM area WHERE code = :code
""")


def load_map_view(session: Session, *, code: str | None, preferred_root: str) -> MapView:
    """The view of one area, or of the preferred city when no area is asked for."""
    code = code or _default_root(session, preferred=preferred_root)
    chain = [dict(row._mapping) for row in session.execute(_CHAIN, {"code": code})]
    if not chain:
        raise NotFound(f"no area with code {code}", code=code)
    row = session.execute(_BOUNDS, {"code": code}).one()
    return MapView(chain=chain, bounds=[[row.south, row.west], [row.north, row.east]])


def _default_root(session: Session, *, preferred: str) -> str:
    code = session.execute(_DEFAULT_ROOT, {"preferred": preferred,
                                           "levels": [str(level) for level in LEVELS]}).scalar()
    if code is None:
        raise NotFound("no area is loaded yet: import boundaries (gridgov areas import) "
                       "or load the demo city (gridgov demo load)")
    return code


class LocalAssetMap(folium.Map):
    """A folium Map that loads Leaflet from the app instead of folium's default hosts.

    folium's Map lists jQuery, Bootstrap, Font Awesome and awesome-markers as well, for
    features these pages do not use; only Leaflet is kept.
    """

    def __init__(self, *, static_base: str, **kwargs) -> None:
        super().__init__(**kwargs)
        leaflet = f"{static_base}/vendor/leaflet"
        # Instance attributes shadow folium's class-level lists, which JSCSSMixin.render
        # reads through self, without touching them for other maps in the process.
        self.default_js = [("leaflet", f"{leaflet}/leaflet.js")]
        self.default_css = [("leaflet_css", f"{leaflet}/leaflet.css")]


class AreaDrillDown(JSCSSMixin):
    """Hands the map, its level layers and the view to map.js, which does the rest."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            gridgovMap.start({{ this._parent.get_name() }}, {
                {%- for level, layer in this.layers.items() %}
                {{ level|tojson }}: {{ layer.get_name() }},
                {%- endfor %}
            }, {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, *, layers: dict[AreaLevel, folium.FeatureGroup], view: MapView,
                 api_base: str, static_base: str) -> None:
        super().__init__()
        self._name = "AreaDrillDown"
        self.layers = {str(level): layer for level, layer in layers.items()}
        # Jinja's tojson escapes <, >, & and ' too: area names cannot break out of the script.
        self.options = {"apiBase": api_base, "simplify": SIMPLIFY_M, "chain": view.chain,
                        "root": view.root["code"], "start": view.area["code"]}
        self.default_js = [("gridgov_map", f"{static_base}/map.js")]
        self.default_css = [("gridgov_map_css", f"{static_base}/map.css")]


def build_area_map(
    *, view: MapView, tile_url: str | None, tile_attribution: str = "",
    api_base: str = "/api/v1/areas", static_base: str = "/static",
) -> folium.Map:
    """The page for a view: the levels below its top area as layers, opened at its area."""
    area_map = LocalAssetMap(static_base=static_base, tiles=None, control_scale=True,
                             zoom_control="bottomright")
    # branca puts the title into the page unescaped, and names come from imported files.
    area_map.get_root().title = html.escape(f"{view.area['name']} · 网格化治理地图")
    if tile_url:
        _basemap(tile_url, tile_attribution).add_to(area_map)
    layers = {level: folium.FeatureGroup(name=LAYER_NAMES[level], show=level in EAGER_LEVELS)
              for level in _levels_below(AreaLevel(view.root["level"]))}
    for layer in layers.values():
        layer.add_to(area_map)
    folium.LayerControl(collapsed=False).add_to(area_map)
    area_map.fit_bounds(view.bounds)
    AreaDrillDown(layers=layers, view=view, api_base=api_base,
                  static_base=static_base).add_to(area_map)
    return area_map


def _basemap(tile_url: str, tile_attribution: str) -> folium.TileLayer:
    # folium refuses a custom tile layer without attribution: credit the tile server's
    # host when the settings name nobody.
    attribution = tile_attribution or urlsplit(tile_url).netloc or "basemap"
    return folium.TileLayer(tiles=tile_url, attr=attribution, name="底图 basemap",
                            control=False)


def _levels_below(level: AreaLevel) -> list[AreaLevel]:
    return LEVELS[LEVELS.index(level) + 1:]
