/* The KPI page's words, Chinese first (kpis.js and its parts); the static ones are marked
 * data-i18n in the page (api/pages.py). */
import * as i18n from "./i18n.js";

i18n.add({
  "kpi.title": {zh: "考核指标", en: "Performance indicators"},
  "kpi.up": {zh: "上一级", en: "Up one level"},
  "kpi.map": {zh: "地图", en: "Map"},
  "kpi.since": {zh: "开始", en: "From"},
  "kpi.until": {zh: "结束", en: "To"},
  "kpi.query": {zh: "查询", en: "Show"},
  "kpi.last30": {zh: "近30天", en: "Last 30 days"},
  "kpi.lastYear": {zh: "近一年", en: "Last year"},
  "kpi.figures": {zh: "指标", en: "Figures"},
  "kpi.rates": {zh: "比率", en: "Rates"},
  "kpi.ratesAxis": {zh: "比率 (%)", en: "Rate (%)"},
  "kpi.daily": {zh: "每日上报、立案、结案", en: "Reported, filed and closed per day"},
  "kpi.dailyShort": {zh: "每日趋势", en: "Daily trend"},
  "kpi.children": {zh: "下级区域：立案数、结案数、结案率",
                   en: "Child areas: filed, closed, close rate"},
  "kpi.childArea": {zh: "下级区域", en: "Child area"},
  "kpi.cases": {zh: "件", en: "cases"},
  "kpi.period": {zh: "{since} 至 {until}（{days} 天）", en: "{since} to {until} ({days} days)"},
  "kpi.loading": {zh: "加载中…", en: "Loading…"},
  "kpi.unit": {zh: "处置单位", en: "Handling unit"},
  "kpi.worker": {zh: "网格员 {code}", en: "Grid worker {code}"},
  "kpi.forbidden": {zh: "考核指标仅对中心工作人员和督导开放",
                    en: "The indicators are open to centre staff and supervisors only"},
  "kpi.notFound": {zh: "无法打开：没有这个区域或人员，或它不在您的辖区内",
                   en: "Cannot open: no such area or person in your territory"},
  "kpi.notAllowed": {zh: "无权访问", en: "Not allowed"},
  "kpi.failed": {zh: "加载失败", en: "Failed to load"},
  "figure.reported": {zh: "上报数", en: "Reported"},
  "figure.filed": {zh: "立案数", en: "Filed"},
  "figure.closed": {zh: "结案数", en: "Closed"},
  "figure.mean_handling_hours": {zh: "平均处置时长（自然小时）",
                                 en: "Mean handling time (natural hours)"},
  "figure.mean_handling_note": {
    zh: "平均处置时长按自然时间计：结案时刻减立案时刻，含夜间、周末和节假日（不是工作时长）",
    en: "Mean handling time counts natural time: closed minus filed, nights, weekends and "
      + "holidays included (not working hours)"},
  "figure.close_rate": {zh: "结案率", en: "Close rate"},
  "figure.close_rate_pct": {zh: "结案率 (%)", en: "Close rate (%)"},
  "figure.on_time_close_rate": {zh: "按期结案率", en: "Closed on time"},
  "figure.rework_rate": {zh: "返工率", en: "Rework rate"},
  "figure.valid_report_rate": {zh: "有效上报率", en: "Valid reports"},
  "figure.on_time_verification_rate": {zh: "按时核查率", en: "Verified on time"},
});

// The views, tables, exports and the printed report.
i18n.add({
  "kpi.print": {zh: "打印报表", en: "Print report"},
  "kpi.pdf": {zh: "下载PDF报表", en: "Download PDF report"},
  "kpi.pdfFailed": {zh: "PDF报表生成失败", en: "The PDF report failed"},
  "kpi.view.children": {zh: "下级区域", en: "Child areas"},
  "kpi.view.units": {zh: "处置单位", en: "Handling units"},
  "kpi.view.workers": {zh: "网格员", en: "Grid workers"},
  "kpi.views": {zh: "排名", en: "Rankings"},
  "kpi.rank": {zh: "名次", en: "Rank"},
  "kpi.code": {zh: "编号", en: "Code"},
  "kpi.staffCode": {zh: "工号", en: "Staff no."},
  "kpi.unitCode": {zh: "单位编码", en: "Unit code"},
  "kpi.none": {zh: "本期没有数据", en: "Nothing in this period"},
  "kpi.rankingChart": {zh: "{view}按“{figure}”排名（前 {count} 名）",
                       en: "{view} ranked by “{figure}” (top {count})"},
  "kpi.sortBy": {zh: "按“{column}”排序", en: "Sort by “{column}”"},
  "kpi.exportXlsx": {zh: "导出 Excel", en: "Export Excel"},
  "kpi.exportCsv": {zh: "导出 CSV", en: "Export CSV"},
  "kpi.exportFailed": {zh: "导出失败", en: "Export failed"},
  "kpi.report": {zh: "考核指标报表", en: "KPI report"},
  "kpi.printedAt": {zh: "打印时间：{at}", en: "Printed: {at}"},
  "kpi.rankingNote": {zh: "名次：按所选列排名，结案率等越高越好，返工率和处置时长越低越好",
                      en: "Rank: by the column sorted on; higher is better except rework "
                        + "rate and handling time"},
});

export {};
