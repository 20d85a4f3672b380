/* The KPI page (/kpis, api/pages.py): logs in (session.js), then draws the KPIs of an
 * area, a handling unit or a grid worker with Chart.js (vendored under /static/vendor).
 *
 * What it shows comes from the address: /kpis?area=430202 (or unit=<id>, worker=<id>),
 * with since=YYYY-MM-DD and until=YYYY-MM-DD (excluded) for another period than the API's
 * default, the last 30 days; with no subject, the user's own scope area. The page holds
 * no data of its own: every figure is the authenticated API's answer, inside the user's
 * scope (/api/v1/kpis, /kpis/children, /kpis/series).
 *
 * Drawn: the counts (上报数, 立案数, 结案数, mean handling time), the five rates as bars,
 * reported/filed/closed per day as lines, and for an area each child area as bars (立案数,
 * 结案数 and 结案率), a click on a child going one level down.
 */
import * as i18n from "./i18n.js";
import {element, LoginRequired, create as createSession, renderAccount} from "./session.js";

const t = i18n.t;

// Every word the page shows, Chinese first; the static ones are marked data-i18n in the
// page (api/pages.py).
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
  "figure.mean_handling_hours": {zh: "平均处置时长（小时）", en: "Mean handling time (h)"},
  "figure.close_rate": {zh: "结案率", en: "Close rate"},
  "figure.close_rate_pct": {zh: "结案率 (%)", en: "Close rate (%)"},
  "figure.on_time_close_rate": {zh: "按期结案率", en: "Closed on time"},
  "figure.rework_rate": {zh: "返工率", en: "Rework rate"},
  "figure.valid_report_rate": {zh: "有效上报率", en: "Valid reports"},
  "figure.on_time_verification_rate": {zh: "按时核查率", en: "Verified on time"},
});

const COUNTS = ["reported", "filed", "closed", "mean_handling_hours"];
const RATES = ["close_rate", "on_time_close_rate", "rework_rate", "valid_report_rate",
               "on_time_verification_rate"];
const figureLabel = (key) => t(`figure.${key}`);
const SUBJECTS = ["area", "unit", "worker"];
const COLOURS = {reported: "#6c757d", filed: "#1d3557", closed: "#2a9d8f", rate: "#e76f00"};
const DAY_MS = 24 * 3600 * 1000;

function start(options) {
  const page = {
    options,
    me: null,
    charts: {},    // name -> Chart
    ticket: 0,     // the latest load; older answers are dropped
    nodes: {
      account: document.querySelector(".kpi-account"),
      title: document.querySelector(".kpi-subject"),
      period: document.querySelector(".kpi-period-text"),
      status: document.querySelector(".kpi-status"),
      cards: document.querySelector(".kpi-cards"),
      children: document.querySelector(".kpi-children-table"),
      childrenFigure: document.querySelector(".kpi-children"),
      form: document.querySelector(".kpi-period"),
      up: document.querySelector(".kpi-up"),
      mapLink: document.querySelector(".kpi-map-link"),
    },
  };
  // Another language: draw what is shown again in it (no new request).
  i18n.onChange(() => page.shown && render(page, ...page.shown));
  page.session = createSession({
    apiBase: options.apiBase, title: t("kpi.title"),
    onLogin: () => open(page), onLogout: () => clear(page),
  });
  page.nodes.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(page.nodes.form);
    const until = form.get("until") && addDays(form.get("until"), 1);  // the last day shown
    navigate(page, {...asked(), since: form.get("since") || null, until: until || null});
  });
  for (const button of page.nodes.form.querySelectorAll("button[data-days]")) {
    button.addEventListener("click", () => {
      const until = addDays(today(), 1);
      navigate(page, {...asked(), since: addDays(until, -Number(button.dataset.days)), until});
    });
  }
  window.addEventListener("popstate", () => page.me && load(page));
  clear(page);
  page.session.start();
}

// --- what to show: the address -------------------------------------------------------

function asked() {
  const query = new URLSearchParams(window.location.search);
  const wanted = {};
  for (const key of [...SUBJECTS, "since", "until"]) {
    if (query.get(key)) wanted[key] = query.get(key);
  }
  return wanted;
}

