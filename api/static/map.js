/* The area map page (api/pages.py, geo/maps.py): logs in, fills the level layers from the
 * areas API and drills down on click.
 *
 * folium renders the map, one empty layer group per level and the layer control, then
 * calls gridgovMap.start(map, layers, control, options). The page itself holds no area
 * data: everything shown comes from the app's own /api/v1 after login, and each answer is
 * limited to the user's scope, so the page works on an intranet with no internet access
 * and shows nobody more than the API would.
 *
 * Login: the OAuth2 password flow. The access and refresh tokens live in sessionStorage
 * (this tab only); every API call sends the access token; a 401 spends the refresh token
 * once for a new pair (rotation) and retries once; failing that, the login form returns.
 *
 * Where the map opens: /map/{code} at that area, /map at the user's scope area, and for a
 * grid worker (who sees his grids, not his village) at his grids. The level layers below
 * that area are drawn: districts and townships at once, villages and grids when switched
 * on. Inside the selected area its children are drawn on top and are the click targets,
 * so a click goes one level down; outside it, a click selects the coarsest visible area
 * of the level layers. The breadcrumb goes back up, as far as the user's scope reaches.
 */
(function () {
  "use strict";

  const LEVEL_LABELS = {
    city: "市", county: "区县", township: "乡镇街道", village: "村社区", grid: "网格",
  };
  const ROLE_LABELS = {
    grid_worker: "网格员", village_staff: "村社区工作人员", township_staff: "乡镇街道工作人员",
    county_dispatcher: "区县派遣员", enforcement_officer: "执法人员",
    market_inspector: "市场监管人员", service_clerk: "便民服务窗口", proxy_agent: "代办员",
    supervisor: "督导", admin: "系统管理员",
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
  // A grid worker's own grids are all his map shows: drawn as plainly as districts.
  const OWN_GRID_STYLE = {color: "#2a6f97", weight: 2, fillColor: "#61a5c2", fillOpacity: 0.12};
  const SELECTED_STYLE = {color: "#c1121f", weight: 4, fillColor: "#f77f00", fillOpacity: 0.08};
  const CHILDREN_STYLE = {color: "#e76f00", weight: 1.5, fillColor: "#fcbf49", fillOpacity: 0.2};

  // A record fetched only for its name and parent: the coarsest outline the API gives.
  const RECORD_SIMPLIFY_M = 5000;
  const STORAGE = {access: "gridgov.accessToken", refresh: "gridgov.refreshToken"};
  // The top of a grid worker's map: his grids, which have no visible common parent.
  const OWN_GRIDS = "own-grids";

  // Thrown where the user has to log in (again); the login form is already showing.
  class LoginRequired extends Error {}

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  function start(map, layers, control, options) {
    const page = {
      map, layers, control, options,
      view: null,        // what one login sees: see newView
      refreshing: null,  // the refresh in flight, shared by every request that needs it
    };
    // Leaflet's default prefix carries a national flag: out of place on a government map.
    map.attributionControl.setPrefix("Leaflet");
    createPanes(map);
    page.breadcrumb = addPanel(map, "topleft", "gridgov-breadcrumb");
    page.info = addPanel(map, "bottomleft", "gridgov-info");
    page.account = addPanel(map, "topright", "gridgov-account");
    // Above the layer control, which folium added to the same corner first.
    page.account.parentNode.prepend(page.account);
    page.login = createLoginForm(page);
    map.on("overlayadd", (event) => {
      const level = Object.keys(layers).find((key) => layers[key] === event.layer);
      if (level && page.view?.start) loadLevel(page, page.view, level);
    });
    closeView(page);
    if (storedTokens()) open(page);
    else showLogin(page);
  }

  // --- logging in and out --------------------------------------------------------------

  function storedTokens() {
    const access = sessionStorage.getItem(STORAGE.access);
    const refresh = sessionStorage.getItem(STORAGE.refresh);
    return access && refresh ? {access, refresh} : null;
  }

  function storeTokens(pair) {
    sessionStorage.setItem(STORAGE.access, pair.access_token);
    sessionStorage.setItem(STORAGE.refresh, pair.refresh_token);
  }

  function clearTokens() {
    sessionStorage.removeItem(STORAGE.access);
    sessionStorage.removeItem(STORAGE.refresh);
  }

  function createLoginForm(page) {
    const overlay = element("div", "");
    overlay.className = "gridgov-login";
    const form = document.createElement("form");
    const title = element("h1", "网格化治理地图");
    const username = field("用户名", "username", "text", "username");
    const password = field("密码", "password", "password", "current-password");
    const error = element("p", "");
    error.className = "gridgov-login-error";
    error.setAttribute("role", "alert");
    const submit = element("button", "登录");
    submit.type = "submit";
    form.append(title, username, password, error, submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      login(page, form);
    });
    overlay.append(form);
    overlay.hidden = true;
    document.body.append(overlay);
    return {overlay, form, error, submit};
  }

  function field(label, name, type, autocomplete) {
    const wrapper = element("label", label);
    const input = document.createElement("input");
    Object.assign(input, {name, type, autocomplete, required: true});
    wrapper.append(input);
    return wrapper;
  }

  function showLogin(page, message = "") {
    page.login.error.textContent = message;
    page.login.overlay.hidden = false;
    page.login.form.elements.username.focus();
  }

  async function login(page, form) {
    page.login.submit.disabled = true;
    page.login.error.textContent = "";
    try {
      // URLSearchParams: sent as application/x-www-form-urlencoded, the OAuth2 form.
      const response = await fetch(`${page.options.apiBase}/auth/token`, {
        method: "POST", body: new URLSearchParams(new FormData(form)),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        page.login.error.textContent = loginRefusal(response.status, body);
        return;
      }
      storeTokens(body);
      form.reset();
      page.login.overlay.hidden = true;
      open(page);
    } catch (error) {
      page.login.error.textContent = `登录失败 (login failed): ${error.message}`;
    } finally {
      page.login.submit.disabled = false;
    }
  }

  function loginRefusal(status, body) {
    if (status === 401) return "用户名或密码错误 (wrong user name or password)";
    if (status === 429) return "登录失败次数过多，请稍后再试 (too many failed logins)";
    if (status === 422) return "请输入用户名和密码 (enter user name and password)";
    return `登录失败 (login failed): ${body.detail || status}`;
  }

  async function logout(page) {
    const tokens = storedTokens();
    try {
      // Revokes the login's refresh tokens; the access token simply expires.
      if (tokens) await api(page, "/auth/logout", jsonPost({refresh_token: tokens.refresh}));
    } catch (error) {
      // Logged out here either way: the tokens are dropped below.
    }
    clearTokens();
    closeView(page);
    showLogin(page);
  }

  // The tokens are no good any more: back to the login form.
  function loginRequired(page) {
    clearTokens();
    closeView(page);
    showLogin(page, "请重新登录 (please log in again)");
    return new LoginRequired("log in first");
  }

  // --- talking to the API --------------------------------------------------------------

  function jsonPost(body) {
    return {method: "POST", headers: {"Content-Type": "application/json"},
            body: JSON.stringify(body)};
  }

  function withBearer(init, token) {
    return {...init, headers: {...init.headers, Authorization: `Bearer ${token}`}};
  }

  // A fetch of the API as the logged-in user: one refresh and one retry on a 401.
  async function api(page, path, init = {}) {
    const url = `${page.options.apiBase}${path}`;
    const sent = storedTokens();
    if (!sent) throw loginRequired(page);
    let response = await fetch(url, withBearer(init, sent.access));
    if (response.status === 401) {
      const fresh = await refreshTokens(page, sent.access) && storedTokens();
      if (!fresh) throw loginRequired(page);
      response = await fetch(url, withBearer(init, fresh.access));
      if (response.status === 401) throw loginRequired(page);
    }
    return response;
  }

  // Whether a fresh pair is stored. Requests refused together share one refresh: a second
  // refresh with the same, by then spent, token would read as a stolen token and revoke
  // the whole login.
  function refreshTokens(page, staleAccess) {
    const current = storedTokens();
    if (!current) return Promise.resolve(false);
    if (current.access !== staleAccess) return Promise.resolve(true);  // refreshed meanwhile
    page.refreshing ??= (async () => {
      try {
        const response = await fetch(`${page.options.apiBase}/auth/refresh`,
                                     jsonPost({refresh_token: current.refresh}));
        if (!response.ok) return false;
        storeTokens(await response.json());
        return true;
      } finally {
        page.refreshing = null;
      }
    })();
    return page.refreshing;
  }

  async function getJSON(page, path) {
    const response = await api(page, path);
    const body = await response.json().catch(() => ({}));
    // Every API error is problem+json: its detail says what went wrong.
    if (!response.ok) {
      throw new ApiError(response.status, body.detail || `${response.status} ${response.statusText}`);
    }
    return body;
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
    };
    return page.view;
  }

  // Forget everything the last login saw: its layers, selection, panels and account.
  function closeView(page) {
    const view = page.view;
    view?.selected?.remove();
    view?.children?.remove();
    page.view = null;
    configureLayers(page, [], []);
    page.breadcrumb.replaceChildren();
    page.info.replaceChildren();
    page.account.replaceChildren();
    page.map.getContainer().classList.add("gridgov-logged-out");
  }

  async function open(page) {
    const view = newView(page);
    try {
      const me = await getJSON(page, "/auth/me");
      if (view !== page.view) return;
      view.me = me;
      renderAccount(page, me);
      page.map.getContainer().classList.remove("gridgov-logged-out");
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
      page.control.removeLayer(layer);
      page.map.removeLayer(layer);
      layer.clearLayers();
    }
    for (const level of page.options.levels) {
      const layer = page.layers[level];
      if (!layer || !levels.includes(level)) continue;
      page.control.addOverlay(layer, page.options.layerNames[level]);
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
        return areaLayer(page, view, collection, `areas-${level}`, style)
          .addTo(page.layers[level]);
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
    return {code: OWN_GRIDS, name: "我的网格", level: null};
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
      renderBreadcrumb(page, view, chain);
      renderInfo(page, feature.properties, children);
    } catch (error) {
      if (current()) showError(page, error);
    }
  }

  async function selectOwnGrids(page, view, current) {
    const grids = await loadLevel(page, view, "grid");
    if (!current()) return;
    drawSelection(page, view, null, null, true);
    renderBreadcrumb(page, view, [ownGridsRecord(view)]);
    const count = grids ? grids.getLayers().length : 0;
    if (count) page.map.fitBounds(grids.getBounds(), {padding: [16, 16]});
    const list = document.createElement("dl");
    list.append(element("dt", "网格"), element("dd", count ? `${count} 个` : "尚未分配 (none assigned)"),
                element("dt", "村社区"), element("dd", view.me.scope.name));
    page.info.replaceChildren(element("h2", "我的网格"), list);
  }

  function drawSelection(page, view, feature, children, layered) {
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

  function renderAccount(page, me) {
    const name = element("strong", me.user.username);
    if (me.user.full_name) name.title = me.user.full_name;
    const role = element("span", ROLE_LABELS[me.user.role] || me.user.role);
    role.className = "gridgov-role";
    const scope = element("span", me.scope.name);
    scope.className = "gridgov-scope";
    const button = element("button", "退出 (log out)");
    button.type = "button";
    button.addEventListener("click", () => logout(page));
    page.account.replaceChildren(name, role, scope, button);
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
    if (area.level) link.title = `${LEVEL_LABELS[area.level]} ${area.code}`;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      select(page, view, area.code);
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

  function showNotFound(page, code) {
    const message = element("p", `无法打开 ${code}：没有这个区域，或它不在您的辖区内 `
                                  + "(no such area in your scope). ");
    message.className = "gridgov-error";
    const home = element("a", "打开我的辖区 (open my area)");
    home.href = "/map";
    message.append(home);
    page.info.replaceChildren(message);
  }

  function showError(page, error) {
    if (error instanceof LoginRequired) return;  // the login form says it
    const text = error.status === 403
      ? `无权访问 (not allowed): ${error.message}`
      : `加载失败 (failed to load): ${error.message}`;
    const message = element("p", text);
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
