/* 当场处罚 on the phone (the simple procedure, 行政处罚法第五十一条、第五十二条): the officer
 * shows his 执法证 (the card on top), fills the decision — the party, the facts, a warning
 * or a fine — the party signs on the screen (or the officer notes the refusal), photos of
 * the scene are added, and the decision is filed with the unit: POST
 * /api/v1/enforcement/cases with `procedure: simple`, the signature and photos as its
 * evidence, queued on the phone (field/queue.js) under one Idempotency-Key, so a decision
 * made offline is filed once when the network returns.
 *
 * The ceilings (200 元 on a citizen, 3,000 元 on an organisation) are rows of the rules
 * table (GET /api/v1/enforcement/rules), shown as a hint; the server decides, and its 422
 * `simple_limit_exceeded` is shown naming the limit.
 */
import * as i18n from "../../i18n.js";
import {element} from "../../session.js";
import {currentFix, photoPicker, sendFix, signaturePad} from "../../field/photos.js";
import {drawQueued} from "../../field/pending.js";
import {input, labelled} from "../../inputs.js";
import {credentialCard, enforcementMemberships, fenOf, problemText, yuan} from "./common.js";

const t = i18n.t;
const TOOL = "enforcement.spot";
i18n.add({
  "spot.unit": {zh: "执法单位", en: "Unit"},
  "spot.partyKind": {zh: "当事人类型", en: "Party"},
  "spot.citizen": {zh: "公民", en: "Citizen"},
  "spot.organisation": {zh: "法人或者其他组织", en: "Organisation"},
  "spot.partyName": {zh: "当事人姓名（名称）", en: "Name"},
  "spot.idNumber": {zh: "身份证号码", en: "ID number"},
  "spot.uscc": {zh: "统一社会信用代码", en: "Credit code"},
  "spot.partyAddress": {zh: "当事人住址", en: "Address"},
  "spot.title": {zh: "案由", en: "Offence"},
  "spot.facts": {zh: "违法事实", en: "Facts"},
  "spot.place": {zh: "地点", en: "Place"},
  "spot.warning": {zh: "警告", en: "Warning"},
  "spot.fine": {zh: "罚款", en: "Fine"},
  "spot.amount": {zh: "罚款金额（元）", en: "Fine (yuan)"},
  "spot.limits": {zh: "当场处罚限额：公民 {citizen} 元，法人或者其他组织 {organisation} 元（{citation}）",
                  en: "On the spot: at most ¥{citizen} on a citizen, ¥{organisation} on an organisation ({citation})"},
  "spot.signature": {zh: "当事人签名", en: "The party's signature"},
  "spot.refused": {zh: "当事人拒绝签名", en: "The party refuses to sign"},
  "spot.refusalNote": {zh: "拒绝签名情况说明", en: "About the refusal"},
  "spot.photos": {zh: "现场照片", en: "Photos of the scene"},
  "spot.submit": {zh: "作出当场处罚决定", en: "Decide on the spot"},
  "spot.needParty": {zh: "请填写当事人", en: "Name the party"},
  "spot.needTitle": {zh: "请填写案由", en: "Give the offence"},
  "spot.needPenalty": {zh: "请选择警告或罚款", en: "Choose a warning or a fine"},
  "spot.needAmount": {zh: "请填写罚款金额（元，最多两位小数）", en: "Give the fine in yuan"},
  "spot.needSignature": {zh: "请当事人签名，或注明拒绝签名", en: "The party signs, or note the refusal"},
  "spot.noUnit": {zh: "没有可以当场处罚的执法单位（须持有效执法证）",
                  en: "No unit where you hold a valid credential"},
  "spot.queued": {zh: "已保存，等待提交", en: "Saved; waiting to be filed"},
  "spot.pending": {zh: "待提交的决定", en: "Decisions waiting"},
  "spot.offline": {zh: "离线，联网后自动提交", en: "Offline: filed when the network returns"},
  "spot.filed": {zh: "已作出当场处罚决定：{number}", en: "Decided on the spot: {number}"},
  "spot.filedCase": {zh: "案件 #{id}", en: "case #{id}"},
  "spot.signatureTitle": {zh: "当场处罚决定书·当事人签名", en: "Signature on the decision"},
  "spot.photoTitle": {zh: "现场照片 {n}", en: "Photo {n}"},
  "spot.locating": {zh: "正在定位…", en: "Locating…"},
  "spot.located": {zh: "{name}（GPS ±{acc} 米）", en: "{name} (GPS ±{acc} m)"},
  "spot.noFix": {zh: "无法定位，按本人辖区登记", en: "No position: filed at your territory"},
  "spot.notLocated": {zh: "已定位，但无法确定所在网格（{reason}），按本人辖区登记",
                      en: "Located, but no grid found ({reason}): filed at your territory"},
});
// The queued decisions' words (field/pending.js draws the list); a refusal over the
// simple procedure's ceiling names the limit against the decision's fine.
const WORDS = {queued: "spot.queued", offline: "spot.offline",
               detail: (record) => problemText(record.problem, {
                 fineFen: record.body.penalty.fine_fen, fallback: String(record.http_status)})};