function navigate(page, wanted) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(wanted)) if (value) query.set(key, value);
  window.history.pushState(null, "", `${window.location.pathname}?${query}`);
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
  page.shown = null;
  page.ticket++;
  blank(page);
  page.nodes.account.replaceChildren();
  page.nodes.status.replaceChildren();
  document.body.classList.add("gridgov-logged-out");
}

// No figures shown: after a logout, or when the API refused what the address asks for.
function blank(page) {
  for (const chart of Object.values(page.charts)) chart.destroy();
  page.charts = {};
  const {title, period, cards, children} = page.nodes;
  for (const node of [title, period, cards, children]) node.replaceChildren();
  page.nodes.childrenFigure.hidden = true;
  delete document.body.dataset.loaded;
}

async function load(page) {
  const ticket = ++page.ticket;
  const wanted = asked();
  if (!SUBJECTS.some((key) => key in wanted)) wanted.area = page.me.scope.code;
  const query = new URLSearchParams(wanted);
  const isArea = "area" in wanted;
  page.nodes.status.textContent = t("kpi.loading");
  page.nodes.status.classList.remove("kpi-error");
  try {
    // An area's breakdown holds its own figures too: two calls either way.
    const [summary, series] = await Promise.all([
      page.session.getJSON(`/kpis${isArea ? "/children" : ""}?${query}`),
      page.session.getJSON(`/kpis/series?${query}`),
    ]);
    if (ticket !== page.ticket) return;
    page.nodes.status.textContent = "";
    page.shown = [summary, series];
    render(page, summary, series);
  } catch (error) {
    if (ticket === page.ticket) showError(page, error);
  }
}

// --- drawing -------------------------------------------------------------------------

function render(page, summary, series) {
  const {subject, period, figures} = summary;
  renderTitle(page, subject, period);
  renderCards(page, figures);
  drawRates(page, figures);
  drawDaily(page, series.days);
  const children = summary.children || [];
  page.nodes.childrenFigure.hidden = !children.length;
  drawChildren(page, children);
  renderChildrenTable(page, children);
  document.body.dataset.loaded = `${subject.kind}:${subject.code || subject.unit_id
                                    || subject.worker_id}`;
}

function renderTitle(page, subject, period) {
  const kind = subject.kind === "area" ? t(`level.${subject.level}`)
    : subject.kind === "unit" ? t("kpi.unit")
      : t("kpi.worker", {code: subject.staff_code || ""});
  page.nodes.title.replaceChildren(element("strong", subject.name), element("span", ` · ${kind}`));
  const last = addDays(period.until.slice(0, 10), period.until.slice(11, 19) === "00:00:00" ? -1 : 0);
  page.nodes.period.textContent = t("kpi.period", {
    since: period.since.slice(0, 10), until: last, days: Math.round(period.days)});
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
  const cards = COUNTS.map((key) => card(figureLabel(key), key === "mean_handling_hours"
    ? hours(figures[key]) : figures[key].toLocaleString("zh-CN"), key));
  cards.push(...RATES.map((key) => card(figureLabel(key), percent(figures[key]), key)));
  page.nodes.cards.replaceChildren(...cards);
}

function card(label, value, key) {
  const node = document.createElement("div");
  node.className = "kpi-card";
  node.dataset.kpi = key;
  const figure = element("strong", value);
  node.append(element("span", label), figure);
  return node;
}

function drawRates(page, figures) {
  chart(page, "rates", {
    type: "bar",
    data: {
      labels: RATES.map(figureLabel),
      datasets: [{
        label: t("kpi.ratesAxis"),
        data: RATES.map((key) => figures[key] == null ? null : round1(figures[key] * 100)),
        backgroundColor: RATES.map((key) => key === "rework_rate" ? "#c1121f" : COLOURS.filed),
      }],
    },
    options: {
      indexAxis: "y",
      scales: {x: {min: 0, max: 100, ticks: {callback: (value) => `${value}%`}}},
      plugins: {legend: {display: false}},
    },
  });
}

function drawDaily(page, days) {
  chart(page, "daily", {
    type: "line",
    data: {
      labels: days.map((day) => day.date.slice(5)),
      datasets: ["reported", "filed", "closed"].map((key) => [key, figureLabel(key)]).map(
        ([key, label]) => ({
          label, data: days.map((day) => day[key]), borderColor: COLOURS[key],
          backgroundColor: COLOURS[key], pointRadius: days.length > 60 ? 0 : 2,
        })),
    },
    options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}},
  });
}

