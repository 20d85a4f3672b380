/* Reporting an incident from the field: where (GPS with its accuracy, or a tap on the map to
 * correct it; a point outside the worker's grids, or outside the area he works in, is
 * flagged before anything is saved, since the server would refuse it), the address (the
 * grid's name, editable), what (大类 → 小类 from the category tree), a description, the
 * urgency and photos, shrunk on the phone below the server's size limit. Submitting queues
 * the report in the outbox (outbox.js), which sends it now or when the network returns.
 * A report the server refused comes back into this form (`edit`), point, text and photos
 * kept, to be corrected and sent again under its key.
 */
import * as i18n from "../i18n.js";
import {element} from "../session.js";
import {gpsReason} from "./gps.js";
import {shrink} from "./photos.js";

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
  "report.address": {zh: "地址", en: "Address"},
  "report.addressHint": {zh: "默认为所在网格，可修改", en: "The grid's name; edit as needed"},
  "report.inGrid": {zh: "所在网格：{name}", en: "In grid: {name}"},
  "report.outsideGrids": {zh: "该位置不在您负责的网格内，无法上报。请在地图上点选您网格内的位置",
                          en: "This point lies outside your grids: tap a point inside them"},
  "report.outsideArea": {zh: "该位置不在您的辖区（{name}）内，无法上报。请在地图上重新选点",
                         en: "This point lies outside your area ({name}): tap a point inside it"},
  "report.editing": {zh: "正在修改被退回的上报，修改后重新提交", en: "Correcting a refused report"},
  "report.resubmit": {zh: "重新提交", en: "Send again"},
  "report.cancelEdit": {zh: "放弃修改", en: "Cancel"},
  "report.requeued": {zh: "已修改，等待发送", en: "Corrected; waiting to be sent"},
  "outbox.edit": {zh: "修改", en: "Correct"},
  "problem.code.point_outside_grids": {zh: "该位置不在任何网格内（超出本市范围）",
                                       en: "The point lies outside every grid of the city"},
  "problem.code.point_outside_territory": {zh: "该位置不在您负责的网格内",
                                           en: "The point lies outside your grids"},
});

function create(app) {
  const form = document.querySelector(".field-report");
  const report = {app, form, tree: [], fix: null, manual: null, photos: [], watch: null,
                  marker: null, circle: null, editing: null, autoAddress: ""};
  addAddressField(report);
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
  // The grids may arrive after the first fix: the place is checked again against them.
  app.grids?.on("layeradd", () => showPosition(report));
  return {
    open: () => startLocating(report),
    close: () => stopLocating(report),
    setCategories: (tree) => { report.tree = tree; fillMajors(report); },
    edit: (key) => edit(report, key),
  };
}

// The address field, under the position (the page's form has none of its own).
function addAddressField(report) {
  const label = document.createElement("label");
  label.className = "field-address";
  const caption = element("span", t("report.address"));
  caption.dataset.i18n = "report.address";
  const input = document.createElement("input");
  input.name = "address";
  input.maxLength = 200;
  input.autocomplete = "off";
  input.placeholder = t("report.addressHint");
  label.append(caption, input);
  report.form.querySelector(".field-position").after(label);
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
  showPlace(report, place);
}

// --- inside the worker's grids? ----------------------------------------------------------

// The areas the app drew as the user's own (his grids, or his scope's outline): the
// features of the map's grid layer. None loaded yet: nothing to check against.
function ownAreas(report) {
  const features = [];
  report.app.grids?.eachLayer((group) => group.eachLayer?.((layer) => {
    if (layer.feature) features.push(layer.feature);
  }));
  return features;
}

// Ray casting on a GeoJSON (Multi)Polygon, holes included: lon/lat as planar (a grid is a
// few hundred metres across, and its edges were drawn as straight lines in degrees).
function ringHas(ring, lon, lat) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) {
      inside = !inside;
    }
  }
  return inside;
}

function geometryHas(geometry, lon, lat) {
  if (!geometry) return false;
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates]
    : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
  return polygons.some(([outer, ...holes]) => ringHas(outer, lon, lat)
    && !holes.some((hole) => ringHas(hole, lon, lat)));
}

// {area} the own area under the place, {outside: true} when there is none, or {} when no
// areas are loaded (offline on a first start): the server then decides.
function placeOf(report, place) {
  const areas = ownAreas(report);
  if (!areas.length) return {};
  const area = areas.find((feature) => geometryHas(feature.geometry, place.lon, place.lat));
  return area ? {area} : {outside: true};
}

