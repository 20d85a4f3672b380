/* The map's incident filters and search (map.js part): category (大类 or 小类, shown with
 * its code, since two 大类 may share a name: B03 and S01 市容环境), state and deadline
 * colour, applied to everything the map shows of the incidents: the vector tiles
 * (map-tiles.js asks `page.layerQuery.incidents`), the markers and heatmap
 * (map-incidents.js) and the panel's queue (map-panel.js), which all hear "filter" when
 * they change. The states and their labels are the workflow's (workflow.js): by default
 * the open ones, so no list of states is kept here.
 *
 * The search takes a 编号 or words of the address or description (GET /incidents?q=, in
 * the user's territory); one hit opens at once (the card in the panel, the map on it),
 * several are listed to choose from.
 */
import * as i18n from "./i18n.js";
import {t} from "./i18n.js";
import * as mapPage from "./map.js";
import {addPanel, label} from "./map-info.js";
import {element, LoginRequired} from "./session.js";
import {load as loadWorkflow} from "./workflow.js";

const WORDS = {
  "filters.title": ["筛选事件", "Filter incidents"],
  "filters.category": ["类别", "Category"],
  "filters.anyCategory": ["全部类别", "All categories"],
  "filters.major": ["（大类）", " (class)"],
  "filters.deadline": ["时限", "Deadline"],
  "filters.anyDeadline": ["全部", "All"],
  "filters.state": ["状态", "State"],
  "filters.openStates": ["未结", "Open"],
  "filters.allStates": ["全部", "All"],
  "filters.search": ["搜索", "Search"],
  "filters.searchHint": ["编号或地址", "No. or address"],
  "filters.noHit": ["未找到：{q}", "Nothing found: {q}"],
  "filters.hits": ["共 {n} 件，点击查看", "{n} found: pick one"],
};
i18n.add(Object.fromEntries(Object.entries(WORDS).map(([key, [zh, en]]) => [key, {zh, en}])));

const DEADLINES = ["red", "yellow", "green"];
const SEARCH_LIMIT = 10;

// --- the filter's state, as query parameters -------------------------------------------

// The filter as query parameters: `repeat` for the incident list (state=a&state=b), else
// one comma-separated value (the layers' filters).
function incidentParams(page, workflow, {repeat = false} = {}) {
  const chosen = page.filters || {};
  const query = new URLSearchParams();
  const states = chosen.states || workflow.openStates;
  if (repeat) states.forEach((state) => query.append("state", state));
  else if (states.length) query.set("state", states.join(","));
  if (chosen.category) query.set("category", chosen.category);
  if (chosen.deadline) query.set("deadline", chosen.deadline);
  return query;
}

// Whether any state is chosen at all: none chosen shows nothing (not everything).
function nothingChosen(page) {
  return Boolean(page.filters?.states && !page.filters.states.length);
}

function start(page) {
  page.filters = {category: "", deadline: "", states: null};
  page.layerQuery = {...page.layerQuery, incidents: (workflow) => (
    nothingChosen(page) ? null : incidentParams(page, workflow))};
  page.filterPanel = addPanel(page.map, "topleft", "gridgov-filters");
}

async function open(page, view) {
  if (view.ownGrids || view.me.user.role === "grid_worker") return;
  const [workflow, categories] = await Promise.all([
    loadWorkflow(page.session, "incident"), page.session.getJSON("/categories")]);
  if (view !== page.view) return;
  page.filterPanel.replaceChildren(panel(page, workflow, categories));
}

function close(page) {
  page.filters = {category: "", deadline: "", states: null};
  page.filterPanel?.replaceChildren();
}

function changed(page) {
  mapPage.emit("filter", page, page.view);
}

// --- the panel ---------------------------------------------------------------------------

function panel(page, workflow, categories) {
  const box = document.createElement("details");
  box.open = true;
  const summary = label("summary", "filters.title");
  box.append(summary, searchForm(page), categorySelect(page, categories),
             deadlineSelect(page), stateChoice(page, workflow));
  return box;
}

function labelled(key, control) {
  const wrapper = document.createElement("label");
  wrapper.append(label("span", key), control);
  return wrapper;
}

