/* The area map page (api/pages.py, geo/maps.py): logs in, fills the level layers from the
 * areas API and drills down on click.
 *
 * folium renders the map, one empty layer group per level and the layer control, then
 * calls start(map, layers, control, options) of this module. The page itself holds no area
 * data: everything shown comes from the app's own /api/v1 after login, and each answer is
 * limited to the user's scope, so the page works on an intranet with no internet access
 * and shows nobody more than the API would.
 *
 * Login and the API calls (tokens in this tab's sessionStorage, one shared refresh on a
 * 401) are session.js's, which api/pages.py loads before this script.
 *
 * Where the map opens: /map/{code} at that area, /map at the user's scope area, and for a
 * grid worker (who sees his grids, not his village) at his grids. The level layers below
 * that area are drawn: districts and townships at once, villages and grids when switched
 * on. Inside the selected area its children are drawn on top and are the click targets,
 * so a click goes one level down; outside it, a click selects the coarsest visible area
 * of the level layers. The breadcrumb goes back up, as far as the user's scope reaches.
 *
 * The supervisor's parts (the choropleth, the incident markers and heatmap, the side panel
 * with KPIs, queue and hand-offs: map-*.js) plug in with use({start, open,
 * select, close, lang}); each hook gets the page (and the view: one login's map).
 */
import {t} from "./i18n.js";
import * as i18n from "./i18n.js";
import {element, create as createSession, renderAccount} from "./session.js";
import {localise} from "./leaflet-words.js";
import * as mapInfo from "./map-info.js";
import {drawLabels, drawFineLabels} from "./map-labels.js";

const {addPanel, renderBreadcrumb, renderInfo, showNotFound, showError, label, term} =
  mapInfo;
const parts = [];  // see use()

// Leaflet stacks panes by z-index and gives each its own SVG. Coarser levels sit above
// finer ones, so district outlines stay visible over township ones and a click lands on
// the coarsest visible area. The selected area sits above every level layer, and its
// children above it: they tile it, so inside the selection clicks reach the children.
const PANES = {
  "areas-grid": 401, "areas-village": 402, "areas-township": 403, "areas-county": 404,
  selected: 440, children: 450,
};

const LEVEL_STYLES = {
  county: {color: "#1d3557", weight: 2.5, fillColor: "#1d3557", fillOpacity: 0.04},
  township: {color: "#457b9d", weight: 1.2, fillColor: "#457b9d", fillOpacity: 0.03},
  village: {color: "#6c757d", weight: 0.8, fillColor: "#6c757d", fillOpacity: 0.02},
  grid: {color: "#9aa5b1", weight: 0.5, fillColor: "#9aa5b1", fillOpacity: 0.02},
};
// A grid worker's own grids are all his map shows: drawn as plainly as districts.
const OWN_GRID_STYLE = {color: "#2a6f97", weight: 2, fillColor: "#61a5c2", fillOpacity: 0.12};
const SELECTED_STYLE = {color: "#c1121f", weight: 4, fillColor: "#f77f00", fillOpacity: 0.08};
const CHILDREN_STYLE = {color: "#e76f00", weight: 1.5, fillColor: "#fcbf49", fillOpacity: 0.2};

// A record fetched only for its name and parent: the coarsest outline the API gives.
const RECORD_SIMPLIFY_M = 5000;
// The top of a grid worker's map: his grids, which have no visible common parent.
const OWN_GRIDS = "own-grids";

// A part of the page: an object of hooks, called in the order the parts were added.
function use(part) {
  parts.push(part);
}

function emit(hook, ...args) {
  for (const part of parts) part[hook]?.(...args);
}

