"""The grid worker's field app (/field): a mobile-first page, installable as a PWA, that
works offline.

Three public routes (api/app.py PUBLIC_PATHS), none with data in it: the page shell, its
web app manifest and its service worker. The scripts (api/static/field/) log in through
session.js, keep the login in localStorage, and take everything from the authenticated
API. The service worker precaches the shell, so the app opens without a network, and
answers the API's GETs network-first from a cache, so "my grids" and "my tasks" show
offline; reports wait in an IndexedDB outbox until they are sent (field/outbox.js).

The worker is served from /field/sw.js with `Service-Worker-Allowed: /field`, so its
scope can be `/field`: the page itself, which a default scope (`/field/`) would miss.
Its cache is named after a hash of the shell, so a changed shell replaces the old one.

The tabs follow the user (api/field_tools.py): each platform declares its field tools, and
the page shows only those `GET /api/v1/field/tools` grants: a grid worker his report,
tasks and patrol, an enforcement officer his cases and 当场处罚, a market inspector his
inspections. Every installed tool's module is in the shell too.
"""

import hashlib
import json
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from api.field_tools import asset_file, tool_assets
from api.field_tools import router as tools_router
from api.pages import API_BASE, STATIC_DIR, base_page

router = APIRouter(tags=["pages"])
router.include_router(tools_router)

PAGE = "/field"
SCOPE = "/field"
MANIFEST = "/field/manifest.webmanifest"
SERVICE_WORKER = "/field/sw.js"
ENTRY = "field/field.js"
# The page's style sheets and classic scripts; its modules are the entry's imports.
PAGE_ASSETS = ("vendor/leaflet/leaflet.css", "session.css", "field/field.css",
               "vendor/leaflet/leaflet.js")
# Every module the entry imports, directly or not: the service worker precaches them
# with the page, so that it opens offline (tests/api/test_field_app.py checks the list
# against the imports).
MODULES = ("i18n.js", "session.js", "bell.js", "leaflet-words.js", "field/gps.js",
           "field/store.js", "field/outbox.js",
           "field/report.js", "field/tasks.js", "field/patrol.js", "field/queue.js",
           "field/tools.js", "field/photos.js", ENTRY,
           # not the entry's: the platforms' tools import them (their queued list, inputs)
           "field/pending.js", "inputs.js")
ICONS = ("field/icon-192.png", "field/icon-512.png")
# Everything the page loads from /static.
ASSETS = (*PAGE_ASSETS, *MODULES, "favicon.svg")
NO_STORE = {"Cache-Control": "no-cache"}

HEAD = """<meta name="theme-color" content="#1d3557">
<link rel="manifest" href="{manifest}">
<link rel="apple-touch-icon" href="/static/field/icon-192.png">""".replace("{manifest}", MANIFEST)
VIEWPORT = "width=device-width, initial-scale=1, viewport-fit=cover"
FIELD_BODY = """<header class="field-header">
  <h1 data-i18n="field.title">网格员</h1>
  <span class="field-net" role="status"></span>
  <button type="button" class="field-lang" data-i18n-switch>English</button>
  <div class="field-account"></div>
</header>
<div id="field-map" class="field-map" role="region" aria-label="地图"
     data-i18n-aria-label="field.map"></div>
<nav class="field-tabs">
  <button type="button" data-tab="report" data-tool="grid.report" data-i18n="tab.report"
          hidden>上报</button>
  <button type="button" data-tab="outbox" data-tool="grid.report" hidden><span
    data-i18n="tab.outbox">待发送</span> <span class="field-badge" hidden>0</span></button>
  <button type="button" data-tab="tasks" data-tool="grid.tasks" data-i18n="tab.tasks"
          hidden>我的任务</button>
  <button type="button" data-tab="patrol" data-tool="grid.patrol" data-i18n="tab.patrol"
          hidden>巡查</button>
</nav>
<main>
<p class="field-no-tools" data-i18n="field.noTools" hidden>您的岗位暂无外勤工具</p>
<section class="field-panel" data-panel="report" hidden>
  <form class="field-report" novalidate>
    <fieldset class="field-position">
      <legend data-i18n="report.position">位置</legend>
      <p class="field-position-text" data-i18n="report.locating">正在定位…</p>
      <p class="field-hint" data-i18n="report.tap">可点击地图修正位置</p>
      <button type="button" class="field-use-gps" data-i18n="report.useGps" hidden>
        使用定位位置</button>
    </fieldset>
    <label><span data-i18n="report.major">大类</span>
      <select name="major" required></select></label>
    <label><span data-i18n="report.minor">小类</span>
      <select name="category" required></select></label>
    <label><span data-i18n="report.description">描述</span>
      <textarea name="description" rows="3" maxlength="2000" required></textarea></label>
    <label><span data-i18n="report.urgency">紧急程度</span>
      <select name="urgency">
        <option value="normal" data-i18n="urgency.normal">一般</option>
        <option value="urgent" data-i18n="urgency.urgent">紧急</option>
        <option value="critical" data-i18n="urgency.critical">特急</option>
      </select></label>
    <label class="field-photo-pick"><span data-i18n="report.photos">照片</span>
      <input type="file" name="photos" accept="image/*" capture="environment" multiple>
    </label>
    <div class="field-photo-previews"></div>
    <p class="field-report-error" role="alert"></p>
    <button type="submit" class="field-primary" data-i18n="report.submit">提交上报</button>
  </form>
</section>
<section class="field-panel" data-panel="outbox" hidden>
  <h2 data-i18n="outbox.pending">待发送</h2>
  <p class="field-empty" data-i18n="outbox.empty">没有待发送的上报</p>
  <ul class="field-outbox"></ul>
  <button type="button" class="field-send-now" data-i18n="outbox.sendNow">立即发送</button>
  <h2 data-i18n="outbox.sent">已发送</h2>
  <ul class="field-sent"></ul>
</section>
<section class="field-panel" data-panel="tasks" hidden>
  <p class="field-tasks-status" role="status"></p>
  <h2 data-i18n="tasks.verify">待核查</h2>
  <ul class="field-task-list" data-queue="verify"></ul>
  <h2 data-i18n="tasks.handle">待处理</h2>
  <ul class="field-task-list" data-queue="tasks"></ul>
  <button type="button" class="field-tasks-reload" data-i18n="tasks.reload">刷新</button>
</section>
<section class="field-panel" data-panel="patrol" hidden>
  <button type="button" class="field-primary field-patrol-toggle"
          data-i18n="patrol.start">开始巡查</button>
  <dl class="field-patrol-stats">
    <dt data-i18n="patrol.length">里程</dt><dd class="field-patrol-length">0 m</dd>
    <dt data-i18n="patrol.duration">时长</dt><dd class="field-patrol-duration">0:00</dd>
    <dt data-i18n="patrol.points">轨迹点</dt><dd class="field-patrol-points">0</dd>
    <dt data-i18n="patrol.unsent">未上传</dt><dd class="field-patrol-unsent">0</dd>
  </dl>
  <p class="field-patrol-status" role="status"></p>
</section>
</main>"""


