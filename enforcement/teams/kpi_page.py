"""Enforcement KPIs as charts (issue 13 §9): the page /enforcement/kpis, a shell without
data (no login to load it, like /market/kpis): its module logs in (/static/session.js),
asks GET /api/v1/enforcement/kpis (kpis.py) per unit or per area in the caller's
territory and draws 立案数, 结案数, 按期办结率, 罚没金额, 听证率, 复议/诉讼纠错率 and the
吹哨报到 response times as SVG bars (/static/charts.js); the tables below, and their
xlsx/CSV downloads, are the API's own."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["enforcement pages"])
PATH = "/enforcement/kpis"
ENTRY = "/static/enforcement/kpis/kpis.js"
# The groupings the page offers (the API's `by`; an area at the county or township level).
GROUPS = {"unit": "按单位", "county": "按区县", "township": "按乡镇（街道）"}
CHARTS = {"counts": "立案数与结案数", "on_time_rate": "按期办结率", "fines_fen": "罚没金额（元）",
          "hearing_rate": "听证率", "review_correction_rate": "复议/诉讼纠错率",
          "response_minutes": "吹哨报到响应时间（分钟）",
          "response_on_time_rate": "吹哨报到按时响应率"}

# The API's tables (kpis.py TABLES), each as xlsx and CSV.
EXPORTS = (("cases", "案件指标"), ("whistles", "吹哨报到"))

PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>综合执法指标</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/session.css">
<link rel="stylesheet" href="/static/enforcement/kpis/kpis.css">
<link rel="modulepreload" href="{entry}">
</head>
<body class="gridgov-logged-out">
<header class="ek-head"><h1>综合执法指标</h1>
  <nav class="ek-links"><a href="/console/enforcement">执法案件受理台</a></nav>
  <div class="ek-account"></div></header>
<main class="ek-kpis" hidden>
  <form class="ek-period">
    <nav class="ek-groups" aria-label="分组">{groups}</nav>
    <label>自 <input type="date" name="since"></label>
    <label>至 <input type="date" name="until"></label>
    <button type="submit">查询</button>
    {exports}
  </form>
  <p class="ek-status" role="status"></p>
  <section class="ek-charts">{charts}
  </section>
  <h2>案件指标</h2>
  <table class="ek-table" data-table="cases"><thead></thead><tbody></tbody></table>
  <h2>吹哨报到</h2>
  <table class="ek-table" data-table="whistles"><thead></thead><tbody></tbody></table>
  <p class="ek-note">按期办结率 = 按期办结（无超期时限）/ 结案数；听证率 = 举行听证 / 告知听证权利；
  复议/诉讼纠错率 = 变更、撤销、确认违法、确认无效、责令履行 / 期间内作出结论的复议和诉讼；
  罚没金额为期间内作出的处罚决定的罚款与没收金额（行政处罚法第九条）。</p>
</main>
<script type="module">import {{start}} from "{entry}"; start({options});</script>
</body>
</html>
"""


def render() -> str:
    groups = "".join(f'<button type="button" data-group="{key}">{label}</button>'
                     for key, label in GROUPS.items())
    charts = "".join(f'\n    <figure class="ek-chart" data-kpi="{key}"><figcaption>{label}'
                     '</figcaption><div class="ek-canvas"></div></figure>'
                     for key, label in CHARTS.items())
    exports = "".join(f'<button type="button" class="ek-export" data-table="{table}" '
                      f'data-format="{fmt}">{label} {word}</button>'
                      for table, label in EXPORTS
                      for fmt, word in (("xlsx", "Excel"), ("csv", "CSV")))
    options = '{"apiBase": "/api/v1"}'
    return PAGE.format(entry=ENTRY, groups=groups, charts=charts, options=options,
                       exports=exports)


@router.get(PATH, response_class=HTMLResponse, include_in_schema=False)
def kpi_page() -> HTMLResponse:
    return HTMLResponse(render())
