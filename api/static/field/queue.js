/* The field tools' offline queue (field/tools.js): a platform tool's submission (a 当场处罚
 * decision, an inspection's record) is kept on the phone first (IndexedDB, its own
 * database), then sent with the Idempotency-Key it was given when it was made, so a
 * retried or replayed submission is stored once on the server.
 *
 * A 2xx (or a replay) removes it and tells the tool (`onSent`); no network, a 5xx, a 408 or
 * a 429 keeps it for the next try with the same key; any other 4xx keeps it as failed with
 * the server's problem (the tool shows it in words, and may retry or delete it).
 *
 *   const queue = await create({session, user: () => "username", onChange});
 *   const stop = queue.watch(() => redraw());
 *   await queue.add({tool: "enforcement.cases", path: "/enforcement/cases",
 *                    body, label: "当场处罚 张三"});
 *   await queue.flush();
 */
import {LoginRequired} from "../session.js";

const NAME = "gridgov-field-tools";
const STORE = "requests";
const RETRY_MS = 30000;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function openDb() {
  const request = indexedDB.open(NAME, 1);
  request.onupgradeneeded = () => request.result.createObjectStore(STORE, {keyPath: "key"});
  return promised(request);
}

function run(db, mode, work) {
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, mode);
    let result;
    Promise.resolve(work(transaction.objectStore(STORE))).then((v) => { result = v; }, reject);
    transaction.oncomplete = () => resolve(result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error);
  });
}

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID()
    : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function create({session, user, onChange = () => {}}) {
  const db = await openDb();
  const watchers = new Set([onChange]);
  const queue = {db, session, user, flushing: null, listeners: new Map(),
                 onChange: () => watchers.forEach((watcher) => watcher())};
  window.addEventListener("online", () => flush(queue));
  setInterval(() => flush(queue), RETRY_MS);
  return {
    add: (request) => add(queue, request),
    flush: () => flush(queue),
    pending: (tool) => mine(queue, tool),
    retry: async (key) => { await patch(queue, key, {status: "pending", problem: null}); return flush(queue); },
    remove: async (key) => {
      await run(db, "readwrite", (s) => promised(s.delete(key)));
      queue.onChange();
    },
    // Told of every change of the queue; returns how to stop listening.
    watch: (watcher) => { watchers.add(watcher); return () => watchers.delete(watcher); },
    // A tool hears of its own submissions' arrival: onSent(record, body).
    listen: (tool, onSent) => queue.listeners.set(tool, onSent),
  };
}

async function mine(queue, tool) {
  const all = await run(queue.db, "readonly", (s) => promised(s.getAll()));
  return all.filter((r) => r.user === queue.user() && (!tool || r.tool === tool))
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
}

async function patch(queue, key, changes) {
  const record = await run(queue.db, "readonly", (s) => promised(s.get(key)));
  if (record) await run(queue.db, "readwrite", (s) => promised(s.put({...record, ...changes})));
  queue.onChange();
}

async function add(queue, {tool, path, body, label, method = "POST", key = newKey()}) {
  const record = {key, tool, path, method, body, label, user: queue.user(),
                  created_at: new Date().toISOString(), status: "pending", problem: null,
                  attempts: 0};
  await run(queue.db, "readwrite", (s) => promised(s.put(record)));
  queue.onChange();
  await flush(queue);
  return record;
}

// One pass at a time; a second call waits for the running one.
function flush(queue) {
  if (!queue.user()) return Promise.resolve();
  queue.flushing ??= sendAll(queue).finally(() => { queue.flushing = null; queue.onChange(); });
  return queue.flushing;
}

async function sendAll(queue) {
  for (const record of await mine(queue)) {
    if (record.status === "failed") continue;
    if (await sendOne(queue, record) === "stop") return;
  }
}

async function sendOne(queue, record) {
  const tried = {...record, attempts: record.attempts + 1};
  let response;
  try {
    response = await queue.session.api(record.path, {
      method: record.method, body: JSON.stringify(record.body),
      headers: {"Content-Type": "application/json", "Idempotency-Key": record.key},
    });
  } catch (error) {
    const offline = !(error instanceof LoginRequired);
    await run(queue.db, "readwrite", (s) => promised(s.put({...tried, offline})));
    return "stop";
  }
  const body = await response.json().catch(() => ({}));
  if (response.ok) {
    await run(queue.db, "readwrite", (s) => promised(s.delete(record.key)));
    queue.listeners.get(record.tool)?.(record, body);
    return "sent";
  }
  if (response.status >= 500 || response.status === 408 || response.status === 429) {
    await run(queue.db, "readwrite", (s) => promised(s.put({...tried, offline: false, problem: body})));
    return "stop";
  }
  await run(queue.db, "readwrite", (s) => promised(s.put(
    {...tried, status: "failed", offline: false, problem: body, http_status: response.status})));
  return "failed";
}

export {create, newKey};
