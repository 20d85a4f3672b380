/* Incident markers and the heatmap (map.js part).
 *
 * The incidents in view that the filters choose (map-filters.js: by default the open
 * ones) come from the layers API, GeoJSON by bbox and page
 * (GET /layers/incidents/features?bbox=&limit=, then each `next` link), in the user's
 * territory. They load when the map is zoomed in far enough for markers (a township or
 * closer), or whenever the heatmap is on, at most MAX_POINTS at a time. Markers are
 * clustered (leaflet.markercluster) and coloured by deadline (green, yellow, red); a
 * cluster takes the colour of its worst member. A marker's popup is the incident's card
 * with its hand-offs (map-actions.js).
 */
import {t} from "./i18n.js";
import * as mapPage from "./map.js";
import {label} from "./map-info.js";
import {card, detail} from "./map-actions.js";
import {incidentParams, nothingChosen} from "./map-filters.js";
import {LoginRequired} from "./session.js";
import {load as loadWorkflow} from "./workflow.js";


const MARKER_ZOOM = 12;   // a township fills the screen
const FOCUS_ZOOM = 16;    // one incident, its cluster spread out
const PAGE_LIMIT = 500;
const MAX_POINTS = 3000;  // the status says when there were more
const RANK = {green: 0, yellow: 1, red: 2};
const DEADLINES = ["green", "yellow", "red"];
const HEAT_WEIGHT = {green: 0.4, yellow: 0.7, red: 1};

function start(page) {
  // Without a basemap folium sets no maxZoom; the clusters need one (to know when to
  // stop clustering): the zoom a street-level basemap ends at.
  page.map.options.maxZoom ??= 19;
  const cluster = L.markerClusterGroup({iconCreateFunction: clusterIcon, maxClusterRadius: 45,
                                       showCoverageOnHover: false});
  const heat = L.heatLayer([], {radius: 22, blur: 16, maxZoom: 15});
  const status = L.DomUtil.create("p", "gridgov-markers-status");
  page.incidents = {cluster, heat, status, markers: new Map(), ticket: 0, loaded: null,
                    loading: null, shown: 0, truncated: false, points: []};
  const toggles = L.DomUtil.create("div", "gridgov-toggles");
  toggles.append(toggle(page, "markers", true, (on) => show(page, cluster, on)),
                 toggle(page, "heat", false, (on) => {
                   show(page, heat, on);
                   setHeat(page);
                   refresh(page);
                 }));
  page.tools.prepend(toggles, status);
  page.map.on("moveend", () => refresh(page));
}

function toggle(page, name, checked, onChange) {
  const box = document.createElement("label");
  box.className = `gridgov-toggle-${name}`;
  const input = Object.assign(document.createElement("input"), {type: "checkbox", checked});
  input.addEventListener("change", () => onChange(input.checked));
  box.append(input, label("span", `tools.${name}`));
  return box;
}

function show(page, layer, on) {
  if (on && page.view?.me) page.map.addLayer(layer);
  else page.map.removeLayer(layer);
}

function open(page, view) {
  const toggles = page.tools.querySelectorAll(".gridgov-toggles input");
  show(page, page.incidents.cluster, toggles[0].checked);
  show(page, page.incidents.heat, toggles[1].checked);
}

function close(page) {
  const state = page.incidents;
  if (!state) return;
  state.ticket++;
  page.map.removeLayer(state.cluster);
  page.map.removeLayer(state.heat);
  clear(state);
  state.status.textContent = "";
}

function clear(state) {
  state.cluster.clearLayers();
  state.markers.clear();
  state.points = [];
  state.loaded = null;
  if (state.heat._map) state.heat.setLatLngs([]);
}

// leaflet.heat redraws on every change and fails off the map: its points are set while
// it is shown, and again each time it is switched on.
function setHeat(page) {
  const state = page.incidents;
  if (page.map.hasLayer(state.heat)) state.heat.setLatLngs(state.points);
}

function changed(page) {
  page.incidents.loaded = null;  // a hand-off moved an incident: read it again
  refresh(page);
}

// --- loading -------------------------------------------------------------------------

function wanted(page) {
  return page.map.getZoom() >= MARKER_ZOOM || page.map.hasLayer(page.incidents.heat);
}

