"""Folium map builders: the area hierarchy as a drill-down Leaflet page, the supervisor map.

folium renders the page's skeleton: the map, an optional basemap, one empty layer per
level below the city, the layer control and a header with the language switch. The page
is a public shell, the same for every visitor: it holds no area data at all (no names,
codes or bounds). The browser side (api/static/map.js) logs in, asks the API who the user
is and where the map opens, and fills those layers from the areas API, each answer limited
to the user's scope. The caller adds the parts that plug into map.js (a platform's layers
and panels, e.g. grid's choropleth, incident markers, heatmap and side panel) and the
Leaflet plugins they need.

Every script and style sheet comes from the app's own /static: folium's defaults point
at public content-delivery hosts, which government intranets usually cannot reach.
"""

from collections.abc import Sequence
from urllib.parse import urlsplit

import folium
from branca.element import Element
from folium.elements import JSCSSMixin
from jinja2 import Template

from geo.enums import LEVELS, AreaLevel

TITLE = "网格化治理地图"
LAYER_NAMES = {
    AreaLevel.county: "区县",
    AreaLevel.township: "乡镇（街道）",
    AreaLevel.village: "村（社区）",
    AreaLevel.grid: "网格",
}
# The same in the page's English mode (map.js titles the layer control in the page's
# language, as it does the registered layers with their `title`).
LAYER_NAMES_EN = {
    AreaLevel.county: "Districts",
    AreaLevel.township: "Townships and streets",
    AreaLevel.village: "Villages and communities",
    AreaLevel.grid: "Grids",
}
# Shown when the map opens, and so loaded at once when they lie below the area it opens
# at; the others load the first time they are switched on (a city has thousands of
# villages and grids).
EAGER_LEVELS = frozenset({AreaLevel.county, AreaLevel.township})
# Metres: invisible at the zoom a whole city or district is seen at, and it shrinks the
# GeoJSON several times over.
SIMPLIFY_M = 20
# The browser side: the caller's Leaflet plugins (classic scripts, from /static/vendor:
# folium's own plugins would load them from CDNs) right after Leaflet; then the page's
# module, map.js, which imports what it needs (the words, the login) and then the
# caller's parts, modules that plug into it (`use`), in the order given.
ENTRY = "map.js"
FAVICON = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
STYLES = ("session.css", "map.css")
# Static words only (data-i18n keys of map-strings.js); the switch is i18n.js's.
HEADER = """<header class="gridgov-header">
  <h1 data-i18n="map.title">网格化治理地图</h1>
  <button type="button" class="gridgov-lang" data-i18n-switch>English</button>
</header>"""


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
    """Hands the map, its level layers and the layer control to map.js, which does the rest."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            import({{ this.entry|tojson }}).then((page) => page.start(
                {{ this._parent.get_name() }}, {
                {%- for level, layer in this.layers.items() %}
                {{ level|tojson }}: {{ layer.get_name() }},
                {%- endfor %}
            }, {{ this.control.get_name() }}, {{ this.options|tojson }}));
        {% endmacro %}
    """)

    def __init__(self, *, layers: dict[AreaLevel, folium.FeatureGroup],
                 control: folium.LayerControl, start: str | None, api_base: str,
                 static_base: str, plugins: Sequence[str] = (),
                 parts: Sequence[str] = ()) -> None:
        super().__init__()
        self._name = "AreaDrillDown"
        self.layers = {str(level): layer for level, layer in layers.items()}
        self.control = control
        # Jinja's tojson escapes <, >, & and ': nothing here can break out of the script.
        self.options = {
            "apiBase": api_base, "simplify": SIMPLIFY_M, "start": start,
            "levels": [str(level) for level in LEVELS],
            "eager": sorted(str(level) for level in EAGER_LEVELS),
            "layerNames": {str(level): LAYER_NAMES[level] for level in layers},
            "layerNamesEn": {str(level): LAYER_NAMES_EN[level] for level in layers},
            "parts": [f"{static_base}/{path}" for path in _js(parts)],
        }
        self.entry = f"{static_base}/{ENTRY}"
        styles = [*STYLES, *_css(parts)]
        self.default_js = [(path.split("/")[0], f"{static_base}/vendor/{path}")
                           for path in _js(plugins)]
        self.default_css = (
            [(path.split("/")[-1], f"{static_base}/vendor/{path}") for path in _css(plugins)]
            + [(f"gridgov_{name.replace('.', '_')}", f"{static_base}/{name}")
               for name in styles])


def _js(paths: Sequence[str]) -> list[str]:
    return [path for path in paths if path.endswith(".js")]


def _css(paths: Sequence[str]) -> list[str]:
    return [path for path in paths if path.endswith(".css")]


def build_area_map(
    *, start: str | None = None, tile_url: str | None, tile_attribution: str = "",
    api_base: str = "/api/v1", static_base: str = "/static",
    plugins: Sequence[str] = (), parts: Sequence[str] = (),
) -> folium.Map:
    """The page shell: a layer per level below the city, opened (after login) at `start`.

    `start` is the area code asked for in the page's address, or None for the user's own
    scope; the shell does not know whether it exists or whether the user may see it.
    `plugins` are Leaflet plugins under {static_base}/vendor, loaded right after Leaflet;
    `parts` are the caller's modules under {static_base}, imported by map.js in the
    order given (and their style sheets, loaded after map.css).
    """
    # The scale bar is map.js's: metric only (folium's shows feet and miles too).
    area_map = LocalAssetMap(static_base=static_base, tiles=None, control_scale=False,
                             zoom_control="bottomright")
    area_map.get_root().title = TITLE
    area_map.get_root().header.add_child(Element(FAVICON), name="gridgov_favicon")
    area_map.get_root().html.add_child(Element(HEADER), name="gridgov_header")
    if tile_url:
        _basemap(tile_url, tile_attribution).add_to(area_map)
    # Which of these apply depends on the user: map.js drops those at or above the area
    # the map opens at.
    layers = {level: folium.FeatureGroup(name=LAYER_NAMES[level], show=level in EAGER_LEVELS)
              for level in _levels_below(AreaLevel.city)}
    for layer in layers.values():
        layer.add_to(area_map)
    control = folium.LayerControl(collapsed=False)
    control.add_to(area_map)
    AreaDrillDown(layers=layers, control=control, start=start, api_base=api_base,
                  static_base=static_base, plugins=plugins, parts=parts).add_to(area_map)
    return area_map


def _basemap(tile_url: str, tile_attribution: str) -> folium.TileLayer:
    # folium refuses a custom tile layer without attribution: credit the tile server's
    # host when the settings name nobody.
    attribution = tile_attribution or urlsplit(tile_url).netloc or "basemap"
    return folium.TileLayer(tiles=tile_url, attr=attribution, name="底图",
                            control=False)


def _levels_below(level: AreaLevel) -> list[AreaLevel]:
    return LEVELS[LEVELS.index(level) + 1:]
