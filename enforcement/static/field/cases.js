/* The officer's cases on the phone (综合执法, issue 13 §9): his 执法证 on top, his units'
 * cases (GET /api/v1/enforcement/cases?mine=true&sort=deadline: overdue first, soonest
 * due next; offline, the service worker's last answer), and one case opened with its
 * clocks (each with its citation), parties and evidence; photos of evidence are taken here
 * (视听资料, with GPS and time) while the case is open, and queued on the phone with an
 * Idempotency-Key each, recorded once when the network allows.
 */
import * as i18n from "../../i18n.js";
import {element} from "../../session.js";
import {currentFix, photoPicker} from "../../field/photos.js";
import {credentialCard, enforcementMemberships, problemText, yuan} from "./common.js";
import {mountRecords} from "./record.js";  // 现场笔录 signed on the phone

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
  "cases.queued": {zh: "{n} 份证据已保存，等待上传", en: "{n} pieces saved; waiting to upload"},
  "cases.pendingLabel": {zh: "#{id} {title} · 现场照片", en: "#{id} {title} · photo"},
  "cases.pending": {zh: "待上传的证据", en: "Evidence waiting"},
  "cases.waiting": {zh: "等待上传", en: "Waiting"},
  "cases.offlineWait": {zh: "离线，联网后自动上传", en: "Offline: sent when the network returns"},
  "cases.failed": {zh: "被退回：{detail}", en: "Refused: {detail}"},
  "cases.retry": {zh: "重试", en: "Retry"},
  "cases.delete": {zh: "删除", en: "Delete"},
  "cases.back": {zh: "返回列表", en: "Back"},
  "cases.loadFailed": {zh: "加载失败：{detail}", en: "Could not load: {detail}"},
});

const TOOL = "enforcement.cases";
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
  view.pendingTitle = element("h2", t("cases.pending"));
  view.pending = document.createElement("ul");
  view.pending.className = "field-tool-pending";
  panel.append(element("h2", t("cases.mine")), view.status, view.list, reload, view.detail,
               view.pendingTitle, view.pending);
  app.queue.listen(TOOL, () => recorded(view));
  drawPending(view);
  const stop = app.queue.watch(() => drawPending(view));
  view.records = mountRecords(app, panel);
  return {open: () => load(view), unmount: () => { stop(); view.records.unmount(); }};
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
  view.records.form(view.detail, detail);
}

// Photos as 视听资料 of an open case, each queued on the phone (field/queue.js) with its
// Idempotency-Key: the server records a replayed piece once (enforcement/cases/evidence.py),
// so a photo taken without signal is recorded once when the network returns.
function evidenceForm(view, detail) {
  const box = document.createElement("fieldset");
  box.append(element("legend", t("cases.addPhotos")));
  const picker = photoPicker(box, {maxBytes: view.app.options.photoMaxBytes,
                                   maxCount: view.app.options.photoMaxCount});
  const message = element("p", "");
  message.className = "field-evidence-message";
  message.setAttribute("role", "status");
  view.message = message;
  const send = element("button", t("cases.send"));
  send.type = "button";
  send.addEventListener("click", async () => {
    const photos = picker.photos();
    if (!photos.length) return;
    const fix = await currentFix();
    picker.clear();
    message.textContent = t("cases.queued", {n: photos.length});
    for (const photo of photos) {
      await view.app.queue.add({
        tool: TOOL, path: `/enforcement/cases/${detail.id}/evidence`,
        label: t("cases.pendingLabel", {id: detail.id, title: detail.title}),
        body: {kind: "audiovisual", title: t("cases.photoTitle"), file: {
          ...photo, taken_at: new Date().toISOString(),
          ...(fix ? {lon: fix.lon, lat: fix.lat} : {})}}});
    }
  });
  box.append(send, message);
  view.detail.append(box);
}

// The pieces waiting on the phone (every case's), a refusal in words with 重试 / 删除.
async function drawPending(view) {
  const records = await view.app.queue.pending(TOOL);
  view.pendingTitle.hidden = !records.length;
  view.pending.replaceChildren(...records.map((record) => {
    const item = document.createElement("li");
    item.dataset.status = record.status;
    const state = record.status === "failed"
      ? t("cases.failed", {detail: problemText(record.problem,
                                               {fallback: String(record.http_status)})})
      : record.offline ? t("cases.offlineWait") : t("cases.waiting");
    item.append(element("strong", record.label), element("small", state));
    if (record.status === "failed") {
      for (const [key, action] of [["cases.retry", view.app.queue.retry],
                                   ["cases.delete", view.app.queue.remove]]) {
        const button = element("button", t(key));
        button.type = "button";
        button.addEventListener("click", () => action(record.key));
        item.append(button);
      }
    }
    return item;
  }));
}

function recorded(view) {
  view.sent = (view.sent || 0) + 1;
  if (view.message) view.message.textContent = t("cases.sent", {n: view.sent});
}

export {mount};
