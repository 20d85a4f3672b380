/* The market inspector's inspections on the phone (市场监管, issue 14 §4): those drawn to
 * him and not yet submitted (GET /api/v1/market/inspections?queue=mine; offline, the
 * service worker's last answer), one opened with its checklist — each line 一般 or 重点,
 * answered 合格 / 不合格 / 不适用 with a note and photos, a failed line corrected on the
 * spot (当场整改) or ordered corrected by a deadline (责令限期改正) — recorded with the GPS
 * fix and the time, then confirmed by the other inspector (确认; both confirm: 食品生产
 * 经营监督检查管理办法第二十三条, the minimum is a row of the rules table).
 *
 * A record and a confirmation are queued on the phone (field/queue.js) and sent with their
 * Idempotency-Key (the backend stores a replay once), so an inspection done where there is
 * no signal is recorded once when the network returns. A reviewed inspection with failed
 * lines (审核通过, 公示) is listed too: 复查 (reinspect) and 移送执法 (refer, with its
 * reason) are queued the same way, when the server's `actions` allow them.
 */
import * as i18n from "../../i18n.js";
import {element} from "../../session.js";
import {currentFix, photoPicker} from "../../field/photos.js";
import {drawQueued} from "../../field/pending.js";

const t = i18n.t;
const TOOL = "market.inspections";
i18n.add({
  "insp.mine": {zh: "我的检查任务", en: "My inspections"},
  "insp.none": {zh: "暂无待检查的任务", en: "Nothing to inspect"},
  "insp.reload": {zh: "刷新", en: "Reload"},
  "insp.offline": {zh: "离线数据", en: "offline data"},
  "insp.back": {zh: "返回列表", en: "Back"},
  "insp.inspectors": {zh: "检查人员", en: "Inspectors"},
  "insp.confirmed": {zh: "已确认", en: "confirmed"},
  "insp.unconfirmed": {zh: "未确认", en: "not confirmed"},
  "insp.checklist": {zh: "检查表", en: "Checklist"},
  "insp.pass": {zh: "合格", en: "Pass"},
  "insp.fail": {zh: "不合格", en: "Fail"},
  "insp.na": {zh: "不适用", en: "N/A"},
  "insp.note": {zh: "说明", en: "Note"},
  "insp.rectifiedOnSite": {zh: "当场整改", en: "Corrected on the spot"},
  "insp.rectifyNote": {zh: "整改情况", en: "What was corrected"},
  "insp.rectifyDays": {zh: "责令限期改正（天）", en: "Days to correct"},
  "insp.summary": {zh: "检查情况小结", en: "Summary"},
  "insp.record": {zh: "提交检查结果", en: "Record the result"},
  "insp.confirm": {zh: "确认检查结果", en: "Confirm the result"},
  "insp.unanswered": {zh: "还有 {n} 项未填写结果", en: "{n} lines unanswered"},
  "insp.needDays": {zh: "不合格且未当场整改的，须填写整改期限", en: "Give the days to correct"},
  "insp.queued": {zh: "已保存，等待提交", en: "Saved; waiting to be sent"},
  "insp.sent": {zh: "已提交：{state}", en: "Sent: {state}"},
  "insp.pending": {zh: "待提交", en: "Waiting"},
  "insp.loadFailed": {zh: "加载失败：{detail}", en: "Could not load: {detail}"},
  "insp.followable": {zh: "已审核的检查（可复查、移送执法）", en: "Reviewed (re-inspect, refer)"},
  "insp.reinspect": {zh: "复查", en: "Re-inspect"},
  "insp.refer": {zh: "移送执法", en: "Refer to enforcement"},
  "insp.referReason": {zh: "移送理由", en: "Why it is referred"},
  "insp.needReason": {zh: "请填写移送理由", en: "Give the reason"},
  "insp.referred": {zh: "已移送执法", en: "Referred"},
  "problem.code.nothing_to_reinspect": {zh: "没有需要复查的不合格项", en: "Nothing to re-inspect"},
  "problem.code.reinspection_open": {zh: "已有未完成的复查", en: "A re-inspection is open already"},
  "problem.code.checklist_incomplete": {zh: "检查表还有未填写的项目", en: "The checklist is incomplete"},
  "problem.code.rectify_deadline_required": {zh: "不合格且未当场整改的，须填写整改期限",
                                             en: "Failed lines need a deadline"},
  "problem.code.rectify_deadline_too_long": {zh: "整改期限超过规定的最长天数",
                                             en: "The deadline is too long"},
  "problem.code.not_an_assigned_inspector": {zh: "您不是此次检查的检查人员",
                                             en: "You are not this inspection's inspector"},
  "problem.code.already_confirmed": {zh: "您已确认过，须由另一名检查人员确认",
                                     en: "You confirmed already: another inspector confirms"},
});
// The queued records' and confirmations' words (field/pending.js draws the list).
const WORDS = {queued: "insp.queued"};

