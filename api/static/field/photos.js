/* What the platforms' field tools share (field/tools.js): photos shrunk on the phone below
 * the server's limit (JPEG, base64, as core/attachments takes them in a JSON body), a
 * signature pad (a canvas signed with a finger, sent as a PNG attachment), the newest GPS
 * fix, and a list of photos with previews.
 *
 *   const photo = await shrink(file, maxBytes);     // {content_type, data, bytes, url}
 *   const pad = signaturePad(container);  pad.signed(); await pad.attachment();
 *   const fix = await currentFix();                 // {lon, lat, accuracy} or null
 *   sendFix(app.session, fix);                       // the user's newest position
 */
import * as i18n from "../i18n.js";
import {element} from "../session.js";

const t = i18n.t;
i18n.add({
  "tools.clearSignature": {zh: "重签", en: "Clear"},
  "tools.signHere": {zh: "请当事人在此签名", en: "The party signs here"},
  "tools.removePhoto": {zh: "删除", en: "Remove"},
  "tools.takePhoto": {zh: "拍照 / 选择照片", en: "Take or choose photos"},
  "tools.badPhoto": {zh: "无法读取照片：{name}", en: "Cannot read the photo {name}"},
  "tools.tooManyPhotos": {zh: "最多 {n} 张照片", en: "At most {n} photos"},
});

const MAX_SIDE = 1600;
const QUALITIES = [0.85, 0.75, 0.65, 0.55, 0.45];

async function shrink(file, maxBytes) {
  const bitmap = await createImageBitmap(file);
  let scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  let blob = null;
  for (const quality of QUALITIES) {
    blob = await canvasBlob(drawn(bitmap, scale), "image/jpeg", quality);
    if (blob.size <= maxBytes) break;
    scale *= 0.8;
  }
  bitmap.close?.();
  if (blob.size > maxBytes) throw new Error("too large");
  return {content_type: "image/jpeg", data: await base64(blob), bytes: blob.size,
          url: URL.createObjectURL(blob)};
}

function drawn(bitmap, scale) {
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return canvas;
}

function canvasBlob(canvas, type, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

function base64(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result.slice(reader.result.indexOf(",") + 1));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

// --- a list of photos picked with the camera ----------------------------------------------

// An <input type=file capture> with previews; `photos()` gives the attachments.
function photoPicker(container, {maxBytes, maxCount, name = "photos"}) {
  const input = document.createElement("input");
  Object.assign(input, {type: "file", accept: "image/*", multiple: true, name});
  input.setAttribute("capture", "environment");
  input.className = "field-file";
  // The browser's own button speaks its own language: ours says 拍照 and opens it.
  const pick = element("label", t("tools.takePhoto"));
  pick.className = "field-photo-button";
  pick.append(input);
  const previews = element("div", "");
  previews.className = "field-photo-previews";
  const error = element("p", "");
  error.className = "field-tool-error";
  container.append(pick, previews, error);
  const picked = [];
  const draw = () => previews.replaceChildren(...picked.map((photo, index) => {
    const figure = document.createElement("figure");
    const image = document.createElement("img");
    image.src = photo.url;
    image.alt = "";
    const remove = element("button", t("tools.removePhoto"));
    remove.type = "button";
    remove.addEventListener("click", () => { picked.splice(index, 1); draw(); });
    figure.append(image, remove);
    return figure;
  }));
  input.addEventListener("change", async () => {
    error.textContent = "";
    for (const file of [...input.files]) {
      if (picked.length >= maxCount) {
        error.textContent = t("tools.tooManyPhotos", {n: maxCount});
        break;
      }
      try {
        picked.push(await shrink(file, maxBytes));
      } catch (failure) {
        error.textContent = t("tools.badPhoto", {name: file.name});
      }
    }
    input.value = "";
    draw();
  });
  return {
    photos: () => picked.map(({content_type, data}) => ({content_type, data})),
    clear: () => { picked.length = 0; draw(); },
  };
}

// --- the party's signature ----------------------------------------------------------------

function signaturePad(container) {
  const canvas = document.createElement("canvas");
  canvas.className = "field-signature";
  canvas.width = 600;
  canvas.height = 220;
  canvas.setAttribute("aria-label", t("tools.signHere"));
  const clear = element("button", t("tools.clearSignature"));
  clear.type = "button";
  container.append(canvas, clear);
  const pad = {strokes: 0, last: null};
  const context = canvas.getContext("2d");
  context.lineWidth = 4;
  context.lineCap = "round";
  const at = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * canvas.width / box.width,
            (event.clientY - box.top) * canvas.height / box.height];
  };
  canvas.addEventListener("pointerdown", (event) => {
    try {
      canvas.setPointerCapture(event.pointerId);  // the stroke stays ours off the edge
    } catch (error) {
      // A pointer the browser no longer tracks: drawing works without the capture.
    }
    pad.last = at(event);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!pad.last) return;
    const next = at(event);
    context.beginPath();
    context.moveTo(...pad.last);
    context.lineTo(...next);
    context.stroke();
    pad.last = next;
    pad.strokes += 1;
  });
  const end = () => { pad.last = null; };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  const reset = () => { context.clearRect(0, 0, canvas.width, canvas.height); pad.strokes = 0; };
  clear.addEventListener("click", reset);
  return {
    canvas,
    signed: () => pad.strokes > 0,
    clear: reset,
    attachment: async () => ({content_type: "image/png", file_name: "signature.png",
                              data: await base64(await canvasBlob(canvas, "image/png"))}),
  };
}

// --- where the phone is -------------------------------------------------------------------

function currentFix(timeout = 10000) {
  if (!navigator.geolocation) return Promise.resolve(null);
  return new Promise((resolve) => navigator.geolocation.getCurrentPosition(
    (position) => resolve({lon: position.coords.longitude, lat: position.coords.latitude,
                           accuracy: position.coords.accuracy}),
    () => resolve(null), {enableHighAccuracy: true, timeout, maximumAge: 60000}));
}

// The fix as the user's newest position (POST /api/v1/field/position: it places his team
// for the nearest-team search). A position is of the moment: not queued when offline.
function sendFix(session, fix) {
  if (!fix || !navigator.onLine) return Promise.resolve();
  return session.api("/field/position", {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({lon: fix.lon, lat: fix.lat, accuracy_m: fix.accuracy,
                          recorded_at: new Date().toISOString()}),
  }).catch(() => null);
}

export {shrink, photoPicker, signaturePad, currentFix, sendFix};