// Called by the page folium drew (geo/maps.py): the platforms' parts first (modules that
// plug in with `use`, imported in the order the server lists them), then the login.
async function start(map, layers, control, options) {
  for (const part of options.parts || []) await import(part);
  const page = {
    map, layers, control, options,
    overlays: new Map(),  // layer -> its title in the page's language (see addOverlay)
    view: null,        // what one login sees: see newView
    select: (code) => page.view && select(page, page.view, code),
  };
  // Leaflet's default prefix carries a national flag: out of place on a government map.
  map.attributionControl.setPrefix("Leaflet");
  localise(map);
  createPanes(map);
  page.breadcrumb = addPanel(map, "topleft", "gridgov-breadcrumb");
  page.info = addPanel(map, "bottomleft", "gridgov-info");
  page.account = addPanel(map, "topright", "gridgov-account");
  // Above the layer control, which folium added to the same corner first.
  page.account.parentNode.prepend(page.account);
  page.session = createSession({
    apiBase: options.apiBase, title: t("map.title"),
    onLogin: () => open(page), onLogout: () => closeView(page),
  });
  map.on("moveend", () => drawFineLabels(page));
  map.on("overlayadd", (event) => {
    const level = Object.keys(layers).find((key) => layers[key] === event.layer);
    if (level && page.view?.start) loadLevel(page, page.view, level);
  });
  i18n.onChange(() => redraw(page));
  emit("start", page);
  closeView(page);
  page.session.start();
}

// --- the layer control, in the page's language ---------------------------------------

// An overlay in the layer control, titled by `title()` (asked again after a language
// switch): every part adds and removes its overlays here.
function addOverlay(page, layer, title) {
  page.overlays.set(layer, title);
  page.control.addOverlay(layer, title());
}

function removeOverlay(page, layer) {
  page.overlays.delete(layer);
  page.control.removeLayer(layer);
}

// The title of a layer declared with a Chinese and an English one: the page's language.
function titled(zh, en) {
  return () => (i18n.currentLang() === "en" && en ? en : zh || en);
}

// Leaflet's layer control has no way to rename an entry: the titled entries of its list
// (`_layers`, in the vendored Leaflet 1.9) get their new titles and the list is drawn
// again, every entry in its place, on or off as it was.
function relabel(page) {
  for (const entry of page.control._layers) {
    const title = page.overlays.get(entry.layer);
    if (title) entry.name = title();
  }
  page.control._update();
}

// After a language switch: the panels drawn by script, in the new language.
function redraw(page) {
  relabel(page);
  const shown = page.view?.shown;
  if (shown?.chain) renderBreadcrumb(page, page.view, shown.chain);
  if (shown?.area) renderInfo(page, shown.area, shown.children);
  if (page.view) emit("lang", page, page.view);
}

// --- talking to the API --------------------------------------------------------------

function getJSON(page, path) {
  return page.session.getJSON(path);
}

function areaPath(page, code, suffix, params = {}) {
  const query = new URLSearchParams({simplify: page.options.simplify, ...params});
  return `/areas/${encodeURIComponent(code)}${suffix}?${query}`;
}

// A grid worker's grids: his list, then each grid's outline.
async function ownGrids(page) {
  const codes = [];
  for (let offset = 0; ; offset += 1000) {
    const query = new URLSearchParams({level: "grid", limit: 1000, offset});
    const list = await getJSON(page, `/areas?${query}`);
    codes.push(...list.items.map((area) => area.code));
    if (!list.items.length || codes.length >= list.total) break;
  }
  const features = await Promise.all(codes.map((code) => getJSON(page, areaPath(page, code, ""))));
  return {type: "FeatureCollection", features};
}

// --- one login's map -----------------------------------------------------------------

function newView(page) {
  closeView(page);
  page.view = {
    me: null,            // /auth/me
    start: null,         // the code the map opened at, or OWN_GRIDS
    ownGrids: false,     // a grid worker's map of his grids
    records: new Map(),  // code -> {code, name, level, parent_code, ...}
    loading: {},         // level -> the promise of its layer, so each loads once
    selected: null, children: null,
    ticket: 0,           // the latest selection; older answers are dropped
    shown: null,         // what the panels show: {chain, area, children}
  };
  return page.view;
}

// Forget everything the last login saw: its layers, selection, panels and account.
function closeView(page) {
  const view = page.view;
  view?.selected?.remove();
  view?.children?.remove();
  view?.labels?.remove();
  view?.fineLabels?.remove();
  page.view = null;
  configureLayers(page, [], []);
  page.breadcrumb.replaceChildren();
  page.info.replaceChildren();
  page.account.replaceChildren();
  page.map.getContainer().classList.add("gridgov-logged-out");
  emit("close", page);
}

