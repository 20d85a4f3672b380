/* The field app's storage on the phone: one IndexedDB database that outlives restarts and
 * network outages.
 *
 *   outbox   reports waiting to be sent, by their idempotency key
 *   sent     the last reports that arrived (key, incident id), to show them as sent
 *   patrols  patrols not yet wholly uploaded, by their client key
 *   points   their fixes, by [client key, instant]; `sent` 0 waiting, 1 stored, -1 refused
 *
 *   const store = await open();
 *   await store.put("outbox", record); await store.all("outbox");
 */
const NAME = "gridgov-field";
const VERSION = 1;

function upgrade(db) {
  db.createObjectStore("outbox", {keyPath: "key"});
  db.createObjectStore("sent", {keyPath: "key"});
  db.createObjectStore("patrols", {keyPath: "client_key"});
  const points = db.createObjectStore("points", {keyPath: ["client_key", "recorded_at"]});
  points.createIndex("by_patrol", "client_key");
}

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function open() {
  const request = indexedDB.open(NAME, VERSION);
  request.onupgradeneeded = () => upgrade(request.result);
  return promised(request).then(wrap);
}

function wrap(db) {
  // One transaction per call: small, and none stays open across a network request.
  function run(storeName, mode, work) {
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(storeName, mode);
      let result;
      Promise.resolve(work(transaction.objectStore(storeName)))
        .then((value) => { result = value; }, reject);
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }
  return {
    get: (store, key) => run(store, "readonly", (s) => promised(s.get(key))),
    all: (store) => run(store, "readonly", (s) => promised(s.getAll())),
    put: (store, value) => run(store, "readwrite", (s) => promised(s.put(value))),
    putMany: (store, values) => run(store, "readwrite",
                                    (s) => Promise.all(values.map((v) => promised(s.put(v))))),
    remove: (store, key) => run(store, "readwrite", (s) => promised(s.delete(key))),
    byPatrol: (clientKey) => run("points", "readonly",
                                 (s) => promised(s.index("by_patrol").getAll(clientKey))),
    removePatrol: (clientKey) => run("points", "readwrite", (s) => promised(
      s.delete(IDBKeyRange.bound([clientKey, ""], [clientKey, "\uffff"])))),
  };
}

// A key made once, on the phone, when a report or patrol is created (a UUID).
function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export {open, newKey};
