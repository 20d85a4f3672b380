/* The pieces the platforms' field tools draw alike (convenience/field/proxy.js,
 * market_supervision/field/inspections.js, enforcement/field/spot.js): the list of their
 * submissions still on the phone (field/queue.js). Written once, so that a submission
 * waiting, offline or refused reads the same in every tool.
 *
 *   drawQueued(listNode, await queue.pending(TOOL), queue, {queued: "x.queued"});
 *
 * The words are the tool's own where it says more (`queued`: what was saved; `offline`,
 * `failed`, `retry`, `remove`: keys that replace the common ones below; `detail(record)`:
 * the refusal in the tool's terms, a limit named).
 */
import * as i18n from "../i18n.js";
import {element} from "../session.js";

const t = i18n.t;
i18n.add({
  "pending.offline": {zh: "离线，联网后自动提交", en: "Offline: sent when the network returns"},
  "pending.failed": {zh: "被退回：{detail}", en: "Refused: {detail}"},
  "pending.retry": {zh: "重试", en: "Retry"},
  "pending.delete": {zh: "删除", en: "Delete"},
});
const COMMON = {offline: "pending.offline", failed: "pending.failed", retry: "pending.retry",
                remove: "pending.delete"};

// The server's problem in words; a tool may name its own (detail) to say more (a limit).
function problemDetail(record) {
  return i18n.problem(record.problem, String(record.http_status));
}

function stateText(record, words) {
  if (record.status === "failed") {
    return t(words.failed, {detail: (words.detail || problemDetail)(record)});
  }
  return t(record.offline ? words.offline : words.queued);
}

// A refused submission keeps the server's words until the user retries or deletes it.
function pendingItem(record, queue, words) {
  const item = document.createElement("li");
  item.dataset.status = record.status;
  item.append(element("strong", record.label), element("small", stateText(record, words)));
  if (record.status !== "failed") return item;
  for (const [key, action] of [[words.retry, queue.retry], [words.remove, queue.remove]]) {
    const button = element("button", t(key));
    button.type = "button";
    button.addEventListener("click", () => action(record.key));
    item.append(button);
  }
  return item;
}

function drawQueued(list, records, queue, toolWords) {
  const words = {...COMMON, ...toolWords};
  list.replaceChildren(...records.map((record) => pendingItem(record, queue, words)));
}

export {drawQueued};
