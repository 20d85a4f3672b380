/* A case's records in the console's detail: its evidence (证据, 行政处罚法第四十六条) with
 * each file opened through the case's evidence route (fetched with the token, as an <img>
 * or a link cannot send it), its 暂缓/分期缴纳 plans (the moves apply_payment_plan,
 * decide_payment_plan and pay_instalment take them), and its 行政复议/行政诉讼 with the
 * forms of the two routes that are not moves: POST /enforcement/cases/{id}/appeals and
 * POST …/appeals/{appeal_id}/outcome (each with the version read: 409 if stale).
 */
import * as i18n from "../../i18n.js";
import {t} from "../../i18n.js";
import {element} from "../../session.js";

i18n.add(Object.fromEntries(Object.entries({
  "erec.evidence": ["证据", "Evidence"], "erec.none": ["无", "none"],
  "erec.open": ["查看文件", "Open the file"], "erec.failed": ["无法打开文件", "Cannot open"],
  "erec.plans": ["暂缓（分期）缴纳", "Deferred and instalment payments"],
  "erec.plan": ["申请 #{id}（{state}）", "Application #{id} ({state})"],
  "erec.instalment": ["第 {seq} 期 {due} 应缴 {amount}，已缴 {paid}",
                      "Instalment {seq} due {due}: {amount}, paid {paid}"],
  "erec.appeals": ["行政复议 / 行政诉讼", "Reconsideration and litigation"],
  "erec.appeal": ["{kind} · {body} · {filed}（{timely}）", "{kind} · {body} · {filed} ({timely})"],
  "erec.in-time": ["期限内", "in time"], "erec.late": ["逾期", "late"],
  "erec.outcome": ["结果：{outcome}（{on}，{doc}）", "Outcome: {outcome} ({on}, {doc})"],
  "erec.pending": ["待结果", "awaiting the outcome"],
  "erec.file-appeal": ["登记复议/诉讼", "Record an appeal"],
  "erec.record-outcome": ["登记结果", "Record the outcome"],
  "erec.kind": ["类别", "Kind"], "erec.body": ["复议机关/人民法院", "Body or court"],
  "erec.filed-on": ["申请（起诉）日期", "Filed on"], "erec.note": ["备注", "Note"],
  "erec.outcome-field": ["结果", "Outcome"], "erec.decided-on": ["决定（判决）日期", "Decided on"],
  "erec.document": ["文书名称", "Document"], "erec.number": ["文号", "Number"],
  "erec.submit": ["提交", "Submit"], "erec.saved": ["已登记", "Recorded"],
}).map(([key, [zh, en]]) => [key, {zh, en}])));

const KINDS = [["reconsideration", "行政复议"], ["litigation", "行政诉讼"]];
// enforcement/cases/appeals.py OUTCOMES (the labels the detail returns name the recorded).
const OUTCOMES = [["upheld", "维持"], ["changed", "变更"], ["revoked", "撤销"],
                  ["revoked_redo", "撤销并责令重新作出"], ["unlawful", "确认违法"],
                  ["invalid", "确认无效"], ["perform_ordered", "责令履行"],
                  ["rejected", "驳回申请（请求）"], ["withdrawn", "申请人撤回"],
                  ["terminated", "终止"]];
const yuan = new Intl.NumberFormat("zh-CN", {style: "currency", currency: "CNY"});

function block(titleKey, name, ...children) {
  const node = document.createElement("section");
  node.className = `console-${name}-section`;
  node.append(element("h3", t(titleKey)), ...children);
  return node;
}

function evidence(page, subject) {
  const list = document.createElement("ul");
  list.className = "console-evidence";
  if (!subject.evidence.length) list.append(element("li", t("erec.none")));
  for (const item of subject.evidence) {
    const row = element("li", `${item.kind_label} · ${item.title}`);
    row.dataset.evidence = item.id;
    if (item.content) row.append(" ", element("q", item.content.slice(0, 200)));
    if (item.url) {
      const open = element("button", t("erec.open"));
      open.type = "button";
      open.className = "console-evidence-open";
      open.addEventListener("click", async () => {
        try {
          const url = await page.session.objectURL(item.url);
          const shown = document.createElement("a");
          Object.assign(shown, {href: url, target: "_blank", rel: "noopener",
                                className: "console-evidence-file"});
          shown.textContent = item.title;
          open.replaceWith(shown);
        } catch (error) {
          open.textContent = t("erec.failed");
        }
      });
      row.append(" ", open);
    }
    list.append(row);
  }
  return block("erec.evidence", "evidence", list);
}

