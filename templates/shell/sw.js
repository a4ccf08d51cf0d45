// Bluebird service worker: a versioned app shell, the field pages kept for offline use
// (network first, the last copy when the network fails), and the offline notice.
// The outbox itself lives in IndexedDB (static/outbox.js): nothing here touches it, so
// an update of this worker can never drop or strand a queued submission.
const VERSION = "{{ version }}";
const SHELL_CACHE = "bluebird-shell-" + VERSION;
const PAGES_CACHE = "bluebird-pages";  // one person's pages only (USER_KEY says whose)
const USER_KEY = "/__bluebird_user";
const SHELL = {{ shell | tojson }};
const FIELD_PAGES = {{ field_pages | tojson }};
const OFFLINE_URL = "{{ url_for('shell.offline') }}";
const UPLOAD_LOCK = "{{ lock }}";

function waitForUploads() {
  // An upload in progress holds this lock (static/outbox.js): take over only after it.
  if (!(self.navigator && self.navigator.locks)) return Promise.resolve();
  return self.navigator.locks.request(UPLOAD_LOCK, () => null);
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    // The static URLs carry ?v=<hash of the static files>, so the HTTP cache's copy is
    // this build's: the files the page just loaded are not downloaded a second time.
    caches.open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(waitForUploads)
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

function isFieldPage(url) {
  return FIELD_PAGES.some((prefix) => url.pathname === prefix || url.pathname.startsWith(prefix));
}

// Keep a page only when it is a whole page of the signed-in person; a page of somebody
// else (or the login page after a logout) empties the cache first.
function keep(request, response) {
  const user = response.headers.get("X-Bluebird-User");
  const type = response.headers.get("Content-Type") || "";
  if (!type.startsWith("text/html") || response.redirected) return Promise.resolve();
  if (!user) return caches.delete(PAGES_CACHE);  // signed out (the login page): nobody's pages stay
  return caches.open(PAGES_CACHE).then((cache) => cache.match(USER_KEY).then((hit) => hit ? hit.text() : "")
    .then((owner) => {
      const fresh = owner && owner !== user ? caches.delete(PAGES_CACHE).then(() => caches.open(PAGES_CACHE)) : Promise.resolve(cache);
      return fresh.then((c) => Promise.all([
        c.put(USER_KEY, new Response(user)),
        response.status === 200 && isFieldPage(new URL(request.url)) ? c.put(request.url, response) : null,
      ]));
    }));
}

function fromCache(url) {
  return caches.open(PAGES_CACHE).then((cache) => cache.match(url, { ignoreVary: true }));
}

// The windows whose page came from the server just now: they know it is reachable
// without asking (static/outbox.js). Forgotten when the worker stops: then they ask.
const FRESH = new Set();

function page(event, boosted) {
  const request = event.request;
  return fetch(request).then((response) => {
    if (!boosted && event.resultingClientId) {
      if (FRESH.size > 64) FRESH.clear();
      FRESH.add(event.resultingClientId);
    }
    event.waitUntil(keep(request, response.clone()).catch(() => null));
    return response;
  }, () => fromCache(request.url).then((hit) => {
    if (hit) return hit;
    // htmx's request fails as a network error: static/app.js makes it a real navigation,
    // which gets the offline notice below (a boosted swap of it would lose the address).
    return boosted ? Response.error() : caches.match(OFFLINE_URL);
  }));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // A full navigation, or htmx's boosted one (a whole page by XHR): the same page.
  const boosted = request.headers.get("HX-Boosted") === "true" || request.headers.get("HX-History-Restore-Request") === "true";
  if (request.mode === "navigate" || boosted) {
    event.respondWith(page(event, request.mode !== "navigate"));
    return;
  }
  if (SHELL.includes(url.pathname + url.search)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});

// The page asks for field pages to be kept ahead (a round's items), or to forget them.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "warm" && Array.isArray(data.urls)) {
    // Only field pages are ever kept: fetching another (the 报表 tab) would be thrown away,
    // and fetched again on every page that asks (10+ KB a navigation, issue 16).
    const kept = data.urls.filter((path) => isFieldPage(new URL(path, self.location.origin)));
    event.waitUntil(kept.reduce((chain, path) => chain.then(() => {
      const url = new URL(path, self.location.origin).href;
      return fromCache(url).then((hit) => hit && !data.refresh ? null
        // Said to be a prefetch: nobody looked at it (bench/http.py counts these apart).
        : fetch(url, { credentials: "same-origin", headers: { Purpose: "prefetch" } })
          .then((r) => keep(new Request(url), r)).catch(() => null));
    }), Promise.resolve()));
  } else if (data.type === "served" && event.ports && event.ports[0]) {
    event.ports[0].postMessage({ fresh: Boolean(event.source && FRESH.delete(event.source.id)) });
  } else if (data.type === "forget") {
    event.waitUntil(caches.delete(PAGES_CACHE));
  }
});

// Background Sync where the browser has it (Chromium): wake an open page's outbox. The
// outbox does not depend on it: it also replays on load, online, visibility and a timer.
self.addEventListener("sync", (event) => {
  if (event.tag !== "bluebird-outbox") return;
  event.waitUntil(self.clients.matchAll({ type: "window" })
    .then((windows) => windows.forEach((w) => w.postMessage({ type: "replay" }))));
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
