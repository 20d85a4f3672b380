/* My tasks: incidents waiting for the worker's verification (核查, `queue=verify`) and
 * those dispatched to him or to a unit of his to handle (`queue=tasks`, the unit named on
 * the card), with their before photos (the report's
 * and 处理前) and after photos (处理后). Verify, or send back to rework with a reason; accept
 * and report handled (处理完成: a note of what was done and the after photos, sent with the
 * move in one request). Each card shows the deadline, the address and a link that opens the
 * phone's map app at the point (a geo: URI). The lists come network-first through the
 * service worker, so the last ones fetched show offline (marked so); the moves themselves
 * need the network.
 */
import * as i18n from "../i18n.js";
import {element, ApiError, LoginRequired} from "../session.js";
import {photoPicker} from "./photos.js";

const t = i18n.t;
i18n.add({
  "tasks.none": {zh: "暂无", en: "None"},
  "tasks.offline": {zh: "离线：显示的是上次同步的任务", en: "Offline: the tasks last synced"},
  "tasks.failed": {zh: "无法加载任务：{detail}", en: "Could not load the tasks: {detail}"},
  "tasks.photos": {zh: "照片", en: "Photos"},
  "tasks.before": {zh: "处理前", en: "Before"},
  "tasks.after": {zh: "处理后", en: "After"},
  "tasks.noPhotos": {zh: "无照片", en: "No photos"},
  "tasks.reason": {zh: "返工原因", en: "Why it needs rework"},
  "tasks.needReason": {zh: "请填写返工原因", en: "Give a reason for the rework"},
  "tasks.done": {zh: "已提交：{action}", en: "Done: {action}"},
  "tasks.moveFailed": {zh: "操作失败：{detail}", en: "Failed: {detail}"},
  "tasks.unit": {zh: "处置单位：{name}", en: "Handling unit: {name}"},
  "tasks.needNetwork": {zh: "离线时无法操作，请联网后重试",
                        en: "Offline: try again with a network"},
  "action.verify": {zh: "核查通过", en: "Verified"},
  "action.rework": {zh: "返工", en: "Rework"},
  "action.accept": {zh: "签收", en: "Accept"},
  "action.handle": {zh: "处理完成", en: "Handled"},
  "tasks.due": {zh: "处理期限：{when}", en: "Due: {when}"},
  "tasks.noDue": {zh: "无处理期限", en: "No deadline"},
  "tasks.address": {zh: "地址：{address}", en: "Address: {address}"},
  "tasks.navigate": {zh: "导航前往", en: "Navigate"},
  "tasks.handleNote": {zh: "处理情况", en: "What was done"},
  "tasks.afterPhotos": {zh: "处理后照片", en: "Photos after"},
  "tasks.needAfter": {zh: "请拍摄处理后照片", en: "Take a photo of the result"},
  "tasks.cancel": {zh: "取消", en: "Cancel"},
});

const QUEUES = ["verify", "tasks"];
const MOVES = ["verify", "rework", "accept", "handle"];
const BEFORE = new Set(["report", "before"]);

function create(app) {
  const panel = document.querySelector("[data-panel=tasks]");
  const tasks = {app, panel, layer: L.layerGroup().addTo(app.map), urls: []};
  panel.querySelector(".field-tasks-reload").addEventListener("click", () => load(tasks));
  // Drawn by script: drawn again in the other language.
  i18n.onChange(() => { if (app.me) load(tasks); });
  return {load: () => load(tasks), clear: () => clear(tasks)};
}

function clear(tasks) {
  tasks.layer.clearLayers();
  tasks.urls.forEach((url) => URL.revokeObjectURL(url));
  tasks.urls = [];
  tasks.panel.querySelectorAll(".field-task-list").forEach((list) => list.replaceChildren());
}

async function load(tasks) {
  const status = tasks.panel.querySelector(".field-tasks-status");
  try {
    const answers = await Promise.all(QUEUES.map((queue) => tasks.app.fetchJSON(
      `/incidents?${new URLSearchParams({queue, limit: 100})}`)));
    clear(tasks);
    answers.forEach((answer, index) => render(tasks, QUEUES[index], answer.body.items));
    status.textContent = answers.some((answer) => answer.offline) ? t("tasks.offline") : "";
  } catch (error) {
    if (error instanceof LoginRequired) return;
    status.textContent = t("tasks.failed", {detail: error.message});
  }
}

