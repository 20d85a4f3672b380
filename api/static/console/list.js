/* A platform console's queue (/console/{key}): the tabs, filters, sortable columns, paging
 * and exports of its declaration (core/consoles.py), over the platform's list endpoint.
 *
 * A paged endpoint ({total, items}, limit/offset) filters, sorts and pages on the server
 * (`sort` with `order`, or `sort=-key` when the console's `sort_style` is "prefix"). One
 * that answers a bare list (`paged: false`) filters and sorts on the server too and is
 * paged by asking one row more than shown (no total). A tab with a list of its own (a
 * 督办 list) is read whole and filtered, sorted and paged here. Exports go to the
 * platform's own export when it has one, else to POST /api/v1/exports/table with the rows
 * as listed.
 */
import {t} from "../i18n.js";
import {element} from "../session.js";
import * as V from "./values.js";

const PAGE_SIZE = 20;
const EXPORT_LIMIT = 500;  // the list endpoints' largest page
const CHILD_LEVEL = {city: "county", county: "township", township: "village",
                     village: "grid"};

function setUp(page) {
  const {nodes} = page;
  const config = page.config;
  page.queue = {tab: null, offset: 0, ticket: 0, total: 0, items: [], all: null,
                sort: null, order: null};
  nodes.filters.addEventListener("change", () => reload(page));
  nodes.filters.addEventListener("submit", (event) => {
    event.preventDefault();
    reload(page);
  });
  nodes.refresh.addEventListener("click", () => reload(page));
  nodes.prev.addEventListener("click", () => turn(page, -PAGE_SIZE));
  nodes.next.addEventListener("click", () => turn(page, PAGE_SIZE));
  for (const button of nodes.exports) {
    button.addEventListener("click", () => exportList(page, button.dataset.format));
  }
  const head = nodes.head;
  head.replaceChildren(...config.columns.map((column) => {
    const cell = document.createElement("th");
    cell.scope = "col";
    cell.dataset.key = column.key;
    if (!column.sort) return Object.assign(cell, {textContent: column.label});
    cell.dataset.sort = column.sort;
    const button = element("button", column.label);
    button.type = "button";
    button.addEventListener("click", () => sortBy(page, column));
    cell.append(button);
    return cell;
  }));
}

// --- after login: tabs and filters -----------------------------------------------------

async function open(page) {
  const tabs = page.config.queues.filter(
    (queue) => !queue.permission || page.me.permissions.includes(queue.permission));
  page.queue.tabs = tabs;
  page.queue.tab = tabs[0]?.key || null;
  page.nodes.tabs.replaceChildren(...tabs.map((queue) => {
    const button = element("button", queue.label);
    Object.assign(button, {type: "button"});
    button.setAttribute("role", "tab");
    button.dataset.queue = queue.key;
    button.addEventListener("click", () => {
      page.queue.tab = queue.key;
      markTab(page);
      unsort(page);  // another tab may sort by other keys
      reload(page);
    });
    return button;
  }));
  markTab(page);
  await drawFilters(page);
  await load(page);
}

function unsort(page) {
  Object.assign(page.queue, {sort: null, order: null});
  for (const header of page.nodes.head.children) header.removeAttribute("aria-sort");
}

function markTab(page) {
  for (const button of page.nodes.tabs.children) {
    button.setAttribute("aria-selected", String(button.dataset.queue === page.queue.tab));
  }
}

function choiceSelect(name, entries, any) {
  const select = document.createElement("select");
  select.name = name;
  for (const [value, words] of [["", any], ...entries]) {
    const option = element("option", words);
    option.value = value;
    select.append(option);
  }
  return select;
}

async function drawFilters(page) {
  const box = page.nodes.filterFields;
  box.replaceChildren();
  for (const filter of page.config.filters) {
    const label = document.createElement("label");
    label.append(element("span", filter.label), " ");
    if (filter.kind === "area") {
      label.className = "console-areas";
      box.append(label);
      await areaLevel(page, label, page.me.scope.code, CHILD_LEVEL[page.me.scope.level], 0);
      continue;
    }
    let control;
    if (filter.kind === "state") {
      control = choiceSelect(filter.param, page.workflow.states.map(
        (state) => [state, t(`state.${state}`)]), t("filter.any"));
    } else if (filter.kind === "choice") {
      control = choiceSelect(filter.param, filter.choices, t("filter.any"));
    } else {
      control = document.createElement("input");
      Object.assign(control, {name: filter.param, maxLength: 100,
                              type: filter.kind === "date" ? "date" : "search"});
    }
    label.append(control);
    box.append(label);
  }
}

