/* Patrol mode (巡查): start and stop; while on, every GPS fix is written to IndexedDB,
 * drawn on the map with the track's length, and uploaded in batches whenever the network
 * allows: the patrol is started on the server with a key the phone made (a replay is the
 * same patrol), and a resent batch stores nothing twice (the server keys each fix by its
 * instant). A patrol leaves the phone once all its fixes and its end have arrived; one
 * still running when the app closed is resumed when it opens.
 */
import * as i18n from "../i18n.js";
import {LoginRequired, ApiError} from "../session.js";
import {gpsReason} from "./gps.js";
import * as fieldStore from "./store.js";

const t = i18n.t;
i18n.add({
  "patrol.stop": {zh: "结束巡查", en: "Stop patrol"},
  "patrol.on": {zh: "巡查中…", en: "Patrolling…"},
  "patrol.uploaded": {zh: "已上传，服务器里程 {m} 米", en: "Uploaded; {m} m on the server"},
  "patrol.waiting": {zh: "离线：轨迹保存在手机上，联网后上传",
                     en: "Offline: the track is kept on the phone until the network returns"},
  "patrol.refused": {zh: "部分轨迹点被拒绝：{detail}", en: "Some points were refused: {detail}"},
  "patrol.noGps": {zh: "无法定位：{reason}", en: "No position: {reason}"},
});

const BATCH = 200;
const SYNC_MS = 15000;
// Fixes worse than this say little about where the worker walked.
const WORST_ACCURACY_M = 100;

function create(app) {
  const panel = document.querySelector("[data-panel=patrol]");
  const patrol = {app, panel, active: null, finished: null, watch: null, track: [],
                  syncing: null, again: null,
                  line: L.polyline([], {color: "#c1121f", weight: 4}).addTo(app.map)};
  panel.querySelector(".field-patrol-toggle").addEventListener("click", () => toggle(patrol));
  window.addEventListener("online", () => sync(patrol));
  setInterval(() => sync(patrol), SYNC_MS);
  setInterval(() => showStats(patrol), 1000);
  return {resume: () => resume(patrol)};
}

async function resume(patrol) {
  const open = (await patrol.app.store.all("patrols"))
    .find((record) => !record.ended_at && record.user === patrol.app.user());
  if (open && !patrol.active) {
    patrol.active = open;
    patrol.track = (await patrol.app.store.byPatrol(open.client_key))
      .sort((a, b) => a.recorded_at.localeCompare(b.recorded_at));
    draw(patrol);
    watch(patrol);
  }
  showStats(patrol);
  await sync(patrol);
}

function toggle(patrol) {
  return patrol.active ? stop(patrol) : start(patrol);
}

async function start(patrol) {
  patrol.finished = null;
  patrol.active = {client_key: fieldStore.newKey(), user: patrol.app.user(),
                   started_at: new Date().toISOString(), ended_at: null, id: null,
                   end_sent: false};
  patrol.track = [];
  await patrol.app.store.put("patrols", patrol.active);
  draw(patrol);
  watch(patrol);
  showStats(patrol);
  sync(patrol);
}

async function stop(patrol) {
  if (patrol.watch !== null) navigator.geolocation.clearWatch(patrol.watch);
  patrol.watch = null;
  const ended = {...patrol.active, ended_at: new Date().toISOString()};
  patrol.active = null;
  patrol.finished = ended;  // its figures stay on show until the next patrol starts
  await patrol.app.store.put("patrols", ended);
  showStats(patrol);
  await sync(patrol);
}

function watch(patrol) {
  if (!navigator.geolocation) return;
  patrol.watch = navigator.geolocation.watchPosition(
    (position) => record(patrol, position),
    (error) => status(patrol, t("patrol.noGps", {reason: gpsReason(error)})),
    {enableHighAccuracy: true, maximumAge: 0, timeout: 60000});
}

async function record(patrol, position) {
  const active = patrol.active;
  if (!active || position.coords.accuracy > WORST_ACCURACY_M) return;
  const point = {client_key: active.client_key,
                 recorded_at: new Date(position.timestamp).toISOString(),
                 lon: position.coords.longitude, lat: position.coords.latitude,
                 accuracy_m: position.coords.accuracy, sent: 0};
  const last = patrol.track[patrol.track.length - 1];
  if (last && last.recorded_at >= point.recorded_at) return;  // one fix per instant
  patrol.track.push(point);
  await patrol.app.store.put("points", point);
  draw(patrol);
  showStats(patrol);
}

// --- uploading ---------------------------------------------------------------------------

// One pass at a time. A call while a pass runs gets another pass after it, since the
// running one may have read the store before the call's news (a patrol just ended, its
// last fixes): else they would wait for the next timer.
function sync(patrol) {
  if (!patrol.app.user()) return Promise.resolve();
  if (patrol.syncing) {
    patrol.again ??= patrol.syncing.then(() => {
      patrol.again = null;
      return sync(patrol);
    });
    return patrol.again;
  }
  patrol.syncing = syncAll(patrol).finally(() => {
    patrol.syncing = null;
    showStats(patrol);
  });
  return patrol.syncing;
}

