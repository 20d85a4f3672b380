/* The side panel (map.js part): the selected area's incidents open now, its KPIs of the
 * last 30 days (GET /kpis?area=) and the user's unit's queue inside it
 * (GET /incidents?area=&queue=mine: what the unit holds, open), narrowed by the map's
 * filters (map-filters.js). A queue item opens the incident's card here, with its
 * hand-offs, and shows it on the map. After a hand-off the queue is read again: an
 * escalated incident leaves it.
 *
 * `/map?incident=ID` (the console's link to the map) opens that incident's card once the
 * map has opened at the user's area, and centres the map on it.
 */
import {t} from "./i18n.js";
import * as i18n from "./i18n.js";
import {element, LoginRequired} from "./session.js";
import * as mapPage from "./map.js";
import {label, term, levelLabel} from "./map-info.js";
import {card, detail, deadlineBadge} from "./map-actions.js";
import * as choropleth from "./map-choropleth.js";
import * as mapIncidents from "./map-incidents.js";
import {incidentParams, nothingChosen} from "./map-filters.js";
import {load as loadWorkflow} from "./workflow.js";


const QUEUE_LIMIT = 50;
const KPI_ROWS = [["panel.reported", "reported"], ["panel.filed", "filed"],
                  ["panel.closed", "closed"], ["panel.closeRate", "close_rate", true],
                  ["panel.onTime", "on_time_close_rate", true]];

function start(page) {
  const side = document.createElement("aside");
  side.className = "gridgov-side";
  side.hidden = true;
  side.innerHTML = `
    <header class="gridgov-side-area"><h2></h2><p class="gridgov-side-level"></p></header>
    <dl class="gridgov-side-open"></dl>
    <section class="gridgov-side-kpis"><h3 data-i18n="panel.kpis"></h3><dl></dl></section>
    <section class="gridgov-side-queue">
      <h3 data-i18n="panel.queue"></h3><p class="gridgov-queue-total"></p>
      <ol class="gridgov-queue"></ol>
    </section>
    <section class="gridgov-side-incident"></section>`;
  i18n.apply(side);
  document.body.append(side);
  page.side = {element: side, area: null, ticket: 0, incident: null, asked: null};
  page.showIncident = (id) => showIncident(page, id);
}

// The incident the address names (?incident=ID), if any: a whole number.
function askedIncident() {
  const id = new URLSearchParams(location.search).get("incident");
  return id && /^[1-9]\d{0,17}$/.test(id) ? id : null;
}

function part(page, selector) {
  return page.side.element.querySelector(selector);
}

function open(page) {
  page.side.asked = askedIncident();
  page.side.element.hidden = false;
  document.body.classList.add("gridgov-with-side");
  page.map.invalidateSize();
  part(page, ".gridgov-side-area h2").replaceChildren(label("span", "panel.select"));
}

function close(page) {
  page.side.ticket++;
  page.side.area = page.side.incident = null;
  page.side.element.hidden = true;
  document.body.classList.remove("gridgov-with-side");
  page.map.invalidateSize();
  for (const selector of [".gridgov-side-area h2", ".gridgov-side-level", ".gridgov-side-open",
                          ".gridgov-side-kpis dl", ".gridgov-queue-total", ".gridgov-queue",
                          ".gridgov-side-incident"]) part(page, selector).replaceChildren();
}

function select(page, view, {area}) {
  const ticket = ++page.side.ticket;
  page.side.area = area;
  page.side.incident = null;
  part(page, ".gridgov-side-incident").replaceChildren();
  if (!area) return;
  part(page, ".gridgov-side-area h2").textContent = area.name;
  part(page, ".gridgov-side-level").textContent = `${levelLabel(area.level)} ${area.code}`;
  const current = () => ticket === page.side.ticket && view === page.view;
  const reads = view.me.permissions.includes("kpi:read");
  part(page, ".gridgov-side-kpis").hidden = !reads;
  part(page, ".gridgov-side-open").replaceChildren();
  if (reads) {
    choropleth.openCounts(page, view, area.code)
      .then((data) => current() && renderOpen(page, data.parent)).catch(() => {});
    loadKpis(page, area.code, current);
  }
  loadQueue(page, current);
  // After the first selection (which fits the map to the area): the incident asked for.
  const asked = page.side.asked;
  page.side.asked = null;
  if (asked) showIncident(page, asked);
}

