/* Reporting an incident from the field: where (GPS with its accuracy, or a tap on the map to
 * correct it), what (大类 → 小类 from the category tree), a description, the urgency and
 * photos, shrunk on the phone below the server's size limit. Submitting queues the report
 * in the outbox (outbox.js), which sends it now or when the network returns.
 */
import * as i18n from "../i18n.js";
import {gpsReason} from "./gps.js";

const t = i18n.t;
i18n.add({
  "report.locating": {zh: "正在定位…", en: "Locating…"},
  "report.gps": {zh: "GPS：{lat}, {lon}（精度 ±{acc} 米）",
                 en: "GPS: {lat}, {lon} (accuracy ±{acc} m)"},
  "report.manual": {zh: "手动选点：{lat}, {lon}", en: "Chosen on the map: {lat}, {lon}"},
  "report.noGps": {zh: "无法定位：{reason}。请点击地图选点",
                   en: "No position: {reason}. Tap the map to place it"},
  "report.needPosition": {zh: "请先定位或在地图上选点", en: "Locate first, or tap the map"},
  "report.needCategory": {zh: "请选择小类", en: "Choose a category"},
  "report.needDescription": {zh: "请填写描述", en: "Write a description"},
  "report.tooManyPhotos": {zh: "最多 {n} 张照片", en: "At most {n} photos"},
  "report.badPhoto": {zh: "无法读取照片：{name}", en: "Cannot read the photo {name}"},
  "report.queued": {zh: "已保存，等待发送", en: "Saved; waiting to be sent"},
  "report.removePhoto": {zh: "删除", en: "Remove"},
  "report.chooseMajor": {zh: "请选择大类", en: "Choose a class"},
  "report.chooseMinor": {zh: "请选择小类", en: "Choose a category"},
});

// Photos: longest side at most this, JPEG, quality lowered until under the limit.
const MAX_SIDE = 1600;
const QUALITIES = [0.85, 0.75, 0.65, 0.55, 0.45];

function create(app) {
  const form = document.querySelector(".field-report");
  const report = {app, form, tree: [], fix: null, manual: null, photos: [], watch: null,
                  marker: null, circle: null};
  form.elements.major.addEventListener("change", () => fillMinors(report));
  form.elements.photos.addEventListener("change", () => addPhotos(report));
  form.querySelector(".field-use-gps").addEventListener("click", () => {
    report.manual = null;
    showPosition(report);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(report);
  });
  app.map.on("click", (event) => {
    if (app.tab !== "report") return;
    report.manual = {lat: event.latlng.lat, lon: event.latlng.lng};
    showPosition(report);
  });
  i18n.onChange(() => { fillMajors(report); showPosition(report); });
  return {
    open: () => startLocating(report),
    close: () => stopLocating(report),
    setCategories: (tree) => { report.tree = tree; fillMajors(report); },
  };
}

// --- where -----------------------------------------------------------------------------

function startLocating(report) {
  if (report.watch !== null || !navigator.geolocation) return;
  report.watch = navigator.geolocation.watchPosition(
    (position) => {
      report.fix = {lat: position.coords.latitude, lon: position.coords.longitude,
                    accuracy: position.coords.accuracy};
      report.error = null;
      showPosition(report);
    },
    (error) => { report.error = error; showPosition(report); },
    {enableHighAccuracy: true, maximumAge: 10000, timeout: 30000});
}

function stopLocating(report) {
  if (report.watch !== null) navigator.geolocation.clearWatch(report.watch);
  report.watch = null;
}

function where(report) {
  if (report.manual) return {...report.manual, accuracy: null};
  return report.fix;
}

function showPosition(report) {
  const text = report.form.querySelector(".field-position-text");
  const place = where(report);
  report.form.querySelector(".field-use-gps").hidden = !(report.manual && report.fix);
  if (!place) {
    text.textContent = report.error ? t("report.noGps", {reason: gpsReason(report.error)})
      : t("report.locating");
    return;
  }
  const values = {lat: place.lat.toFixed(6), lon: place.lon.toFixed(6),
                  acc: place.accuracy === null ? "" : Math.round(place.accuracy)};
  text.textContent = t(report.manual ? "report.manual" : "report.gps", values);
  drawPosition(report, place);
}

function drawPosition(report, place) {
  const latlng = [place.lat, place.lon];
  const map = report.app.map;
  report.marker ??= L.circleMarker(latlng, {radius: 8, color: "#c1121f", weight: 3,
                                            fillColor: "#f77f00", fillOpacity: 0.9});
  report.circle ??= L.circle(latlng, {radius: 1, color: "#f77f00", weight: 1,
                                      fillOpacity: 0.1, interactive: false});
  report.marker.setLatLng(latlng).addTo(map);
  report.circle.setLatLng(latlng).setRadius(place.accuracy || 0).addTo(map);
  if (!report.centred) {
    map.setView(latlng, Math.max(map.getZoom() || 0, 16));
    report.centred = true;
  }
}