async function syncAll(patrol) {
  const records = (await patrol.app.store.all("patrols"))
    .filter((item) => item.user === patrol.app.user());
  try {
    for (const item of records) await syncOne(patrol, item);
  } catch (error) {
    if (!(error instanceof LoginRequired)) status(patrol, t("patrol.waiting"));
  }
}

async function syncOne(patrol, item) {
  const server = await ensureStarted(patrol, item);
  const points = (await patrol.app.store.byPatrol(item.client_key))
    .filter((point) => point.sent === 0)
    .sort((a, b) => a.recorded_at.localeCompare(b.recorded_at));
  let summary = server;
  for (let i = 0; i < points.length; i += BATCH) {
    summary = await upload(patrol, server.id, points.slice(i, i + BATCH)) || summary;
  }
  if (item.ended_at && !item.end_sent) {
    summary = await patrol.app.session.postJSON(`/patrols/${server.id}/end`,
                                                {ended_at: item.ended_at});
    await patrol.app.store.removePatrol(item.client_key);
    await patrol.app.store.remove("patrols", item.client_key);
  }
  if (summary?.distance_m !== undefined) {
    status(patrol, t("patrol.uploaded", {m: Math.round(summary.distance_m)}));
  }
}

async function ensureStarted(patrol, item) {
  if (item.id) return {id: item.id};
  const summary = await patrol.app.session.postJSON(
    "/patrols", {client_key: item.client_key, started_at: item.started_at});
  if (item.id !== summary.id) {
    item.id = summary.id;
    await patrol.app.store.put("patrols", item);
    if (patrol.active?.client_key === item.client_key) patrol.active.id = summary.id;
  }
  return summary;
}

async function upload(patrol, id, points) {
  const body = {points: points.map(({lon, lat, accuracy_m, recorded_at}) =>
    ({lon, lat, accuracy_m, recorded_at}))};
  let summary = null;
  let sent = 1;
  try {
    summary = await patrol.app.session.postJSON(`/patrols/${id}/points`, body);
  } catch (error) {
    // A refusal (4xx) would be refused again: those fixes are set aside, not retried.
    if (!(error instanceof ApiError) || error.status >= 500) throw error;
    status(patrol, t("patrol.refused", {detail: error.message}));
    sent = -1;
  }
  await patrol.app.store.putMany("points", points.map((point) => ({...point, sent})));
  for (const point of patrol.track) {
    if (points.some((p) => p.recorded_at === point.recorded_at)) point.sent = sent;
  }
  return summary;
}

// --- showing -----------------------------------------------------------------------------

function draw(patrol) {
  patrol.line.setLatLngs(patrol.track.map((point) => [point.lat, point.lon]));
}

// Metres along the track on a sphere (the server measures on the ellipsoid).
function length(track) {
  let metres = 0;
  for (let i = 1; i < track.length; i += 1) metres += haversine(track[i - 1], track[i]);
  return metres;
}

function haversine(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2
    + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
}

function showStats(patrol) {
  const panel = patrol.panel;
  const button = panel.querySelector(".field-patrol-toggle");
  const key = patrol.active ? "patrol.stop" : "patrol.start";
  button.dataset.i18n = key;
  button.textContent = t(key);
  button.classList.toggle("field-patrol-on", Boolean(patrol.active));
  const metres = length(patrol.track);
  panel.querySelector(".field-patrol-length").textContent =
    metres >= 1000 ? `${(metres / 1000).toFixed(2)} km` : `${Math.round(metres)} m`;
  panel.querySelector(".field-patrol-points").textContent = patrol.track.length;
  panel.querySelector(".field-patrol-unsent").textContent =
    patrol.track.filter((point) => point.sent === 0).length;
  panel.querySelector(".field-patrol-duration").textContent = duration(patrol);
  if (patrol.active) status(patrol, patrol.lastStatus || t("patrol.on"));
}

// The running patrol's time so far; after 结束巡查, the time it took (not 0:00).
function duration(patrol) {
  const shown = patrol.active || patrol.finished;
  if (!shown) return "0:00";
  const end = shown.ended_at ? Date.parse(shown.ended_at) : Date.now();
  const seconds = Math.max(0, Math.round((end - Date.parse(shown.started_at)) / 1000));
  const minutes = Math.floor(seconds / 60);
  const clock = `${minutes % 60}:${String(seconds % 60).padStart(2, "0")}`;
  return minutes >= 60 ? `${Math.floor(minutes / 60)}:${clock.padStart(5, "0")}` : clock;
}

function status(patrol, text) {
  patrol.lastStatus = text;
  patrol.panel.querySelector(".field-patrol-status").textContent = text;
}

export {create};