const RESULTS = ["pass", "fail", "na"];

async function mount(app, panel) {
  const view = {app, panel};
  view.status = element("p", "");
  view.status.setAttribute("role", "status");
  view.list = document.createElement("ul");
  view.list.className = "field-task-list field-inspections";
  view.detail = document.createElement("div");
  view.detail.className = "field-inspection";
  view.detail.hidden = true;
  view.pending = document.createElement("ul");
  view.pending.className = "field-tool-pending";
  const reload = element("button", t("insp.reload"));
  reload.type = "button";
  reload.addEventListener("click", () => load(view));
  // Reviewed inspections (审核通过, 公示): a failed one is re-inspected (复查) or its
  // finding referred to 综合执法 (移送执法) from here.
  view.followTitle = element("h2", t("insp.followable"));
  view.followable = document.createElement("ul");
  view.followable.className = "field-task-list field-inspections-followable";
  panel.append(element("h2", t("insp.mine")), view.status, view.list, view.followTitle,
               view.followable, reload, view.detail, element("h2", t("insp.pending")),
               view.pending);
  app.queue.listen(TOOL, (record, body) => sent(view, body));
  const stop = app.queue.watch(() => drawPending(view));
  drawPending(view);
  return {open: () => load(view), unmount: stop};
}

async function load(view) {
  view.detail.hidden = true;
  view.list.hidden = false;
  try {
    const {body, offline} = await view.app.fetchJSON("/market/inspections?queue=mine&limit=100");
    view.status.textContent = body.items.length ? (offline ? t("insp.offline") : "")
      : t("insp.none");
    view.list.replaceChildren(...body.items.map((item) => listItem(view, item)));
  } catch (error) {
    view.status.textContent = t("insp.loadFailed", {detail: error.message});
  }
  loadFollowable(view);
}

async function loadFollowable(view) {
  view.followable.hidden = view.followTitle.hidden = false;
  try {
    const {body} = await view.app.fetchJSON("/market/inspections?state=approved"
      + "&state=published&sort=inspected_at&order=desc&limit=30");
    // Only those with a failed line and a move left for me (the server's `actions`).
    const items = body.items.filter((item) => item.failed_count > 0
      && (item.actions.includes("reinspect") || item.actions.includes("refer")));
    view.followTitle.hidden = !items.length;
    view.followable.replaceChildren(...items.map((item) => listItem(view, item)));
  } catch (error) {
    view.followTitle.hidden = true;
    view.followable.replaceChildren();
  }
}

