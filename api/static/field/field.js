/* The field app (/field, api/field.py): the page's frame — login kept across
 * restarts (session.js `remember`: the refresh token is an HttpOnly cookie, the access
 * token comes from it), the service worker, the map of the worker's own grids, the tabs
 * and the outbox list — around report.js, tasks.js and patrol.js. The tabs follow the
 * user (tools.js, GET /api/v1/field/tools): a grid worker's report, tasks and patrol; an
 * officer's or an inspector's tools from their platforms, mounted from their modules.
 *
 *   start({apiBase, tileUrl, tileAttribution, photoMaxBytes, photoMaxCount,
 *          serviceWorker, scope});
 *
 * `running.app` is the running app (its outbox and store), for tests and support.
 */
import * as i18n from "../i18n.js";
import {element, LoginRequired, ApiError, create as createSession, renderAccount} from "../session.js";
import {localise} from "../leaflet-words.js";
import * as fieldStore from "./store.js";
import * as outboxModule from "./outbox.js";
import * as fieldReport from "./report.js";
import * as fieldTasks from "./tasks.js";
import * as fieldPatrol from "./patrol.js";
import * as fieldQueue from "./queue.js";
import * as fieldTools from "./tools.js";

const t = i18n.t;
i18n.add({
  "field.title": {zh: "网格员", en: "Grid worker"},
  "field.map": {zh: "地图", en: "Map"},
  "field.online": {zh: "在线", en: "Online"},
  "field.offline": {zh: "离线", en: "Offline"},
  "field.offlineData": {zh: "离线数据", en: "offline data"},
  "field.noGrids": {zh: "没有负责的网格", en: "No grids assigned"},
  "field.scope": {zh: "辖区：{name}", en: "Territory: {name}"},
  "field.grids": {zh: "我的网格：{n} 个", en: "My grids: {n}"},
  "field.loadFailed": {zh: "加载失败：{detail}", en: "Could not load: {detail}"},
  "tab.report": {zh: "上报", en: "Report"},
  "tab.outbox": {zh: "待发送", en: "Outbox"},
  "tab.tasks": {zh: "我的任务", en: "My tasks"},
  "tab.patrol": {zh: "巡查", en: "Patrol"},
  "report.position": {zh: "位置", en: "Position"},
  "report.tap": {zh: "可点击地图修正位置", en: "Tap the map to correct the position"},
  "report.useGps": {zh: "使用定位位置", en: "Use the GPS position"},
  "report.major": {zh: "大类", en: "Class"},
  "report.minor": {zh: "小类", en: "Category"},
  "report.description": {zh: "描述", en: "Description"},
  "report.urgency": {zh: "紧急程度", en: "Urgency"},
  "report.photos": {zh: "照片", en: "Photos"},
  "report.submit": {zh: "提交上报", en: "Submit report"},
  "outbox.pending": {zh: "待发送", en: "Waiting to be sent"},
  "outbox.empty": {zh: "没有待发送的上报", en: "Nothing waiting"},
  "outbox.sendNow": {zh: "立即发送", en: "Send now"},
  "outbox.sent": {zh: "已发送", en: "Sent"},
  "outbox.waiting": {zh: "等待发送", en: "Waiting"},
  "outbox.failed": {zh: "发送失败：{detail}", en: "Refused: {detail}"},
  "outbox.offline": {zh: "离线，联网后自动发送", en: "Offline; sent when the network returns"},
  "outbox.retry": {zh: "重试", en: "Retry"},
  "outbox.delete": {zh: "删除", en: "Delete"},
  "outbox.arrived": {zh: "已送达：事件 #{id}", en: "Arrived: incident #{id}"},
  "outbox.photos": {zh: "{n} 张照片", en: "{n} photos"},
  "tasks.verify": {zh: "待核查", en: "To verify"},
  "tasks.handle": {zh: "待处理", en: "To handle"},
  "tasks.reload": {zh: "刷新", en: "Reload"},
  "patrol.start": {zh: "开始巡查", en: "Start patrol"},
  "patrol.length": {zh: "里程", en: "Length"},
  "patrol.duration": {zh: "时长", en: "Duration"},
  "patrol.points": {zh: "轨迹点", en: "Points"},
  "patrol.unsent": {zh: "未上传", en: "Not uploaded"},
});

const OWN_GRID_STYLE = {color: "#2a6f97", weight: 2, fillColor: "#61a5c2", fillOpacity: 0.15};
const GRID_SIMPLIFY_M = 2;

