/* The registered vector-tile layers on the map (map.js part): GET /api/v1/layers lists
 * them (each platform registers its own, geo/layers), and each point layer is drawn from
 * its tiles (/tiles/{layer}/{z}/{x}/{y}.mvt) by the vendored Leaflet.VectorGrid, so that a
 * whole city's or province's incidents never travel as GeoJSON: at a city's or county's
 * zoom a tile carries clusters (a count, and how many are overdue or warned), at street
 * zoom the incidents themselves (map-incidents.js then draws them as markers with cards).
 * The staff layer shows the grid workers' latest positions. Every layer is in the layer
 * control under its Chinese title; the tiles are asked with the user's token.
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
  page.tiles = {layers: []};
}

async function open(page, view) {
  close(page);
  // Not installed; or a grid worker's map, which shows his own grids only.
  if (!L.vectorGrid || view.me?.user.role === "grid_worker") return;
  const [layers, workflow] = await Promise.all([
    page.session.getJSON("/layers"), loadWorkflow(page.session, "incident")]);
  if (view !== page.view) return;
  for (const layer of layers.filter((one) => one.geometry_type === "Point")) {
    const drawn = tileLayer(page, layer, workflow);
    if (!drawn) continue;
    page.tiles.layers.push(drawn);
    page.control.addOverlay(drawn, layer.title_zh || layer.title);
    if (layer.name === "incidents") drawn.addTo(page.map);
  }
  document.body.dataset.tileLayers = String(page.tiles.layers.length);
}

function close(page) {
  for (const layer of page.tiles?.layers || []) {
    page.control.removeLayer(layer);
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

function tileLayer(page, layer, workflow) {
  const query = new URLSearchParams();
  if (layer.name === "incidents") {
    for (const state of workflow.openStates) query.append("state", state);
  }
  const url = `${layer.tiles}${query.size ? `?${query}` : ""}`;
  const style = STYLES[layer.name] || STYLES.other;
  const options = {
    rendererFactory: L.canvas.tile, interactive: true, fetchOptions: withToken(),
    vectorTileLayerStyles: {[layer.name]: (properties) => style(properties)},
    getFeatureId: (feature) => feature.properties.id || feature.properties.worker,
  };
  // The incidents are markers at street zoom (map-incidents.js): their tiles stop there.
  if (layer.name === "incidents") options.maxNativeZoom = options.maxZoom = MARKER_ZOOM - 1;
  const drawn = L.vectorGrid.protobuf(url, options);
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

mapPage.use({start, open, close});
