/* 现场笔录 signed on the phone (issue 13 §9; enforcement/cases/records.py): in an open case
 * of the officer's cases tool (cases.js hooks it in), the officer writes what he found, the
 * phone adds the moment and its GPS fix, the party signs on the screen — or the officer
 * notes the refusal and a witness signs (行政处罚法第五十五条; 行政强制法第十八条) — and
 * the officer signs. The record is queued on the phone (field/queue.js) under one
 * Idempotency-Key: made offline, it is recorded once when the network returns, as a piece
 * of evidence and a numbered 现场笔录 with the signatures (POST …/cases/{id}/records).
 *
 *   const records = mountRecords(app, panel);   // the pending list, under the panel
 *   records.form(container, caseDetail);        // the form, in an opened case
 */
import * as i18n from "../../i18n.js";
import {element} from "../../session.js";
import {currentFix, signaturePad} from "../../field/photos.js";
import {problemText} from "./common.js";

const t = i18n.t;
const TOOL = "enforcement.record";
const PNG = "data:image/png;base64,";
i18n.add({
  "record.title": {zh: "现场笔录", en: "On-site record"},
  "record.text": {zh: "笔录内容（检查情况）", en: "What was found"},
  "record.place": {zh: "地点", en: "Place"},
  "record.party": {zh: "当事人签名", en: "The party's signature"},
  "record.refused": {zh: "当事人拒绝签名", en: "The party refuses to sign"},
  "record.refusal": {zh: "拒签情况说明", en: "About the refusal"},
  "record.witness": {zh: "见证人姓名", en: "Witness"},
  "record.witnessSign": {zh: "见证人签名", en: "The witness's signature"},
  "record.officer": {zh: "执法人员签名", en: "The officer's signature"},
  "record.submit": {zh: "保存现场笔录", en: "Save the record"},
  "record.needText": {zh: "请填写笔录内容和地点", en: "Write the record and the place"},
  "record.needParty": {zh: "请当事人签名，或注明拒绝签名并由见证人签名",
                       en: "The party signs, or note the refusal and a witness signs"},
  "record.needOfficer": {zh: "请执法人员签名", en: "The officer signs"},
  "record.queued": {zh: "现场笔录已保存在手机上，等待上传", en: "Saved on the phone; waiting to upload"},
  "record.done": {zh: "已制作现场笔录：{number}", en: "Record made: {number}"},
  "record.draft": {zh: "已制作现场笔录（待编号）", en: "Record made (number pending)"},
  "record.pending": {zh: "待上传的现场笔录", en: "Records waiting"},
  "record.pendingLabel": {zh: "#{id} {title} · 现场笔录", en: "#{id} {title} · record"},
  "record.offline": {zh: "离线，联网后自动上传", en: "Offline: sent when the network returns"},
  "record.waiting": {zh: "等待上传", en: "Waiting"},
  "record.failed": {zh: "被退回：{detail}", en: "Refused: {detail}"},
  "record.retry": {zh: "重试", en: "Retry"},
  "record.delete": {zh: "删除", en: "Delete"},
  "record.gps": {zh: "GPS {lon}，{lat}（±{acc} 米）", en: "GPS {lon}, {lat} (±{acc} m)"},
});

function mountRecords(app, panel) {
  const records = {app};
  records.result = element("p", "");
  records.result.className = "field-tool-result field-record-result";
  records.result.setAttribute("role", "status");
  records.title = element("h2", t("record.pending"));
  records.pending = document.createElement("ul");
  records.pending.className = "field-tool-pending field-record-pending";
  panel.append(records.result, records.title, records.pending);
  app.queue.listen(TOOL, (record, body) => made(records, body));
  drawPending(records);
  const stop = app.queue.watch(() => drawPending(records));
  return {form: (container, detail) => container.append(buildForm(records, detail)),
          unmount: stop};
}

function labelled(key, control) {
  const label = document.createElement("label");
  label.append(element("span", t(key)), control);
  return label;
}

function pad(box, key) {
  const holder = document.createElement("div");
  holder.dataset.signature = key;
  box.append(element("span", t(`record.${key}`)), holder);
  const signature = signaturePad(holder);
  signature.canvas.setAttribute("aria-label", t(`record.${key}`));
  return signature;
}