async function open(page) {
  const view = newView(page);
  try {
    const me = await getJSON(page, "/auth/me");
    if (view !== page.view) return;
    view.me = me;
    renderAccount(page.account, me, page.session);
    page.map.getContainer().classList.remove("gridgov-logged-out");
    emit("open", page, view);
    if (page.options.start) await openArea(page, view, page.options.start);
    else if (me.user.role === "grid_worker") await openOwnGrids(page, view);
    else await openArea(page, view, me.scope.code);
  } catch (error) {
    if (view === page.view) showError(page, error);
  }
}

async function openArea(page, view, code) {
  let feature;
  try {
    feature = await getJSON(page, areaPath(page, code, ""));
  } catch (error) {
    if (view === page.view && error.status === 404) showNotFound(page, code);
    else throw error;
    return;
  }
  if (view !== page.view) return;
  view.start = code;
  view.records.set(code, feature.properties);
  const below = levelsBelow(page, feature.properties.level);
  configureLayers(page, below, below.filter((level) => page.options.eager.includes(level)));
  await select(page, view, code);
}

async function openOwnGrids(page, view) {
  view.start = OWN_GRIDS;
  view.ownGrids = true;
  configureLayers(page, ["grid"], ["grid"]);  // adding the layer loads it
  await select(page, view, OWN_GRIDS);
}

// Only the level layers in `levels` are offered, in the layer control's order; those in
// `shown` are switched on (which loads them: see the overlayadd handler).
function configureLayers(page, levels, shown) {
  for (const layer of Object.values(page.layers)) {
    removeOverlay(page, layer);
    page.map.removeLayer(layer);
    layer.clearLayers();
  }
  const {layerNames, layerNamesEn = {}} = page.options;
  for (const level of page.options.levels) {
    const layer = page.layers[level];
    if (!layer || !levels.includes(level)) continue;
    addOverlay(page, layer, titled(layerNames[level], layerNamesEn[level]));
    if (shown.includes(level)) page.map.addLayer(layer);
  }
}

function levelsBelow(page, level) {
  const levels = page.options.levels;
  return levels.slice(levels.indexOf(level) + 1).filter((below) => below in page.layers);
}

function nextLevel(page, level) {
  const levels = page.options.levels;
  return levels[levels.indexOf(level) + 1];
}

// The areas of one level below the start, fetched the first time their layer is shown:
// a city has thousands of villages and grids, and most visits never switch them on.
function loadLevel(page, view, level) {
  const fetching = view.ownGrids
    ? () => ownGrids(page)
    : () => getJSON(page, areaPath(page, view.start, "/descendants", {level}));
  view.loading[level] ??= fetching()
    .then((collection) => {
      if (view !== page.view) return null;
      remember(view, collection.features);
      const style = view.ownGrids ? OWN_GRID_STYLE : LEVEL_STYLES[level];
      const layer = areaLayer(page, view, collection, `areas-${level}`, style)
        .addTo(page.layers[level]);
      drawFineLabels(page);  // at street zoom already: its names now
      return layer;
    })
    .catch((error) => {
      if (view !== page.view) return null;
      delete view.loading[level];  // switching the layer on again retries
      showError(page, error);
      return null;
    });
  return view.loading[level];
}

function remember(view, features) {
  for (const feature of features) view.records.set(feature.properties.code, feature.properties);
}

// An area's record, fetched when no loaded layer held it (a grid clicked before the
// villages were loaded has an unknown parent).
async function record(page, view, code) {
  if (!view.records.has(code)) {
    const feature = await getJSON(page, areaPath(page, code, "", {simplify: RECORD_SIMPLIFY_M}));
    view.records.set(code, feature.properties);
  }
  return view.records.get(code);
}

// The areas above the user's scope area are not his to see: the chain starts there (a
// grid worker's at his grids).
function isTop(view, area) {
  return !area.parent_code || area.code === view.me.scope.code
    || (view.me.user.role === "grid_worker" && area.level === "grid");
}