// The area filter, down to any level of the user's territory: one select per level.
async function areaLevel(page, box, parent, level, depth) {
  for (const stale of box.querySelectorAll("select")) {
    if (Number(stale.dataset.depth) >= depth) stale.remove();
  }
  if (!level) return;
  const areas = await page.session.getJSON(`/areas?parent=${parent}&level=${level}&limit=1000`);
  if (!areas.items.length) return;
  const select = choiceSelect(`area-${depth}`, areas.items.map((a) => [a.code, a.name]),
                              depth ? t("filter.any") : t("filter.my-area"));
  select.dataset.depth = depth;
  select.dataset.area = "";
  select.setAttribute("aria-label", t(`level.${level}`));
  select.addEventListener("change", () => areaLevel(page, box, select.value,
                                                    select.value && CHILD_LEVEL[level],
                                                    depth + 1));
  box.append(select);
}

// --- the query ---------------------------------------------------------------------------

function tab(page) {
  return page.queue.tabs.find((queue) => queue.key === page.queue.tab) || {params: []};
}

// The filters' values: [[param, value], …] (the deepest area chosen as `area`).
function filterValues(page) {
  const values = [];
  const form = page.nodes.filters;
  for (const filter of page.config.filters) {
    if (filter.kind === "area") {
      const chosen = [...form.querySelectorAll("select[data-area]")]
        .map((select) => select.value).filter(Boolean);
      if (chosen.length) values.push([filter.param, chosen[chosen.length - 1]]);
      continue;
    }
    const value = form.elements[filter.param]?.value.trim();
    if (value) values.push([filter.param, value]);
  }
  return values;
}

// A tab with a list of its own is read whole (and filtered, sorted and paged here).
function whole(page) {
  return Boolean(tab(page).url);
}

// The view's query: the tab's parameters, the filters and the sort.
function viewQuery(page) {
  const query = new URLSearchParams(tab(page).params);
  for (const [param, value] of filterValues(page)) query.set(param, value);
  const {sort, order} = page.queue;
  if (sort && page.config.sort_style === "prefix") {
    query.set("sort", order === "desc" ? `-${sort}` : sort);
  } else if (sort) {
    query.set("sort", sort);
    if (order) query.set("order", order);
  }
  return query;
}

function listPath(page, extra = {}) {
  const queue = tab(page);
  if (queue.url) return `${queue.url}?${new URLSearchParams(queue.params)}`;
  const query = viewQuery(page);
  for (const [key, value] of Object.entries(extra)) query.set(key, value);
  return `${page.config.list_url}?${query}`;
}

// --- loading -----------------------------------------------------------------------------

function reload(page) {
  page.queue.offset = 0;
  return refresh(page);
}

// The same view read again (after a move): a whole list is asked for anew.
function refresh(page) {
  page.queue.all = null;
  return load(page);
}

function turn(page, step) {
  const offset = page.queue.offset + step;
  if (offset < 0 || (step > 0 && !hasNext(page))) return;
  page.queue.offset = offset;
  load(page);
}

async function load(page) {
  if (!page.me || !page.queue.tab) return;
  const ticket = ++page.queue.ticket;
  const status = page.nodes.queueStatus;
  status.textContent = t("queue.loading");
  status.classList.remove("console-error");
  try {
    const counting = page.config.paged && page.config.facets.length > 0 && !whole(page);
    const answer = whole(page) ? await localPage(page)
      : page.config.paged ? await page.session.getJSON(listPath(page, {
        limit: PAGE_SIZE, offset: page.queue.offset, ...(counting ? {facets: true} : {})}))
        : await barePage(page);
    if (ticket !== page.queue.ticket) return;
    const {total, items, more} = answer;
    Object.assign(page.queue, {total, items, more, counts: counting ? answer : null});
    status.textContent = items.length ? "" : t("pconsole.none", {noun: page.config.noun});
    render(page);
    document.body.dataset.queueLoaded = String(ticket);
  } catch (error) {
    if (ticket === page.queue.ticket) page.showError(status, error);
  }
}

// A bare list: one row more than shown says whether there is a next page.
async function barePage(page) {
  const rows = await page.session.getJSON(listPath(page, {limit: PAGE_SIZE + 1,
                                                          offset: page.queue.offset}));
  return {total: null, items: rows.slice(0, PAGE_SIZE), more: rows.length > PAGE_SIZE};
}

// A whole-list endpoint: read once per view, then filtered, sorted and paged here.
async function localPage(page) {
  if (!page.queue.all) page.queue.all = await page.session.getJSON(listPath(page));
  const rows = localRows(page);
  return {total: rows.length, items: rows.slice(page.queue.offset,
                                                page.queue.offset + PAGE_SIZE)};
}

function localRows(page) {
  const wanted = filterValues(page);
  const rows = page.queue.all.filter((row) => wanted.every(([param, value]) => (
    param === "q" ? JSON.stringify(Object.values(row)).includes(value)
      : String(V.pick(row, param)) === value)));
  const {sort, order} = page.queue;
  if (!sort) return rows;
  const key = (row) => V.pick(row, sort) ?? "";
  const sign = order === "desc" ? -1 : 1;
  return rows.sort((a, b) => sign * String(key(a)).localeCompare(String(key(b)), "zh-CN",
                                                                 {numeric: true}));
}

