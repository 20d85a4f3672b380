/* The officer's cases on the phone (综合执法, issue 13 §9): his 执法证 on top, his units'
 * cases (GET /api/v1/enforcement/cases?mine=true&sort=deadline: overdue first, soonest
 * due next; offline, the service worker's last answer), and one case opened with its
 * clocks (each with its citation), parties and evidence; photos of evidence are taken and
 * sent from here (视听资料, with GPS and time) while the case is open.
 */
import * as i18n from "../../i18n.js";
import {element} from "../../session.js";
import {currentFix, photoPicker} from "../../field/photos.js";
import {credentialCard, enforcementMemberships, problemText, yuan} from "./common.js";

const t = i18n.t;
i18n.add({
  "cases.mine": {zh: "本单位案件", en: "My units' cases"},
  "cases.none": {zh: "暂无案件", en: "No cases"},
  "cases.reload": {zh: "刷新", en: "Reload"},
  "cases.offline": {zh: "离线数据", en: "offline data"},
  "cases.due": {zh: "期限 {due}", en: "due {due}"},
  "cases.fine": {zh: "罚款 {amount} 元", en: "fine ¥{amount}"},
  "cases.clocks": {zh: "法定期限", en: "Legal clocks"},
  "cases.parties": {zh: "当事人", en: "Parties"},
  "cases.evidence": {zh: "证据（{n}）", en: "Evidence ({n})"},
  "cases.addPhotos": {zh: "拍照取证", en: "Photo evidence"},
  "cases.send": {zh: "上传证据", en: "Upload"},
  "cases.sent": {zh: "已上传 {n} 份证据", en: "{n} pieces uploaded"},
  "cases.photoTitle": {zh: "现场照片", en: "Photo"},
  "cases.back": {zh: "返回列表", en: "Back"},
  "cases.loadFailed": {zh: "加载失败：{detail}", en: "Could not load: {detail}"},
});

const COLOURS = {green: "正常", yellow: "临期", red: "超期"};

function when(value) {
  return value ? new Date(value).toLocaleString("zh-CN", {timeZone: "Asia/Shanghai",
                                                          hour12: false}) : "";
}

async function mount(app, panel, {memberships}) {
  const view = {app, panel};
  panel.append(...enforcementMemberships(memberships).map(credentialCard));
  view.status = element("p", "");
  view.status.setAttribute("role", "status");
  view.list = document.createElement("ul");
  view.list.className = "field-task-list field-cases";
  view.detail = document.createElement("div");
  view.detail.className = "field-case-detail";
  view.detail.hidden = true;
  const reload = element("button", t("cases.reload"));
  reload.type = "button";
  reload.addEventListener("click", () => load(view));
  panel.append(element("h2", t("cases.mine")), view.status, view.list, reload, view.detail);
  return {open: () => load(view)};
}

async function load(view) {
  view.detail.hidden = true;
  view.list.hidden = false;
  try {
    const {body, offline} = await view.app.fetchJSON(
      "/enforcement/cases?mine=true&sort=deadline&limit=50");
    view.status.textContent = body.items.length ? (offline ? t("cases.offline") : "")
      : t("cases.none");
    view.list.replaceChildren(...body.items.map((item) => caseItem(view, item)));
  } catch (error) {
    view.status.textContent = t("cases.loadFailed", {detail: error.message});
  }
}

function caseItem(view, item) {
  const li = document.createElement("li");
  li.className = "field-task";
  li.dataset.caseId = String(item.id);
  li.dataset.colour = item.deadline || "";
  const button = element("button", `#${item.id} ${item.title}`);
  button.type = "button";
  button.addEventListener("click", () => open(view, item.id));
  const facts = [item.state_label];
  if (item.step_due_at) facts.push(t("cases.due", {due: when(item.step_due_at)}));
  if (item.fine_fen) facts.push(t("cases.fine", {amount: yuan(item.fine_fen)}));
  li.append(button, element("small", facts.join(" · ")));
  return li;
}

async function open(view, id) {
  let detail;
  try {
    detail = (await view.app.fetchJSON(`/enforcement/cases/${id}`)).body;
  } catch (error) {
    view.status.textContent = t("cases.loadFailed", {detail: error.message});
    return;
  }
  view.list.hidden = true;
  view.detail.hidden = false;
  const back = element("button", t("cases.back"));
  back.type = "button";
  back.addEventListener("click", () => load(view));
  const clocks = document.createElement("ul");
  clocks.append(...(detail.clocks || []).filter((c) => !c.stopped_at).map((clock) => {
    const li = element("li", `${clock.label}：${when(clock.due)}（${COLOURS[clock.colour] || ""}）`);
    li.title = clock.citation || "";
    li.append(element("small", ` ${clock.citation || ""}`));
    return li;
  }));
  const parties = document.createElement("ul");
  parties.append(...(detail.parties || []).map((p) => element("li", p.name)));
  view.detail.replaceChildren(
    back, element("h2", `#${detail.id} ${detail.title}`), element("p", detail.state_label),
    element("h3", t("cases.clocks")), clocks, element("h3", t("cases.parties")), parties,
    element("h3", t("cases.evidence", {n: (detail.evidence || []).length})));
  // A closed file refuses evidence (`case_final`): the server says so, in words below.
  evidenceForm(view, detail);
}

// Photos as 视听资料 of an open case, sent now (evidence is recorded once, so not queued).
function evidenceForm(view, detail) {
  const box = document.createElement("fieldset");
  box.append(element("legend", t("cases.addPhotos")));
  const picker = photoPicker(box, {maxBytes: view.app.options.photoMaxBytes,
                                   maxCount: view.app.options.photoMaxCount});
  const message = element("p", "");
  message.setAttribute("role", "status");
  const send = element("button", t("cases.send"));
  send.type = "button";
  send.addEventListener("click", async () => {
    const fix = await currentFix();
    let sent = 0;
    for (const photo of picker.photos()) {
      const response = await view.app.session.api(`/enforcement/cases/${detail.id}/evidence`, {
        method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({kind: "audiovisual", title: t("cases.photoTitle"), file: {
          ...photo, taken_at: new Date().toISOString(),
          ...(fix ? {lon: fix.lon, lat: fix.lat} : {})}})}).catch(() => null);
      if (!response || !response.ok) {
        const problem = response ? await response.json().catch(() => ({})) : null;
        message.textContent = problemText(problem, {fallback: t("cases.offline")});
        return;
      }
      sent += 1;
    }
    picker.clear();
    message.textContent = t("cases.sent", {n: sent});
  });
  box.append(send, message);
  view.detail.append(box);
}

export {mount};
