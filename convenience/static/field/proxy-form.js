/* The 帮代办 form (proxy.js): an application taken for a resident on his doorstep (issue 15
 * §3): the item found in the catalogue (GET /api/v1/convenience/items?q=…, only items that
 * may be done by proxy can be chosen), the resident's details, his consent (代办授权: signed
 * on the screen, or how it was given recorded in words; 帮代办 is refused without it, the
 * server's 422 `consent_required`), and the materials photographed as attachments.
 *
 *   const form = buildForm(app, container, {units});
 *   const body = await form.body();   // the POST /convenience/applications body, or null
 *   form.reset();
 */
import * as i18n from "../../i18n.js";
import {element} from "../../session.js";
import {photoPicker, signaturePad} from "../../field/photos.js";
import {input, labelled} from "../../inputs.js";

const t = i18n.t;
i18n.add({
  "proxy.unit": {zh: "代办站点", en: "Service point"},
  "proxy.item": {zh: "办理事项", en: "Item"},
  "proxy.search": {zh: "输入事项名称或编码搜索", en: "Search items by name or code"},
  "proxy.notByProxy": {zh: "不可代办", en: "not by proxy"},
  "proxy.chosen": {zh: "已选：{name}", en: "Chosen: {name}"},
  "proxy.noItems": {zh: "没有找到事项", en: "No items found"},
  "proxy.searchFailed": {zh: "事项检索失败（离线时无法检索）", en: "Search failed (offline?)"},
  "proxy.applicant": {zh: "申请人姓名", en: "Resident's name"},
  "proxy.phone": {zh: "联系电话", en: "Phone"},
  "proxy.kind": {zh: "申请人类型", en: "Applicant"},
  "proxy.person": {zh: "个人", en: "Person"},
  "proxy.enterprise": {zh: "企业", en: "Enterprise"},
  "proxy.consent": {zh: "代办授权", en: "Consent"},
  "proxy.consentAgreed": {zh: "申请人同意由代办员代为办理", en: "The resident agrees to the proxy"},
  "proxy.consentSigned": {zh: "申请人在手机上签名", en: "Signed on the screen"},
  "proxy.consentRecorded": {zh: "已以其他方式授权（书面、电话等）", en: "Given otherwise (paper, phone…)"},
  "proxy.consentNote": {zh: "授权情况说明", en: "How consent was given"},
  "proxy.signHere": {zh: "请申请人在此签名", en: "The resident signs here"},
  "proxy.materials": {zh: "申请材料（拍照）", en: "Materials (photos)"},
  "proxy.submit": {zh: "提交代办", en: "Take the application"},
  "proxy.needItem": {zh: "请选择办理事项", en: "Choose the item"},
  "proxy.needApplicant": {zh: "请填写申请人姓名和联系电话", en: "Give the resident's name and phone"},
  "proxy.needConsent": {zh: "帮代办须先取得申请人授权", en: "The resident's consent comes first"},
  "proxy.needSignature": {zh: "请申请人签名，或选择其他授权方式并说明", en: "Sign, or record how consent was given"},
  "proxy.needNote": {zh: "请说明授权情况", en: "Say how consent was given"},
  "proxy.signedNote": {zh: "申请人在代办员手机上签名授权代办（签名见附件）",
                       en: "Signed on the agent's phone (see the attachment)"},
});

const SEARCH_DELAY_MS = 300;

function choice(name, value, key, checked = false) {
  const label = document.createElement("label");
  // defaultChecked: the form's reset() comes back to it.
  const radio = input(name, {type: "radio", value, checked, defaultChecked: checked});
  label.append(radio, element("span", t(key)));
  return label;
}

function buildForm(app, container, {units}) {
  const form = {app, item: null, error: element("p", "")};
  form.error.className = "field-tool-error field-proxy-error";
  form.error.setAttribute("role", "alert");
  const node = document.createElement("form");
  node.className = "field-proxy-form";
  node.noValidate = true;
  form.node = node;
  form.unit = input("intake_unit_id", {tag: "select"});
  form.unit.append(...units.map((m) => new Option(m.unit_name, String(m.unit_id))));
  node.append(labelled("proxy.unit", form.unit));
  itemSearch(form, node);
  resident(form, node);
  consent(form, node);
  const materials = document.createElement("fieldset");
  materials.append(element("legend", t("proxy.materials")));
  form.photos = photoPicker(materials, {maxBytes: app.options.photoMaxBytes,
                                        maxCount: Math.min(18, app.options.photoMaxCount || 18)});
  const submit = element("button", t("proxy.submit"));
  submit.type = "submit";
  node.append(materials, form.error, submit);
  container.append(node);
  return {
    node,
    body: () => body(form),
    itemName: () => (form.item ? form.item.name : ""),
    reset: () => reset(form),
    onSubmit: (handler) => node.addEventListener("submit", (event) => {
      event.preventDefault();
      handler();
    }),
  };
}

// --- the item, from the catalogue ---------------------------------------------------------

