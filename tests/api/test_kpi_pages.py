"""The platforms' KPI charts pages, declared as data (core/kpi_pages.py) and drawn in one
shape through the one page template (api/kpi_pages.py, api/pages.py `base_page`) with one
style sheet: /enforcement/kpis and /market/kpis keep their addresses, a page declared by
another platform is served the same way, and the pages' own copies are gone."""

from api.pages import script_json
from core.kpi_pages import KpiExport, KpiPage, KpiTable
from core.platforms import installed

SHARED = ("/static/session.css", "/static/kpi-page.css")


def test_both_platforms_declare_their_page(anonymous):
    declared = {page.path: page for platform in installed() for page in platform.kpi_pages}
    assert {"/enforcement/kpis", "/market/kpis"} <= set(declared)
    assert declared["/enforcement/kpis"].platform == "enforcement"
    assert declared["/market/kpis"].platform == "market_supervision"


def test_each_page_is_the_base_page_with_one_style_sheet(anonymous):
    for path, module, title in (
            ("/enforcement/kpis", "enforcement/kpis/kpis.js", "综合执法指标"),
            ("/market/kpis", "market_supervision/inspections/kpis.js", "市场监管检查指标")):
        answer = anonymous.get(path)  # a shell: no login to load it
        assert answer.status_code == 200, path
        page = answer.text
        assert f"<title>{title}</title>" in page and f"<h1>{title}</h1>" in page
        assert '<link rel="icon" href="/static/favicon.svg"' in page  # the base page's head
        assert f'<link rel="modulepreload" href="/static/{module}">' in page
        options = script_json({"apiBase": "/api/v1", "title": title})
        assert f'import {{start}} from "/static/{module}"; start({options});' in page
        for sheet in SHARED:
            assert f'<link rel="stylesheet" href="{sheet}">' in page, (path, sheet)
        assert page.count('rel="stylesheet"') == len(SHARED), path
        for part in ('class="kp-main" hidden', 'class="kp-period"', 'class="kp-charts"',
                     'class="kp-table"', 'class="kp-note"', 'class="kp-export"'):
            assert part in page, (path, part)
        module_text = anonymous.get(f"/static/{module}").text
        assert 'from "/static/kpi-page.js"' in module_text and "run(options" in module_text
    # The pages' own copies of the shape are gone.
    for gone in ("/static/enforcement/kpis/kpis.css",
                 "/static/market_supervision/inspections/kpis.css"):
        assert anonymous.get(gone).status_code == 404, gone


def test_a_declaration_draws_its_groups_charts_tables_and_downloads():
    from api.kpi_pages import render

    page = KpiPage(path="/x/kpis", title="测试指标", platform="x", module="x/kpis.js",
                   groups=(("unit", "按单位"),), charts=(("rate", "某<率>"),),
                   tables=(KpiTable("rows", "明细"),), exports=(KpiExport("明细", "rows"),),
                   note="说明", links=(("/console/x", "受理台"),))
    html = render(page)
    assert '<button type="button" data-group="unit">按单位</button>' in html
    assert '<figure class="kp-chart" data-kpi="rate"><figcaption>某&lt;率&gt;</figcaption>' \
        in html  # text, never markup
    assert '<h2>明细</h2>' in html and 'data-table="rows"' in html
    assert ('<button type="button" class="kp-export" data-table="rows" data-format="xlsx">'
            '明细 Excel</button>') in html
    assert 'data-format="csv">明细 CSV</button>' in html
    assert '<a href="/console/x">受理台</a>' in html and "说明" in html
