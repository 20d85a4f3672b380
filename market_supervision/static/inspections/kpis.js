/* The market inspections' KPI page (/market/kpis, inspections/kpi_page.py): logs in
 * (/static/session.js), asks GET /api/v1/market/kpis?group=unit|area|item|inspector for
 * the period, in the user's territory, and draws each KPI as horizontal SVG bars with the
 * shared chart module (/static/charts.js), the counts as grouped bars, then the table.
 * The download buttons fetch the API's own xlsx/CSV (format=xlsx|csv) with the token.
 * The address keeps the group and the period (?group=item&since=2026-01-01&until=…).
 * The page holds no data of its own, and no risk class: the KPIs have none.
 */
import {drawChart} from "/static/charts.js";
import {asked as fromAddress, download as fetchFile, fillTable, navigate as go, percent, query,
        sizeFor} from "/static/kpi-page.js";
import {create as createSession, renderAccount} from "/static/session.js";

const RATES = ["completion_rate", "problem_rate", "rectification_rate",
               "on_time_publication_rate"];
const COUNTS = [["opened", "抽查数", "#6c757d"], ["done", "已完成", "#1d3557"],
                ["problems", "发现问题", "#c1121f"]];
const RATE_COLOUR = "#2a9d8f";
const GROUPS = ["unit", "area", "item", "inspector"];

function start(options) {
  const page = {options, ticket: 0, table: null,
                main: document.querySelector(".mk-kpis"),
                form: document.querySelector(".mk-period"),
                status: document.querySelector(".mk-status")};
  page.session = createSession({
    apiBase: options.apiBase, title: "市场监管检查指标",
    onLogin: () => open(page), onLogout: () => { page.main.hidden = true; },
  });
  listen(page);
  page.session.start();
}

async function open(page) {
  const me = await page.session.getJSON("/auth/me");
  renderAccount(document.querySelector(".mk-account"), me, page.session);
  page.main.hidden = false;
  load(page);
}

// --- the address: group and period -----------------------------------------------------

function asked() {
  return fromAddress({group: GROUPS, since: null, until: null});
}

function listen(page) {
  for (const button of page.form.querySelectorAll("[data-group]")) {
    button.addEventListener("click", () => navigate(page, {...asked(),
                                                             group: button.dataset.group}));
  }
  page.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(page.form);
    navigate(page, {...asked(), since: data.get("since"), until: data.get("until")});
  });
  for (const button of page.form.querySelectorAll(".mk-export")) {
    button.addEventListener("click", () => download(page, button.dataset.format));
  }
  window.addEventListener("popstate", () => load(page));
}

function navigate(page, wanted) {
  go(wanted, () => load(page));
}

// --- loading and drawing ---------------------------------------------------------------

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
    const table = await page.session.getJSON(`/market/kpis?${query(wanted)}`);
    if (ticket !== page.ticket) return;  // a newer request was made meanwhile
    page.table = table;
    page.status.textContent = table.rows.length ? "" : "该期间没有检查";
    draw(table);
  } catch (error) {
    if (ticket === page.ticket) page.status.textContent = error.message || String(error);
  }
}

function draw(table) {
  const labels = table.rows.map((row) => row.name || row.key || "—");
  for (const rate of RATES) {
    const values = table.rows.map((row) => row[rate]);
    drawChart(canvas(rate), {
      labels, horizontal: true, max: 1, format: percent, title: table.labels[rate],
      series: [{name: table.labels[rate], values, colour: RATE_COLOUR}],
    });
  }
  drawChart(canvas("counts"), {
    labels, integers: true, title: "抽查数、已完成与发现问题",
    series: COUNTS.map(([key, name, colour]) => ({
      name, colour, values: table.rows.map((row) => row.counts[key])})),
  });
  drawTable(table);
}

function canvas(kpi) {
  const figure = document.querySelector(`.mk-chart[data-kpi="${kpi}"] .mk-canvas`);
  // A horizontal chart grows with its rows, so that every label stays readable.
  figure.style.height = sizeFor(kpi === "counts" ? 8 : rowsShown());
  return figure;
}

function rowsShown() {
  return document.querySelectorAll(".mk-table tbody tr").length;
}

function drawTable(table) {
  const head = ["名称", "抽查数", "已完成", "发现问题", ...RATES.map((r) => table.labels[r])];
  fillTable(document.querySelector(".mk-table"), head, table.rows.map((r) => [
    r.name || r.key, r.counts.opened, r.counts.done, r.counts.problems,
    ...RATES.map((rate) => percent(r[rate]))]));
}

function download(page, format) {
  const url = `${page.options.apiBase}/market/kpis?${query(asked(), {format})}`;
  return fetchFile(page.session, url, `市场检查指标.${format}`);
}

export {start};