function drawChildren(page, children) {
  chart(page, "children", {
    data: {
      labels: children.map((child) => child.name),
      datasets: [
        {type: "bar", label: figureLabel("filed"), data: children.map((c) => c.figures.filed),
         backgroundColor: COLOURS.filed, yAxisID: "y", maxBarThickness: 48},
        {type: "bar", label: figureLabel("closed"), data: children.map((c) => c.figures.closed),
         backgroundColor: COLOURS.closed, yAxisID: "y", maxBarThickness: 48},
        {type: "line", label: figureLabel("close_rate_pct"), yAxisID: "rate",
         borderColor: COLOURS.rate,
         backgroundColor: COLOURS.rate, showLine: false, pointRadius: 4,
         data: children.map((c) => c.figures.close_rate == null ? null
           : round1(c.figures.close_rate * 100))},
      ],
    },
    options: {
      scales: {
        y: {beginAtZero: true, ticks: {precision: 0}, title: {display: true, text: t("kpi.cases")}},
        rate: {position: "right", min: 0, max: 100, grid: {drawOnChartArea: false},
               ticks: {callback: (value) => `${value}%`}},
        x: {ticks: {autoSkip: children.length > 40}},
      },
      onClick(event, elements) {
        const child = elements.length && children[elements[0].index];
        if (child) navigate(page, {...asked(), area: child.code});
      },
    },
  });
}

function renderChildrenTable(page, children) {
  const table = page.nodes.children;
  if (!children.length) {
    table.replaceChildren();
    return;
  }
  const head = document.createElement("tr");
  head.append(element("th", t("kpi.childArea")),
              ...COUNTS.map((key) => element("th", figureLabel(key))),
              ...RATES.map((key) => element("th", figureLabel(key))));
  const rows = children.map((child) => {
    const row = document.createElement("tr");
    const name = document.createElement("td");
    const link = element("a", child.name);
    link.href = `?${new URLSearchParams({...asked(), area: child.code})}`;
    link.title = `${t(`level.${child.level}`)} ${child.code}`;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      navigate(page, {...asked(), area: child.code});
    });
    name.append(link);
    row.append(name, ...COUNTS.map((key) => element("td", key === "mean_handling_hours"
      ? hours(child.figures[key]) : String(child.figures[key]))),
               ...RATES.map((key) => element("td", percent(child.figures[key]))));
    return row;
  });
  const thead = document.createElement("thead");
  thead.append(head);
  const tbody = document.createElement("tbody");
  tbody.append(...rows);
  table.replaceChildren(thead, tbody);
}

// One Chart per canvas, redrawn in place. No animation: the figures are there at once.
function chart(page, name, config) {
  page.charts[name]?.destroy();
  const canvas = document.getElementById(`kpi-${name}`);
  config.options = {
    responsive: true, maintainAspectRatio: false, animation: false, ...config.options,
  };
  page.charts[name] = new Chart(canvas, config);
}

// --- panels --------------------------------------------------------------------------

function showError(page, error) {
  if (error instanceof LoginRequired) return;  // the login form says it
  blank(page);
  const text = error.status === 404
    ? `${t("kpi.notFound")}: ${error.message}`
    : error.status === 403 ? `${t("kpi.notAllowed")}: ${error.message}`
      : `${t("kpi.failed")}: ${error.message}`;
  page.nodes.status.textContent = text;
  page.nodes.status.classList.add("kpi-error");
}

// --- small helpers -------------------------------------------------------------------

function parentCode(code, level) {
  if (level === "county") return `${code.slice(0, 4)}00`;
  const length = {township: 6, village: 9, grid: 12}[level];
  return length ? code.slice(0, length) : null;
}

function percent(rate) {
  return rate == null ? "—" : `${round1(rate * 100)}%`;
}

function hours(value) {
  return value == null ? "—" : value.toLocaleString("zh-CN", {maximumFractionDigits: 1});
}

function round1(value) {
  return Math.round(value * 10) / 10;
}

// Dates as YYYY-MM-DD, the calendar of Asia/Shanghai (the API's days).
function today() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

function addDays(day, days) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export {start};