async function start(options) {
  const app = {options, me: null, tab: null, fetched: new Set(), granted: new Set(),
               views: new Map(), memberships: [],
               user: () => app.me?.user.username || null};
  running.app = app;
  app.map = createMap(options);
  app.grids = L.featureGroup().addTo(app.map);
  app.store = await fieldStore.open();
  app.session = createSession({
    // Opens logged in after a restart (offline too): the cookie gives a token when online.
    apiBase: options.apiBase, title: t("field.title"), remember: true,
    onLogin: () => open(app), onLogout: () => close(app),
  });
  app.fetchJSON = (path) => fetchJSON(app, path);
  app.showTab = (name) => showTab(app, name);
  app.flash = (text) => flash(app, text);
  app.outbox = outboxModule.create({store: app.store, session: app.session, user: app.user,
                                     onChange: () => renderOutbox(app)});
  app.report = fieldReport.create(app);
  app.tasks = fieldTasks.create(app);
  app.patrol = fieldPatrol.create(app);
  app.queue = await fieldQueue.create({session: app.session, user: app.user});
  document.querySelectorAll("[data-tab]").forEach((button) => {
    button.addEventListener("click", () => showTab(app, button.dataset.tab));
  });
  document.querySelector(".field-send-now").addEventListener("click", () => app.outbox.flush());
  watchNetwork();
  i18n.onChange(() => renderOutbox(app));
  registerWorker(app);
  app.session.start();
}

function createMap(options) {
  const map = L.map("field-map", {zoomControl: true, tap: true}).setView([27.8, 113.1], 10);
  map.attributionControl.setPrefix("Leaflet");
  localise(map);
  if (options.tileUrl) {
    L.tileLayer(options.tileUrl, {attribution: options.tileAttribution, maxZoom: 19})
      .addTo(map);
  }
  return map;
}

// --- the service worker and the network ------------------------------------------------

function registerWorker(app) {
  if (!("serviceWorker" in navigator)) return;
  if (navigator.serviceWorker.controller) {
    document.body.dataset.offlineReady = "true";
  } else {
    // The first time a worker takes the page over, fetch again (without drawing) what
    // the page has fetched, so it lands in the worker's cache and shows offline.
    navigator.serviceWorker.addEventListener("controllerchange", () => warmCache(app),
                                             {once: true});
  }
  navigator.serviceWorker.register(app.options.serviceWorker, {scope: app.options.scope})
    .catch((error) => console.warn("service worker:", error));
}

async function warmCache(app) {
  await Promise.allSettled([...app.fetched].map((path) => app.session.api(path)));
  document.body.dataset.offlineReady = "true";
}

function watchNetwork() {
  const badge = document.querySelector(".field-net");
  const show = () => {
    badge.textContent = t(navigator.onLine ? "field.online" : "field.offline");
    badge.dataset.online = String(navigator.onLine);
  };
  window.addEventListener("online", show);
  window.addEventListener("offline", show);
  i18n.onChange(show);
  show();
}

async function fetchJSON(app, path) {
  app.fetched.add(path);
  const response = await app.session.api(path);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(response.status, body.detail || `${response.status}`);
  }
  return {body, offline: response.headers.get("X-Gridgov-Offline") === "1"};
}

// --- one login -------------------------------------------------------------------------

async function open(app) {
  try {
    app.me = (await fetchJSON(app, "/auth/me")).body;
  } catch (error) {
    if (!(error instanceof LoginRequired)) flash(app, t("field.loadFailed", {detail: error.message}));
    return;
  }
  document.body.classList.remove("gridgov-logged-out");
  renderAccount(document.querySelector(".field-account"), app.me, app.session);
  showTitle(app.me.user.role);
  const first = await fieldTools.apply(app, await loadTools(app));
  showTab(app, first);
  await loadData(app);
  if (app.granted.has("grid.report")) app.outbox.flush();
  if (app.granted.has("grid.patrol")) app.patrol.resume();
  app.queue.flush();
  document.body.dataset.ready = "true";
}

// The tools the user's role and memberships grant (none when they cannot be had).
async function loadTools(app) {
  try {
    return (await fetchJSON(app, "/field/tools")).body;
  } catch (error) {
    if (!(error instanceof LoginRequired)) flash(app, t("field.loadFailed", {detail: error.message}));
    return {tools: [], memberships: []};
  }
}

// 网格员 for a grid worker; for anyone else, the role's own name (session.js role.*).
function showTitle(role) {
  const title = document.querySelector(".field-header h1");
  title.dataset.i18n = role === "grid_worker" ? "field.title" : `role.${role}`;
  title.textContent = t(title.dataset.i18n);
  document.title = title.textContent;
}

async function loadData(app) {
  await Promise.all([loadGrids(app),
                     app.granted.has("grid.report") ? loadCategories(app) : null,
                     app.granted.has("grid.tasks") ? app.tasks.load() : null]);
  renderOutbox(app);
}

function close(app) {
  app.me = null;
  app.fetched.clear();
  app.grids.clearLayers();
  app.tasks.clear();
  app.report.close();
  fieldTools.clear(app);
  showTab(app, null);
  document.querySelector(".field-no-tools").hidden = true;
  delete document.body.dataset.ready;
  document.body.classList.add("gridgov-logged-out");
  document.querySelector(".field-account").replaceChildren();
  // What this login saw is not the next one's business.
  navigator.serviceWorker?.controller?.postMessage({type: "logout"});
  renderOutbox(app);
}