function outsideText(report) {
  const me = report.app.me;
  return me && me.user.role !== "grid_worker"
    ? t("report.outsideArea", {name: me.scope?.name || me.scope?.code || ""})
    : t("report.outsideGrids");
}

function showPlace(report, place) {
  const flag = report.form.querySelector(".field-place-flag") || placeFlag(report);
  const found = placeOf(report, place);
  flag.dataset.outside = String(Boolean(found.outside));
  flag.textContent = found.outside ? outsideText(report)
    : found.area ? t("report.inGrid", {name: found.area.properties.name}) : "";
  if (found.area) fillAddress(report, found.area.properties.name);
}

function placeFlag(report) {
  const flag = document.createElement("p");
  flag.className = "field-place-flag";
  flag.setAttribute("role", "status");
  report.form.querySelector(".field-position-text").after(flag);
  return flag;
}

// The grid's name, unless the worker wrote an address of his own.
function fillAddress(report, name) {
  const input = report.form.elements.address;
  if (input.value && input.value !== report.autoAddress) return;
  input.value = name;
  report.autoAddress = name;
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
      report.photos.push(await shrink(file, report.app.options.photoMaxBytes));
    } catch (failure) {
      error.textContent = t("report.badPhoto", {name: file.name});
    }
  }
  input.value = "";
  showPhotos(report);
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
  if (placeOf(report, where(report)).outside) return outsideText(report);
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
    urgency: elements.urgency.value, address: elements.address.value.trim(),
    accuracy_m: place.accuracy === null ? null : Math.round(place.accuracy * 10) / 10,
    photos: report.photos.map(({content_type, data}) => ({content_type, data})),
  };
  const label = {category, description: body.description, photos: body.photos.length};
  const corrected = report.editing;
  if (corrected) await report.app.outbox.update(corrected, body, label);
  else await report.app.outbox.add(body, label);
  reset(report);
  report.app.showTab("outbox");
  report.app.flash(t(corrected ? "report.requeued" : "report.queued"));
}

function reset(report) {
  const elements = report.form.elements;
  report.photos.forEach((photo) => URL.revokeObjectURL(photo.url));
  report.photos = [];
  report.manual = null;
  elements.description.value = "";
  elements.urgency.value = "normal";
  elements.address.value = "";
  report.autoAddress = "";
  setEditing(report, null);
  showPhotos(report);
  showPosition(report);
}

// --- correcting a refused report -------------------------------------------------------------

// The queued report back in the form, as it was sent: its point (as a chosen point), its
// category, text, urgency, address and photos. Submitting replaces it in the outbox.
async function edit(report, key) {
  const record = (await report.app.outbox.pending()).find((item) => item.key === key);
  if (!record) return;
  const {body} = record;
  const [lon, lat] = body.location.coordinates;
  report.photos.forEach((photo) => URL.revokeObjectURL(photo.url));
  report.photos = body.photos.map((photo) => ({...photo, url: dataURL(photo)}));
  report.manual = {lat, lon};
  const elements = report.form.elements;
  const major = report.tree.find((node) => (node.children || [])
    .some((minor) => minor.code === body.category));
  elements.major.value = major ? major.code : "";
  fillMinors(report);
  elements.category.value = body.category;
  elements.description.value = body.description;
  elements.urgency.value = body.urgency || "normal";
  elements.address.value = body.address || "";
  report.autoAddress = "";
  setEditing(report, key, record.error);
  report.centred = false;  // show the point
  report.app.showTab("report");
  showPhotos(report);
  showPosition(report);
}

function dataURL(photo) {
  return `data:${photo.content_type};base64,${photo.data}`;
}

function setEditing(report, key, error = null) {
  report.editing = key;
  const form = report.form;
  let banner = form.querySelector(".field-editing");
  if (!key) {
    banner?.remove();
    const submit = form.querySelector("button[type=submit]");
    submit.textContent = t("report.submit");
    submit.dataset.i18n = "report.submit";
    return;
  }
  if (!banner) {
    banner = document.createElement("div");
    banner.className = "field-editing";
    banner.setAttribute("role", "status");
    form.prepend(banner);
  }
  const cancel = element("button", t("report.cancelEdit"));
  cancel.type = "button";
  cancel.addEventListener("click", () => reset(report));
  banner.replaceChildren(element("strong", t("report.editing")),
                         ...(error ? [element("small", error)] : []), cancel);
  const submit = form.querySelector("button[type=submit]");
  submit.textContent = t("report.resubmit");
  submit.dataset.i18n = "report.resubmit";
}

export {create};