// --- what ------------------------------------------------------------------------------

function option(value, label) {
  const node = document.createElement("option");
  node.value = value;
  node.textContent = label;
  return node;
}

function fillMajors(report) {
  const select = report.form.elements.major;
  const chosen = select.value;
  const majors = report.tree.filter((major) => major.active !== false);
  // Grouped by standard: 部件 and 事件 both have a 市容环境, for instance.
  const groups = new Map();
  for (const major of majors) {
    const label = (major.standard || "").split(" ").pop();
    if (!groups.has(label)) groups.set(label, document.createElement("optgroup"));
    groups.get(label).label = label;
    groups.get(label).append(option(major.code, major.name));
  }
  select.replaceChildren(option("", t("report.chooseMajor")), ...groups.values());
  select.value = majors.some((major) => major.code === chosen) ? chosen : "";
  fillMinors(report);
}

function fillMinors(report) {
  const select = report.form.elements.category;
  const chosen = select.value;
  const major = report.tree.find((node) => node.code === report.form.elements.major.value);
  const minors = (major?.children || []).filter((minor) => minor.active !== false);
  select.replaceChildren(option("", t("report.chooseMinor")),
                         ...minors.map((minor) => option(minor.code, minor.name)));
  select.value = minors.some((minor) => minor.code === chosen) ? chosen : "";
}

// --- photos ----------------------------------------------------------------------------

async function addPhotos(report) {
  const input = report.form.elements.photos;
  const error = report.form.querySelector(".field-report-error");
  const limit = report.app.options.photoMaxCount;
  for (const file of [...input.files]) {
    if (report.photos.length >= limit) {
      error.textContent = t("report.tooManyPhotos", {n: limit});
      break;
    }
    try {
      report.photos.push(await shrunk(file, report.app.options.photoMaxBytes));
    } catch (failure) {
      error.textContent = t("report.badPhoto", {name: file.name});
    }
  }
  input.value = "";
  showPhotos(report);
}

async function shrunk(file, maxBytes) {
  const bitmap = await createImageBitmap(file);
  let scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  let blob = null;
  for (const quality of QUALITIES) {
    blob = await jpeg(bitmap, scale, quality);
    if (blob.size <= maxBytes) break;
    scale *= 0.8;
  }
  bitmap.close?.();
  if (blob.size > maxBytes) throw new Error("too large");
  return {content_type: "image/jpeg", data: await base64(blob), bytes: blob.size,
          url: URL.createObjectURL(blob)};
}

function jpeg(bitmap, scale, quality) {
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
}

function base64(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result.slice(reader.result.indexOf(",") + 1));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

function showPhotos(report) {
  const box = report.form.querySelector(".field-photo-previews");
  box.replaceChildren(...report.photos.map((photo, index) => {
    const figure = document.createElement("figure");
    const image = document.createElement("img");
    image.src = photo.url;
    image.alt = "";
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = t("report.removePhoto");
    remove.addEventListener("click", () => {
      URL.revokeObjectURL(photo.url);
      report.photos.splice(index, 1);
      showPhotos(report);
    });
    figure.append(image, remove);
    return figure;
  }));
}

// --- submitting ------------------------------------------------------------------------

function problem(report) {
  const elements = report.form.elements;
  if (!where(report)) return t("report.needPosition");
  if (!elements.category.value) return t("report.needCategory");
  if (!elements.description.value.trim()) return t("report.needDescription");
  return null;
}

async function submit(report) {
  const error = report.form.querySelector(".field-report-error");
  error.textContent = problem(report) || "";
  if (error.textContent) return;
  const elements = report.form.elements;
  const place = where(report);
  const category = elements.category.selectedOptions[0].textContent;
  const body = {
    location: {type: "Point", coordinates: [place.lon, place.lat]},
    category: elements.category.value, description: elements.description.value.trim(),
    urgency: elements.urgency.value,
    accuracy_m: place.accuracy === null ? null : Math.round(place.accuracy * 10) / 10,
    photos: report.photos.map(({content_type, data}) => ({content_type, data})),
  };
  await report.app.outbox.add(body, {category, description: body.description,
                                     photos: body.photos.length});
  report.photos.forEach((photo) => URL.revokeObjectURL(photo.url));
  report.photos = [];
  report.manual = null;
  elements.description.value = "";
  elements.urgency.value = "normal";
  showPhotos(report);
  showPosition(report);
  report.app.showTab("outbox");
  report.app.flash(t("report.queued"));
}

export {create};