async function mount(app, panel, {memberships}) {
  const units = enforcementMemberships(memberships);
  const spot = {app, panel, units, fix: null, area: null, limits: null};
  panel.append(...units.map(credentialCard));
  const usable = units.filter((m) => m.credential && m.credential.valid);
  if (!usable.length) {
    panel.append(element("p", t("spot.noUnit")));
    return {};
  }
  spot.form = buildForm(spot, usable);
  spot.result = element("p", "");
  spot.result.className = "field-tool-result";
  spot.result.setAttribute("role", "status");
  spot.pending = document.createElement("ul");
  spot.pending.className = "field-tool-pending";
  panel.append(spot.form, spot.result, element("h2", t("spot.pending")), spot.pending);
  app.queue.listen(TOOL, (record, body) => filed(spot, body));
  showLimits(spot);
  drawPending(spot);
  const stop = app.queue.watch(() => drawPending(spot));
  return {open: () => locate(spot), unmount: stop};
}

// --- the form ----------------------------------------------------------------------------

function buildForm(spot, usable) {
  const form = document.createElement("form");
  form.className = "field-spot";
  form.noValidate = true;
  const unit = input("unit", {tag: "select"});
  unit.append(...usable.map((m) => Object.assign(document.createElement("option"),
    {value: m.unit_id, textContent: m.unit_name})));
  const kind = input("party_kind", {tag: "select"});
  kind.append(...["citizen", "organisation"].map((value) => Object.assign(
    document.createElement("option"), {value, textContent: t(`spot.${value}`)})));
  const idLabel = labelled("spot.idNumber", input("party_id", {maxLength: 18}));
  kind.addEventListener("change", () => {
    idLabel.querySelector("span").textContent =
      t(kind.value === "citizen" ? "spot.idNumber" : "spot.uscc");
  });
  spot.place = element("p", t("spot.locating"));
  spot.place.className = "field-spot-place";
  const warning = input("warning", {type: "checkbox"});
  const fine = input("fine", {type: "checkbox"});
  const amount = input("amount", {inputMode: "decimal", placeholder: "0.00"});
  const penalties = document.createElement("fieldset");
  penalties.append(element("legend", t("spot.fine")),
                   labelled("spot.warning", warning), labelled("spot.fine", fine),
                   labelled("spot.amount", amount));
  spot.limitsHint = element("p", "");
  spot.limitsHint.className = "field-hint";
  const signing = document.createElement("fieldset");
  signing.append(element("legend", t("spot.signature")));
  spot.pad = signaturePad(signing);
  const refused = input("refused", {type: "checkbox"});
  const note = input("refusal_note", {maxLength: 500});
  signing.append(labelled("spot.refused", refused), labelled("spot.refusalNote", note));
  const photos = document.createElement("fieldset");
  photos.append(element("legend", t("spot.photos")));
  spot.photos = photoPicker(photos, {maxBytes: spot.app.options.photoMaxBytes,
                                     maxCount: Math.min(spot.app.options.photoMaxCount, 8)});
  spot.error = element("p", "");
  spot.error.className = "field-tool-error";
  spot.error.setAttribute("role", "alert");
  const submit = element("button", t("spot.submit"));
  submit.type = "submit";
  submit.className = "field-primary";
  form.append(labelled("spot.unit", unit), labelled("spot.partyKind", kind),
              labelled("spot.partyName", input("party_name", {maxLength: 200})), idLabel,
              labelled("spot.partyAddress", input("party_address", {maxLength: 200})),
              labelled("spot.title", input("title", {maxLength: 200})),
              labelled("spot.facts", input("facts", {tag: "textarea", rows: 3, maxLength: 5000})),
              spot.place, penalties, spot.limitsHint, signing, photos, spot.error, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitted(spot);
  });
  return form;
}

