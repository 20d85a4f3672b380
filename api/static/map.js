/* The area map page (api/pages.py, geo/maps.py): fills the level layers from the areas
 * API and drills down on click.
 *
 * folium renders the map, one empty layer group per level and the layer control, then
 * calls gridgovMap.start(map, layers, options). Everything here talks only to the app's
 * own /api/v1/areas, so the page works on an intranet with no internet access.
 *
 * Inside the selected area its children are drawn on top and are the click targets, so
 * a click goes one level down; outside it, a click selects the coarsest visible area of
 * the level layers. The breadcrumb goes back up.
 */
(function () {
  "use strict";

  const LEVEL_LABELS = {
    city: "市", county: "区县", township: "乡镇街道", village: "村社区", grid: "网格",
  };

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
  const SELECTED_STYLE = {color: "#c1121f", weight: 4, fillColor: "#f77f00", fillOpacity: 0.08};
  const CHILDREN_STYLE = {color: "#e76f00", weight: 1.5, fillColor: "#fcbf49", fillOpacity: 0.2};

  // A record fetched only for its name and parent: the coarsest outline the API gives.
  const RECORD_SIMPLIFY_M = 5000;

  function start(map, layers, options) {
    const page = {
      map, layers, options,
      records: new Map(),  // code -> {code, name, level, parent_code, ...}
      loading: {},         // level -> the promise of its layer, so each loads once
      selected: null, children: null,
      ticket: 0,           // the latest selection; older answers are dropped
    };
    rememberChain(page, options.chain);
    // Leaflet's default prefix carries a national flag: out of place on a government map.
    map.attributionControl.setPrefix("Leaflet");
    createPanes(map);
    page.breadcrumb = addPanel(map, "topleft", "gridgov-breadcrumb");
    page.info = addPanel(map, "bottomleft", "gridgov-info");
    for (const [level, layer] of Object.entries(layers)) {
      if (map.hasLayer(layer)) loadLevel(page, level);
    }
    map.on("overlayadd", (event) => {
      const level = Object.keys(layers).find((key) => layers[key] === event.layer);
      if (level) loadLevel(page, level);
    });
    select(page, options.start);
  }

  // --- talking to the API --------------------------------------------------------------

  function areaUrl(page, code, suffix, params = {}) {
    const query = new URLSearchParams({simplify: page.options.simplify, ...params});
    return `${page.options.apiBase}/${encodeURIComponent(code)}${suffix}?${query}`;
  }

  async function getJSON(url) {
    const response = await fetch(url);
    const body = await response.json().catch(() => ({}));
    // Every API error is problem+json: its detail says what went wrong.
    if (!response.ok) throw new Error(body.detail || `${response.status} ${response.statusText}`);
    return body;
  }

  function remember(page, features) {
    for (const feature of features) page.records.set(feature.properties.code, feature.properties);
  }

  // The server sends the chain above the area the page opens at, so its breadcrumb needs
  // no extra request.
  function rememberChain(page, chain) {
    chain.forEach((area, i) => {
      page.records.set(area.code, {...area, parent_code: i ? chain[i - 1].code : null});
    });
  }

  // An area's record, fetched when no loaded layer held it (a grid clicked before the
  // villages were loaded has an unknown parent).
  async function record(page, code) {
    if (!page.records.has(code)) {
      const feature = await getJSON(areaUrl(page, code, "", {simplify: RECORD_SIMPLIFY_M}));
      page.records.set(code, feature.properties);
    }
    return page.records.get(code);
  }

  async function chainOf(page, area) {
    const chain = [area];
    while (chain[0].parent_code) chain.unshift(await record(page, chain[0].parent_code));
    return chain;
  }

  // --- drawing -------------------------------------------------------------------------

  function createPanes(map) {
    for (const [name, zIndex] of Object.entries(PANES)) map.createPane(name).style.zIndex = zIndex;
  }

  // A level layer is fetched the first time it is shown: a city has thousands of villages
  // and grids, and most visits never switch them on.
  function loadLevel(page, level) {
    page.loading[level] ??= getJSON(areaUrl(page, page.options.root, "/descendants", {level}))
      .then((collection) => {
        remember(page, collection.features);
        areaLayer(page, collection, `areas-${level}`, LEVEL_STYLES[level])
          .addTo(page.layers[level]);
      })
      .catch((error) => {
        delete page.loading[level];  // switching the layer on again retries
        showError(page, error);
      });
  }

  function areaLayer(page, data, pane, style) {
    return L.geoJSON(data, {
      pane, style,
      onEachFeature(feature, layer) {
        layer.bindTooltip(feature.properties.name, {sticky: true});
        layer.on("click", () => select(page, feature.properties.code));
      },
    });
  }

  async function select(page, code) {
    const ticket = ++page.ticket;
    const isRoot = code === page.options.root;
    try {
      const [feature, children] = await Promise.all([
        getJSON(areaUrl(page, code, "")),
        // At the top the level layers already show the children.
        isRoot ? null : getJSON(areaUrl(page, code, "/children")),
      ]);
      page.records.set(code, feature.properties);
      if (children) remember(page, children.features);
      const chain = await chainOf(page, feature.properties);
      if (ticket !== page.ticket) return;  // a later click overtook this one
      drawSelection(page, feature, children, isRoot);
      renderBreadcrumb(page, chain);
      renderInfo(page, feature.properties, children);
    } catch (error) {
      if (ticket === page.ticket) showError(page, error);
    }
  }

  function drawSelection(page, feature, children, isRoot) {
    page.selected?.remove();
    page.children?.remove();
    // At the top the selection covers every level layer, so it must let clicks through to
    // them. Below, it swallows clicks that miss the children (on a grid, every click), so
    // they do not jump to whatever coarser area lies underneath.
    page.selected = L.geoJSON(feature, {pane: "selected", style: SELECTED_STYLE,
                                        interactive: !isRoot}).addTo(page.map);
    page.children = children && areaLayer(page, children, "children", CHILDREN_STYLE)
      .addTo(page.map);
    page.map.fitBounds(page.selected.getBounds(), {padding: [16, 16]});
  }

  // --- panels --------------------------------------------------------------------------

  function addPanel(map, position, className) {
    const Panel = L.Control.extend({
      onAdd() {
        const element = L.DomUtil.create("div", `gridgov-panel ${className}`);
        // Clicks and wheel turns on a panel are for the panel, not for the map below it.
        L.DomEvent.disableClickPropagation(element);
        L.DomEvent.disableScrollPropagation(element);
        return element;
      },
    });
    return new Panel({position}).addTo(map).getContainer();
  }

  function renderBreadcrumb(page, chain) {
    const items = chain.map((area, i) => {
      const item = document.createElement("li");
      item.append(i === chain.length - 1 ? element("strong", area.name) : upLink(page, area));
      return item;
    });
    const list = document.createElement("ol");
    list.append(...items);
    page.breadcrumb.replaceChildren(list);
  }

  function upLink(page, area) {
    const link = element("a", area.name);
    link.href = "#";
    link.title = `${LEVEL_LABELS[area.level]} ${area.code}`;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      select(page, area.code);
    });
    return link;
  }

  function renderInfo(page, area, children) {
    const rows = [
      ["级别", LEVEL_LABELS[area.level]],
      ["代码", area.code],
      ["人口", area.population == null ? "—" : area.population.toLocaleString("zh-CN")],
      ["面积", `${(area.area_m2 / 1e6).toFixed(2)} km²`],
    ];
    if (children && children.features.length) {
      const childLevel = children.features[0].properties.level;
      rows.push(["下级", `${children.features.length} 个${LEVEL_LABELS[childLevel]}`]);
    }
    const list = document.createElement("dl");
    for (const [term, value] of rows) list.append(element("dt", term), element("dd", value));
    page.info.replaceChildren(element("h2", area.name), list);
  }

  function showError(page, error) {
    const message = element("p", `加载失败 (failed to load): ${error.message}`);
    message.className = "gridgov-error";
    page.info.replaceChildren(message);
  }

  // Names come from the database: set as text, never as HTML.
  function element(tag, text) {
    const node = document.createElement(tag);
    node.textContent = text;
    return node;
  }

  window.gridgovMap = {start};
})();
