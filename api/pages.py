"""HTML pages: the area map, rendered by folium, drilling down from the user's area to grids,
and the KPI page drawing the incident hub's figures as charts.

The pages are public shells (api/app.py PUBLIC_PATHS): the same for every visitor, with
no area data in them and no database behind them. Each page's script logs in (the shared
api/static/session.js) and takes everything it shows from the authenticated API, inside
the user's scope. Every script comes from the app's own /static, never from a CDN.
"""

import json
import re
from collections.abc import Iterable
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.docs import router as docs_router
from api.tables import router as tables_router
from api.workflows import router as workflows_router
from core import platforms
from geo.maps import build_area_map
from geo.router import Code

pages = APIRouter(tags=["pages"])

API_BASE = "/api/v1"
STATIC_BASE = "/static"
STATIC_DIR = Path(__file__).with_name("static")
# The map page's parts beyond the areas (geo/maps.py): the registered vector-tile layers
# every platform's map shares (map-tiles.js, drawn by the vendored Leaflet.VectorGrid),
# then each installed platform's own parts (grid: the choropleth of open and overdue
# incidents, markers and heatmap, the side panel with KPIs, queue and hand-offs;
# core/platforms.py `map_scripts`), modules plugging into map.js, with the vendored
# Leaflet plugins they need (`map_plugins`).
SHARED_MAP_PLUGINS = ("leaflet.vectorgrid/Leaflet.VectorGrid.bundled.js",)
SHARED_MAP_PARTS = ("map-tiles.js",)


def map_assets() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(plugins, parts) of the map page, from the installed platforms."""
    installed = platforms.load()
    plugins = SHARED_MAP_PLUGINS + tuple(path for platform in installed
                                         for path in platform.map_plugins)
    parts = SHARED_MAP_PARTS + tuple(path for platform in installed
                                     for path in platform.map_scripts)
    return plugins, parts


def asset_tags(paths: Iterable[str]) -> tuple[str, str]:
    """The <link> tags of the style sheets and the <script> tags of the scripts among
    `paths` (under /static), each in the order given."""
    paths = list(paths)
    styles = "\n".join(f'<link rel="stylesheet" href="{STATIC_BASE}/{path}">'
                       for path in paths if path.endswith(".css"))
    scripts = "\n".join(f'<script src="{STATIC_BASE}/{path}"></script>'
                        for path in paths if path.endswith(".js"))
    return styles, scripts


# The one page template of the pages not drawn by folium (/console, /kpis, /field, and a
# platform's own): the head with the favicon, the vendored libraries that are classic
# scripts (Leaflet), the style sheets, and one module, the page's entry, started
# with the page's options. Everything else the entry imports itself (native ES modules: no
# script order kept here, nothing hung on `window`); the bell and the account come with
# the login (session.js).
BASE_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="{viewport}">
<title>{title}</title>
<link rel="icon" href="{static}/favicon.svg" type="image/svg+xml">
{head}
{styles}
<link rel="modulepreload" href="{entry}">
{scripts}
</head>
<body class="gridgov-logged-out">
{body}
<script type="module">import {start} from "{entry}"; start({options});</script>
</body>
</html>
"""
VIEWPORT = "width=device-width, initial-scale=1"


def base_page(*, title: str, body: str, entry: str, options: dict,
              assets: Iterable[str] = (), head: str = "", viewport: str = VIEWPORT) -> str:
    """A page: `entry` (under /static) is its module, whose `start(options)` runs it;
    `assets` its style sheets and classic vendored scripts (under /static), in order."""
    styles, scripts = asset_tags(assets)
    values = {"{viewport}": viewport, "{title}": title, "{head}": head, "{styles}": styles,
              "{scripts}": scripts, "{body}": body, "{static}": STATIC_BASE,
              "{entry}": f"{STATIC_BASE}/{entry}", "{options}": script_json(options)}
    # One pass: no value is scanned for the others' names.
    return re.sub(r"\{\w+\}", lambda m: values.get(m.group(0), m.group(0)), BASE_PAGE)


def script_json(options: dict) -> str:
    """Options as a JavaScript literal inside a <script>: "<" escaped, so that no value
    (a tile URL from the settings, say) can close the tag."""
    return json.dumps(options).replace("<", "\\u003c")


@pages.get("/map", response_class=HTMLResponse)
def scope_map(request: Request) -> HTMLResponse:
    """The map, opened (after login) at the user's own area: a grid worker's at his grids."""
    return _map_page(request, start=None)


@pages.get("/map/{code}", response_class=HTMLResponse)
def area_map(request: Request, code: Code) -> HTMLResponse:
    """The same map, opened at one area if the user may see it."""
    return _map_page(request, start=code)


