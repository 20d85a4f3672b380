/* The choropleth (map.js part): the selected area's child areas coloured by their open or
 * overdue incidents now (GET /kpis/open?parent=CODE, in the user's territory), with a
 * legend and the switch between the two measures, in the tools panel (bottom right),
 * which the incident part (map-incidents.js) shares.
 */
import {t} from "./i18n.js";
import {element} from "./session.js";
import * as mapPage from "./map.js";
import {label} from "./map-info.js";


// Sequential scales (ColorBrewer Reds and Blues), none for a zero.
const SCALES = {
  overdue: ["#fcbba1", "#fb6a4a", "#de2d26", "#a50f15"],
  open: ["#c6dbef", "#6baed6", "#3182bd", "#08519c"],
};
const ZERO = "#f7f7f7";
const FILLED = {fillOpacity: 0.6, color: "#5c4033", weight: 1.2};

// The open counts of an area's children: fetched once per login and area (a hand-off
// does not move an incident: counts are by where it lies), shared with the side panel.
function openCounts(page, view, code) {
  view.openCounts ??= new Map();
  if (!view.openCounts.has(code)) {
    const query = new URLSearchParams({parent: code});
    const asked = page.session.getJSON(`/kpis/open?${query}`);
    asked.catch(() => view.openCounts.delete(code));  // asked again next time
    view.openCounts.set(code, asked);
  }
  return view.openCounts.get(code);
}

// Bins of equal width between 1 and the largest count, at most four: [low, high] each.
function binsOf(max) {
  const count = Math.min(SCALES.open.length, max);
  return Array.from({length: count}, (_, i) => [Math.floor((i * max) / count) + 1,
                                                Math.floor(((i + 1) * max) / count)]);
}

function colourOf(value, bins, scale) {
  if (!value) return ZERO;
  const bin = bins.findIndex(([low, high]) => value >= low && value <= high);
  return scale[bin < 0 ? scale.length - 1 : bin];
}

// --- the hooks -----------------------------------------------------------------------

function start(page) {
  const tools = L.DomUtil.create("div", "gridgov-panel gridgov-tools");
  L.DomEvent.disableClickPropagation(tools);
  L.DomEvent.disableScrollPropagation(tools);
  const measure = document.createElement("fieldset");
  measure.className = "gridgov-measure";
  measure.append(label("legend", "tools.measure"));
  for (const name of ["overdue", "open"]) {
    const choice = document.createElement("label");
    const input = Object.assign(document.createElement("input"),
                                {type: "radio", name: "gridgov-measure", value: name,
                                 checked: name === "overdue"});
    input.addEventListener("change", () => {
      page.choropleth.measure = name;
      paint(page);
    });
    choice.append(input, label("span", `tools.${name}`));
    measure.append(choice);
  }
  const legend = L.DomUtil.create("ol", "gridgov-legend");
  tools.append(measure, legend);
  const Tools = L.Control.extend({onAdd: () => tools});
  new Tools({position: "bottomright"}).addTo(page.map);
  page.tools = tools;
  page.choropleth = {measure: "overdue", legend, layer: null, data: null};
}

async function select(page, view, {area, childLayer}) {
  unpaint(page);
  if (!area || !view.me.permissions.includes("kpi:read")) return;
  const data = await openCounts(page, view, area.code).catch(() => null);
  if (view !== page.view || page.view.shown?.area?.code !== area.code || !data) return;
  Object.assign(page.choropleth, {layer: childLayer, data});
  paint(page);
}

function close(page) {
  unpaint(page);
}

// --- drawing -------------------------------------------------------------------------

function paint(page) {
  const {layer, data, measure} = page.choropleth;
  if (!data || !data.children.length) return;  // a grid: its totals are in the panel
  const counts = new Map(data.children.map((child) => [child.code, child]));
  const max = Math.max(0, ...data.children.map((child) => child[measure]));
  const bins = binsOf(max);
  layer?.eachLayer((shape) => {
    const child = counts.get(shape.feature.properties.code);
    if (!child) return;  // a level layer's area outside the selection
    shape.setStyle({...FILLED, fillColor: colourOf(child[measure], bins, SCALES[measure])});
    const path = shape.getElement();
    if (path) Object.assign(path.dataset, {open: child.open, overdue: child.overdue});
    shape.setTooltipContent(tooltip(child));
  });
  drawLegend(page, bins, measure);
}

function unpaint(page) {
  const state = page.choropleth;
  if (!state) return;
  state.layer?.eachLayer((shape) => {
    delete shape.getElement()?.dataset.open;
    delete shape.getElement()?.dataset.overdue;
    shape.setTooltipContent(element("span", shape.feature.properties.name));
  });
  state.layer?.resetStyle();
  state.layer = state.data = null;
  state.legend.replaceChildren();
}

function tooltip(child) {
  return element("span", `${child.name} · ${t("panel.open")} ${child.open} · `
                         + `${t("panel.overdue")} ${child.overdue}`);
}

function drawLegend(page, bins, measure) {
  const rows = [[ZERO, "0"], ...bins.map(([low, high], i) => [
    SCALES[measure][i], low === high ? `${low}` : `${low}–${high}`])];
  page.choropleth.legend.replaceChildren(...rows.map(([colour, text]) => {
    const item = element("li", text);
    const swatch = element("span", "");
    swatch.className = "gridgov-swatch";
    swatch.style.background = colour;
    item.prepend(swatch);
    return item;
  }));
  page.choropleth.legend.dataset.measure = measure;
}

function lang(page) {
  if (page.choropleth?.data) paint(page);
}

mapPage.use({start, select, close, lang});
export {openCounts};
