"""The platforms' KPI charts pages (/enforcement/kpis, /market/kpis, …): each declared by
its platform as data (core/kpi_pages.py, gathered from the installed platforms' parts),
all drawn in one shape through the one page template (api/pages.py `base_page`) with one
style sheet (api/static/kpi-page.css).

Like /kpis they are public shells (the parts list their paths in PUBLIC_PATHS): the same
for every visitor, with no data and no database behind them. The page's module logs in and
takes everything from the authenticated API, inside the user's scope.
"""

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.pages import API_BASE, base_page
from core.kpi_pages import KpiPage
from core.platforms import installed

ASSETS = ("session.css", "kpi-page.css")
FORMATS = (("xlsx", "Excel"), ("csv", "CSV"))

BODY = """<header class="kp-head"><h1>{title}</h1>
  <nav class="kp-links">{links}</nav>
  <div class="kp-account"></div></header>
<main class="kp-main" hidden>
  <form class="kp-period">
    <nav class="kp-groups" aria-label="分组">{groups}</nav>
    <label>自 <input type="date" name="since"></label>
    <label>至 <input type="date" name="until"></label>
    <button type="submit">查询</button>
    {exports}
  </form>
  <p class="kp-status" role="status"></p>
  <section class="kp-charts">{charts}
  </section>{tables}
  <p class="kp-note">{note}</p>
</main>"""


def declared() -> list[KpiPage]:
    return [page for platform in installed() for page in platform.kpi_pages]


def render(page: KpiPage) -> str:
    """The page's shell: its declaration's groupings, charts, tables, downloads and note."""
    parts = {
        "title": escape(page.title),
        "links": "".join(f'<a href="{escape(href)}">{escape(label)}</a>'
                         for href, label in page.links),
        "groups": "".join(f'<button type="button" data-group="{escape(key)}">'
                          f'{escape(label)}</button>' for key, label in page.groups),
        "exports": "".join(_export_button(export, fmt, word)
                           for export in page.exports for fmt, word in FORMATS),
        "charts": "".join(f'\n    <figure class="kp-chart" data-kpi="{escape(key)}">'
                          f'<figcaption>{escape(caption)}</figcaption>'
                          '<div class="kp-canvas"></div></figure>'
                          for key, caption in page.charts),
        "tables": "".join(_table(table) for table in page.tables),
        "note": escape(page.note),
    }
    return base_page(title=page.title, body=BODY.format(**parts), entry=page.module,
                     options={"apiBase": API_BASE, "title": page.title}, assets=ASSETS)


def _export_button(export, fmt: str, word: str) -> str:
    table = f' data-table="{escape(export.table)}"' if export.table else ""
    return (f'<button type="button" class="kp-export"{table} data-format="{fmt}">'
            f'{escape(export.label)} {word}</button>')


def _table(table) -> str:
    heading = f"\n  <h2>{escape(table.heading)}</h2>" if table.heading else ""
    return (f'{heading}\n  <table class="kp-table" data-table="{escape(table.key)}">'
            "<thead></thead><tbody></tbody></table>")


def router() -> APIRouter:
    """A route per declared page of the installed platforms (api/app.py includes it once
    the platforms are loaded)."""
    pages = APIRouter(tags=["pages"])
    for page in declared():
        pages.add_api_route(page.path, _handler(page), methods=["GET"],
                            response_class=HTMLResponse, include_in_schema=False)
    return pages


def _handler(page: KpiPage):
    html = render(page)  # the same for every visitor: rendered once

    def kpi_page() -> HTMLResponse:
        return HTMLResponse(html)

    kpi_page.__doc__ = f"{page.title}: the charts page (a shell; its data from the API)."
    return kpi_page