// A column's header sorts by it, ascending; again, the other way round.
function sortBy(page, column) {
  const queue = page.queue;
  const sort = column.sort === "client" || whole(page) ? column.key : column.sort;
  queue.order = queue.sort === sort && queue.order === "asc" ? "desc" : "asc";
  queue.sort = sort;
  for (const header of page.nodes.head.children) {
    const on = header.dataset.key === column.key;
    if (on) header.setAttribute("aria-sort", queue.order === "asc" ? "ascending" : "descending");
    else header.removeAttribute("aria-sort");
  }
  page.queue.offset = 0;
  if (whole(page)) load(page);
  else reload(page);
}

// --- drawing -----------------------------------------------------------------------------

function hasNext(page) {
  const {offset, total, items, more} = page.queue;
  return total == null ? Boolean(more) : offset + items.length < total;
}

// The counts the list answered (`facets=true`), per facet: a button per value that sets
// (or, pressed again, clears) the filter of the same parameter.
function renderFacets(page) {
  const counts = page.queue.counts;
  page.nodes.facets.replaceChildren(...(counts ? page.config.facets : []).map((facet) => {
    const filter = page.config.filters.find((one) => one.param === facet.param);
    const select = page.nodes.filters.elements[facet.param];
    const words = new Map(filter ? filter.choices : []);
    const group = document.createElement("div");
    group.className = "console-facet";
    group.dataset.facet = facet.key;
    group.append(element("span", facet.label));
    for (const [value, n] of Object.entries(counts[facet.key] || {})) {
      if (!words.has(value)) continue;  // e.g. "none": no step running
      const button = element("button", `${words.get(value)} ${n}`);
      button.type = "button";
      button.dataset.value = value;
      button.setAttribute("aria-pressed", String(select?.value === value));
      button.addEventListener("click", () => {
        if (!select) return;
        select.value = select.value === value ? "" : value;
        reload(page);
      });
      group.append(button);
    }
    return group;
  }).filter((group) => group.childElementCount > 1));  // a facet with nothing to count
}

function render(page) {
  renderFacets(page);
  const {offset, total, items} = page.queue;
  page.nodes.list.replaceChildren(...items.map((row) => {
    const line = document.createElement("tr");
    line.dataset.id = row.id;
    line.tabIndex = 0;
    line.classList.toggle("console-selected", row.id === page.selected);
    line.append(...page.config.columns.map((column) => V.node(
      "td", V.pick(row, column.key), column.kind, column.choices)));
    const choose = () => page.openSubject(row.id);
    line.addEventListener("click", choose);
    line.addEventListener("keydown", (event) => event.key === "Enter" && choose());
    return line;
  }));
  const shown = {from: offset + 1, to: offset + items.length, total};
  page.nodes.pageText.textContent = !items.length ? ""
    : total == null ? t("pconsole.pager", shown) : t("pager.text", shown);
  page.nodes.prev.disabled = offset === 0;
  page.nodes.next.disabled = !hasNext(page);
}

function markSelected(page) {
  for (const row of page.nodes.list.querySelectorAll("tr")) {
    row.classList.toggle("console-selected", Number(row.dataset.id) === page.selected);
  }
}

// --- exports -----------------------------------------------------------------------------

async function exportRows(page) {
  if (whole(page)) {
    if (!page.queue.all) await localPage(page);
    return localRows(page);
  }
  const answer = await page.session.getJSON(listPath(page, {limit: EXPORT_LIMIT, offset: 0}));
  return page.config.paged ? answer.items : answer;
}

async function download(response, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

async function exportList(page, format) {
  const config = page.config;
  const name = `${config.title}.${format}`;
  try {
    let response;
    if (config.export_url && !whole(page)) {
      const query = viewQuery(page);
      query.set("format", format);
      response = await page.session.api(`${config.export_url}?${query}`);
    } else {
      const rows = await exportRows(page);
      response = await page.session.api("/exports/table", {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({
          filename: config.title, format,
          columns: config.columns.map((column) => column.label),
          rows: rows.map((row) => config.columns.map((column) => {
            const value = V.pick(row, column.key);
            return column.kind === "id" || column.kind === "int" ? value ?? null
              : V.text(value, column.kind, column.choices);
          }))})});
    }
    if (!response.ok) throw new Error(`${response.status}`);
    await download(response, name);
  } catch (error) {
    page.showError(page.nodes.queueStatus, error);
  }
}

function relabel(page) {
  if (page.me) render(page);
}

export {setUp, open, load, refresh, markSelected, relabel};
