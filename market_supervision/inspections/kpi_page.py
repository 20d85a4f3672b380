"""The inspections' KPIs as charts (issue 14 §6): the page /market/kpis, a shell without
data (no login to load it, like /kpis): its module logs in (/static/session.js), asks
GET /api/v1/market/kpis in the caller's territory and draws each KPI as SVG bars with the
shared chart module (/static/charts.js); the table below, and its xlsx/CSV download, are
the API's own. Never a risk class: the KPIs hold none."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from market_supervision.inspections.kpis import GROUP_LABELS, LABELS

router = APIRouter(tags=["market pages"])
PATH = "/market/kpis"
ENTRY = "/static/market_supervision/inspections/kpis.js"

PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>市场监管检查指标</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/session.css">
<link rel="stylesheet" href="/static/market_supervision/inspections/kpis.css">
<link rel="modulepreload" href="{entry}">
</head>
<body class="gridgov-logged-out">
<header class="mk-head"><h1>市场监管检查指标</h1><div class="mk-account"></div></header>
<main class="mk-kpis" hidden>
  <form class="mk-period">
    <nav class="mk-groups" aria-label="分组">{groups}</nav>
    <label>自 <input type="date" name="since"></label>
    <label>至 <input type="date" name="until"></label>
    <button type="submit">查询</button>
    <button type="button" class="mk-export" data-format="xlsx">导出 Excel</button>
    <button type="button" class="mk-export" data-format="csv">导出 CSV</button>
  </form>
  <p class="mk-status" role="status"></p>
  <section class="mk-charts">{charts}
    <figure class="mk-chart" data-kpi="counts"><figcaption>抽查数、已完成与发现问题</figcaption>
      <div class="mk-canvas"></div></figure>
  </section>
  <table class="mk-table"><thead></thead><tbody></tbody></table>
  <p class="mk-note">抽查完成率 = 已完成（待审核及以后）/ 抽查数；问题发现率 = 发现问题 / 已完成；
  整改完成率 = 复查确认整改完成 / 责令整改；按期公示率 = 按期公示 / 应公示（20 个工作日内，
  企业信息公示暂行条例第六条）。</p>
</main>
<script type="module">import {{start}} from "{entry}"; start({options});</script>
</body>
</html>
"""


def render() -> str:
    groups = "".join(f'<button type="button" data-group="{key}">{label}</button>'
                     for key, label in GROUP_LABELS.items())
    charts = "".join(f'\n    <figure class="mk-chart" data-kpi="{key}"><figcaption>{label}'
                     '</figcaption><div class="mk-canvas"></div></figure>'
                     for key, label in LABELS.items())
    options = '{"apiBase": "/api/v1"}'
    return PAGE.format(entry=ENTRY, groups=groups, charts=charts, options=options)


@router.get(PATH, response_class=HTMLResponse, include_in_schema=False)
def kpi_page() -> HTMLResponse:
    return HTMLResponse(render())
