/* The map's own panels (map.js): the breadcrumb, the area's facts, errors. Each is a
 * Leaflet control; their words come from map-strings.js. */
import "./map-strings.js";
import {t} from "./i18n.js";
import {element, LoginRequired} from "./session.js";

const levelLabel = (level) => t(`level.${level}`);

// A text that follows the language switch (i18n.js re-applies data-i18n).
function label(tag, key) {
  const node = element(tag, t(key));
  node.dataset.i18n = key;
  return node;
}

function term(key) {
  return label("dt", key);
}

// --- panels --------------------------------------------------------------------------

function addPanel(map, position, className) {
  const Panel = L.Control.extend({
    onAdd() {
      const panel = L.DomUtil.create("div", `gridgov-panel ${className}`);
      // Clicks and wheel turns on a panel are for the panel, not for the map below it.
      L.DomEvent.disableClickPropagation(panel);
      L.DomEvent.disableScrollPropagation(panel);
      return panel;
    },
  });
  return new Panel({position}).addTo(map).getContainer();
}

function renderBreadcrumb(page, view, chain) {
  const items = chain.map((area, i) => {
    const item = document.createElement("li");
    item.append(i === chain.length - 1 ? element("strong", area.name) : upLink(page, view, area));
    return item;
  });
  const list = document.createElement("ol");
  list.append(...items);
  page.breadcrumb.replaceChildren(list);
}

function upLink(page, view, area) {
  const link = element("a", area.name);
  link.href = "#";
  if (area.level) link.title = `${levelLabel(area.level)} ${area.code}`;
  link.addEventListener("click", (event) => {
    event.preventDefault();
    page.select(area.code);
  });
  return link;
}

function renderInfo(page, area, children) {
  const rows = [
    ["info.level", levelLabel(area.level)],
    ["info.code", area.code],
    ["info.population", area.population == null ? "—" : area.population.toLocaleString("zh-CN")],
    ["info.area", `${(area.area_m2 / 1e6).toFixed(2)} km²`],
  ];
  if (children && children.features.length) {
    const childLevel = children.features[0].properties.level;
    rows.push(["info.children",
               t("info.count", {n: children.features.length, level: levelLabel(childLevel)})]);
  }
  const list = document.createElement("dl");
  for (const [key, value] of rows) list.append(term(key), element("dd", value));
  page.info.replaceChildren(element("h2", area.name), list);
  if (page.view?.me?.permissions.includes("kpi:read")) page.info.append(kpiLink(area.code));
}

// The area's KPI page (/kpis), for those who may read KPIs.
function kpiLink(code) {
  const paragraph = document.createElement("p");
  paragraph.className = "gridgov-kpi-link";
  const link = label("a", "info.kpis");
  link.href = `/kpis?${new URLSearchParams({area: code})}`;
  paragraph.append(link);
  return paragraph;
}

function showNotFound(page, code) {
  const message = element("p", `${t("error.notFound", {code})} `);
  message.className = "gridgov-error";
  const home = label("a", "error.home");
  home.href = "/map";
  message.append(home);
  page.info.replaceChildren(message);
}

function showError(page, error) {
  if (error instanceof LoginRequired) return;  // the login form says it
  const text = t(error.status === 403 ? "error.forbidden" : "error.failed",
                 {message: error.message});
  const message = element("p", text);
  message.className = "gridgov-error";
  page.info.replaceChildren(message);
}

export {addPanel, renderBreadcrumb, renderInfo, showNotFound, showError,
                         label, term, levelLabel};
