/* The registered vector-tile layers on the map (map.js part): GET /api/v1/layers lists
 * them (each platform registers its own, geo/layers), and each point layer is drawn from
 * its tiles (/tiles/{layer}/{z}/{x}/{y}.mvt) by the vendored Leaflet.VectorGrid, so that a
 * whole city's or province's incidents never travel as GeoJSON: at a city's or county's
 * zoom a tile carries clusters (a count, and how many are overdue or warned), at street
 * zoom the incidents themselves (map-incidents.js then draws them as markers with cards).
 * The staff layer shows the grid workers' latest positions. Every layer is in the layer
 * control under its registered title, Chinese (`title_zh`) or, when the page is in
 * English, English (`title`); the tiles are asked with the user's token.
 */
import {t} from "./i18n.js";
import * as i18n from "./i18n.js";
import * as mapPage from "./map.js";
import {load as loadWorkflow} from "./workflow.js";

i18n.add({
  "tiles.count": {zh: "{n} 件", en: "{n}"},
  "tiles.overdue": {zh: "其中超期 {n} 件", en: "{n} overdue"},
  "tiles.worker": {zh: "网格员 {name}", en: "Grid worker {name}"},
});

// Above this zoom the incidents are markers (map-incidents.js MARKER_ZOOM); below it,
// their tiles.
const MARKER_ZOOM = 12;
const COLOURS = {red: "#c1121f", yellow: "#e9a800", green: "#2a9d8f"};
const STAFF_COLOUR = "#1d4ed8";

// Leaflet 1.8 dropped L.DomEvent.fakeStop, which VectorGrid 1.3 calls on a click.
if (window.L && !L.DomEvent.fakeStop) L.DomEvent.fakeStop = (event) => { event._stopped = true; };

function start(page) {
  page.tiles = {layers: [], workflow: null};
}

async function open(page, view) {
  close(page);
  // Not installed; or a grid worker's map, which shows his own grids only.
  if (!L.vectorGrid || view.me?.user.role === "grid_worker") return;
  const [layers, workflow] = await Promise.all([
    page.session.getJSON("/layers"), loadWorkflow(page.session, "incident")]);
  if (view !== page.view) return;
  page.tiles.workflow = workflow;
  for (const layer of layers.filter((one) => one.geometry_type === "Point")) {
    const drawn = tileLayer(page, layer, workflow);
    if (!drawn) continue;
    page.tiles.layers.push(drawn);
    // The registry's titles (geo/layers): Chinese, or English when the page is.
    mapPage.addOverlay(page, drawn, mapPage.titled(layer.title_zh, layer.title));
    if (layer.name === "incidents") drawn.addTo(page.map);
  }
  document.body.dataset.tileLayers = String(page.tiles.layers.length);
}

function close(page) {
  for (const layer of page.tiles?.layers || []) {
    mapPage.removeOverlay(page, layer);
    page.map.removeLayer(layer);
  }
  if (page.tiles) page.tiles.layers = [];
}

// The token of the moment, read when each tile is asked for (the session refreshes it).
function withToken() {
  return {
    get headers() {
      return {Authorization: `Bearer ${sessionStorage.getItem("gridgov.accessToken")}`};
    },
  };
}

// A layer's tile URL with the filters a part sets (`page.layerQuery[name](workflow)`:
// the incidents' are map-filters.js's; null: nothing is chosen); without any, the
// incidents open now.
function tileURL(page, layer, workflow) {
  const filtered = page.layerQuery?.[layer.name];
  const query = filtered ? filtered(workflow) : new URLSearchParams();
  if (query === null) return null;
  if (!filtered && layer.name === "incidents") query.set("state", workflow.openStates.join(","));
  return `${layer.tiles}${query.size ? `?${query}` : ""}`;
}

// The filters changed: each filtered layer asks its tiles again, or hides when the
// filters choose nothing.
function filter(page) {
  if (!page.tiles?.workflow) return;
  for (const drawn of page.tiles.layers) {
    if (!page.layerQuery?.[drawn.registered.name]) continue;
    const url = tileURL(page, drawn.registered, page.tiles.workflow);
    drawn.setOpacity(url === null ? 0 : 1);
    if (url !== null) drawn.setUrl(url);
  }
}

function tileLayer(page, layer, workflow) {
  const url = tileURL(page, layer, workflow);
  const style = STYLES[layer.name] || STYLES.other;
  const options = {
    rendererFactory: L.canvas.tile, interactive: true, fetchOptions: withToken(),
    vectorTileLayerStyles: {[layer.name]: (properties) => style(properties)},
    getFeatureId: (feature) => feature.properties.id || feature.properties.worker,
  };
  // The incidents are markers at street zoom (map-incidents.js): their tiles stop there.
  if (layer.name === "incidents") options.maxNativeZoom = options.maxZoom = MARKER_ZOOM - 1;
  const drawn = L.vectorGrid.protobuf(url, options);
  drawn.registered = layer;
  // Which URL's tiles are all drawn, as data-tiles-<layer> (a test waits for a filter's).
  const key = `tiles${layer.name[0].toUpperCase()}${layer.name.slice(1).replace(/\W/g, "")}`;
  drawn.on("loading", () => { delete document.body.dataset[key]; });
  drawn.on("load", () => { document.body.dataset[key] = drawn._url; });
  drawn.on("click", (event) => {
    const properties = event.layer.properties || {};
    L.popup().setLatLng(event.latlng).setContent(describe(layer, properties)).openOn(page.map);
  });
  return drawn;
}

// A cluster as a circle sized by its count, coloured by its worst deadline; one incident
// by its deadline; a worker as a blue dot.
const STYLES = {
  incidents: (p) => {
    const count = Number(p.count || 1);
    const colour = p.overdue > 0 || p.deadline === "red" ? COLOURS.red
      : p.warning > 0 || p.deadline === "yellow" ? COLOURS.yellow : COLOURS.green;
    return {radius: Math.min(24, 4 + 3 * Math.log2(count)), fill: true, fillColor: colour,
            fillOpacity: 0.75, color: "#fff", weight: 1};
  },
  staff: () => ({radius: 5, fill: true, fillColor: STAFF_COLOUR, fillOpacity: 0.9,
                 color: "#fff", weight: 1.5}),
  other: () => ({radius: 4, fill: true, fillColor: "#555", fillOpacity: 0.8, weight: 0}),
};

function describe(layer, p) {
  const box = document.createElement("div");
  box.className = `gridgov-tile-popup gridgov-tile-${layer.name}`;
  const line = (text) => {
    const node = document.createElement("p");
    node.textContent = text;
    box.append(node);
  };
  if (layer.name === "staff") {
    line(t("tiles.worker", {name: p.name || ""}));
  } else if (p.count) {
    line(t("tiles.count", {n: p.count}));
    if (p.overdue) line(t("tiles.overdue", {n: p.overdue}));
  } else {
    line(`#${p.id} ${p.cat_name || p.category || ""}`);
  }
  return box;
}

mapPage.use({start, open, close, filter});
