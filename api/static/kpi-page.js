/* What every platform's KPI charts page shares (market /market/kpis, enforcement
 * /enforcement/kpis): the address that keeps the grouping and the period, the API's own
 * xlsx/CSV download with the token, a plain table and a chart's height. The charts
 * themselves are /static/charts.js; the figures, labels and colours are each page's.
 *
 *   import {asked, query, navigate, download, fillTable, sizeFor} from "/static/kpi-page.js";
 *   const wanted = asked({group: ["unit", "area"], since: null, until: null});
 *       // each key from the address; a list: one of its values (else the first)
 *   navigate(wanted, reload);              // pushes ?group=…&since=… and reloads
 *   await download(session, url, "指标.xlsx");
 *   fillTable(tableElement, ["名称", …], [[…cells], …]);   // text only, never markup
 *   element.style.height = sizeFor(rows); // a horizontal chart grows with its rows
 */

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

function navigate(wanted, reload) {
  window.history.pushState(null, "", `${window.location.pathname}?${query(wanted)}`);
  reload();
}

async function download(session, url, filename) {
  const link = document.createElement("a");
  link.href = await session.objectURL(url);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

function fillTable(table, head, rows) {
  const row = (cells, tag) => {
    const tr = document.createElement("tr");
    for (const value of cells) {
      const cell = document.createElement(tag);
      cell.textContent = value ?? "—";  // names come from the database: text, never markup
      tr.append(cell);
    }
    return tr;
  };
  table.querySelector("thead").replaceChildren(row(head, "th"));
  table.querySelector("tbody").replaceChildren(...rows.map((cells) => row(cells, "td")));
}

function sizeFor(rows) {
  return `${Math.max(160, 40 + 26 * Math.max(rows, 4))}px`;
}

const percent = (value) => (value == null ? "—" : `${Math.round(value * 1000) / 10}%`);

export {asked, query, navigate, download, fillTable, sizeFor, percent};