async function chainOf(page, view, area) {
  const chain = [area];
  while (!isTop(view, chain[0])) {
    try {
      chain.unshift(await record(page, view, chain[0].parent_code));
    } catch (error) {
      if (error.status === 404) break;  // the parent is outside the scope after all
      throw error;
    }
  }
  if (view.ownGrids) chain.unshift(ownGridsRecord(view));
  return chain;
}

function ownGridsRecord(view) {
  return {code: OWN_GRIDS, name: t("own.title"), level: null};
}

// --- drawing -------------------------------------------------------------------------

function createPanes(map) {
  for (const [name, zIndex] of Object.entries(PANES)) map.createPane(name).style.zIndex = zIndex;
}

function areaLayer(page, view, data, pane, style) {
  return L.geoJSON(data, {
    pane, style,
    onEachFeature(feature, layer) {
      // An element, not a string: Leaflet would read a string as HTML.
      layer.bindTooltip(() => element("span", feature.properties.name), {sticky: true});
      layer.on("click", () => select(page, view, feature.properties.code));
    },
  });
}

async function select(page, view, code) {
  const ticket = ++view.ticket;
  const current = () => ticket === view.ticket && view === page.view;
  try {
    if (code === OWN_GRIDS) {
      await selectOwnGrids(page, view, current);
      return;
    }
    // At the start an eager layer of the level right below may show the children.
    const known = view.records.get(code);
    const below = code === view.start && known && page.layers[nextLevel(page, known.level)];
    const layered = Boolean(below && page.map.hasLayer(below));
    const [feature, children] = await Promise.all([
      getJSON(page, areaPath(page, code, "")),
      layered ? null : getJSON(page, areaPath(page, code, "/children")),
    ]);
    if (!current()) return;  // a later click overtook this one
    view.records.set(code, feature.properties);
    if (children) remember(view, children.features);
    const chain = await chainOf(page, view, feature.properties);
    if (!current()) return;
    drawSelection(page, view, feature, children, layered);
    view.shown = {chain, area: feature.properties, children};
    renderBreadcrumb(page, view, chain);
    renderInfo(page, feature.properties, children);
    // The child areas' outlines: drawn for the selection, or the level layer below.
    const childLayer = layered ? await view.loading[nextLevel(page, known.level)]
      : view.children;
    if (current()) {
      drawLabels(page, view, childLayer);
      emit("select", page, view, {area: feature.properties, childLayer});
    }
  } catch (error) {
    if (current()) showError(page, error);
  }
}

async function selectOwnGrids(page, view, current) {
  const grids = await loadLevel(page, view, "grid");
  if (!current()) return;
  drawSelection(page, view, null, null, true);
  view.shown = {chain: [ownGridsRecord(view)]};
  renderBreadcrumb(page, view, view.shown.chain);
  const count = grids ? grids.getLayers().length : 0;
  if (count) page.map.fitBounds(grids.getBounds(), {padding: [16, 16]});
  const list = document.createElement("dl");
  list.append(term("own.grids"), element("dd", count ? t("own.count", {n: count}) : t("own.none")),
              term("own.village"), element("dd", view.me.scope.name));
  page.info.replaceChildren(label("h2", "own.title"), list);
  emit("select", page, view, {area: null, childLayer: null});
}


function drawSelection(page, view, feature, children, layered) {
  view.labels?.remove();
  view.fineLabels?.remove();
  view.selected?.remove();
  view.children?.remove();
  view.selected = view.children = null;
  if (!feature) return;
  // Over the level layers showing its children the selection must let clicks through to
  // them. Elsewhere it swallows clicks that miss the children (on a grid, every click),
  // so they do not jump to whatever coarser area lies underneath.
  view.selected = L.geoJSON(feature, {pane: "selected", style: SELECTED_STYLE,
                                      interactive: !layered}).addTo(page.map);
  view.children = children && areaLayer(page, view, children, "children", CHILDREN_STYLE)
    .addTo(page.map);
  page.map.fitBounds(view.selected.getBounds(), {padding: [16, 16]});
}

export {start, use, emit, addOverlay, removeOverlay, titled};