function render(tasks, queue, items) {
  const list = tasks.panel.querySelector(`.field-task-list[data-queue=${queue}]`);
  if (!items.length) list.append(element("li", t("tasks.none")));
  for (const incident of items) {
    list.append(card(tasks, incident));
    const [lon, lat] = incident.location.coordinates;
    L.circleMarker([lat, lon], {radius: 6, color: "#1d3557", fillColor: "#2a9d8f",
                                fillOpacity: 0.9})
      // An element, not a string: Leaflet puts a string in as HTML, and names are data.
      .bindTooltip(() => element("span", `#${incident.id} ${incident.category.name}`))
      .addTo(tasks.layer);
  }
}

function card(tasks, incident) {
  const item = document.createElement("li");
  item.className = "field-task";
  item.dataset.incident = incident.id;
  const title = element("strong", `#${incident.id} ${incident.category.name}`);
  const state = element("span", incident.state_label);
  state.className = `field-state field-deadline-${incident.deadline}`;
  const text = element("p", incident.description);
  const when = element("small", formatTime(incident.reported_at));
  const photos = element("button", t("tasks.photos"));
  photos.type = "button";
  photos.className = "field-task-photos-button";
  const gallery = document.createElement("div");
  gallery.className = "field-task-photos";
  photos.addEventListener("click", () => showPhotos(tasks, incident, gallery));
  const moves = document.createElement("div");
  moves.className = "field-task-moves";
  for (const move of MOVES.filter((name) => incident.allowed_actions.includes(name))) {
    const button = element("button", t(`action.${move}`));
    button.type = "button";
    button.dataset.action = move;
    button.addEventListener("click", () => act(tasks, incident, move, item));
    moves.append(button);
  }
  const message = element("p", "");
  message.className = "field-task-message";
  message.setAttribute("role", "status");
  item.append(title, state, text, when, due(incident), place(incident));
  if (incident.handler_unit) {
    const unit = element("small", t("tasks.unit", {name: incident.handler_unit.name}));
    unit.className = "field-task-unit";
    item.append(unit);
  }
  item.append(photos, gallery, moves, message);
  return item;
}

function formatTime(value) {
  return new Date(value).toLocaleString(i18n.currentLang() === "zh" ? "zh-CN" : "en",
                                        {timeZone: "Asia/Shanghai", dateStyle: "short",
                                         timeStyle: "short"});
}

// The step's deadline, coloured as the incident's (green, yellow, red).
function due(incident) {
  const node = element("p", incident.step_due_at
    ? t("tasks.due", {when: formatTime(incident.step_due_at)}) : t("tasks.noDue"));
  node.className = `field-task-due field-deadline-${incident.deadline}`;
  return node;
}

// The address (the grid's name when the report gave none) and a link that opens the
// phone's map app there: a geo: URI (RFC 5870), WGS84, as the app's point is.
function place(incident) {
  const [lon, lat] = incident.location.coordinates;
  const box = document.createElement("p");
  box.className = "field-task-place";
  const address = incident.address || incident.grid?.name || "";
  const go = element("a", t("tasks.navigate"));
  go.className = "field-task-navigate";
  const label = encodeURIComponent(`#${incident.id} ${address}`.trim());
  go.href = `geo:${lat.toFixed(6)},${lon.toFixed(6)}?q=${lat.toFixed(6)},${lon.toFixed(6)}(${label})`;
  box.append(element("span", t("tasks.address", {address})), go);
  return box;
}

// --- photos ----------------------------------------------------------------------------

async function showPhotos(tasks, incident, gallery) {
  try {
    const detail = (await tasks.app.fetchJSON(`/incidents/${incident.id}`)).body;
    const groups = [["tasks.before", detail.photos.filter((p) => BEFORE.has(p.kind))],
                    ["tasks.after", detail.photos.filter((p) => p.kind === "after")]];
    const sections = [];
    for (const [label, photos] of groups) {
      const section = document.createElement("div");
      section.className = `field-photo-group field-photo-${label.split(".")[1]}`;
      section.append(element("h4", t(label)));
      if (!photos.length) section.append(element("small", t("tasks.noPhotos")));
      for (const photo of photos) section.append(await image(tasks, photo));
      sections.push(section);
    }
    gallery.replaceChildren(...sections);
  } catch (error) {
    if (!(error instanceof LoginRequired)) gallery.textContent = error.message;
  }
}

