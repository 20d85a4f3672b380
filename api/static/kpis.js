/* The KPI page (/kpis, api/pages.py): logs in (session.js), then draws the KPIs of an
 * area, a handling unit or a grid worker as SVG charts (charts.js) and ranked tables
 * (kpis-tables.js), exported as Excel or CSV, printed as a report (kpis.css @media
 * print) and downloaded as the server's PDF report (/kpis/report.pdf).
 *
 * What it shows comes from the address: /kpis?area=430202 (or unit=<id>, worker=<id>),
 * with since=YYYY-MM-DD and until=YYYY-MM-DD (excluded) for another period than the API's
 * default, the last 30 days, and view=children|units|workers for the table shown; with
 * no subject, the user's own scope area. The page holds no data of its own: every figure
 * is the authenticated API's answer, inside the user's scope (/api/v1/kpis,
 * /kpis/children, /kpis/series, /kpis/units, /kpis/workers).
 *
 * Drawn: the counts (上报数, 立案数, 结案数, mean handling time in natural hours), the five
 * rates as bars, reported/filed/closed per day as lines; for an area, each child area as
 * bars (立案数, 结案数 and 结案率, a click going one level down) and the rankings of its
 * child areas, handling units and grid workers, each a table and a chart of the column
 * sorted on.
 */
import * as i18n from "./i18n.js";
import "./kpis-strings.js";
import {drawChart} from "./charts.js";
import {LoginRequired, create as createSession, element, renderAccount} from "./session.js";
import {RATES, round1, shown} from "./kpis-tables.js";
import {downloadReport, exportShown, makeView, drawView, showView} from "./kpis-views.js";

const t = i18n.t;
const COUNTS = ["reported", "filed", "closed", "mean_handling_hours"];
const figureLabel = (key) => t(`figure.${key}`);
const SUBJECTS = ["area", "unit", "worker"];
const COLOURS = {reported: "#6c757d", filed: "#1d3557", closed: "#2a9d8f", rate: "#e76f00"};
const DAY_MS = 24 * 3600 * 1000;

function start(options) {
  const page = {
    options, me: null, shown: null,
    ticket: 0,     // the latest load; older answers are dropped
    views: {},     // name -> {name, rows, sort, order, ...} of the subject shown
    sorts: {},     // name -> {sort, order}: kept from one area to the next
    nodes: Object.fromEntries(Object.entries({
      account: ".kpi-account", title: ".kpi-subject", period: ".kpi-period-text",
      status: ".kpi-status", cards: ".kpi-cards", form: ".kpi-period", up: ".kpi-up",
      mapLink: ".kpi-map-link", childrenFigure: ".kpi-children", views: ".kpi-views",
      table: ".kpi-table", rankingCaption: ".kpi-ranking-caption", report: ".kpi-report",
    }).map(([name, selector]) => [name, document.querySelector(selector)])),
  };
  // Another language: draw what is shown again in it (no new request).
  i18n.onChange(() => page.shown && render(page, ...page.shown));
  // What the rankings (kpis-views.js) ask of the page.
  page.nav = {navigate: (wanted) => navigate(page, wanted), asked, query,
              subjectQuery: () => subjectQuery(page), showError: (e) => showError(page, e)};
  page.session = createSession({
    apiBase: options.apiBase, title: t("kpi.title"),
    onLogin: () => open(page), onLogout: () => clear(page),
  });
  listen(page);
  clear(page);
  page.session.start();
}

function listen(page) {
  const {form} = page.nodes;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const until = data.get("until") && addDays(data.get("until"), 1);  // the last day shown
    navigate(page, {...asked(), since: data.get("since") || null, until: until || null});
  });
  for (const button of form.querySelectorAll("button[data-days]")) {
    button.addEventListener("click", () => {
      const until = addDays(today(), 1);
      navigate(page, {...asked(), since: addDays(until, -Number(button.dataset.days)), until});
    });
  }
  for (const tab of document.querySelectorAll(".kpi-view-tabs [data-view]")) {
    tab.addEventListener("click", () => {
      window.history.replaceState(null, "", `?${query({...asked(), view: tab.dataset.view})}`);
      showView(page, tab.dataset.view);
    });
  }
  for (const button of document.querySelectorAll(".kpi-export[data-format]")) {
    button.addEventListener("click", () => exportShown(page, button.dataset.format));
  }
  document.querySelector(".kpi-print").addEventListener("click", () => window.print());
  document.querySelector(".kpi-pdf").addEventListener("click", () => downloadReport(page));
  window.addEventListener("beforeprint", () => {
    page.nodes.report.dataset.printed = t("kpi.printedAt", {
      at: new Date().toLocaleString("zh-CN", {timeZone: "Asia/Shanghai", hour12: false})});
  });
  window.addEventListener("popstate", () => page.me && load(page));
}

