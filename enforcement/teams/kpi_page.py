"""Enforcement KPIs as charts (issue 13 §9): the page /enforcement/kpis, declared for the
shared KPI page (core/kpi_pages.py, drawn by api/kpi_pages.py): a shell without data (no
login to load it, like /market/kpis) whose module (static/kpis/kpis.js) logs in, asks
GET /api/v1/enforcement/kpis (kpis.py) per unit or per area in the caller's territory and
draws 立案数, 结案数, 按期办结率, 罚没金额, 听证率, 复议/诉讼纠错率 and the 吹哨报到
response times as SVG bars (/static/charts.js); the tables below, and their xlsx/CSV
downloads, are the API's own."""

from core.kpi_pages import KpiExport, KpiPage, KpiTable

PAGE = KpiPage(
    path="/enforcement/kpis", title="综合执法指标", platform="enforcement",
    module="enforcement/kpis/kpis.js",
    links=(("/console/enforcement", "执法案件受理台"),),
    # The groupings the page offers (the API's `by`; an area at the county or township level).
    groups=(("unit", "按单位"), ("county", "按区县"), ("township", "按乡镇（街道）")),
    charts=(("counts", "立案数与结案数"), ("on_time_rate", "按期办结率"),
            ("fines_fen", "罚没金额（元）"), ("hearing_rate", "听证率"),
            ("review_correction_rate", "复议/诉讼纠错率"),
            ("response_minutes", "吹哨报到响应时间（分钟）"),
            ("response_on_time_rate", "吹哨报到按时响应率")),
    # The API's tables (kpis.py TABLES), each shown and downloadable as xlsx and CSV.
    tables=(KpiTable("cases", "案件指标"), KpiTable("whistles", "吹哨报到")),
    exports=(KpiExport("案件指标", table="cases"), KpiExport("吹哨报到", table="whistles")),
    note="按期办结率 = 按期办结（无超期时限）/ 结案数；听证率 = 举行听证 / 告知听证权利；"
         "复议/诉讼纠错率 = 变更、撤销、确认违法、确认无效、责令履行 / 期间内作出结论的复议和诉讼；"
         "罚没金额为期间内作出的处罚决定的罚款与没收金额（行政处罚法第九条）。",
)
