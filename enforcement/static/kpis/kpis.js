/* The enforcement KPI page (/enforcement/kpis, enforcement/teams/kpi_page.py): logs in
 * (/static/session.js), asks GET /api/v1/enforcement/kpis?by=unit|area&level=… for the
 * period, in the user's territory, and draws each KPI per unit or per area as horizontal
 * SVG bars with the shared chart module (/static/charts.js), then the cases' and the
 * 吹哨报到 tables. The download buttons fetch the API's own xlsx/CSV (format, table) with
 * the token. The address keeps the grouping and the period (/static/kpi-page.js).
 */
import {drawChart} from "/static/charts.js";
import {asked as fromAddress, download as fetchFile, fillTable, navigate, percent, query,
        sizeFor} from "/static/kpi-page.js";
import {create as createSession, renderAccount} from "/static/session.js";

// The page's groupings as the API's parameters (kpi_page.py GROUPS).
const GROUPS = {unit: {by: "unit"}, county: {by: "area", level: "county"},
                township: {by: "area", level: "township"}};
const RATES = [["on_time_rate", "按期办结率"], ["hearing_rate", "听证率"],
               ["review_correction_rate", "复议/诉讼纠错率"]];
const RATE_COLOUR = "#2a9d8f";
const yuan = (fen) => (fen == null ? "—" : (fen / 100).toLocaleString("zh-CN"));

function start(options) {
  const page = {options, ticket: 0,
                main: document.querySelector(".ek-kpis"),
                form: document.querySelector(".ek-period"),
                status: document.querySelector(".ek-status")};
  page.session = createSession({
    apiBase: options.apiBase, title: "综合执法指标",
    onLogin: () => open(page), onLogout: () => { page.main.hidden = true; },
  });
  listen(page);
  page.session.start();
}

async function open(page) {
  const me = await page.session.getJSON("/auth/me");
  renderAccount(document.querySelector(".ek-account"), me, page.session);
  page.main.hidden = false;
  load(page);
}

function asked() {
  return fromAddress({group: Object.keys(GROUPS), since: null, until: null});
}

// The API's query of what the address asks: the grouping's by/level and the period.
function apiQuery(extra = {}) {
  const {group, since, until} = asked();
  return query({...GROUPS[group], since, until}, extra);
}

function listen(page) {
  const reload = () => load(page);
  for (const button of page.form.querySelectorAll("[data-group]")) {
    button.addEventListener("click", () => navigate({...asked(), group: button.dataset.group},
                                                    reload));
  }
  page.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(page.form);
    navigate({...asked(), since: data.get("since"), until: data.get("until")}, reload);
  });
  for (const button of page.form.querySelectorAll(".ek-export")) {
    button.addEventListener("click", () => download(page, button.dataset.table,
                                                    button.dataset.format));
  }
  window.addEventListener("popstate", reload);
}

async function load(page) {
  const wanted = asked();
  const ticket = ++page.ticket;
  page.form.since.value = wanted.since;
  page.form.until.value = wanted.until;
  for (const button of page.form.querySelectorAll("[data-group]")) {
    button.setAttribute("aria-pressed", String(button.dataset.group === wanted.group));
  }
  page.status.textContent = "加载中…";
  try {
    const figures = await page.session.getJSON(`/enforcement/kpis?${apiQuery()}`);
    if (ticket !== page.ticket) return;  // a newer request was made meanwhile
    page.status.textContent = figures.cases.length || figures.whistles.length
      ? "" : "该期间没有案件和吹哨报到";
    draw(figures);
  } catch (error) {
    if (ticket === page.ticket) page.status.textContent = error.message || String(error);
  }
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

function canvas(kpi, rows) {
  const figure = document.querySelector(`.ek-chart[data-kpi="${kpi}"] .ek-canvas`);
  figure.style.height = sizeFor(rows);  // every label stays readable
  return figure;
}

function drawTables(figures) {
  fillTable(document.querySelector('.ek-table[data-table="cases"]'),
            ["名称", "立案数", "结案数", "按期办结率", "罚没金额（元）", "听证率",
             "复议/诉讼纠错率"],
            figures.cases.map((r) => [nameOf(r), r.filed, r.closed, percent(r.on_time_rate),
                                      yuan(r.fines_fen), percent(r.hearing_rate),
                                      percent(r.review_correction_rate)]));
  fillTable(document.querySelector('.ek-table[data-table="whistles"]'),
            ["名称", "报到要求数", "已响应", "按时响应率", "平均响应（分钟）",
             "响应中位数（分钟）", "响应90分位（分钟）", "超时"],
            figures.whistles.map((r) => [nameOf(r), r.calls, r.responded,
                                         percent(r.response_on_time_rate),
                                         r.response_minutes.mean, r.response_minutes.median,
                                         r.response_minutes.p90, r.overdue]));
}

function download(page, table, format) {
  const url = `${page.options.apiBase}/enforcement/kpis?${apiQuery({format, table})}`;
  const title = table === "cases" ? "执法案件指标" : "吹哨报到指标";
  return fetchFile(page.session, url, `${title}.${format}`);
}

export {start};