// --- what to show: the address -------------------------------------------------------

function asked() {
  const address = new URLSearchParams(window.location.search);
  const wanted = {};
  for (const key of [...SUBJECTS, "since", "until", "view"]) {
    if (address.get(key)) wanted[key] = address.get(key);
  }
  return wanted;
}

function query(wanted) {
  const params = new URLSearchParams();
  for (const [key, value_] of Object.entries(wanted)) if (value_) params.set(key, value_);
  return params;
}

function navigate(page, wanted) {
  window.history.pushState(null, "", `${window.location.pathname}?${query(wanted)}`);
  load(page);
}

// --- one login -----------------------------------------------------------------------

async function open(page) {
  try {
    page.me = await page.session.getJSON("/auth/me");
    renderAccount(page.nodes.account, page.me, page.session);
    document.body.classList.remove("gridgov-logged-out");
    if (!page.me.permissions.includes("kpi:read")) {
      showError(page, {status: 403, message: t("kpi.forbidden")});
      return;
    }
    await load(page);
  } catch (error) {
    showError(page, error);
  }
}

function clear(page) {
  page.me = null;
  page.ticket++;
  blank(page);
  page.nodes.account.replaceChildren();
  page.nodes.status.replaceChildren();
  document.body.classList.add("gridgov-logged-out");
}

// No figures shown: after a logout, or when the API refused what the address asks for.
function blank(page) {
  page.shown = null;
  page.views = {};
  for (const chart of document.querySelectorAll(".kpi-chart")) chart.replaceChildren();
  const {title, period, cards, table} = page.nodes;
  for (const node of [title, period, cards, table]) node.replaceChildren();
  page.nodes.childrenFigure.hidden = true;
  page.nodes.views.hidden = true;
  delete document.body.dataset.loaded;
  delete document.body.dataset.view;
}

// The subject and period of the address, as the API asks them (without the view).
function subjectQuery(page) {
  const {view, ...wanted} = asked();
  if (!SUBJECTS.some((key) => key in wanted)) wanted.area = page.me.scope.code;
  return wanted;
}

async function load(page) {
  const ticket = ++page.ticket;
  const wanted = subjectQuery(page);
  const params = query(wanted);
  const isArea = "area" in wanted;
  page.nodes.status.textContent = t("kpi.loading");
  page.nodes.status.classList.remove("kpi-error");
  try {
    // An area's breakdown holds its own figures too: two calls either way.
    const [summary, series] = await Promise.all([
      page.session.getJSON(`/kpis${isArea ? "/children" : ""}?${params}`),
      page.session.getJSON(`/kpis/series?${params}`),
    ]);
    if (ticket !== page.ticket) return;
    page.nodes.status.textContent = "";
    page.views = {};
    page.shown = [summary, series];
    render(page, summary, series);
    if (isArea) await showView(page, asked().view || "children");
  } catch (error) {
    if (ticket === page.ticket) showError(page, error);
  }
}

// --- drawing -------------------------------------------------------------------------

function render(page, summary, series) {
  const {subject, period, figures} = summary;
  renderTitle(page, subject, period);
  renderCards(page, figures);
  drawRates(figures);
  drawDaily(series.days);
  const children = summary.children || [];
  page.nodes.childrenFigure.hidden = !children.length;
  if (children.length) drawChildren(page, children);
  page.nodes.views.hidden = subject.kind !== "area";
  if (subject.kind === "area") {
    page.views.children = makeView(page, "children", children.map((child) => ({
      ...child, title: `${t(`level.${child.level}`)} ${child.code}`})));
    const shownView = document.body.dataset.view;
    if (shownView && page.views[shownView]) drawView(page, page.views[shownView]);
  }
  document.body.dataset.loaded = `${subject.kind}:${subject.code || subject.unit_id
                                    || subject.worker_id}`;
}