def _page_html(request: Request) -> str:
    settings = request.app.state.settings
    options = {"apiBase": API_BASE, "tileUrl": settings.tile_url,
               "tileAttribution": settings.tile_attribution,
               "photoMaxBytes": settings.photo_max_bytes,
               "photoMaxCount": settings.photo_max_count,
               "serviceWorker": SERVICE_WORKER, "scope": SCOPE}
    return base_page(title="网格员", body=FIELD_BODY, entry=ENTRY, options=options,
                     assets=PAGE_ASSETS, head=HEAD, viewport=VIEWPORT)


@router.get(PAGE, response_class=HTMLResponse)
def field_page(request: Request) -> HTMLResponse:
    """The field app (after login): the tools the user's role and memberships grant — a grid
    worker's grids, reporting offline, tasks and patrols; an officer's cases and 当场处罚;
    an inspector's inspections."""
    return HTMLResponse(_page_html(request), headers=NO_STORE)


@router.get(MANIFEST)
def manifest() -> JSONResponse:
    """The web app manifest: installable, opening at /field, standalone."""
    return JSONResponse({
        "name": "网格员 · 基层治理", "short_name": "网格员", "lang": "zh-CN",
        "description": "网格员外勤：上报事件、核查任务、巡查轨迹（离线可用）",
        "start_url": PAGE, "scope": SCOPE, "display": "standalone",
        "orientation": "portrait", "background_color": "#f4f5f7", "theme_color": "#1d3557",
        "icons": [{"src": f"/static/{icon}", "sizes": size, "type": "image/png",
                   "purpose": "any maskable"}
                  for icon, size in zip(ICONS, ("192x192", "512x512"), strict=True)],
    }, media_type="application/manifest+json", headers=NO_STORE)


def shell_urls() -> list[str]:
    """What the service worker precaches: the page, its manifest, every asset, and every
    installed platform's field tools (their modules and what they import)."""
    # Once each: Cache.addAll refuses a list with a request twice.
    assets = dict.fromkeys((*ASSETS, *ICONS, *tool_assets()))
    return [PAGE, MANIFEST, *(f"/static/{asset}" for asset in assets)]


@lru_cache(maxsize=4)
def _worker_source(page_html: str, assets_digest: str) -> str:
    version = hashlib.sha256(f"{page_html}{assets_digest}".encode()).hexdigest()[:16]
    source = (STATIC_DIR / "field" / "sw.js").read_text(encoding="utf-8")
    return (source.replace('"__VERSION__"', json.dumps(version))
            .replace("__SHELL__", json.dumps(shell_urls())))


@lru_cache(maxsize=1)
def _assets_digest() -> str:
    """The shell's files, so that an edited asset makes a new worker (and cache); read
    once per process, as the app serves /static from the files it was deployed with."""
    digest = hashlib.sha256()
    for asset in dict.fromkeys((*ASSETS, *ICONS, "field/sw.js", *tool_assets())):
        digest.update(asset.encode())
        digest.update(asset_file(asset, STATIC_DIR).read_bytes())
    return digest.hexdigest()


@router.get(SERVICE_WORKER)
def service_worker(request: Request) -> Response:
    """The service worker, allowed the scope /field (the page itself)."""
    source = _worker_source(_page_html(request), _assets_digest())
    return Response(source, media_type="text/javascript",
                    headers={**NO_STORE, "Service-Worker-Allowed": SCOPE})
