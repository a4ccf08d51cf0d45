// Bluebird service worker: a versioned app shell and an offline page for navigations.
const VERSION = "{{ version }}";
const SHELL_CACHE = "bluebird-shell-" + VERSION;
const SHELL = {{ shell | tojson }};
const OFFLINE_URL = "{{ url_for('shell.offline') }}";

self.addEventListener("install", (event) => {
  event.waitUntil(
    // cache: "reload" goes past the HTTP cache: a new shell is always the new build
    // (static URLs carry ?v=<hash of the static files> as well).
    caches.open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith("bluebird-shell-") && k !== SHELL_CACHE).map((k) => caches.delete(k))
      ))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Pages are always fresh from the network (they carry live duties); offline gets the notice.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (SHELL.includes(url.pathname + url.search)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});