// A grid worker's grids (his whole scope), else the outline of the scope area.
async function loadGrids(app) {
  try {
    let features;
    let offline = false;
    if (app.me.user.role === "grid_worker") {
      const list = await fetchJSON(app, `/areas?${new URLSearchParams({level: "grid",
                                                                     limit: 1000})}`);
      const answers = await Promise.all(list.body.items.map((area) => fetchJSON(
        app, `/areas/${area.code}?simplify=${GRID_SIMPLIFY_M}`)));
      features = answers.map((answer) => answer.body);
      offline = list.offline;
    } else {
      const answer = await fetchJSON(app, `/areas/${app.me.scope.code}?simplify=20`);
      features = [answer.body];
      offline = answer.offline;
    }
    drawGrids(app, features, offline);
  } catch (error) {
    if (!(error instanceof LoginRequired)) flash(app, t("field.loadFailed", {detail: error.message}));
  }
}

function drawGrids(app, features, offline) {
  app.grids.clearLayers();
  L.geoJSON({type: "FeatureCollection", features}, {
    style: () => OWN_GRID_STYLE,
    // An element, not a string: Leaflet puts a string in as HTML, and names are data.
    onEachFeature: (feature, layer) => layer.bindTooltip(() => element(
      "span", `${feature.properties.name} ${feature.properties.code || feature.id}`)),
  }).addTo(app.grids);
  document.body.dataset.grids = String(features.length);
  // A grid worker's grids are counted; anyone else sees his territory's outline, named.
  const own = app.me.user.role === "grid_worker"
    ? t("field.grids", {n: features.length}) : t("field.scope", {name: app.me.scope.name});
  const note = own + (offline ? ` · ${t("field.offlineData")}` : "");
  flash(app, features.length ? note : t("field.noGrids"));
  if (features.length && !app.fitted) {
    app.map.fitBounds(app.grids.getBounds(), {padding: [12, 12]});
    app.fitted = true;
  }
}

async function loadCategories(app) {
  try {
    app.report.setCategories((await fetchJSON(app, "/categories")).body);
  } catch (error) {
    if (!(error instanceof LoginRequired)) flash(app, t("field.loadFailed", {detail: error.message}));
  }
}

// --- tabs and messages -----------------------------------------------------------------

function showTab(app, name) {
  app.tab = name;
  document.querySelectorAll("[data-tab]").forEach((button) => {
    button.classList.toggle("field-tab-on", button.dataset.tab === name);
    button.setAttribute("aria-pressed", String(button.dataset.tab === name));
  });
  document.querySelectorAll("[data-panel]").forEach((panel) => {
    panel.hidden = panel.dataset.panel !== name;
  });
  if (name === "report") app.report.open();
  else app.report.close();
  fieldTools.switched(app, name);
}

function flash(app, text) {
  document.querySelector(".field-message")?.remove();
  const message = element("p", text);
  message.className = "field-message";
  message.setAttribute("role", "status");
  document.querySelector("main").prepend(message);
}

// --- the outbox, drawn -------------------------------------------------------------------

async function renderOutbox(app) {
  const pending = app.me ? await app.outbox.pending() : [];
  const sent = app.me ? await app.outbox.sent() : [];
  const badge = document.querySelector(".field-badge");
  badge.textContent = String(pending.length);
  badge.hidden = pending.length === 0;
  document.querySelector("[data-panel=outbox] .field-empty").hidden = pending.length > 0;
  document.querySelector(".field-outbox").replaceChildren(
    ...pending.map((record) => pendingItem(app, record)));
  document.querySelector(".field-sent").replaceChildren(
    ...sent.reverse().map((record) => sentItem(record)));
}

function summary(record) {
  const photos = record.label.photos ? ` · ${t("outbox.photos", {n: record.label.photos})}` : "";
  return `${record.label.category} · ${record.label.description}${photos}`;
}

function pendingItem(app, record) {
  const item = document.createElement("li");
  item.className = `field-outbox-item field-outbox-${record.status}`;
  item.dataset.key = record.key;
  item.dataset.status = record.status;
  const state = record.status === "failed" ? t("outbox.failed", {detail: record.error})
    : record.error === "offline" ? t("outbox.offline") : t("outbox.waiting");
  item.append(element("strong", summary(record)), element("small", state));
  if (record.status === "failed") {
    // 修改: back into the report form (report.js), to be corrected and sent again.
    for (const [key, action] of [["outbox.edit", app.report.edit],
                                 ["outbox.retry", app.outbox.retry],
                                 ["outbox.delete", app.outbox.remove]]) {
      const button = element("button", t(key));
      button.type = "button";
      button.addEventListener("click", () => action(record.key));
      item.append(button);
    }
  }
  return item;
}

function sentItem(record) {
  const item = document.createElement("li");
  item.className = "field-sent-item";
  item.dataset.key = record.key;
  item.dataset.incident = record.incident_id;
  item.append(element("strong", t("outbox.arrived", {id: record.incident_id})),
              element("small", summary(record)));
  return item;
}

// The running app (its outbox and store), for the tests and support:
// `(await import("/static/field/field.js")).running.app`.
const running = {app: null};

export {start, running};
