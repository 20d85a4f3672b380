/* The report outbox: every report is queued on the phone first (IndexedDB), then sent from
 * the queue, always with the idempotency key it was given when it was created.
 *
 * Sending happens on app start, when the `online` event fires, every half minute, and
 * right after a report is queued. A 201 or a replay (200, `Idempotent-Replayed: true`)
 * removes the report from the queue and lists it as sent with its incident number; no
 * network, a 5xx or a login to renew leaves it queued for the next try, with the same
 * key, so the server stores it once however often it is sent. A refusal (4xx) stays in
 * the queue as failed, with the server's problem in words, until the worker corrects it
 * (report.js `edit`, then `update`: the same key, as a refusal stored nothing), retries or
 * deletes it.
 *
 *   const outbox = create({store, session, user: () => "username",
 *                                        onChange: () => redraw()});
 *   await outbox.add(body, {category: "暴露垃圾"});   // queued, then sent when possible
 *   await outbox.flush();                                // one pass over the queue
 *   await outbox.update(key, correctedBody, label);      // a refused one, corrected
 */
import * as i18n from "../i18n.js";
import {LoginRequired} from "../session.js";
import * as fieldStore from "./store.js";

const KEEP_SENT = 20;
const RETRY_MS = 30000;

function create({store, session, user, onChange}) {
  const outbox = {store, session, user, onChange, flushing: null, timer: null};
  window.addEventListener("online", () => flush(outbox));
  outbox.timer = setInterval(() => flush(outbox), RETRY_MS);
  return {
    add: (body, label) => add(outbox, body, label),
    flush: () => flush(outbox),
    pending: () => mine(outbox, "outbox"),
    sent: () => mine(outbox, "sent"),
    retry: (key) => retry(outbox, key),
    update: (key, body, label) => update(outbox, key, body, label),
    remove: async (key) => { await store.remove("outbox", key); onChange(); },
    // For a test or a support call: put a record back as it was (same key).
    requeue: async (record) => { await store.put("outbox", record); onChange(); },
  };
}

async function mine(outbox, storeName) {
  const records = await outbox.store.all(storeName);
  return records.filter((record) => record.user === outbox.user())
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
}

async function add(outbox, body, label) {
  const record = {
    key: fieldStore.newKey(), user: outbox.user(), created_at: new Date().toISOString(),
    body, label, status: "pending", error: null, attempts: 0, last_attempt: null,
  };
  await outbox.store.put("outbox", record);
  outbox.onChange();
  flush(outbox);
  return record;
}

async function retry(outbox, key) {
  const record = await outbox.store.get("outbox", key);
  if (!record) return;
  await outbox.store.put("outbox", {...record, status: "pending", error: null});
  outbox.onChange();
  await flush(outbox);
}

// A refused report, corrected: its new body under the same key (the refusal stored
// nothing), queued again as pending and sent. A key the server says was used for another
// report is replaced by a new one.
async function update(outbox, key, body, label) {
  const record = await outbox.store.get("outbox", key);
  if (!record) return null;
  const fresh = record.code === "idempotency_key_reused" ? fieldStore.newKey() : key;
  const corrected = {...record, key: fresh, body, label, status: "pending", error: null,
                     code: null, http_status: null, corrected_at: new Date().toISOString()};
  await outbox.store.put("outbox", corrected);
  if (fresh !== key) await outbox.store.remove("outbox", key);
  outbox.onChange();
  await flush(outbox);
  return corrected;
}

// One pass at a time: a second call while one runs waits for that one and starts no other.
function flush(outbox) {
  if (!outbox.user()) return Promise.resolve();
  outbox.flushing ??= sendAll(outbox).finally(() => {
    outbox.flushing = null;
    outbox.onChange();
  });
  return outbox.flushing;
}

async function sendAll(outbox) {
  for (const record of await mine(outbox, "outbox")) {
    if (record.status === "failed") continue;
    const outcome = await sendOne(outbox, record);
    outbox.onChange();
    if (outcome === "stop") return;  // offline, or the server is unwell: later
  }
}

async function sendOne(outbox, record) {
  const tried = {...record, attempts: record.attempts + 1,
                 last_attempt: new Date().toISOString()};
  let response;
  try {
    response = await outbox.session.api("/incidents", {
      method: "POST", body: JSON.stringify(record.body),
      headers: {"Content-Type": "application/json", "Idempotency-Key": record.key},
    });
  } catch (error) {
    // No network (a TypeError), or the login form is showing: the same key next time.
    await outbox.store.put("outbox", {...tried, error: error instanceof LoginRequired
      ? null : "offline"});
    return "stop";
  }
  if (response.ok) {
    const incident = await response.json();
    await arrived(outbox, record, incident, response.headers.get("Idempotent-Replayed"));
    return "sent";
  }
  const problem = await response.json().catch(() => ({}));
  // In the worker's words: the problem's code translated where the pages know it.
  const detail = i18n.problem(problem, `${response.status} ${response.statusText}`);
  if (response.status >= 500 || response.status === 408 || response.status === 429) {
    await outbox.store.put("outbox", {...tried, error: detail});
    return "stop";
  }
  await outbox.store.put("outbox", {...tried, status: "failed", error: detail,
                                    code: problem.code || null, http_status: response.status});
  return "failed";
}

async function arrived(outbox, record, incident, replayed) {
  await outbox.store.put("sent", {
    key: record.key, user: record.user, created_at: record.created_at,
    sent_at: new Date().toISOString(), incident_id: incident.id, state: incident.state_label,
    label: record.label, replayed: replayed === "true", attempts: record.attempts + 1,
  });
  await outbox.store.remove("outbox", record.key);
  const sent = await outbox.store.all("sent");
  sent.sort((a, b) => b.sent_at.localeCompare(a.sent_at));
  for (const old of sent.slice(KEEP_SENT)) await outbox.store.remove("sent", old.key);
}

export {create};
