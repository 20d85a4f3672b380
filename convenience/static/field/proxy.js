/* The proxy agent's tool on the phone (帮代办, the "red vests": issue 15 §3, §5): the trips
 * he saved residents (GET /api/v1/convenience/proxy-agents: his row, with his tier, his open
 * queue and what he finished), his queue (GET /convenience/applications?queue=proxy: those
 * he took and those a desk assigned him), and an application taken for a resident
 * (proxy-form.js: the item, the resident, his consent signed or recorded, the materials).
 *
 * The application is queued on the phone (field/queue.js) and sent with its
 * Idempotency-Key (the backend takes a replay once: convenience/services/keyed.py), so one
 * taken in a village without signal is filed once when the network returns; a refusal is
 * kept with the server's words, to retry or delete.
 */
import * as i18n from "../../i18n.js";
import {element} from "../../session.js";
import {drawQueued} from "../../field/pending.js";
import {buildForm} from "./proxy-form.js";

const t = i18n.t;
const TOOL = "convenience.proxy";
i18n.add({
  "proxy.mine": {zh: "我的代办", en: "My applications"},
  "proxy.none": {zh: "暂无代办件", en: "Nothing in your queue"},
  "proxy.reload": {zh: "刷新", en: "Reload"},
  "proxy.offline": {zh: "离线数据", en: "offline data"},
  "proxy.loadFailed": {zh: "加载失败：{detail}", en: "Could not load: {detail}"},
  "proxy.trips": {zh: "为群众少跑 {trips} 趟", en: "{trips} trips saved for residents"},
  "proxy.counts": {zh: "{tier} · 在办 {open} 件 · 办结 {done} 件",
                   en: "{tier} · {open} open · {done} done"},
  "proxy.notRegistered": {zh: "尚未登记为代办员（请联系便民服务中心）",
                          en: "Not registered as an agent yet"},
  "proxy.due": {zh: "承诺期限 {due}", en: "due {due}"},
  "proxy.take": {zh: "帮群众代办", en: "Take an application"},
  "proxy.noUnit": {zh: "您不在任何便民服务站点任代办员，无法受理代办",
                   en: "You are an agent at no service point"},
  "proxy.queued": {zh: "已保存，等待提交", en: "Saved; waiting to be sent"},
  "proxy.filed": {zh: "已受理，办件编号 {number}", en: "Taken: application {number}"},
  "proxy.pending": {zh: "待提交的代办", en: "Waiting to be sent"},
  "problem.code.consent_required": {zh: "帮代办须先取得申请人授权（代办授权）",
                                    en: "The resident's consent comes first"},
  "problem.code.item_not_by_proxy": {zh: "该事项不可代办", en: "This item is not done by proxy"},
  "problem.code.proxy_channel_only": {zh: "代办员只能以帮代办方式受理",
                                      en: "An agent takes proxy applications only"},
  "problem.code.service_point_not_found": {zh: "该服务站点不在您的辖区",
                                           en: "That service point is not yours"},
  "problem.code.not_a_service_point": {zh: "所选单位不是便民服务站点",
                                       en: "Not a service point"},
  "problem.code.idempotency_key_reused": {zh: "该提交已被修改，请删除后重新填写",
                                          en: "This submission changed: delete and redo it"},
});
// The queued applications' words (field/pending.js draws the list).
const WORDS = {queued: "proxy.queued"};

function when(value) {
  return value ? new Date(value).toLocaleString("zh-CN", {timeZone: "Asia/Shanghai",
                                                          hour12: false}) : "";
}

// His memberships as a 代办员 of a convenience unit: where he takes applications.
function stations(memberships) {
  return memberships.filter((m) => m.platform === "convenience" && m.position === "proxy_agent");
}

async function mount(app, panel, {memberships}) {
  const view = {app, panel};
  view.trips = element("div", "");
  view.trips.className = "field-proxy-trips";
  view.status = element("p", "");
  view.status.setAttribute("role", "status");
  view.list = document.createElement("ul");
  view.list.className = "field-task-list field-proxy-queue";
  const reload = element("button", t("proxy.reload"));
  reload.type = "button";
  reload.addEventListener("click", () => load(view));
  panel.append(view.trips, element("h2", t("proxy.mine")), view.status, view.list, reload,
               element("h2", t("proxy.take")));
  const units = stations(memberships);
  if (!units.length) {
    panel.append(element("p", t("proxy.noUnit")));
    return {open: () => load(view)};
  }
  view.form = buildForm(app, panel, {units});
  view.form.onSubmit(() => submitted(view));
  view.result = element("p", "");
  view.result.className = "field-tool-result";
  view.result.setAttribute("role", "status");
  view.pending = document.createElement("ul");
  view.pending.className = "field-tool-pending";
  panel.append(view.result, element("h2", t("proxy.pending")), view.pending);
  app.queue.listen(TOOL, (record, body) => filed(view, body));
  drawPending(view);
  const stop = app.queue.watch(() => drawPending(view));
  return {open: () => load(view), unmount: stop};
}

// --- his figures and his queue ------------------------------------------------------------

async function load(view) {
  await Promise.all([loadTrips(view), loadQueue(view)]);
}

async function loadTrips(view) {
  const me = view.app.me && view.app.me.user;
  try {
    const agents = (await view.app.fetchJSON("/convenience/proxy-agents?limit=500")).body;
    const row = agents.find((agent) => me && agent.user_id === me.id);
    view.trips.replaceChildren(...(row
      ? [element("strong", t("proxy.trips", {trips: row.trips_saved})),
         element("small", t("proxy.counts", {tier: row.tier_label, open: row.open,
                                             done: row.done}))]
      : [element("small", t("proxy.notRegistered"))]));
    if (row) view.trips.dataset.trips = String(row.trips_saved);
  } catch (error) {
    view.trips.replaceChildren(element("small", t("proxy.loadFailed", {detail: error.message})));
  }
}

async function loadQueue(view) {
  try {
    const {body, offline} = await view.app.fetchJSON(
      "/convenience/applications?queue=proxy&limit=50");
    view.status.textContent = body.length ? (offline ? t("proxy.offline") : "") : t("proxy.none");
    view.list.replaceChildren(...body.map(queueItem));
  } catch (error) {
    view.status.textContent = t("proxy.loadFailed", {detail: error.message});
  }
}

function queueItem(application) {
  const li = document.createElement("li");
  li.className = "field-task";
  li.dataset.applicationId = String(application.id);
  const facts = [application.state_label];
  if (application.due_at) facts.push(t("proxy.due", {due: when(application.due_at)}));
  li.append(element("strong", `${application.number} ${application.item_name}`),
            element("small", facts.join(" · ")));
  return li;
}

// --- taking one ---------------------------------------------------------------------------

async function submitted(view) {
  const body = await view.form.body();
  if (!body) return;
  const label = `${body.applicant_name} · ${view.form.itemName()}`;
  view.result.textContent = t("proxy.queued");
  view.form.reset();
  await view.app.queue.add({tool: TOOL, path: "/convenience/applications", body, label});
}

function filed(view, body) {
  view.result.textContent = t("proxy.filed", {number: body.number});
  view.result.dataset.applicationId = String(body.id);
  load(view);
}

async function drawPending(view) {
  drawQueued(view.pending, await view.app.queue.pending(TOOL), view.app.queue, WORDS);
}

export {mount};