function listItem(view, item) {
  const li = document.createElement("li");
  li.className = "field-task";
  li.dataset.inspectionId = String(item.id);
  const button = element("button", `${item.entity_name || `#${item.entity_id}`}`);
  button.type = "button";
  button.addEventListener("click", () => open(view, item.id));
  li.append(button, element("small", [item.task_name, item.state_label].filter(Boolean)
    .join(" · ")));
  return li;
}

async function open(view, id) {
  let detail;
  try {
    detail = (await view.app.fetchJSON(`/market/inspections/${id}`)).body;
  } catch (error) {
    view.status.textContent = t("insp.loadFailed", {detail: error.message});
    return;
  }
  view.list.hidden = view.followable.hidden = view.followTitle.hidden = true;
  view.detail.hidden = false;
  view.detail.dataset.inspectionId = String(id);
  const back = element("button", t("insp.back"));
  back.type = "button";
  back.addEventListener("click", () => load(view));
  const inspectors = document.createElement("ul");
  inspectors.append(...detail.inspectors.map((i) => element("li",
    `${i.name}（${i.credential_number || ""}）${t(i.confirmed ? "insp.confirmed" : "insp.unconfirmed")}`)));
  view.detail.replaceChildren(back, element("h2", detail.entity_name || ""),
                              element("p", `${detail.task_name || ""} · ${detail.state_label}`),
                              element("h3", t("insp.inspectors")), inspectors);
  // A record waiting for my confirmation shows what was recorded; otherwise, if I may
  // record (first, or again before the others confirm), the checklist to fill.
  const confirming = detail.actions.includes("confirm");
  if (detail.actions.includes("record") && !confirming) {
    view.detail.append(recordForm(view, detail));
  } else {
    view.detail.append(results(detail));
  }
  if (detail.actions.includes("confirm")) view.detail.append(confirmButton(view, detail));
  view.detail.append(followUps(view, detail));
}

// 复查 and 移送执法 (the moves the server allows me: `actions`), queued like the record,
// each under its own Idempotency-Key.
function followUps(view, detail) {
  const box = document.createElement("div");
  box.className = "field-inspection-followups";
  const label = (key) => `${detail.entity_name || detail.id} · ${t(key)}`;
  if (detail.actions.includes("reinspect")) {
    const button = element("button", t("insp.reinspect"));
    button.type = "button";
    button.addEventListener("click", async () => {
      button.disabled = true;
      await view.app.queue.add({tool: TOOL, label: label("insp.reinspect"),
                                path: `/market/inspections/${detail.id}/actions/reinspect`,
                                body: {version: detail.version}});
    });
    box.append(button);
  }
  if (detail.actions.includes("refer")) box.append(referForm(view, detail, label));
  if (detail.referral) box.append(element("p", t("insp.referred")));
  return box;
}

function referForm(view, detail, label) {
  const form = document.createElement("form");
  form.className = "field-refer";
  const reason = document.createElement("textarea");
  Object.assign(reason, {name: "reason", rows: 2, maxLength: 500});
  const caption = document.createElement("label");
  caption.append(element("span", t("insp.referReason")), reason);
  const error = element("p", "");
  error.className = "field-tool-error";
  const submit = element("button", t("insp.refer"));
  submit.type = "submit";
  form.append(caption, error, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!reason.value.trim()) {
      error.textContent = t("insp.needReason");
      return;
    }
    const body = {version: detail.version, reason: reason.value.trim()};
    form.replaceChildren(element("p", t("insp.queued")));
    await view.app.queue.add({tool: TOOL, label: label("insp.refer"), body,
                              path: `/market/inspections/${detail.id}/actions/refer`});
  });
  return form;
}

// --- the checklist -------------------------------------------------------------------------

function results(detail) {
  const list = document.createElement("ul");
  list.className = "field-checklist-results";
  list.append(...detail.checks.map((c) => element("li",
    `[${c.weight_label || c.weight}] ${c.text}：${c.result_label || "—"}${c.note ? `（${c.note}）` : ""}`)));
  return list;
}

function radio(name, value, label) {
  const wrap = document.createElement("label");
  const input = Object.assign(document.createElement("input"), {type: "radio", name, value});
  wrap.append(input, element("span", label));
  return wrap;
}

