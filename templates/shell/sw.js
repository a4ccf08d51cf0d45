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

// ---- Notifications (bluebird/notify): show every push, open the exact item on a tap,
// and subscribe again when the browser rotates the subscription.
const PUSH_CONFIG_URL = "{{ url_for('notify.push_config') }}";
const NOTIFY_ICON = "{{ url_for('static', filename='icons/icon-192.png') }}";

self.addEventListener("push", (event) => {
  let data = {};
  if (event.data) {
    try { data = event.data.json(); } catch (e) { data = { body: event.data.text() }; }
  }
  // Always show a notification (userVisibleOnly): a silent push would cost the permission.
  event.waitUntil(self.registration.showNotification(data.title || "Bluebird", {
    body: data.body || "",
    tag: data.tag || "bluebird",
    renotify: true,
    requireInteraction: Boolean(data.urgent),
    icon: NOTIFY_ICON,
    badge: NOTIFY_ICON,
    timestamp: Date.now(),
    data: { url: data.url || "/notifications/", item: data.item || "" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const target = new URL(data.url || "/notifications/", self.location.origin).href;
  const item = data.item ? new URL(data.item, self.location.origin).href : "";
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
    // The item is already open: bring that window forward (and mark the notice read).
    const showing = windows.find((w) => item && w.url === item);
    if (showing) {
      fetch(target, { credentials: "same-origin", redirect: "manual" }).catch(() => {});
      return showing.focus();
    }
    // Else reuse a Bluebird window: focus it and open the item there.
    const ours = windows.find((w) => new URL(w.url).origin === self.location.origin);
    if (ours) {
      return ours.focus().then((w) => (w || ours).navigate(target)).catch(() => self.clients.openWindow(target));
    }
    return self.clients.openWindow(target);
  }));
});

function pushKeyBytes(base64url) {
  const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

self.addEventListener("pushsubscriptionchange", (event) => {
  const old = event.oldSubscription;
  event.waitUntil(
    fetch(PUSH_CONFIG_URL, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error("not signed in"))))
      .then((cfg) => Promise.resolve(event.newSubscription || self.registration.pushManager.subscribe(
        { userVisibleOnly: true, applicationServerKey: pushKeyBytes(cfg.key) }))
        .then((sub) => fetch(cfg.subscribe, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": cfg.csrf },
          body: JSON.stringify(Object.assign(sub.toJSON(), { old_endpoint: old ? old.endpoint : "" })),
        })))
      .catch(() => {})  // signed out or offline: the page re-sends it on the next visit
  );
});