function itemSearch(form, node) {
  const box = document.createElement("fieldset");
  box.append(element("legend", t("proxy.item")));
  const query = input("item_q", {type: "search", placeholder: t("proxy.search")});
  form.results = document.createElement("ul");
  form.results.className = "field-proxy-items";
  form.chosen = element("p", "");
  form.chosen.className = "field-proxy-chosen";
  let timer = null;
  query.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(form, query.value.trim()), SEARCH_DELAY_MS);
  });
  box.append(query, form.results, form.chosen);
  node.append(box);
}

async function search(form, q) {
  if (!q) {
    form.results.replaceChildren();
    return;
  }
  let items;
  try {
    items = (await form.app.fetchJSON(
      `/convenience/items?q=${encodeURIComponent(q)}&limit=20`)).body;
  } catch (error) {
    form.results.replaceChildren(element("li", t("proxy.searchFailed")));
    return;
  }
  if (!items.length) {
    form.results.replaceChildren(element("li", t("proxy.noItems")));
    return;
  }
  form.results.replaceChildren(...items.map((item) => {
    const li = document.createElement("li");
    const button = element("button", item.name);
    button.type = "button";
    button.dataset.itemId = String(item.id);
    button.disabled = !item.proxy;
    button.addEventListener("click", () => choose(form, item));
    li.append(button, element("small", ` ${item.department} · ${item.impl_code}`
      + (item.proxy ? "" : ` · ${t("proxy.notByProxy")}`)));
    return li;
  }));
}

function choose(form, item) {
  form.item = item;
  form.chosen.textContent = t("proxy.chosen", {name: item.name});
  form.chosen.dataset.itemId = String(item.id);
  form.results.replaceChildren();
}

// --- the resident and his consent ---------------------------------------------------------

function resident(form, node) {
  form.name = input("applicant_name", {autocomplete: "off", maxLength: 60});
  form.phone = input("applicant_phone", {type: "tel", inputMode: "tel", maxLength: 20});
  form.kind = input("applicant_kind", {tag: "select"});
  form.kind.append(new Option(t("proxy.person"), "person"),
                   new Option(t("proxy.enterprise"), "enterprise"));
  node.append(labelled("proxy.applicant", form.name), labelled("proxy.phone", form.phone),
              labelled("proxy.kind", form.kind));
}

function consent(form, node) {
  const box = document.createElement("fieldset");
  box.className = "field-proxy-consent";
  box.append(element("legend", t("proxy.consent")));
  form.agreed = input("consent", {type: "checkbox"});
  const agreed = document.createElement("label");
  agreed.append(form.agreed, element("span", t("proxy.consentAgreed")));
  const how = document.createElement("div");
  how.append(choice("consent_how", "signed", "proxy.consentSigned", true),
             choice("consent_how", "recorded", "proxy.consentRecorded"));
  const padBox = document.createElement("div");
  padBox.append(element("small", t("proxy.signHere")));
  form.pad = signaturePad(padBox);
  form.note = input("consent_note", {tag: "textarea", rows: 2, maxLength: 300});
  const noteLabel = labelled("proxy.consentNote", form.note);
  form.how = () => node.querySelector("input[name=consent_how]:checked")?.value || "signed";
  // style, not `hidden`: the field app's CSS gives labels a display of their own.
  form.showHow = () => {
    padBox.style.display = form.how() === "signed" ? "" : "none";
    noteLabel.style.display = form.how() === "recorded" ? "" : "none";
  };
  form.showHow();
  how.addEventListener("change", form.showHow);
  box.append(agreed, how, padBox, noteLabel);
  node.append(box);
}

// --- the body -----------------------------------------------------------------------------

function refuse(form, key) {
  form.error.textContent = t(key);
  return null;
}

async function body(form) {
  form.error.textContent = "";
  if (!form.item) return refuse(form, "proxy.needItem");
  const name = form.name.value.trim();
  const phone = form.phone.value.trim();
  if (!name || !phone) return refuse(form, "proxy.needApplicant");
  if (!form.agreed.checked) return refuse(form, "proxy.needConsent");
  const signed = form.how() === "signed";
  if (signed && !form.pad.signed()) return refuse(form, "proxy.needSignature");
  const note = signed ? t("proxy.signedNote") : form.note.value.trim();
  if (!note) return refuse(form, "proxy.needNote");
  const signature = signed
    ? [{...(await form.pad.attachment()), file_name: "consent-signature.png"}] : [];
  const materials = [...signature,
                     ...form.photos.photos()];
  return {item_id: form.item.id, intake_unit_id: Number(form.unit.value), channel: "proxy",
          applicant_name: name, applicant_phone: phone, applicant_kind: form.kind.value,
          consent: true, consent_note: note, materials};
}

function reset(form) {
  form.node.reset();
  form.pad.clear();
  form.photos.clear();
  form.item = null;
  form.chosen.textContent = "";
  delete form.chosen.dataset.itemId;
  form.showHow();
}

export {buildForm};