// Photos need the bearer token: fetched as blobs, shown from object URLs.
async function image(tasks, photo) {
  const url = await tasks.app.session.objectURL(photo.thumbnail_url || photo.url);
  tasks.urls.push(url);
  const node = document.createElement("img");
  node.src = url;
  node.alt = `${photo.kind} #${photo.id}`;
  node.dataset.kind = photo.kind;
  return node;
}

// --- moves -----------------------------------------------------------------------------

async function act(tasks, incident, move, item) {
  const message = item.querySelector(".field-task-message");
  const body = {version: incident.version};
  if (move === "rework") {
    const reason = await askReason(item);
    if (reason === null) return;
    if (!reason) {
      message.textContent = t("tasks.needReason");
      return;
    }
    body.reason = reason;
  }
  if (move === "handle") {
    const report = await askHandled(tasks, item);
    if (report === null) return;
    Object.assign(body, report);
  }
  item.querySelectorAll(".field-task-moves button").forEach((b) => { b.disabled = true; });
  try {
    await tasks.app.session.postJSON(`/incidents/${incident.id}/actions/${move}`, body);
    message.textContent = t("tasks.done", {action: t(`action.${move}`)});
    await load(tasks);
  } catch (error) {
    if (error instanceof LoginRequired) return;
    message.textContent = error instanceof ApiError
      ? t("tasks.moveFailed", {detail: i18n.problem(error.problem, error.message)})
      : t("tasks.needNetwork");
    item.querySelectorAll(".field-task-moves button").forEach((b) => { b.disabled = false; });
  }
}

// 处理完成: what was done (the move's note) and the after photos (处理后, at least one),
// in an inline form under the card; resolves to {reason, photos}, or null when cancelled.
function askHandled(tasks, item) {
  item.querySelector(".field-task-handled")?.remove();
  const options = tasks.app.options;
  return new Promise((resolve) => {
    const form = document.createElement("form");
    form.className = "field-task-handled";
    const note = document.createElement("textarea");
    Object.assign(note, {name: "reason", rows: 2, maxLength: 2000,
                         placeholder: t("tasks.handleNote")});
    note.setAttribute("aria-label", t("tasks.handleNote"));
    const photos = document.createElement("div");
    photos.className = "field-task-after";
    photos.append(element("span", t("tasks.afterPhotos")));
    const picker = photoPicker(photos, {maxBytes: options.photoMaxBytes,
                                        maxCount: options.photoMaxCount});
    const error = element("p", "");
    error.className = "field-task-message";
    const ok = element("button", t("action.handle"));
    ok.type = "submit";
    const cancel = element("button", t("tasks.cancel"));
    cancel.type = "button";
    form.append(note, photos, error, ok, cancel);
    photos.addEventListener("change", () => { error.textContent = ""; });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const after = picker.photos();
      if (!after.length) {
        error.textContent = t("tasks.needAfter");
        return;
      }
      form.remove();
      resolve({reason: note.value.trim() || null, photos: after});
    });
    cancel.addEventListener("click", () => { form.remove(); resolve(null); });
    item.append(form);
    note.focus();
  });
}

// An inline form under the card: resolves to the reason, or null when cancelled.
function askReason(item) {
  item.querySelector(".field-task-reason")?.remove();
  return new Promise((resolve) => {
    const form = document.createElement("form");
    form.className = "field-task-reason";
    const input = document.createElement("input");
    input.name = "reason";
    input.placeholder = t("tasks.reason");
    input.setAttribute("aria-label", t("tasks.reason"));
    const ok = element("button", t("action.rework"));
    ok.type = "submit";
    const cancel = element("button", "×");
    cancel.type = "button";
    form.append(input, ok, cancel);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      form.remove();
      resolve(input.value.trim());
    });
    cancel.addEventListener("click", () => { form.remove(); resolve(null); });
    item.append(form);
    input.focus();
  });
}

export {create};
