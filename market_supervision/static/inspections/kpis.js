/* The market inspections' KPI page (/market/kpis, declared in inspections/kpi_page.py,
 * drawn by the shared KPI page): asks GET /api/v1/market/kpis?group=unit|area|item|
 * inspector for the period, in the user's territory, and draws each KPI as horizontal SVG
 * bars with the shared chart module (/static/charts.js), the counts as grouped bars, then
 * the table. The download buttons fetch the API's own xlsx/CSV (format=xlsx|csv) with the
 * token. Login, the address (?group=item&since=2026-01-01&until=…) and the loading are
 * /static/kpi-page.js's. The page holds no data of its own, and no risk class: the KPIs
 * have none.
 */
import {drawChart} from "/static/charts.js";
import {canvas, download, fillTable, percent, query, run, table} from "/static/kpi-page.js";

const RATES = ["completion_rate", "problem_rate", "rectification_rate",
               "on_time_publication_rate"];
const COUNTS = [["opened", "抽查数", "#6c757d"], ["done", "已完成", "#1d3557"],
                ["problems", "发现问题", "#c1121f"]];
const RATE_COLOUR = "#2a9d8f";
const COUNTS_ROWS = 8;  // the counts are vertical bars: a fixed height

function start(options) {
  run(options, {
    groups: ["unit", "area", "item", "inspector"],
    fetch: (session, wanted) => session.getJSON(`/market/kpis?${query(wanted)}`),
    empty: (figures) => (figures.rows.length ? "" : "该期间没有检查"),
    draw,
    download: (session, wanted, button) => {
      const format = button.dataset.format;
      const url = `${options.apiBase}/market/kpis?${query(wanted, {format})}`;
      return download(session, url, `市场检查指标.${format}`);
    },
  });
}

function draw(figures) {
  const labels = figures.rows.map((row) => row.name || row.key || "—");
  for (const rate of RATES) {
    const values = figures.rows.map((row) => row[rate]);
    drawChart(canvas(rate, figures.rows.length), {
      labels, horizontal: true, max: 1, format: percent, title: figures.labels[rate],
      series: [{name: figures.labels[rate], values, colour: RATE_COLOUR}],
    });
  }
  drawChart(canvas("counts", COUNTS_ROWS), {
    labels, integers: true, title: "抽查数、已完成与发现问题",
    series: COUNTS.map(([key, name, colour]) => ({
      name, colour, values: figures.rows.map((row) => row.counts[key])})),
  });
  drawTable(figures);
}

function drawTable(figures) {
  const head = ["名称", "抽查数", "已完成", "发现问题", ...RATES.map((r) => figures.labels[r])];
  fillTable(table("inspections"), head, figures.rows.map((r) => [
    r.name || r.key, r.counts.opened, r.counts.done, r.counts.problems,
    ...RATES.map((rate) => percent(r[rate]))]));
}

export {start};