def _map_page(request: Request, *, start: str | None) -> HTMLResponse:
    settings = request.app.state.settings
    plugins, parts = map_assets()
    page = build_area_map(start=start, tile_url=settings.tile_url,
                          tile_attribution=settings.tile_attribution,
                          api_base=API_BASE, static_base=STATIC_BASE,
                          plugins=plugins, parts=parts)
    return HTMLResponse(page.get_root().render())


KPI_ENTRY = "kpis.js"
KPI_ASSETS = ("session.css", "kpis.css")
KPI_BODY = """<header class="kpi-header">
  <h1 data-i18n="kpi.title">考核指标</h1>
  <div class="kpi-subject"></div>
  <a class="kpi-up" href="#" hidden data-i18n="kpi.up">上一级</a>
  <a class="kpi-map-link" href="/map" data-i18n="kpi.map">地图</a>
  <button type="button" class="kpi-print" data-i18n="kpi.print">打印报表</button>
  <button type="button" class="kpi-pdf" data-i18n="kpi.pdf">下载PDF报表</button>
  <button type="button" class="kpi-lang" data-i18n-switch>English</button>
  <div class="kpi-account"></div>
</header>
<main>
  <p class="kpi-report"></p>
  <form class="kpi-period">
    <label><span data-i18n="kpi.since">开始</span> <input type="date" name="since"></label>
    <label><span data-i18n="kpi.until">结束</span> <input type="date" name="until"></label>
    <button type="submit" data-i18n="kpi.query">查询</button>
    <button type="button" data-days="30" data-i18n="kpi.last30">近30天</button>
    <button type="button" data-days="365" data-i18n="kpi.lastYear">近一年</button>
    <span class="kpi-period-text"></span>
  </form>
  <p class="kpi-status" role="status"></p>
  <section class="kpi-cards" aria-label="指标" data-i18n-aria-label="kpi.figures"></section>
  <p class="kpi-note" data-i18n="figure.mean_handling_note">
    平均处置时长按自然时间计：结案时刻减立案时刻，含夜间、周末和节假日（不是工作时长）</p>
  <section class="kpi-charts">
    <figure class="kpi-rates"><figcaption data-i18n="kpi.rates">比率</figcaption>
      <div class="kpi-chart" id="kpi-rates"></div>
    </figure>
    <figure class="kpi-daily"><figcaption data-i18n="kpi.daily">每日上报、立案、结案</figcaption>
      <div class="kpi-chart" id="kpi-daily"></div>
    </figure>
    <figure class="kpi-children kpi-wide" hidden>
      <figcaption data-i18n="kpi.children">下级区域：立案数、结案数、结案率</figcaption>
      <div class="kpi-chart" id="kpi-children"></div>
    </figure>
  </section>
  <section class="kpi-views" hidden aria-label="排名" data-i18n-aria-label="kpi.views">
    <div class="kpi-view-tabs" role="tablist">
      <button type="button" role="tab" data-view="children"
              data-i18n="kpi.view.children">下级区域</button>
      <button type="button" role="tab" data-view="units"
              data-i18n="kpi.view.units">处置单位</button>
      <button type="button" role="tab" data-view="workers"
              data-i18n="kpi.view.workers">网格员</button>
      <span class="kpi-exports">
        <button type="button" class="kpi-export" data-format="xlsx"
                data-i18n="kpi.exportXlsx">导出 Excel</button>
        <button type="button" class="kpi-export" data-format="csv"
                data-i18n="kpi.exportCsv">导出 CSV</button>
      </span>
    </div>
    <figure class="kpi-ranking kpi-wide"><figcaption class="kpi-ranking-caption"></figcaption>
      <div class="kpi-chart" id="kpi-ranking"></div>
    </figure>
    <table class="kpi-table"></table>
    <p class="kpi-note" data-i18n="kpi.rankingNote">
      名次：按所选列排名，结案率等越高越好，返工率和处置时长越低越好</p>
  </section>
</main>"""


@pages.get("/kpis", response_class=HTMLResponse)
def kpi_page() -> HTMLResponse:
    """KPIs as charts (after login): of the area, department or worker in the address
    (`?area=`, `?department=`, `?worker=`, with `since`/`until`), else the user's area."""
    return HTMLResponse(base_page(title="考核指标", body=KPI_BODY, entry=KPI_ENTRY,
                                  options={"apiBase": API_BASE}, assets=KPI_ASSETS))


# What api/app.py includes as the pages: these pages, the API docs served from the vendored
# copies (/docs, /redoc), the workflow descriptions the pages are drawn from, and the
# export of any table a page shows.
router = APIRouter()
router.include_router(pages)
router.include_router(docs_router)
router.include_router(workflows_router)
router.include_router(tables_router)
