/* What every platform's KPI charts page shares (api/kpi_pages.py draws the page from its
 * platform's declaration, core/kpi_pages.py: market /market/kpis, enforcement
 * /enforcement/kpis): the login, the address that keeps the grouping and the period, the
 * loading of the API's figures (the newest request wins), the API's own xlsx/CSV download
 * with the token, a plain table and a chart's canvas. The charts themselves are
 * /static/charts.js; the figures, labels and colours are each page's module.
 *
 *   import {run, canvas, table, fillTable, percent} from "/static/kpi-page.js";
 *   function start(options) {
 *     run(options, {
 *       groups: ["unit", "area"],             // the address's groupings, the first by default
 *       fetch: (session, wanted) => session.getJSON(`/x/kpis?${query(wanted)}`),
 *       empty: (figures) => (figures.rows.length ? "" : "该期间没有数据"),
 *       draw: (figures) => drawChart(canvas("counts", rows), {...}),
 *       download: (session, wanted, button) => download(session, url, "指标.xlsx"),
 *     });
 *   }
 *   fillTable(table("cases"), ["名称", …], [[…cells], …]);   // text only, never markup
 */
import {create as createSession, renderAccount} from "/static/session.js";

function run(options, spec) {
  const page = {spec, ticket: 0, main: document.querySelector(".kp-main"),
                form: document.querySelector(".kp-period"),
                status: document.querySelector(".kp-status")};
  page.session = createSession({
    apiBase: options.apiBase, title: options.title,
    onLogin: () => open(page), onLogout: () => { page.main.hidden = true; },
  });
  listen(page);
  page.session.start();
  return page;
}

async function open(page) {
  const me = await page.session.getJSON("/auth/me");
  renderAccount(document.querySelector(".kp-account"), me, page.session);
  page.main.hidden = false;
  load(page);
}

// What the address asks: the grouping (one of the page's) and the period.
function wantedOf(page) {
  return asked({group: page.spec.groups, since: null, until: null});
}

function listen(page) {
  const reload = () => load(page);
  for (const button of page.form.querySelectorAll("[data-group]")) {
    button.addEventListener("click", () => navigate({...wantedOf(page),
                                                     group: button.dataset.group}, reload));
  }
  page.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(page.form);
    navigate({...wantedOf(page), since: data.get("since"), until: data.get("until")}, reload);
  });
  for (const button of page.form.querySelectorAll(".kp-export")) {
    button.addEventListener("click", () => page.spec.download(page.session, wantedOf(page),
                                                              button));
  }
  window.addEventListener("popstate", reload);
}

async function load(page) {
  const wanted = wantedOf(page);
  const ticket = ++page.ticket;
  page.form.since.value = wanted.since;
  page.form.until.value = wanted.until;
  for (const button of page.form.querySelectorAll("[data-group]")) {
    button.setAttribute("aria-pressed", String(button.dataset.group === wanted.group));
  }
  page.status.textContent = "加载中…";
  try {
    const figures = await page.spec.fetch(page.session, wanted);
    if (ticket !== page.ticket) return;  // a newer request was made meanwhile
    page.status.textContent = page.spec.empty(figures);
    page.spec.draw(figures);
  } catch (error) {
    if (ticket === page.ticket) page.status.textContent = error.message || String(error);
  }
}

// --- the address -----------------------------------------------------------------------

// Each key from the address; a list: one of its values (else the first).
function asked(keys) {
  const address = new URLSearchParams(window.location.search);
  const wanted = {};
  for (const [key, allowed] of Object.entries(keys)) {
    const value = address.get(key) || "";
    wanted[key] = Array.isArray(allowed) ? (allowed.includes(value) ? value : allowed[0])
                                         : value;
  }
  return wanted;
}

function query(wanted, extra = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({...wanted, ...extra})) {
    if (value) params.set(key, value);
  }
  return params.toString();
}

// Pushes ?group=…&since=… and reloads.
function navigate(wanted, reload) {
  window.history.pushState(null, "", `${window.location.pathname}?${query(wanted)}`);
  reload();
}

// --- drawing and downloading -------------------------------------------------------------

async function download(session, url, filename) {
  const link = document.createElement("a");
  link.href = await session.objectURL(url);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

function table(key) {
  return document.querySelector(`.kp-table[data-table="${key}"]`);
}

function fillTable(element, head, rows) {
  const row = (cells, tag) => {
    const tr = document.createElement("tr");
    for (const value of cells) {
      const cell = document.createElement(tag);
      cell.textContent = value ?? "—";  // names come from the database: text, never markup
      tr.append(cell);
    }
    return tr;
  };
  element.querySelector("thead").replaceChildren(row(head, "th"));
  element.querySelector("tbody").replaceChildren(...rows.map((cells) => row(cells, "td")));
}

// A chart's container: a horizontal chart grows with its rows, so every label stays
// readable.
function canvas(kpi, rows) {
  const element = document.querySelector(`.kp-chart[data-kpi="${kpi}"] .kp-canvas`);
  element.style.height = sizeFor(rows);
  return element;
}

function sizeFor(rows) {
  return `${Math.max(160, 40 + 26 * Math.max(rows, 4))}px`;
}

const percent = (value) => (value == null ? "—" : `${Math.round(value * 1000) / 10}%`);

export {run, asked, query, navigate, download, table, fillTable, canvas, sizeFor, percent};
