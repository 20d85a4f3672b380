/* The console's queue (/console): tabs, filters, counts per state and the paged list,
 * overdue first.
 *
 * One call per load: GET /api/v1/incidents with `sort=deadline` (red, yellow, then green,
 * each soonest due first) and, when the filters changed, `facets=true` for the counts per
 * state (every state's count whatever the state filter) that the bars draw.
 */
import {t} from "../i18n.js";
import {element} from "../session.js";
import * as C from "./parts.js";

const PAGE_SIZE = 20;
// The states each tab's filter offers, from the workflow (open ones: not final).
function tabStates(page, tab) {
  const workflow = page.workflow;
  return {mine: workflow.openStates, sign: workflow.openStates, verify: ["handled"],
          all: workflow.states}[tab];
}

function setUp(page) {
  const nodes = page.nodes;
  page.queue = {tab: "mine", offset: 0, ticket: 0, total: 0, items: [], counts: null};
  for (const button of nodes.tabs) {
    button.addEventListener("click", () => chooseTab(page, button.dataset.queue));
  }
  const form = nodes.filters;
  form.elements.major.addEventListener("change", () => fillMinor(page));
  form.addEventListener("change", () => reload(page));
  nodes.refresh.addEventListener("click", () => reload(page));
  nodes.prev.addEventListener("click", () => turn(page, -PAGE_SIZE));
  nodes.next.addEventListener("click", () => turn(page, PAGE_SIZE));
}

// After login: the categories and the user's child areas fill the filters.
async function open(page) {
  const me = page.me;
  page.queue.tab = me.permissions.includes("incidents:act") ? "mine" : "all";
  const childLevel = {city: "county", county: "township", township: "village",
                      village: "grid"}[me.scope.level];
  const [categories, areas] = await Promise.all([
    page.session.getJSON("/categories"),
    childLevel ? page.session.getJSON(
      `/areas?parent=${me.scope.code}&level=${childLevel}&limit=1000`) : {items: []},
  ]);
  page.categories = categories;
  page.areas = areas.items;
  fillFilters(page);
  await load(page, {counts: true});
}

function clear(page) {
  page.queue.ticket++;
  page.queue.items = [];
  page.queue.counts = null;
  page.nodes.list.replaceChildren();
  page.nodes.counts.replaceChildren();
  page.nodes.queueStatus.textContent = "";
  page.nodes.pageText.textContent = "";
}

// --- the filters ---------------------------------------------------------------------

function options(select, entries, keep = true) {
  const before = select.value;
  select.replaceChildren(...entries.map(([value, label]) => {
    const option = element("option", label);
    option.value = value;
    return option;
  }));
  if (keep && entries.some(([value]) => value === before)) select.value = before;
}

function fillFilters(page) {
  const form = page.nodes.filters.elements;
  options(form.state, [["", t("filter.any")],
    ...tabStates(page, page.queue.tab).map((state) => [state, t(`state.${state}`)])]);
  options(form.deadline, [["", t("filter.any")],
    ...C.DEADLINES.map((colour) => [colour, t(`deadline.${colour}`)])]);
  options(form.major, [["", t("filter.any")],
    ...(page.categories || []).map((major) => [major.code, `${major.code} ${major.name}`])]);
  fillMinor(page);
  options(form.area, [["", t("filter.my-area")],
    ...(page.areas || []).map((area) => [area.code, area.name])]);
  for (const button of page.nodes.tabs) {
    button.setAttribute("aria-selected", String(button.dataset.queue === page.queue.tab));
  }
}

function fillMinor(page) {
  const form = page.nodes.filters.elements;
  const major = (page.categories || []).find((c) => c.code === form.major.value);
  options(form.minor, [["", t("filter.any")],
    ...(major ? major.children : []).map((minor) => [minor.code,
                                                   `${minor.code} ${minor.name}`])]);
  form.minor.disabled = !major;
}

function chooseTab(page, tab) {
  page.queue.tab = tab;
  fillFilters(page);
  reload(page);
}

// What every list call of the current view shares: queue, category and area.
function baseQuery(page) {
  const form = page.nodes.filters.elements;
  const query = new URLSearchParams();
  if (page.queue.tab !== "all") query.set("queue", page.queue.tab);
  const category = form.minor.value || form.major.value;
  if (category) query.set("category", category);
  if (form.area.value) query.set("area", form.area.value);
  if (form.deadline.value) query.set("deadline", form.deadline.value);
  return query;
}

