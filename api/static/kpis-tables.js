/* The KPI page's tables (kpis.js): child areas, handling units or grid workers, each row
 * with its figures, sortable by any column (a header's button: the better first, again
 * the other way), ranked (名次) by the column sorted on, and exported as the user sees it
 * (Excel or CSV, POST /api/v1/exports/table, core/exports.py writes the file).
 *
 *   renderTable(table, view, {onSort(view), onOpen(row)});
 *   exportTable(session, view, {format: "xlsx", title: "…"});
 *
 * A view: {name, rows: [{id?, name, code, figures}], sort, order, nameHeader, codeHeader}.
 * Ranks are competition ranks (1, 2, 2, 4) on the sort column, higher better except the
 * rework rate and the handling time; sorted by name or code, ranked by the close rate.
 * A row without a value (a rate whose denominator is 0) has no rank and sorts last.
 */
import * as i18n from "./i18n.js";
import {element} from "./session.js";

const t = i18n.t;

const COUNTS = ["reported", "filed", "closed", "mean_handling_hours"];
const RATES = ["close_rate", "on_time_close_rate", "rework_rate", "valid_report_rate",
               "on_time_verification_rate"];
const FIGURES = [...COUNTS, ...RATES];
const LOWER_BETTER = new Set(["rework_rate", "mean_handling_hours"]);
const TEXT_COLUMNS = ["name", "code"];

function value(row, key) {
  return TEXT_COLUMNS.includes(key) ? row[key] : row.figures[key];
}

// The direction a first click sorts in: the better first for a figure, A→Z for text.
function firstOrder(key) {
  if (TEXT_COLUMNS.includes(key)) return "asc";
  return LOWER_BETTER.has(key) ? "asc" : "desc";
}

function sortRows(rows, key, order) {
  const sign = order === "asc" ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = value(a, key);
    const y = value(b, key);
    if (x == null || y == null) return (x == null) - (y == null);  // nulls last, either way
    const by = typeof x === "string" ? x.localeCompare(y, "zh-CN") : x - y;
    return by * sign || String(a.code).localeCompare(String(b.code));
  });
}

// Competition ranks (1, 2, 2, 4) of the rows on a figure, the better first.
function ranks(rows, key) {
  const figure = TEXT_COLUMNS.includes(key) ? "close_rate" : key;
  const better = sortRows(rows.filter((row) => value(row, figure) != null), figure,
                          firstOrder(figure));
  const rankOf = new Map();
  better.forEach((row, index) => {
    const previous = better[index - 1];
    rankOf.set(row, previous && value(previous, figure) === value(row, figure)
      ? rankOf.get(previous) : index + 1);
  });
  return rankOf;
}

function headers(view) {
  return [
    ["rank", t("kpi.rank")], ["name", view.nameHeader], ["code", view.codeHeader],
    ...FIGURES.map((key) => [key, t(`figure.${key}`)]),
  ];
}

function renderTable(table, view, handlers) {
  if (!view.rows.length) {
    table.replaceChildren(element("caption", t("kpi.none")));
    return;
  }
  const rows = sortRows(view.rows, view.sort, view.order);
  const rankOf = ranks(view.rows, view.sort);
  const head = document.createElement("tr");
  for (const [key, label] of headers(view)) {
    const cell = document.createElement("th");
    cell.scope = "col";
    cell.dataset.sort = key;
    if (key === "rank") {
      cell.textContent = label;
    } else {
      const button = element("button", label);
      button.type = "button";
      button.title = t("kpi.sortBy", {column: label});
      button.addEventListener("click", () => {
        view.order = view.sort === key && view.order === firstOrder(key)
          ? (firstOrder(key) === "asc" ? "desc" : "asc") : firstOrder(key);
        view.sort = key;
        handlers.onSort(view);
      });
      cell.append(button);
      if (key === view.sort) {
        cell.setAttribute("aria-sort", view.order === "asc" ? "ascending" : "descending");
      }
    }
    head.append(cell);
  }
  const body = rows.map((row) => {
    const line = document.createElement("tr");
    line.dataset.code = row.code;
    const name = document.createElement("th");
    name.scope = "row";
    const link = element("a", row.name);
    link.href = handlers.href(row);
    link.addEventListener("click", (event) => {
      event.preventDefault();
      handlers.onOpen(row);
    });
    name.append(link);
    line.append(element("td", rankOf.get(row) ?? "—"), name, element("td", row.code),
                ...FIGURES.map((key) => element("td", shown(key, row.figures[key]))));
    return line;
  });
  const thead = document.createElement("thead");
  thead.append(head);
  const tbody = document.createElement("tbody");
  tbody.append(...body);
  table.replaceChildren(thead, tbody);
}

// A figure as the page shows it.
function shown(key, figure) {
  if (figure == null) return "—";
  if (RATES.includes(key)) return `${round1(figure * 100)}%`;
  if (key === "mean_handling_hours") {
    return figure.toLocaleString("zh-CN", {maximumFractionDigits: 1});
  }
  return figure.toLocaleString("zh-CN");
}

// The table as a file, in the order and with the ranks shown: rates in per cent (the
// header says so), the handling time in hours, an empty cell for "none".
async function exportTable(session, view, {format, title}) {
  const columns = headers(view).map(([key, label]) => (RATES.includes(key)
    ? `${label} (%)` : label));
  const rankOf = ranks(view.rows, view.sort);
  const rows = sortRows(view.rows, view.sort, view.order).map((row) => [
    rankOf.get(row) ?? null, row.name, row.code,
    ...FIGURES.map((key) => {
      const figure = row.figures[key];
      if (figure == null) return null;
      return RATES.includes(key) ? round1(figure * 100) : figure;
    }),
  ]);
  const filename = safeName(title);
  const response = await session.api("/exports/table",
                                     session.jsonPost({filename, format, columns, rows}));
  saveFile(await fileOf(response), `${filename}.${format}`);
}

// The file an API answer carries; refused, its problem in words.
async function fileOf(response) {
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw Object.assign(new Error(i18n.problem(problem, `${response.status}`)),
                        {status: response.status});
  }
  return response.blob();
}

// A file the API answered, saved under `filename` (a name safe on every system).
function saveFile(blob, filename) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function safeName(title) {
  return title.replace(/[/\\:*?"<>|\x00-\x1f]/g, "_").slice(0, 80);
}

function round1(value) {
  return Math.round(value * 10) / 10;
}

export {renderTable, exportTable, fileOf, saveFile, safeName, sortRows, ranks, firstOrder, shown,
        round1, value, COUNTS, RATES, FIGURES};