function renderOpen(page, counts) {
  const list = part(page, ".gridgov-side-open");
  list.replaceChildren();
  for (const key of ["open", "overdue", "warned"]) {
    const value = element("dd", String(counts[key]));
    value.className = `gridgov-count-${key}`;
    list.append(term(`panel.${key}`), value);
  }
}

async function loadKpis(page, code, current) {
  const list = part(page, ".gridgov-side-kpis dl");
  list.replaceChildren();
  try {
    const kpis = await page.session.getJSON(`/kpis?${new URLSearchParams({area: code})}`);
    if (!current()) return;
    for (const [key, field, rate] of KPI_ROWS) {
      const value = kpis.figures[field];
      const text = value == null ? "—" : rate ? `${(value * 100).toFixed(1)}%` : String(value);
      list.append(term(key), element("dd", text));
    }
  } catch (error) {
    if (current()) list.replaceChildren(failure(error));
  }
}

function failure(error) {
  const message = element("p", t("error.failed", {message: error.message}));
  message.className = "gridgov-error";
  return message;
}

// --- the queue -----------------------------------------------------------------------

async function loadQueue(page, current) {
  const area = page.side.area;
  const list = part(page, ".gridgov-queue");
  const total = part(page, ".gridgov-queue-total");
  try {
    const workflow = await loadWorkflow(page.session, "incident");
    const query = incidentParams(page, workflow, {repeat: true});
    for (const [name, value] of Object.entries({area: area.code, queue: "mine",
                                                limit: QUEUE_LIMIT})) query.set(name, value);
    const queue = nothingChosen(page) ? {total: 0, items: []}
      : await page.session.getJSON(`/incidents?${query}`);
    if (!current()) return;
    page.side.queue = queue;
    total.textContent = t("panel.queueTotal", {n: queue.total});
    list.replaceChildren(...queue.items.map((incident) => queueItem(page, incident)));
    if (!queue.items.length) list.append(label("li", "panel.queueEmpty"));
  } catch (error) {
    if (current()) list.replaceChildren(failure(error));
  }
}

function queueItem(page, incident) {
  const item = document.createElement("li");
  item.dataset.incident = incident.id;
  const link = element("button", `#${incident.id} ${incident.category.name} · ${incident.state_label}`);
  link.type = "button";
  link.className = "gridgov-queue-item";
  link.addEventListener("click", () => showIncident(page, incident.id));
  item.append(deadlineBadge(incident.deadline), link);
  return item;
}

// The card in the panel, and the incident on the map.
async function showIncident(page, id) {
  const view = page.view;
  const box = part(page, ".gridgov-side-incident");
  try {
    const incident = await detail(page, id);
    if (view !== page.view) return;
    page.side.incident = incident.id;
    const focus = () => mapIncidents.focus(page, incident);
    box.replaceChildren(card(page, incident, {onFocus: focus}));
    for (const item of part(page, ".gridgov-queue").children) {
      item.classList.toggle("gridgov-current", item.dataset.incident === String(id));
    }
    await focus();
  } catch (error) {
    if (!(error instanceof LoginRequired)) box.replaceChildren(failure(error));
  }
}

// After a move: the queue again (the card redrew itself, map-actions.js).
async function changed(page, view) {
  if (!page.side.area) return;
  const ticket = page.side.ticket;
  await loadQueue(page, () => ticket === page.side.ticket && view === page.view);
}

function lang(page, view) {
  if (page.side.area) select(page, view, {area: page.side.area});
}

mapPage.use({start, open, close, select, changed, filter: changed, lang});
