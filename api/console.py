"""The centres' console (/console): the queue, an incident's detail with its timeline,
photos and map, and the moves the caller may make on it.

Like the map and the KPI page it is a public shell (api/app.py PUBLIC_PATHS): the same
for every visitor, with no incident or area data and no database behind it. Its scripts
(api/static/console/) log in through the shared session.js and take everything from the
authenticated API, inside the user's scope. Every asset comes from the app's own /static.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse

from api.console_pages import (
    HEADER_END,
    PAGER,
    PLATFORM_ASSETS,
    PLATFORM_BODY,
    PLATFORM_ENTRY,
    QUEUE_BUTTONS,
    consoles_for,
    find,
)
from api.pages import API_BASE, base_page
from core.deps import Requires
from core.errors import NotFound
from core.security import Principal
from core.users.enums import Permission

router = APIRouter(tags=["pages"])
Reader = Annotated[Principal, Depends(Requires(Permission.own_account))]

ENTRY = "console/console.js"
# The classic scripts and style sheets; the modules are the entry's imports.
ASSETS = ("vendor/leaflet/leaflet.css", "session.css", "console/console.css",
          "vendor/leaflet/leaflet.js")

CONSOLE_BODY = f"""<header class="console-header">
  <h1 data-i18n="console.title">事件受理台</h1>
  <nav class="console-nav">
    <a href="/console" aria-current="page" data-i18n="nav.console">受理台</a>
    <span class="console-others" data-console="incident"></span>
{HEADER_END}
<main class="console-main">
  <section class="console-queue">
    <div class="console-tabs" role="tablist">
      <button type="button" role="tab" data-queue="mine" data-i18n="queue.mine">本单位待办</button>
      <button type="button" role="tab" data-queue="sign" data-i18n="queue.sign">待签收</button>
      <button type="button" role="tab" data-queue="verify" data-i18n="queue.verify">待核查</button>
      <button type="button" role="tab" data-queue="all" data-i18n="queue.all">辖区全部</button>
    </div>
    <form class="console-filters">
      <label><span data-i18n="filter.state">状态</span> <select name="state"></select></label>
      <label><span data-i18n="filter.deadline">期限</span> <select name="deadline"></select></label>
      <label><span data-i18n="filter.major">大类</span> <select name="major"></select></label>
      <label><span data-i18n="filter.minor">小类</span> <select name="minor"></select></label>
      <span class="console-areas"><span data-i18n="filter.area">区域</span></span>
      <label><span data-i18n="filter.q">编号/关键词/地址</span>
        <input type="search" name="q" maxlength="100"></label>
      <label><span data-i18n="filter.reporter">上报人</span>
        <input type="search" name="reporter" maxlength="64"></label>
      <label><span data-i18n="filter.since">上报日期从</span>
        <input type="date" name="since"></label>
      <label><span data-i18n="filter.until">至</span> <input type="date" name="until"></label>
{QUEUE_BUTTONS}
    </form>
    <div class="console-counts" data-i18n-aria-label="queue.counts" aria-label="各状态数量"></div>
    <p class="console-queue-status" role="status"></p>
    <table class="console-list">
      <thead><tr>
        <th data-sort="id"><button type="button" data-i18n="list.id">编号</button></th>
        <th data-sort="deadline"><button type="button" data-i18n="list.deadline">期限</button></th>
        <th data-sort="category"><button type="button" data-i18n="list.category">类别</button></th>
        <th data-sort="state"><button type="button" data-i18n="list.state">状态</button></th>
        <th data-sort="place"><button type="button" data-i18n="list.place">位置</button></th>
        <th data-sort="due"><button type="button" data-i18n="list.due">到期</button></th>
      </tr></thead>
      <tbody></tbody>
    </table>
{PAGER}
  </section>
  <section class="console-detail" aria-live="polite">
    <p class="console-detail-empty" data-i18n="detail.empty">从左侧队列选择一件事件</p>
    <article class="console-incident" hidden></article>
  </section>
</main>
<div class="console-lightbox" hidden>
  <img alt="">
  <button type="button" data-i18n="photo.close">关闭</button>
</div>"""


def photo_limits(settings) -> dict:
    """The attachments' limits, for the move forms' photo pickers (shrunk below them)."""
    return {"photoMaxBytes": settings.photo_max_bytes, "photoMaxCount": settings.photo_max_count}


@router.get("/console", response_class=HTMLResponse)
def console_page(request: Request) -> HTMLResponse:
    """The centres' console (after login): the unit's queue, an incident's detail and the
    moves the caller may make; `?incident=ID` opens one."""
    settings = request.app.state.settings
    # A basemap only when one is configured: the intranet may reach no tile server.
    options = {"apiBase": API_BASE, "tileUrl": settings.tile_url,
               "tileAttribution": settings.tile_attribution, "caseType": "incident",
               **photo_limits(settings)}
    return HTMLResponse(base_page(title="事件受理台", body=CONSOLE_BODY, entry=ENTRY,
                                  options=options, assets=ASSETS))


@router.get("/console/{key}", response_class=HTMLResponse)
def platform_console(request: Request,
                     key: Annotated[str, Path(max_length=40, pattern=r"^[a-z][a-z0-9_-]*$")]
                     ) -> HTMLResponse:
    """A platform's console (core/consoles.py), drawn by the shared modules from its
    declaration; `?id=N` opens one subject. 404 `unknown_console` for a key none declares."""
    console = find(key)
    if console is None:
        raise NotFound(f"no console is declared as {key!r}", code="unknown_console")
    settings = request.app.state.settings
    options = {"apiBase": API_BASE, "tileUrl": settings.tile_url,
               "tileAttribution": settings.tile_attribution, "caseType": console.case_type,
               "console": console.as_options(), **photo_limits(settings)}
    return HTMLResponse(base_page(title=console.title, body=PLATFORM_BODY,
                                  entry=PLATFORM_ENTRY, options=options,
                                  assets=PLATFORM_ASSETS))


@router.get("/api/v1/consoles", tags=["consoles"])
def my_consoles(principal: Reader) -> list[dict]:
    """The consoles the caller may work in (the consoles' headers link to them): a
    console's read permission, and its role or a membership in a unit of its platform."""
    return consoles_for(principal)