function withParams(query, params) {
  const next = new URLSearchParams(query);
  for (const [key, value] of Object.entries(params)) next.set(key, value);
  return next;
}

// --- loading -------------------------------------------------------------------------

function reload(page) {
  page.queue.offset = 0;
  return load(page, {counts: true});
}

function turn(page, step) {
  const offset = page.queue.offset + step;
  if (offset < 0 || offset >= page.queue.total) return;
  page.queue.offset = offset;
  load(page, {counts: false});
}

async function load(page, {counts}) {
  if (!page.me) return;
  const ticket = ++page.queue.ticket;
  const status = page.nodes.queueStatus;
  status.textContent = t("queue.loading");
  status.classList.remove("console-error");
  const form = page.nodes.filters.elements;
  const base = baseQuery(page);
  const listed = form.state.value ? withParams(base, {state: form.state.value}) : base;
  try {
    const result = await page.session.getJSON(`/incidents?${withParams(listed, {
      sort: "deadline", limit: PAGE_SIZE, offset: page.queue.offset, facets: counts})}`);
    if (ticket !== page.queue.ticket) return;
    const stateCounts = counts ? tabStates(page, page.queue.tab).map(
      (state) => [state, result.by_state[state] || 0]) : page.queue.counts;
    Object.assign(page.queue, {counts: stateCounts, total: result.total, items: result.items});
    status.textContent = result.total ? "" : t("queue.empty");
    render(page);
    document.body.dataset.queueLoaded = String(ticket);
  } catch (error) {
    if (ticket === page.queue.ticket) page.showError(status, error);
  }
}

// --- drawing -------------------------------------------------------------------------

function render(page) {
  renderCounts(page);
  renderList(page);
  const {offset, total: all, items} = page.queue;
  page.nodes.pageText.textContent = all ? t("pager.text", {
    from: offset + 1, to: offset + items.length, total: all}) : "";
  page.nodes.prev.disabled = offset === 0;
  page.nodes.next.disabled = offset + PAGE_SIZE >= all;
}

function renderCounts(page) {
  const counts = page.queue.counts || [];
  const most = Math.max(1, ...counts.map(([, n]) => n));
  const chosen = page.nodes.filters.elements.state.value;
  page.nodes.counts.replaceChildren(...counts.map(([state, n]) => {
    const bar = document.createElement("button");
    bar.type = "button";
    bar.className = "console-count";
    bar.dataset.state = state;
    bar.setAttribute("aria-pressed", String(state === chosen));
    const fill = element("span", "");
    fill.className = "console-count-bar";
    fill.style.width = `${(100 * n) / most}%`;
    bar.append(element("span", t(`state.${state}`)), fill, element("strong", String(n)));
    bar.addEventListener("click", () => {
      const select = page.nodes.filters.elements.state;
      select.value = select.value === state ? "" : state;
      reload(page);
    });
    return bar;
  }));
}

function renderList(page) {
  page.nodes.list.replaceChildren(...page.queue.items.map((incident) => {
    const row = document.createElement("tr");
    row.dataset.id = incident.id;
    row.tabIndex = 0;
    row.classList.toggle("console-selected", incident.id === page.selected);
    const dot = element("span", t(`deadline.${incident.deadline}`));
    dot.className = `console-deadline console-${incident.deadline}`;
    const deadline = document.createElement("td");
    deadline.append(dot);
    // The grid's name (it names its village too); the whole chain on hover.
    const place = element("td", incident.grid.name);
    place.title = incident.chain.map((link) => link.name).join(" › ");
    row.append(element("td", `#${incident.id}`), deadline,
               element("td", incident.category.name),
               element("td", t(`state.${incident.state}`)), place,
               element("td", C.formatTime(incident.step_due_at)));
    const choose = () => page.openIncident(incident.id);
    row.addEventListener("click", choose);
    row.addEventListener("keydown", (event) => event.key === "Enter" && choose());
    return row;
  }));
}

function markSelected(page) {
  for (const row of page.nodes.list.querySelectorAll("tr")) {
    row.classList.toggle("console-selected", Number(row.dataset.id) === page.selected);
  }
}

// After a switch of language: the same data, redrawn in the other.
function relabel(page) {
  if (!page.me) return;
  fillFilters(page);
  render(page);
}

export {setUp, open, clear, load, markSelected, relabel};