// The ceilings as the rules table has them (a hint: the server decides).
async function showLimits(spot) {
  try {
    const rules = (await spot.app.fetchJSON("/enforcement/rules")).body;
    const by = Object.fromEntries(rules.map((rule) => [rule.key, rule]));
    const citizen = by.simple_citizen_max;
    const organisation = by.simple_organisation_max;
    if (!citizen || !organisation) return;
    spot.limitsHint.textContent = t("spot.limits", {
      citizen: yuan(Number(citizen.value)), organisation: yuan(Number(organisation.value)),
      citation: citizen.citation.split("：")[0]});
  } catch (error) {
    spot.limitsHint.textContent = "";
  }
}

// Where: the GPS fix and its grid (GET /locate); offline, the officer's own territory.
async function locate(spot) {
  spot.fix = await currentFix();
  spot.area = null;
  sendFix(spot.app.session, spot.fix);
  let reason = "";
  if (spot.fix) {
    try {
      const found = (await spot.app.fetchJSON(
        `/areas/locate?lon=${spot.fix.lon}&lat=${spot.fix.lat}`)).body;
      spot.area = {code: found.grid.code, name: found.chain.map((a) => a.name).join(" ")};
    } catch (error) {
      reason = error.message;
    }
  }
  spot.place.textContent = spot.area
    ? t("spot.located", {name: spot.area.name, acc: Math.round(spot.fix.accuracy)})
    : spot.fix ? t("spot.notLocated", {reason}) : t("spot.noFix");
}

// --- submitting --------------------------------------------------------------------------

function fail(spot, key) {
  spot.error.textContent = t(key);
  return null;
}

async function decision(spot) {
  const f = spot.form.elements;
  const name = f.party_name.value.trim();
  if (!name) return fail(spot, "spot.needParty");
  if (!f.title.value.trim()) return fail(spot, "spot.needTitle");
  if (!f.warning.checked && !f.fine.checked) return fail(spot, "spot.needPenalty");
  const fineFen = f.fine.checked ? fenOf(f.amount.value) : null;
  if (f.fine.checked && !fineFen) return fail(spot, "spot.needAmount");
  const signed = spot.pad.signed() && !f.refused.checked;
  if (!signed && !(f.refused.checked && f.refusal_note.value.trim())) {
    return fail(spot, "spot.needSignature");
  }
  const kind = f.party_kind.value;
  const party = {kind, name, address: f.party_address.value.trim()};
  const id = f.party_id.value.trim().toUpperCase();
  if (id) party[kind === "citizen" ? "id_number" : "uscc"] = id;
  const evidence = [];
  if (signed) {
    evidence.push({kind: "documentary", title: t("spot.signatureTitle"),
                   file: await spot.pad.attachment()});
  }
  spot.photos.photos().forEach((photo, index) => evidence.push({
    kind: "audiovisual", title: t("spot.photoTitle", {n: index + 1}),
    file: {...photo, taken_at: new Date().toISOString(),
           ...(spot.fix ? {lon: spot.fix.lon, lat: spot.fix.lat} : {})}}));
  return {
    procedure: "simple", unit_id: Number(f.unit.value), source: "patrol",
    title: f.title.value.trim(), facts: f.facts.value.trim(),
    area_code: spot.area ? spot.area.code : spot.app.me.scope.code,
    ...(spot.fix ? {location: {type: "Point", coordinates: [spot.fix.lon, spot.fix.lat]}} : {}),
    offence_at: new Date().toISOString(), officer_ids: [spot.app.me.user.id],
    parties: [party],
    penalty: {penalty_types: [...(f.warning.checked ? ["warning"] : []),
                              ...(f.fine.checked ? ["fine"] : [])],
              fine_fen: fineFen, party_signed: signed,
              refusal_noted: signed ? null : f.refusal_note.value.trim()},
    evidence,
  };
}

async function submitted(spot) {
  spot.error.textContent = "";
  const body = await decision(spot);
  if (!body) return;
  spot.result.textContent = t("spot.queued");
  spot.form.reset();
  spot.pad.clear();
  spot.photos.clear();
  await spot.app.queue.add({tool: TOOL, path: "/enforcement/cases", body,
                            label: `${body.parties[0].name} · ${body.title}`});
}

function filed(spot, body) {
  const decided = (body.documents || []).find((d) => d.kind === "enf_on_spot" && d.number);
  spot.result.textContent = t("spot.filed", {
    number: decided ? decided.number : t("spot.filedCase", {id: body.id})});
  spot.result.dataset.caseId = String(body.id);
  drawPending(spot);
}

async function drawPending(spot) {
  drawQueued(spot.pending, await spot.app.queue.pending(TOOL), spot.app.queue, WORDS);
}

export {mount};
