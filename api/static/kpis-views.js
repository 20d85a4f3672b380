/* The KPI page's rankings (kpis.js): the child areas, handling units and grid workers of
 * the area shown, each a sorted, ranked table (kpis-tables.js) with the chart of its best
 * rows on the column sorted on (charts.js), exported as shown. Units and workers are
 * asked for (/kpis/units, /kpis/workers) when their tab is first opened.
 *
 * `page.nav` is what the page gives: navigate(wanted), asked(), query(wanted),
 * subjectQuery() and showError(error).
 */
import * as i18n from "./i18n.js";
import {drawChart} from "./charts.js";
import {RATES, exportTable, fileOf, firstOrder, renderTable, round1, safeName, saveFile,
        sortRows, value} from "./kpis-tables.js";

const t = i18n.t;
const VIEWS = ["children", "units", "workers"];
const RANKING_TOP = 15;
const BAR = "#1d3557";
const figureLabel = (key) => t(`figure.${key}`);
const percentText = (v) => `${v}%`;

const VIEW_HEADERS = {
  children: ["kpi.childArea", "kpi.code"], units: ["kpi.unit", "kpi.unitCode"],
  workers: ["kpi.view.workers", "kpi.staffCode"],
};

function makeView(page, name, rows) {
  const sorted = page.sorts[name] || {sort: "close_rate", order: "desc"};
  return {name, rows, ...sorted, nameHeader: t(VIEW_HEADERS[name][0]),
          codeHeader: t(VIEW_HEADERS[name][1])};
}

// The view's rows: the child areas came with the figures; units and workers are asked
// for when first shown, once per subject and period.
async function showView(page, name) {
  if (!VIEWS.includes(name)) name = "children";
  for (const tab of document.querySelectorAll(".kpi-view-tabs [data-view]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.view === name));
  }
  const ticket = page.ticket;
  if (!page.views[name]) {
    try {
      const subject = page.nav.query(page.nav.subjectQuery());
      const answer = await page.session.getJSON(`/kpis/${name}?${subject}`);
      if (ticket !== page.ticket) return;
      page.views[name] = makeView(page, name, answer.rows);
    } catch (error) {
      if (ticket === page.ticket) page.nav.showError(error);
      return;
    }
  }
  document.body.dataset.view = name;
  drawView(page, page.views[name]);
}

function drawView(page, view) {
  view.nameHeader = t(VIEW_HEADERS[view.name][0]);
  view.codeHeader = t(VIEW_HEADERS[view.name][1]);
  renderTable(page.nodes.table, view, {
    onSort(sorted) {
      page.sorts[sorted.name] = {sort: sorted.sort, order: sorted.order};
      drawView(page, sorted);
    },
    href: (row) => `?${page.nav.query(rowSubject(page, view.name, row))}`,
    onOpen: (row) => page.nav.navigate(rowSubject(page, view.name, row)),
  });
  drawRanking(page, view);
}

// Where a row's name leads: the child area, the unit or the worker, the same period.
function rowSubject(page, name, row) {
  const {since, until} = page.nav.asked();
  const subject = name === "children" ? {area: row.code}
    : name === "units" ? {unit: row.id} : {worker: row.id};
  return {...subject, since, until};
}

// The chart of the table: the best rows on the column sorted on (the close rate when
// sorted by name), whichever way the table runs, as bars.
function drawRanking(page, view) {
  const figure = ["name", "code"].includes(view.sort) ? "close_rate" : view.sort;
  const rows = sortRows(view.rows, figure, firstOrder(figure))
    .filter((row) => value(row, figure) != null).slice(0, RANKING_TOP);
  const rate = RATES.includes(figure);
  page.nodes.rankingCaption.textContent = t("kpi.rankingChart", {
    view: t(`kpi.view.${view.name}`), figure: figureLabel(figure), count: rows.length});
  const chart = document.getElementById("kpi-ranking");
  chart.style.height = `${Math.max(120, 26 * rows.length + 40)}px`;
  drawChart(chart, {
    title: page.nodes.rankingCaption.textContent, horizontal: true,
    max: rate ? 100 : null, format: rate ? percentText : String, integers: !rate,
    labels: rows.map((row) => row.name),
    series: [{name: figureLabel(figure), colour: BAR,
              values: rows.map((row) => (rate ? round1(row.figures[figure] * 100)
                : row.figures[figure]))}],
    onClick: (index) => page.nav.navigate(rowSubject(page, view.name, rows[index])),
  });
}

async function exportShown(page, format) {
  const view = page.views[document.body.dataset.view];
  if (!view) return;
  const title = `${t("kpi.title")}-${page.subjectName}-${t(`kpi.view.${view.name}`)}`;
  try {
    await exportTable(page.session, view, {format, title});
  } catch (error) {
    page.nodes.status.textContent = `${t("kpi.exportFailed")}: ${error.message}`;
    page.nodes.status.classList.add("kpi-error");
  }
}

// 下载PDF报表: the server's report of the subject and period shown (GET /kpis/report.pdf:
// figures, charts and, for an area, its rankings), ranked on the column the table shown
// is sorted on (the close rate when sorted by name or code).
async function downloadReport(page) {
  if (!page.shown) return;
  const view = page.views[document.body.dataset.view];
  const sort = view && !["name", "code"].includes(view.sort) ? view.sort : "close_rate";
  const params = page.nav.query({...page.nav.subjectQuery(), sort});
  try {
    const response = await page.session.api(`/kpis/report.pdf?${params}`);
    saveFile(await fileOf(response), `${safeName(`${t("kpi.report")}-${page.subjectName}`)}.pdf`);
  } catch (error) {
    page.nodes.status.textContent = `${t("kpi.pdfFailed")}: ${error.message}`;
    page.nodes.status.classList.add("kpi-error");
  }
}

export {downloadReport, exportShown, makeView, drawView, showView};