function buildForm(records, detail) {
  const form = document.createElement("form");
  form.className = "field-record";
  form.noValidate = true;
  const box = document.createElement("fieldset");
  box.append(element("legend", t("record.title")));
  const text = Object.assign(document.createElement("textarea"), {name: "record", rows: 4,
                                                                   maxLength: 5000});
  const place = Object.assign(document.createElement("input"), {name: "place", maxLength: 200});
  const where = element("small", "");
  where.className = "field-record-gps";
  box.append(labelled("record.text", text), labelled("record.place", place), where);
  const party = pad(box, "party");
  const refused = Object.assign(document.createElement("input"), {type: "checkbox",
                                                                  name: "refused"});
  const refusal = Object.assign(document.createElement("input"), {name: "refusal",
                                                                  maxLength: 1000});
  const witness = Object.assign(document.createElement("input"), {name: "witness_name",
                                                                  maxLength: 100});
  const refusalBox = document.createElement("div");
  refusalBox.hidden = true;
  refusalBox.append(labelled("record.refusal", refusal), labelled("record.witness", witness));
  const witnessPad = pad(refusalBox, "witnessSign");
  refused.addEventListener("change", () => { refusalBox.hidden = !refused.checked; });
  box.append(labelled("record.refused", refused), refusalBox);
  const officer = pad(box, "officer");
  const message = element("p", "");
  message.className = "field-record-message";
  message.setAttribute("role", "status");
  const submit = element("button", t("record.submit"));
  submit.type = "submit";
  box.append(submit, message);
  form.append(box);
  let fix = null;
  currentFix().then((found) => {
    fix = found;
    if (found) where.textContent = t("record.gps", {lon: found.lon.toFixed(6),
      lat: found.lat.toFixed(6), acc: Math.round(found.accuracy || 0)});
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const problem = !text.value.trim() || !place.value.trim() ? "record.needText"
      : refused.checked ? (!refusal.value.trim() || !witness.value.trim()
                           || !witnessPad.signed() ? "record.needParty" : null)
      : !party.signed() ? "record.needParty"
      : !officer.signed() ? "record.needOfficer" : null;
    if (problem || !officer.signed()) {
      message.textContent = t(problem || "record.needOfficer");
      return;
    }
    const png = async (signature) => PNG + (await signature.attachment()).data;
    const body = {record: text.value.trim(), place: place.value.trim(),
                  recorded_at: new Date().toISOString(), refused: refused.checked,
                  officer_signature: await png(officer),
                  ...(fix ? {lon: fix.lon, lat: fix.lat} : {})};
    if (refused.checked) {
      Object.assign(body, {refusal: refusal.value.trim(), witness_name: witness.value.trim(),
                           witness_signature: await png(witnessPad)});
    } else {
      body.party_signature = await png(party);
    }
    await records.app.queue.add({
      tool: TOOL, path: `/enforcement/cases/${detail.id}/records`, body,
      label: t("record.pendingLabel", {id: detail.id, title: detail.title})});
    form.reset();
    for (const signature of [party, witnessPad, officer]) signature.clear();
    refusalBox.hidden = true;
    message.textContent = t("record.queued");
  });
  return form;
}

function made(records, body) {
  const number = body?.document?.number;
  records.result.textContent = number ? t("record.done", {number}) : t("record.draft");
}

async function drawPending(records) {
  const waiting = await records.app.queue.pending(TOOL);
  records.title.hidden = !waiting.length;
  records.pending.replaceChildren(...waiting.map((record) => {
    const item = document.createElement("li");
    item.dataset.status = record.status;
    const state = record.status === "failed"
      ? t("record.failed", {detail: problemText(record.problem,
                                                {fallback: String(record.http_status)})})
      : record.offline ? t("record.offline") : t("record.waiting");
    item.append(element("strong", record.label), element("small", state));
    if (record.status === "failed") {
      for (const [key, action] of [["record.retry", records.app.queue.retry],
                                   ["record.delete", records.app.queue.remove]]) {
        const button = element("button", t(key));
        button.type = "button";
        button.addEventListener("click", () => action(record.key));
        item.append(button);
      }
    }
    return item;
  }));
}

export {mountRecords};
