"""The inspections' KPIs as charts (issue 14 §6): the page /market/kpis, declared for the
shared KPI page (core/kpi_pages.py, drawn by api/kpi_pages.py): a shell without data (no
login to load it, like /kpis) whose module (static/inspections/kpis.js) logs in, asks
GET /api/v1/market/kpis in the caller's territory and draws each KPI as SVG bars with the
shared chart module (/static/charts.js); the table below, and its xlsx/CSV download, are
the API's own. Never a risk class: the KPIs hold none."""

from core.kpi_pages import KpiExport, KpiPage, KpiTable
from market_supervision.inspections.kpis import GROUP_LABELS, LABELS

PAGE = KpiPage(
    path="/market/kpis", title="市场监管检查指标", platform="market_supervision",
    module="market_supervision/inspections/kpis.js",
    groups=tuple(GROUP_LABELS.items()),
    charts=(*LABELS.items(), ("counts", "抽查数、已完成与发现问题")),
    tables=(KpiTable("inspections"),),
    exports=(KpiExport("导出"),),
    note="抽查完成率 = 已完成（待审核及以后）/ 抽查数；问题发现率 = 发现问题 / 已完成；"
         "整改完成率 = 复查确认整改完成 / 责令整改；按期公示率 = 按期公示 / 应公示（20 个工作日内，"
         "企业信息公示暂行条例第六条）。",
)
