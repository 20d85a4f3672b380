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
  page.queue = {tab: "mine", offset: 0, ticket: 0, total: 0, items: [], counts: null,
                sort: "deadline", order: null};
  for (const button of nodes.tabs) {
    button.addEventListener("click", () => chooseTab(page, button.dataset.queue));
  }
  const form = nodes.filters;
  form.elements.major.addEventListener("change", () => fillMinor(page));
  form.addEventListener("change", () => reload(page));
  nodes.refresh.addEventListener("click", () => reload(page));
  nodes.prev.addEventListener("click", () => turn(page, -PAGE_SIZE));
  nodes.next.addEventListener("click", () => turn(page, PAGE_SIZE));
  for (const header of document.querySelectorAll(".console-list th[data-sort]")) {
    header.querySelector("button").addEventListener("click",
                                                    () => sortBy(page, header.dataset.sort));
  }
  for (const button of document.querySelectorAll(".console-export")) {
    button.addEventListener("click", () => exportList(page, button.dataset.format));
  }
  form.addEventListener("submit", (event) => event.preventDefault());
}

// A column's header sorts by it, ascending; again, the other way round. 期限 is the desk's
// order (open first, then overdue, warning, on time), which has one direction.
function sortBy(page, sort) {
  const queue = page.queue;
  if (sort === "deadline") queue.order = null;
  else queue.order = queue.sort === sort && queue.order === "asc" ? "desc" : "asc";
  queue.sort = sort;
  showSort(page);
  reload(page);
}

function showSort(page) {
  for (const header of document.querySelectorAll(".console-list th[data-sort]")) {
    const on = header.dataset.sort === page.queue.sort;
    const way = page.queue.order === "asc" ? "ascending"
      : page.queue.order === "desc" ? "descending" : "other";
    if (on) header.setAttribute("aria-sort", way);
    else header.removeAttribute("aria-sort");
  }
}

// The list as the filters select it, as a file (GET /incidents/export, with the token).
async function exportList(page, format) {
  const query = withParams(listQuery(page), {format, sort: page.queue.sort});
  if (page.queue.order) query.set("order", page.queue.order);
  const status = page.nodes.queueStatus;
  try {
    const response = await page.session.api(`/incidents/export?${query}`);
    if (!response.ok) throw new Error(`${response.status}`);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = `${t("export.filename")}.${format}`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } catch (error) {
    page.showError(status, error);
  }
}

// After login: the categories and the user's child areas fill the filters.
async function open(page) {
  const me = page.me;
  page.queue.tab = me.permissions.includes("incidents:act") ? "mine" : "all";
  const childLevel = {city: "county", county: "township", township: "village",
                      village: "grid"}[me.scope.level];
  const categories = await page.session.getJSON("/categories");
  page.categories = categories;
  fillFilters(page);
  await areaLevel(page, me.scope.code, childLevel, 0);
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

// The area filter, down to any level of the user's territory: a select per level, the
// next one filled with the children of the area chosen in the one before.
const CHILD_LEVEL = {city: "county", county: "township", township: "village",
                     village: "grid"};

async function areaLevel(page, parent, level, depth) {
  const box = document.querySelector(".console-areas");
  for (const stale of box.querySelectorAll("select")) {
    if (Number(stale.dataset.depth) >= depth) stale.remove();
  }
  if (!level) return;
  const areas = await page.session.getJSON(
    `/areas?parent=${parent}&level=${level}&limit=1000`);
  if (!areas.items.length) return;
  const select = document.createElement("select");
  select.name = `area-${depth}`;
  select.dataset.depth = depth;
  select.setAttribute("aria-label", t(`level.${level}`));
  options(select, [["", depth ? t("filter.any") : t("filter.my-area")],
    ...areas.items.map((area) => [area.code, area.name])], false);
  select.addEventListener("change", () => areaLevel(
    page, select.value, select.value && CHILD_LEVEL[level], depth + 1));
  box.append(select);
}

function chosenArea() {
  const chosen = [...document.querySelectorAll(".console-areas select")]
    .map((select) => select.value).filter(Boolean);
  return chosen[chosen.length - 1] || "";
}

// A day in the form as a moment in Asia/Shanghai (the day's start; `next`: the next day's).
function dayStart(day, next = false) {
  const date = new Date(`${day}T00:00:00+08:00`);
  if (next) date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString();
}

// What every list call of the current view shares: queue, category, area, search, dates.
function baseQuery(page) {
  const form = page.nodes.filters.elements;
  const query = new URLSearchParams();
  if (page.queue.tab !== "all") query.set("queue", page.queue.tab);
  const category = form.minor.value || form.major.value;
  if (category) query.set("category", category);
  const area = chosenArea();
  if (area) query.set("area", area);
  if (form.deadline.value) query.set("deadline", form.deadline.value);
  for (const name of ["q", "reporter"]) {
    if (form[name].value.trim()) query.set(name, form[name].value.trim());
  }
  if (form.since.value) query.set("since", dayStart(form.since.value));
  if (form.until.value) query.set("until", dayStart(form.until.value, true));
  return query;
}

// The list's query: the view's, and the state chosen.
function listQuery(page) {
  const form = page.nodes.filters.elements;
  const base = baseQuery(page);
  return form.state.value ? withParams(base, {state: form.state.value}) : base;
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
  const listed = withParams(listQuery(page), {sort: page.queue.sort});
  if (page.queue.order) listed.set("order", page.queue.order);
  try {
    const result = await page.session.getJSON(`/incidents?${withParams(listed, {
      limit: PAGE_SIZE, offset: page.queue.offset, facets: counts})}`);
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
               element("td", `${incident.category.name}（${incident.category.code}）`),
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
