/* The field app's service worker, served from /field/sw.js (api/field.py fills in VERSION,
 * a hash of the shell, and SHELL, the URLs to precache) with the scope /field.
 *
 * - The shell (the page, its scripts, styles, icons, Leaflet) is precached on install, so
 *   the app opens with no network; static files are answered from that cache (its name
 *   carries the version: a new shell is a new cache, the old one is dropped), the page
 *   itself network-first so an online phone gets the newest.
 * - The API's GETs go network-first; each good answer is kept, and served when the
 *   network fails, marked with `X-Gridgov-Offline: 1` so the app can say so. That is what
 *   shows "my grids" and "my tasks" offline.
 * - Everything else (the reports' POSTs above all) goes to the network untouched: the app's
 *   IndexedDB outbox, not this worker, keeps what could not be sent.
 */
"use strict";

const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const SHELL_CACHE = `gridgov-field-shell-${VERSION}`;
const API_CACHE = "gridgov-field-api";
const PAGE = SHELL[0];

self.addEventListener("install", (event) => {
  // cache: "reload": past the HTTP cache, so the precache holds what the server has now.
  event.waitUntil(caches.open(SHELL_CACHE)
    .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, {cache: "reload"}))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names
      .filter((name) => name.startsWith("gridgov-field-shell-") && name !== SHELL_CACHE)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

// The app asks to forget the cached API answers when its user logs out.
self.addEventListener("message", (event) => {
  if (event.data?.type === "logout") event.waitUntil(caches.delete(API_CACHE));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) {
    event.respondWith(networkFirst(request));
  } else if (url.pathname === PAGE) {
    event.respondWith(pageNetworkFirst(request));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(cacheFirst(request));
  }
});

async function networkFirst(request) {
  const cache = await caches.open(API_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request);
    if (!cached) throw error;
    return markedOffline(cached);
  }
}

function markedOffline(response) {
  const headers = new Headers(response.headers);
  headers.set("X-Gridgov-Offline", "1");
  return new Response(response.body, {status: response.status, statusText: response.statusText,
                                      headers});
}

async function pageNetworkFirst(request) {
  try {
    const response = await fetch(request);
    if (response.ok) await (await caches.open(SHELL_CACHE)).put(PAGE, response.clone());
    return response;
  } catch (error) {
    // ?lang=en and the like: the same shell.
    const cached = await caches.match(PAGE, {ignoreSearch: true});
    if (!cached) throw error;
    return cached;
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request, {ignoreSearch: true});
  return cached || fetch(request);
}