function plans(subject) {
  const list = document.createElement("ul");
  for (const plan of subject.payment_plans || []) {
    const item = element("li", t("erec.plan", {id: plan.id, state: plan.state}));
    const lines = document.createElement("ol");
    for (const due of plan.instalments) {
      lines.append(element("li", t("erec.instalment", {
        seq: due.seq, due: due.due_on, amount: yuan.format(due.amount_fen / 100),
        paid: yuan.format(due.paid_fen / 100)})));
    }
    item.append(lines);
    list.append(item);
  }
  return list.children.length ? block("erec.plans", "plans", list) : null;
}

function field(words, control) {
  const label = document.createElement("label");
  label.append(element("span", t(words)), control);
  return label;
}

function input(name, type = "text", required = true) {
  const node = document.createElement("input");
  Object.assign(node, {name, type, required, maxLength: 200});
  return node;
}

function choice(name, entries) {
  const node = document.createElement("select");
  node.name = name;
  node.required = true;
  for (const [value, words] of entries) {
    const option = element("option", words);
    option.value = value;
    node.append(option);
  }
  return node;
}

// A small form that posts its fields (and the version read) and reads the case again.
function form(page, subject, {name, titleKey, path, version, controls, body}) {
  const node = document.createElement("form");
  node.className = `console-${name}-form`;
  const error = element("p", "");
  error.className = "console-form-error console-error";
  error.setAttribute("role", "alert");
  const submit = element("button", t("erec.submit"));
  submit.type = "submit";
  node.append(element("strong", t(titleKey)), ...controls, error, submit);
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await page.session.postJSON(path, {version, ...body(new FormData(node))});
      page.result = {text: () => `${t(titleKey)}：${t("erec.saved")}`};
      await page.afterMove(subject.id);
    } catch (failure) {
      const known = failure.problem ? i18n.problem(failure.problem) : "";
      error.textContent = known || `${t("problem.other")}: ${failure.message}`;
      submit.disabled = false;
    }
  });
  return node;
}

const trimmed = (data, key) => String(data.get(key) || "").trim() || undefined;

function appealForm(page, subject) {
  return form(page, subject, {
    name: "appeal", titleKey: "erec.file-appeal", version: subject.version,
    path: `/enforcement/cases/${subject.id}/appeals`,
    controls: [field("erec.kind", choice("kind", KINDS)), field("erec.body", input("body")),
               field("erec.filed-on", input("filed_on", "date")),
               field("erec.note", input("note", "text", false))],
    body: (data) => ({kind: data.get("kind"), body: trimmed(data, "body"),
                      filed_on: data.get("filed_on"), note: trimmed(data, "note")}),
  });
}

function outcomeForm(page, subject, appeal) {
  return form(page, subject, {
    name: "outcome", titleKey: "erec.record-outcome", version: appeal.version,
    path: `/enforcement/cases/${subject.id}/appeals/${appeal.id}/outcome`,
    controls: [field("erec.outcome-field", choice("outcome", OUTCOMES)),
               field("erec.decided-on", input("decided_on", "date")),
               field("erec.document", input("document_title")),
               field("erec.number", input("document_number", "text", false))],
    body: (data) => ({outcome: data.get("outcome"), decided_on: data.get("decided_on"),
                      document_title: trimmed(data, "document_title"),
                      document_number: trimmed(data, "document_number")}),
  });
}

// Appeals are against a decision: shown once the case has one, with the forms for those
// who act on cases.
function appeals(page, subject) {
  const decided = subject.decision && subject.decision.decided_at;
  if (!decided && !(subject.appeals || []).length) return null;
  const list = document.createElement("ul");
  list.className = "console-appeals";
  const acts = page.me.permissions.includes("enforcement-cases:act");
  for (const appeal of subject.appeals || []) {
    const item = element("li", t("erec.appeal", {
      kind: appeal.kind_label, body: appeal.body, filed: appeal.filed_on,
      timely: t(appeal.in_time ? "erec.in-time" : "erec.late")}));
    item.dataset.appeal = appeal.id;
    item.append(" ", element("span", appeal.outcome
      ? t("erec.outcome", {outcome: appeal.outcome_label, on: appeal.decided_on,
                           doc: appeal.document_title})
      : t("erec.pending")));
    if (!appeal.outcome && acts) item.append(outcomeForm(page, subject, appeal));
    list.append(item);
  }
  const pending = (subject.appeals || []).some((appeal) => !appeal.outcome);
  return block("erec.appeals", "appeals", list,
               ...(acts && decided && !pending ? [appealForm(page, subject)] : []));
}

export {evidence, plans, appeals};