// Loads the incidents of the view (with a margin), unless those loaded cover it.
function refresh(page) {
  const state = page.incidents;
  if (!page.view?.me || page.view.ownGrids) return Promise.resolve();
  if (!wanted(page)) {
    state.ticket++;
    clear(state);
    state.status.replaceChildren(label("span", "tools.zoomIn"));
    return Promise.resolve();
  }
  const view = page.map.getBounds();
  if (state.loaded && state.loaded.contains(view) && !state.truncated) return state.loading;
  const bounds = view.pad(0.25);
  const ticket = ++state.ticket;
  state.loading = fetchAll(page, bounds, () => ticket === state.ticket)
    .then((features) => {
      if (ticket !== state.ticket || !features) return;
      state.loaded = bounds;
      draw(page, features);
    })
    .catch((error) => {
      if (ticket !== state.ticket || error instanceof LoginRequired) return;
      state.status.textContent = t("error.failed", {message: error.message});
    });
  return state.loading;
}

async function fetchAll(page, bounds, current) {
  const bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
    .map((value) => value.toFixed(6)).join(",");
  const workflow = await loadWorkflow(page.session, "incident");
  page.incidents.truncated = false;
  if (nothingChosen(page)) return [];
  const query = incidentParams(page, workflow);
  query.set("bbox", bbox);
  query.set("limit", PAGE_LIMIT);
  let path = `/layers/incidents/features?${query}`;
  const features = [];
  while (path) {
    const collection = await page.session.getJSON(path);
    if (!current()) return null;
    features.push(...collection.features);  // the filters' only: the query says so
    path = nextPath(page, collection.links);
    if (path && features.length >= MAX_POINTS) {
      page.incidents.truncated = true;
      break;
    }
  }
  return features;
}

// A `next` link as a path under the API base, which session.getJSON prefixes.
function nextPath(page, links) {
  const next = (links || []).find((link) => link.rel === "next");
  if (!next) return null;
  const url = new URL(next.href, location.href);
  return url.pathname.slice(page.options.apiBase.length) + url.search;
}

// --- drawing -------------------------------------------------------------------------

function draw(page, features) {
  const state = page.incidents;
  state.cluster.clearLayers();
  state.markers.clear();
  const markers = features.map((feature) => marker(page, feature));
  state.cluster.addLayers(markers);
  state.points = features.map(({geometry, properties}) => [
    geometry.coordinates[1], geometry.coordinates[0], HEAT_WEIGHT[properties.deadline] ?? 0.5]);
  setHeat(page);
  state.shown = features.length;
  renderStatus(page);
}

function renderStatus(page) {
  const state = page.incidents;
  if (!state.loaded) return;
  state.status.textContent = t("tools.shown", {n: state.shown})
    + (state.truncated ? t("tools.more", {n: MAX_POINTS}) : "");
}

function deadlineOf(properties) {
  return DEADLINES.includes(properties.deadline) ? properties.deadline : "green";
}

function marker(page, feature) {
  const [lon, lat] = feature.geometry.coordinates;
  const properties = feature.properties;
  const deadline = deadlineOf(properties);
  const icon = L.divIcon({className: `gridgov-incident gridgov-deadline-${deadline}`,
                          iconSize: [14, 14], html: ""});
  const one = L.marker([lat, lon], {icon, title: `#${properties.id} ${properties.category_name}`});
  one.incident = properties;
  one.deadline = deadline;
  one.bindPopup(() => popup(page, properties.id), {minWidth: 260, maxWidth: 320});
  page.incidents.markers.set(properties.id, one);
  return one;
}

// The popup fills once the incident's detail (its version, owner and chain) is read.
function popup(page, id) {
  const box = document.createElement("div");
  box.className = "gridgov-popup";
  detail(page, id)
    .then((incident) => box.replaceChildren(card(page, incident)))
    .catch((error) => {
      box.textContent = t("error.failed", {message: error.message});
    });
  return box;
}

function clusterIcon(cluster) {
  const worst = cluster.getAllChildMarkers()
    .reduce((top, one) => (RANK[one.deadline] > RANK[top] ? one.deadline : top), "green");
  return L.divIcon({
    html: `<span>${cluster.getChildCount()}</span>`,  // a number: nothing to escape
    className: `gridgov-cluster gridgov-deadline-${worst}`, iconSize: [34, 34],
  });
}

// An incident from the queue: the map moves to it and opens its marker's popup, or a
// popup at its place when it is not among the markers (not loaded, or closed now).
async function focus(page, incident) {
  const [lon, lat] = incident.location.coordinates;
  page.map.setView([lat, lon], Math.max(page.map.getZoom(), FOCUS_ZOOM), {animate: false});
  await refresh(page);
  const one = page.incidents.markers.get(incident.id);
  if (one && page.map.hasLayer(page.incidents.cluster)) {
    page.incidents.cluster.zoomToShowLayer(one, () => one.openPopup());
  } else {
    L.popup({minWidth: 260, maxWidth: 320}).setLatLng([lat, lon])
      .setContent(popup(page, incident.id)).openOn(page.map);
  }
}

mapPage.use({start, open, close, changed, filter: changed, lang: renderStatus});
export {focus};
