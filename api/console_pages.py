"""The platforms' consoles (/console/{key}): which are declared (core/consoles.py, gathered
from the installed platforms' parts), which a user may work in, and the page's shell.

The shell is the same for every platform: the header (title, the links to the user's other
consoles, the map and the KPIs), the queue's tabs, filters, list and pager, and the detail.
What goes in them comes from the console's declaration (the page's options) and the API.
"""

from core.consoles import Console
from core.platforms import installed
from core.security import Principal
from core.users.enums import ROLE_PERMISSIONS

PLATFORM_ENTRY = "console/platform.js"
PLATFORM_ASSETS = ("session.css", "console/console.css")

# The grid's console is the classic /console (api/console.py): listed like the others, for
# the desks that read incidents (a grid worker's tools are the field app's).
GRID_CONSOLE = {"key": "incident", "title": "事件受理台", "url": "/console",
                "platform": "grid", "permission": "incidents:read"}
FIELD_ONLY = frozenset({"grid_worker"})


def declared() -> list[Console]:
    return [console for platform in installed() for console in platform.consoles]


def find(key: str) -> Console | None:
    return next((console for console in declared() if console.key == key), None)


def may_use(principal: Principal, console: Console) -> bool:
    """Its read permission, and its role or a membership in a unit of its platform."""
    if console.permission not in ROLE_PERMISSIONS[principal.role]:
        return False
    return str(principal.role) in console.roles or any(
        m.platform == console.platform for m in principal.memberships)


def consoles_for(principal: Principal) -> list[dict]:
    """The consoles the caller may use, the grid's first."""
    mine = []
    if GRID_CONSOLE["permission"] in ROLE_PERMISSIONS[principal.role] and \
            str(principal.role) not in FIELD_ONLY:
        mine.append({k: GRID_CONSOLE[k] for k in ("key", "title", "url", "platform")})
    mine += [{"key": c.key, "title": c.title, "url": c.url(), "platform": c.platform}
             for c in declared() if may_use(principal, c)]
    return mine


# The pieces of the page that the grid's console (api/console.py) and the platforms' show
# alike, written once: the header's links to the map and the KPIs, the language switch and
# the account; the queue's refresh and export buttons; the pager.
HEADER_END = """\
    <a href="/map" class="console-map-link" data-i18n="nav.map">地图</a>
    <a href="/kpis" class="console-kpi-link" data-i18n="nav.kpis">考核指标</a>
  </nav>
  <button type="button" class="console-lang" data-i18n-switch>English</button>
  <div class="console-account"></div>
</header>"""
QUEUE_BUTTONS = """\
      <button type="button" class="console-refresh" data-i18n="queue.refresh">刷新</button>
      <button type="button" class="console-export" data-format="xlsx"
              data-i18n="queue.export-xlsx">导出Excel</button>
      <button type="button" class="console-export" data-format="csv"
              data-i18n="queue.export-csv">导出CSV</button>"""
PAGER = """\
    <div class="console-pager">
      <button type="button" class="console-prev" data-i18n="pager.prev">上一页</button>
      <span class="console-page-text"></span>
      <button type="button" class="console-next" data-i18n="pager.next">下一页</button>
    </div>"""

PLATFORM_BODY = f"""<header class="console-header">
  <h1 class="console-title"></h1>
  <nav class="console-nav">
    <span class="console-others"></span>
{HEADER_END}
<main class="console-main">
  <section class="console-queue">
    <div class="console-tabs" role="tablist"></div>
    <form class="console-filters">
      <span class="console-filter-fields"></span>
{QUEUE_BUTTONS}
    </form>
    <div class="console-facets"></div>
    <p class="console-queue-status" role="status"></p>
    <table class="console-list">
      <thead><tr></tr></thead>
      <tbody></tbody>
    </table>
{PAGER}
  </section>
  <section class="console-detail" aria-live="polite">
    <p class="console-detail-empty"></p>
    <article class="console-incident console-subject" hidden></article>
  </section>
</main>"""