function option(value, text) {
  return Object.assign(document.createElement("option"), {value, textContent: text});
}

function categorySelect(page, categories) {
  const select = document.createElement("select");
  select.name = "category";
  select.append(option("", t("filters.anyCategory")));
  for (const major of categories) {
    const group = document.createElement("optgroup");
    group.label = `${major.code} ${major.name}`;
    group.append(option(major.code, `${major.code} ${major.name}${t("filters.major")}`),
                 ...major.children.map((minor) => option(minor.code,
                                                         `${minor.code} ${minor.name}`)));
    select.append(group);
  }
  select.addEventListener("change", () => {
    page.filters.category = select.value;
    changed(page);
  });
  return labelled("filters.category", select);
}

function deadlineSelect(page) {
  const select = document.createElement("select");
  select.name = "deadline";
  select.append(option("", t("filters.anyDeadline")),
                ...DEADLINES.map((colour) => option(colour, t(`deadline.${colour}`))));
  select.addEventListener("change", () => {
    page.filters.deadline = select.value;
    changed(page);
  });
  return labelled("filters.deadline", select);
}

// A box per state of the workflow, the open ones ticked; two shortcuts.
function stateChoice(page, workflow) {
  const box = document.createElement("fieldset");
  box.className = "gridgov-filter-states";
  box.append(label("legend", "filters.state"));
  const inputs = workflow.states.map((state) => {
    const input = Object.assign(document.createElement("input"), {
      type: "checkbox", name: "state", value: state, checked: !workflow.isFinal(state)});
    const choice = document.createElement("label");
    choice.append(input, element("span", t(`state.${state}`)));
    box.append(choice);
    return input;
  });
  const read = () => {
    page.filters.states = inputs.filter((input) => input.checked).map((input) => input.value);
    changed(page);
  };
  inputs.forEach((input) => input.addEventListener("change", read));
  const shortcut = (key, ticked) => {
    const button = label("button", key);
    button.type = "button";
    button.className = `gridgov-filter-${key.split(".")[1]}`;
    button.addEventListener("click", () => {
      inputs.forEach((input) => { input.checked = ticked(input.value); });
      read();
    });
    return button;
  };
  box.append(shortcut("filters.openStates", (state) => !workflow.isFinal(state)),
             shortcut("filters.allStates", () => true));
  return box;
}

// --- search ------------------------------------------------------------------------------

function searchForm(page) {
  const form = document.createElement("form");
  form.className = "gridgov-search";
  form.setAttribute("role", "search");
  const input = Object.assign(document.createElement("input"), {
    type: "search", name: "q", maxLength: 100, placeholder: t("filters.searchHint")});
  input.setAttribute("aria-label", t("filters.searchHint"));
  const submit = label("button", "filters.search");
  submit.type = "submit";
  const results = document.createElement("ol");
  results.className = "gridgov-search-results";
  form.append(input, submit, results);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    search(page, input.value.trim(), results);
  });
  return form;
}

async function search(page, q, results) {
  results.replaceChildren();
  if (!q) return;
  try {
    const query = new URLSearchParams({q, limit: SEARCH_LIMIT, sort: "reported"});
    const found = await page.session.getJSON(`/incidents?${query}`);
    if (!found.items.length) {
      results.append(element("li", t("filters.noHit", {q})));
      return;
    }
    if (found.items.length === 1) {
      page.showIncident(found.items[0].id);
      return;
    }
    results.append(element("li", t("filters.hits", {n: found.total})),
                   ...found.items.map((incident) => hit(page, incident)));
  } catch (error) {
    if (!(error instanceof LoginRequired)) {
      results.append(element("li", t("error.failed", {message: error.message})));
    }
  }
}

function hit(page, incident) {
  const item = document.createElement("li");
  const text = `#${incident.id} ${incident.category.name} · ${incident.address || incident.grid.name}`;
  const button = element("button", text);
  button.type = "button";
  button.dataset.incident = incident.id;
  button.addEventListener("click", () => page.showIncident(incident.id));
  item.append(button);
  return item;
}

mapPage.use({start, open, close});
export {incidentParams, nothingChosen};
