/* The pages' two languages: Chinese (zh-CN) by default, English on request.
 *
 * Each page (or shared script) registers its strings once, by key, in both languages, and
 * asks for them with t(); markup marks text with data-i18n="key" (its textContent),
 * data-i18n-title, data-i18n-placeholder or data-i18n-aria-label, and apply() fills it.
 * The choice is kept in localStorage, for every page of the app; a switch button (any
 * element with data-i18n-switch) toggles it and re-applies.
 *
 *   import {add, t, onChange, problem} from "/static/i18n.js";
 *   add({"queue.title": {zh: "待办", en: "Queue"}});
 *   t("queue.title");            // "待办" or "Queue"
 *   t("count", {n: 3});          // "{n} 件" → "3 件"
 *   onChange(() => redraw());    // after a switch, for text drawn by script
 *   problem(error.problem);      // an API problem in words, by its `code`
 */
const STORAGE_KEY = "gridgov.lang";
const LANGS = ["zh", "en"];
const strings = {};
const listeners = [];
let lang = readLang();

function readLang() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (LANGS.includes(asked)) return asked;
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (LANGS.includes(stored)) return stored;
  } catch (error) {
    // Storage refused (private mode): the default language.
  }
  return "zh";
}

// Entries merge by key: a page may give a key's English, the server its Chinese.
function add(table) {
  for (const [key, entry] of Object.entries(table)) strings[key] = {...strings[key], ...entry};
}

// The key itself when a string is missing: visible in the page, never a blank.
function t(key, values = {}) {
  const entry = strings[key];
  const text = entry ? (entry[lang] ?? entry.zh ?? entry.en ?? key) : key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

const ATTRIBUTES = {"data-i18n-title": "title", "data-i18n-placeholder": "placeholder",
                    "data-i18n-aria-label": "aria-label"};

function apply(root = document) {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  root.querySelectorAll("[data-i18n]").forEach((node) => {
    node.textContent = t(node.dataset.i18n);
  });
  for (const [data, attribute] of Object.entries(ATTRIBUTES)) {
    root.querySelectorAll(`[${data}]`).forEach((node) => {
      node.setAttribute(attribute, t(node.getAttribute(data)));
    });
  }
  root.querySelectorAll("[data-i18n-switch]").forEach((node) => {
    node.textContent = lang === "zh" ? "English" : "中文";
  });
}

function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch (error) {
    // Not kept: this page still switches.
  }
  apply();
  listeners.forEach((listener) => listener(lang));
}

function onChange(listener) {
  listeners.push(listener);
}

// The API's problem codes (api/errors.py: every problem has a stable `code`) that a user
// meets on the pages, in words; any other problem shows its own `detail`.
const PROBLEMS = {
  handler_unit_required: ["请选择处置单位", "Choose the handling unit"],
  unit_required: ["请选择接收单位", "Choose the receiving unit"],
  unit_unknown: ["没有这个单位，或它已停用", "No such unit, or it is no longer active"],
  dispatch_unit_outside: ["该单位的辖区不包含事件所在网格，请改派覆盖此处的单位",
                          "That unit's territory does not contain the incident: choose one "
                          + "that covers it"],
  handler_not_member: ["所选承办人不是该单位的在岗成员",
                       "The handler chosen is not an active member of that unit"],
  assign_target_invalid: ["只能下派给本级以下、辖区包含事件的单位",
                          "Assign only to a unit below the holder whose territory "
                          + "contains the incident"],
  refer_target_invalid: ["该单位的辖区不包含事件，不能转办给它",
                         "That unit's territory does not contain the incident"],
  refer_target_missing: ["请选择转办的平台、部门或单位",
                         "Choose a platform, a department or a unit to refer to"],
  no_unit_covers: ["所选平台/部门没有覆盖事件所在地的单位",
                   "No unit of that platform or department covers the incident's place"],
  not_the_receiver: ["此流转不是交给您所在单位的，不能签收或退回",
                     "This hand-off is addressed to a unit where you hold no desk"],
  handoff_pending: ["已有流转等待签收，签收或退回后才能再流转",
                    "A hand-off awaits its signature: it must be signed or returned first"],
  handoff_answered: ["该流转已被签收或退回", "The hand-off was answered already"],
  no_level_above: ["已是最高一级，无法再上报", "There is no level above to escalate to"],
  stale_version: ["事件已被他人改动，请按最新状态办理",
                  "Someone else changed the incident: act on its current state"],
  move_not_allowed_now: ["事件当前状态下不能办理此操作",
                         "This move is not possible in the incident's current state"],
  move_not_for_role: ["您的角色不能办理此操作", "Your role cannot make this move"],
  not_your_task: ["此任务已派给其他单位或承办人", "This task was dispatched to another unit or person"],
  attachment_type_refused: ["不支持此类型的文件", "This type of file is not accepted"],
  attachment_type_mismatch: ["文件内容与声明的类型不符", "The file is not what its type says"],
  attachment_too_large: ["文件太大", "The file is too large"],
  attachment_empty: ["文件为空", "The file is empty"],
  too_many_attachments: ["一次上传的文件太多", "Too many files at once"],
  attachment_not_base64: ["文件数据无法读取", "The file's data cannot be read"],
  image_too_large: ["图片像素过大", "The picture has too many pixels"],
  image_unreadable: ["图片无法读取", "The picture cannot be read"],
  credential_required: ["此操作须持有效执法证", "This move needs a valid law-enforcement credential"],
  idempotency_key_reused: ["该上报编号已用于另一条上报", "This report key was used for another report"],
  reason_required: ["请填写理由", "Give a reason"],
  rating_required: ["请选择评分", "Choose a rating"],
  subject_final: ["事件已办结，不能再流转", "The incident is finished: nothing to hand off"],
};
for (const [code, [zh, en]] of Object.entries(PROBLEMS)) {
  strings[`problem.code.${code}`] = {zh, en};
}

// A problem (an ApiError's `problem` body) in the user's words: its code's text when
// known, else the server's own detail, else `fallback`.
function problem(body, fallback = "") {
  const key = `problem.code.${body && body.code}`;
  return strings[key] ? t(key) : (body && body.detail) || fallback;
}

document.addEventListener("click", (event) => {
  if (event.target.closest("[data-i18n-switch]")) setLang(lang === "zh" ? "en" : "zh");
});
document.addEventListener("DOMContentLoaded", () => apply());

function currentLang() {
  return lang;
}

export {add, t, apply, setLang, onChange, problem, currentLang};