function checkLine(view, check) {
  const box = document.createElement("fieldset");
  box.className = "field-check";
  box.dataset.checkId = String(check.check_id);
  box.dataset.weight = check.weight;
  const legend = element("legend", `[${check.weight_label || check.weight}] ${check.item_name}：${check.text}`);
  const choices = document.createElement("div");
  choices.className = "field-check-results";
  choices.append(...RESULTS.map((r) => radio(`result-${check.check_id}`, r, t(`insp.${r}`))));
  const note = Object.assign(document.createElement("input"), {name: "note", maxLength: 2000,
                                                              placeholder: t("insp.note")});
  const onSite = Object.assign(document.createElement("input"), {type: "checkbox",
                                                                name: "rectified_on_site"});
  const onSiteLabel = document.createElement("label");
  onSiteLabel.append(onSite, element("span", t("insp.rectifiedOnSite")));
  const rectifyNote = Object.assign(document.createElement("input"), {
    name: "rectify_note", maxLength: 2000, placeholder: t("insp.rectifyNote")});
  const failed = document.createElement("div");
  failed.hidden = true;
  failed.append(onSiteLabel, rectifyNote);
  choices.addEventListener("change", () => {
    failed.hidden = lineResult(box) !== "fail";
  });
  const photos = photoPicker(box, {maxBytes: view.app.options.photoMaxBytes, maxCount: 5,
                                   name: `photos-${check.check_id}`});
  box.prepend(legend, choices, note, failed);
  box.line = () => ({check_id: check.check_id, result: lineResult(box),
                     note: note.value.trim() || null,
                     rectified_on_site: lineResult(box) === "fail" && onSite.checked,
                     rectify_note: rectifyNote.value.trim() || null, photos: photos.photos()});
  return box;
}

function lineResult(box) {
  return box.querySelector("input[type=radio]:checked")?.value || null;
}

function recordForm(view, detail) {
  const form = document.createElement("form");
  form.className = "field-checklist";
  form.noValidate = true;
  const lines = detail.checks.map((check) => checkLine(view, check));
  const days = Object.assign(document.createElement("input"), {name: "rectify_days",
                                                              inputMode: "numeric"});
  const daysLabel = document.createElement("label");
  daysLabel.append(element("span", t("insp.rectifyDays")), days);
  const summary = Object.assign(document.createElement("textarea"), {name: "summary", rows: 2,
                                                                    maxLength: 4000});
  const summaryLabel = document.createElement("label");
  summaryLabel.append(element("span", t("insp.summary")), summary);
  const error = element("p", "");
  error.className = "field-tool-error";
  error.setAttribute("role", "alert");
  const submit = element("button", t("insp.record"));
  submit.type = "submit";
  submit.className = "field-primary";
  form.append(element("h3", t("insp.checklist")), ...lines, daysLabel, summaryLabel, error,
              submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const checks = lines.map((box) => box.line());
    const unanswered = checks.filter((c) => !c.result).length;
    if (unanswered) {
      error.textContent = t("insp.unanswered", {n: unanswered});
      return;
    }
    const ordered = checks.some((c) => c.result === "fail" && !c.rectified_on_site);
    const rectifyDays = Number.parseInt(days.value, 10);
    if (ordered && !(rectifyDays > 0)) {
      error.textContent = t("insp.needDays");
      return;
    }
    const fix = await currentFix();
    const body = {version: detail.version, inspected_at: new Date().toISOString(), checks,
                  ...(ordered ? {rectify_days: rectifyDays} : {}),
                  ...(summary.value.trim() ? {summary: summary.value.trim()} : {}),
                  ...(fix ? {location: {type: "Point", coordinates: [fix.lon, fix.lat]},
                             accuracy_m: fix.accuracy} : {})};
    form.replaceChildren(element("p", t("insp.queued")));
    await view.app.queue.add({tool: TOOL, path: `/market/inspections/${detail.id}/actions/record`,
                              body, label: `${detail.entity_name || detail.id} · ${t("insp.record")}`});
  });
  return form;
}

function confirmButton(view, detail) {
  const button = element("button", t("insp.confirm"));
  button.type = "button";
  button.className = "field-primary field-confirm";
  button.addEventListener("click", async () => {
    button.disabled = true;
    await view.app.queue.add({tool: TOOL, path: `/market/inspections/${detail.id}/actions/confirm`,
                              body: {version: detail.version},
                              label: `${detail.entity_name || detail.id} · ${t("insp.confirm")}`});
  });
  return button;
}

// --- what was sent -------------------------------------------------------------------------

function sent(view, body) {
  view.status.textContent = t("insp.sent", {state: body.state_label || ""});
  view.status.dataset.sentState = body.state || "";
  if (!view.detail.hidden && view.detail.dataset.inspectionId === String(body.id)) {
    open(view, body.id);
  }
}

async function drawPending(view) {
  drawQueued(view.pending, await view.app.queue.pending(TOOL), view.app.queue, WORDS);
}

export {mount};