function renderTitle(page, subject, period) {
  const kind = subject.kind === "area" ? t(`level.${subject.level}`)
    : subject.kind === "unit" ? t("kpi.unit")
      : t("kpi.worker", {code: subject.staff_code || ""});
  page.nodes.title.replaceChildren(element("strong", subject.name), element("span", ` · ${kind}`));
  const last = addDays(period.until.slice(0, 10), period.until.slice(11, 19) === "00:00:00" ? -1 : 0);
  const periodText = t("kpi.period", {
    since: period.since.slice(0, 10), until: last, days: Math.round(period.days)});
  page.nodes.period.textContent = periodText;
  page.nodes.report.textContent = `${t("kpi.report")} · ${subject.name} · ${kind} · ${periodText}`;
  page.subjectName = subject.name;
  const form = page.nodes.form.elements;
  form.since.value = period.since.slice(0, 10);
  form.until.value = last;
  // Up one level, as far as the user's scope reaches; and the same area on the map.
  const parent = subject.kind === "area" && subject.code !== page.me.scope.code
    && parentCode(subject.code, subject.level);
  page.nodes.up.hidden = !parent;
  if (parent) {
    page.nodes.up.onclick = (event) => {
      event.preventDefault();
      navigate(page, {...asked(), area: parent});
    };
  }
  page.nodes.mapLink.href = subject.kind === "area" ? `/map/${subject.code}` : "/map";
}

function renderCards(page, figures) {
  const cards = [...COUNTS, ...RATES].map((key) => card(figureLabel(key),
                                                         shown(key, figures[key]), key));
  cards[COUNTS.indexOf("mean_handling_hours")].title = t("figure.mean_handling_note");
  page.nodes.cards.replaceChildren(...cards);
}

function card(label, text, key) {
  const node = document.createElement("div");
  node.className = "kpi-card";
  node.dataset.kpi = key;
  node.append(element("span", label), element("strong", text));
  return node;
}

const percentText = (v) => `${v}%`;

function drawRates(figures) {
  drawChart(document.getElementById("kpi-rates"), {
    title: t("kpi.rates"), horizontal: true, max: 100, format: percentText,
    labels: RATES.map(figureLabel),
    series: [{name: t("kpi.ratesAxis"), type: "bar", colour: COLOURS.filed,
              colours: RATES.map((key) => (key === "rework_rate" ? "#c1121f" : COLOURS.filed)),
              values: RATES.map((key) => (figures[key] == null ? null
                : round1(figures[key] * 100)))}],
  });
}

function drawDaily(days) {
  drawChart(document.getElementById("kpi-daily"), {
    title: t("kpi.dailyShort"), type: "line", integers: true,
    labels: days.map((day) => day.date.slice(5)),
    series: ["reported", "filed", "closed"].map((key) => ({
      name: figureLabel(key), colour: COLOURS[key], values: days.map((day) => day[key])})),
  });
}

function drawChildren(page, children) {
  drawChart(document.getElementById("kpi-children"), {
    title: t("kpi.childArea"), integers: true, rightMax: 100, rightFormat: percentText,
    labels: children.map((child) => child.name),
    series: [
      {name: figureLabel("filed"), colour: COLOURS.filed,
       values: children.map((c) => c.figures.filed)},
      {name: figureLabel("closed"), colour: COLOURS.closed,
       values: children.map((c) => c.figures.closed)},
      {name: figureLabel("close_rate_pct"), type: "points", axis: "right", colour: COLOURS.rate,
       values: children.map((c) => (c.figures.close_rate == null ? null
         : round1(c.figures.close_rate * 100)))},
    ],
    onClick: (index) => navigate(page, {...asked(), area: children[index].code}),
  });
}

// --- panels --------------------------------------------------------------------------

function showError(page, error) {
  if (error instanceof LoginRequired) return;  // the login form says it
  blank(page);
  const detail = error.problem ? i18n.problem(error.problem, error.message) : error.message;
  const text = error.status === 404 ? `${t("kpi.notFound")}: ${detail}`
    : error.status === 403 ? `${t("kpi.notAllowed")}: ${detail}`
      : `${t("kpi.failed")}: ${detail}`;
  page.nodes.status.textContent = text;
  page.nodes.status.classList.add("kpi-error");
}

// --- small helpers -------------------------------------------------------------------

function parentCode(code, level) {
  if (level === "county") return `${code.slice(0, 4)}00`;
  const length = {township: 6, village: 9, grid: 12}[level];
  return length ? code.slice(0, length) : null;
}

// Dates as YYYY-MM-DD, the calendar of Asia/Shanghai (the API's days).
function today() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

function addDays(day, days) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export {start};
