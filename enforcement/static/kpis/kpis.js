/* The enforcement KPI page (/enforcement/kpis, declared in enforcement/teams/kpi_page.py,
 * drawn by the shared KPI page): asks GET /api/v1/enforcement/kpis?by=unit|area&level=…
 * for the period, in the user's territory, and draws each KPI per unit or per area as
 * horizontal SVG bars with the shared chart module (/static/charts.js), then the cases'
 * and the 吹哨报到 tables. The download buttons fetch the API's own xlsx/CSV (format,
 * table) with the token. Login, the address (grouping and period) and the loading are
 * /static/kpi-page.js's.
 */
import {drawChart} from "/static/charts.js";
import {canvas, download, fillTable, percent, query, run, table} from "/static/kpi-page.js";

// The page's groupings as the API's parameters (kpi_page.py `groups`).
const GROUPS = {unit: {by: "unit"}, county: {by: "area", level: "county"},
                township: {by: "area", level: "township"}};
const RATES = [["on_time_rate", "按期办结率"], ["hearing_rate", "听证率"],
               ["review_correction_rate", "复议/诉讼纠错率"]];
const RATE_COLOUR = "#2a9d8f";
const TITLES = {cases: "执法案件指标", whistles: "吹哨报到指标"};
const yuan = (fen) => (fen == null ? "—" : (fen / 100).toLocaleString("zh-CN"));

function start(options) {
  run(options, {
    groups: Object.keys(GROUPS),
    fetch: (session, wanted) => session.getJSON(`/enforcement/kpis?${apiQuery(wanted)}`),
    empty: (figures) => (figures.cases.length || figures.whistles.length
      ? "" : "该期间没有案件和吹哨报到"),
    draw,
    download: (session, wanted, button) => {
      const {table: name, format} = button.dataset;
      const url = `${options.apiBase}/enforcement/kpis?${apiQuery(wanted, {format,
                                                                             table: name})}`;
      return download(session, url, `${TITLES[name]}.${format}`);
    },
  });
}

// The API's query of what the address asks: the grouping's by/level and the period.
function apiQuery({group, since, until}, extra = {}) {
  return query({...GROUPS[group], since, until}, extra);
}

const nameOf = (row) => row.label || row.key || "—";

function draw(figures) {
  const cases = figures.cases;
  const labels = cases.map(nameOf);
  drawChart(canvas("counts", 2 * cases.length), {
    labels, horizontal: true, integers: true, title: "立案数与结案数",
    series: [{name: "立案数", colour: "#1d3557", values: cases.map((r) => r.filed)},
             {name: "结案数", colour: "#6c757d", values: cases.map((r) => r.closed)}],
  });
  for (const [key, name] of RATES) {
    drawChart(canvas(key, cases.length), {
      labels, horizontal: true, max: 1, format: percent, title: name,
      series: [{name, colour: RATE_COLOUR, values: cases.map((r) => r[key])}],
    });
  }
  drawChart(canvas("fines_fen", cases.length), {
    labels, horizontal: true, format: (v) => `${Math.round(v).toLocaleString("zh-CN")}`,
    title: "罚没金额（元）",
    series: [{name: "罚没金额（元）", colour: "#e76f00",
              values: cases.map((r) => r.fines_fen / 100)}],
  });
  drawWhistles(figures.whistles);
  drawTables(figures);
}

function drawWhistles(rows) {
  const labels = rows.map(nameOf);
  drawChart(canvas("response_minutes", 3 * rows.length), {
    labels, horizontal: true, title: "吹哨报到响应时间（分钟）",
    series: [["mean", "平均", "#1d3557"], ["median", "中位数", "#2a9d8f"],
             ["p90", "90分位", "#c1121f"]].map(([key, name, colour]) => ({
      name, colour, values: rows.map((r) => r.response_minutes[key])})),
  });
  drawChart(canvas("response_on_time_rate", rows.length), {
    labels, horizontal: true, max: 1, format: percent, title: "吹哨报到按时响应率",
    series: [{name: "按时响应率", colour: RATE_COLOUR,
              values: rows.map((r) => r.response_on_time_rate)}],
  });
}

function drawTables(figures) {
  fillTable(table("cases"),
            ["名称", "立案数", "结案数", "按期办结率", "罚没金额（元）", "听证率",
             "复议/诉讼纠错率"],
            figures.cases.map((r) => [nameOf(r), r.filed, r.closed, percent(r.on_time_rate),
                                      yuan(r.fines_fen), percent(r.hearing_rate),
                                      percent(r.review_correction_rate)]));
  fillTable(table("whistles"),
            ["名称", "报到要求数", "已响应", "按时响应率", "平均响应（分钟）",
             "响应中位数（分钟）", "响应90分位（分钟）", "超时"],
            figures.whistles.map((r) => [nameOf(r), r.calls, r.responded,
                                         percent(r.response_on_time_rate),
                                         r.response_minutes.mean, r.response_minutes.median,
                                         r.response_minutes.p90, r.overdue]));
}

export {start};
