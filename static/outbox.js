// Bluebird outbox: every submission made without signal is kept on the device and sent
// exactly once when the signal returns.
//
// - Capture: a boosted (htmx) form whose request cannot be sent (htmx:sendError), or is
//   made while the server is known to be out of reach (htmx:beforeRequest); a plain form
//   posted while out of reach; a photo upload that failed (static/photos.js hands it
//   over). Pages need no offline code of their own.
// - An item holds its client_uuid, URL, method, fields and each photo (already
//   downscaled by photos.js) as an ArrayBuffer with its MIME type and name: iOS Safari
//   cannot keep Blob/File objects in IndexedDB. An item is never edited once kept; the
//   form gets a new client_uuid, so a later change is a new item.
// - Replay: on load, `online`, visibility, a timer, Background Sync where it exists, and
//   the 立即上传 button. Oldest first, one at a time, with backoff (503 Retry-After is
//   honoured); an item leaves only after the server's success answer. The server's
//   client_uuid makes a repeat of an answer that was saved but not acknowledged one row.
// - Refusals (409 checklist changed, case closed, key already returned, 401 / the login
//   page) stay with the server's own message until the user retries or discards them.
// - Reachability is asked of the server (GET /ping, never cached), not navigator.onLine;
//   a page the server has just sent (the worker says so) needs no asking.
// - Export / import: all waiting items as one file; on another browser its owner imports
//   it (待上传 › 导入文件), checked whole, into that browser's outbox and the same replay.
// No inline scripts (strict CSP). IndexedDB through the vendored idb (static/vendor/).
(function () {
  "use strict";

  var DB_NAME = "bluebird-outbox";
  var DB_VERSION = 1;
  var STORE = "items";
  var META = "meta";
  var LOCK = "bluebird-outbox-upload"; // the service worker waits for it before an update
  var TIMER_MS = 30000;
  var PING_TIMEOUT_MS = 4000;
  var SEND_TIMEOUT_MS = 60000;
  var MAX_BACKOFF_MS = 5 * 60000;

  var config = null; // #outbox-config: the user and the page's words
  var reachable = null; // null: not asked yet; false: the last ping or send failed
  var running = null; // the replay in progress (a promise)
  var listeners = [];

  // ---- The database ----------------------------------------------------------------------

  var dbPromise = null;

  function upgrade(db, oldVersion) {
    // Each version's step runs once, in order: a new version adds a step, never edits one.
    if (oldVersion < 1) {
      var items = db.createObjectStore(STORE, { keyPath: "id" });
      items.createIndex("created", "created");
      db.createObjectStore(META);
    }
  }

  function open() {
    if (!dbPromise) {
      dbPromise = window.idb.openDB(DB_NAME, DB_VERSION, {
        upgrade: upgrade,
        // iOS closes databases under memory pressure: open again on the next use.
        terminated: function () { dbPromise = null; },
        blocking: function (current, blockedVersion, evt) {
          // A newer page wants a new schema: let it have the database.
          if (evt && evt.target) evt.target.close();
          dbPromise = null;
        }
      });
      dbPromise.catch(function () { dbPromise = null; });
    }
    return dbPromise;
  }

  // Run fn(db); once more on a closed connection (InvalidStateError) with a fresh one.
  function withDb(fn) {
    return open().then(fn).catch(function (err) {
      if (!err || (err.name !== "InvalidStateError" && err.name !== "TransactionInactiveError")) throw err;
      dbPromise = null;
      return open().then(fn);
    });
  }

  function allItems() {
    return withDb(function (db) { return db.getAllFromIndex(STORE, "created"); });
  }

  function getItem(id) {
    return withDb(function (db) { return db.get(STORE, id); });
  }

  function putItem(item) {
    return withDb(function (db) { return db.put(STORE, item); });
  }

  function deleteItem(id) {
    return withDb(function (db) { return db.delete(STORE, id); });
  }

  function patch(id, changes) {
    return withDb(function (db) {
      var tx = db.transaction(STORE, "readwrite");
      return tx.store.get(id).then(function (item) {
        if (!item) return null;
        Object.keys(changes).forEach(function (k) { item[k] = changes[k]; });
        return tx.store.put(item).then(function () { return tx.done; }).then(function () { return item; });
      });
    });
  }

  function meta(key, value) {
    return withDb(function (db) {
      return value === undefined ? db.get(META, key) : db.put(META, value, key);
    });
  }

  // ---- Words and small helpers ---------------------------------------------------------------

  function readConfig() {
    var el = document.getElementById("outbox-config");
    config = el ? el.dataset : null;
    return config;
  }

  function msg(name, params) {
    var text = (config && config["msg" + name.charAt(0).toUpperCase() + name.slice(1)]) || "";
    Object.keys(params || {}).forEach(function (k) { text = text.split("{" + k + "}").join(params[k]); });
    return text;
  }

  // The one UUID maker of the front end (app.js stamps forms with it; loaded after this).
  // Plain http on an office LAN is not a secure context: without randomUUID, build a v4 by hand.
  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  window.BluebirdUuid4 = uuid4;

  function toast(text) {
    var note = document.getElementById("outbox-toast");
    if (!note) return;
    note.textContent = text;
    note.hidden = false;
    window.clearTimeout(toast.timer);
    toast.timer = window.setTimeout(function () { note.hidden = true; }, 4000);
  }

  // Whether a form's submission belongs in the outbox: a POST of this site, not the
  // login, logout or language forms, and not a form that says data-no-outbox.
  function eligible(form, method, url) {
    if (!config || !form || (method || "").toUpperCase() !== "POST") return false;
    if (form.hasAttribute && form.hasAttribute("data-no-outbox")) return false;
    var target = new URL(url || form.getAttribute("action") || location.href, location.href);
    if (target.origin !== location.origin) return false;
    return !/^\/(login|logout|language|me\/|ping)/.test(target.pathname);
  }

  // ---- Keeping a submission ----------------------------------------------------------------

  function describe(form) {
    var parts = [];
    var head = document.querySelector("main h1");
    if (head) parts.push(head.textContent.trim());
    var card = form.closest("[data-round-item]");
    var item = card && card.querySelector(".item-text");
    if (item) parts.push(item.textContent.trim());
    var result = form.querySelector("[name=result]");
    var button = form.querySelector("[type=submit], button:not([type])");
    if (result && button) parts.push(button.textContent.trim());
    else if (!item) {
      // What was typed says more than a field's name: the unit, then the first words.
      var typed = ["[name=unit_code]", "textarea", "[name=description]", "[name=name]", "[name=note]", "[name=text]"]
        .map(function (sel) { var input = form.querySelector(sel); return input && input.value ? input.value.trim() : ""; })
        .filter(Boolean);
      var said = typed.filter(function (v, i) { return typed.indexOf(v) === i; }).slice(0, 2)
        .map(function (v) { return v.length > 30 ? v.slice(0, 30) + "…" : v; });
      if (said.length) parts = parts.concat(said);
      else {
        var legend = form.querySelector("h2, legend, label");
        if (legend) parts.push(legend.textContent.trim());
      }
    }
    return parts.filter(Boolean).join(" · ").replace(/\s+/g, " ").slice(0, 200);
  }

  // Fields as [name, value] pairs; files (Blob/File) as {field, name, type, data: ArrayBuffer}.
  function unpack(data) {
    var fields = [], files = [], reads = [];
    data.forEach(function (value, name) {
      if (typeof value === "string") {
        fields.push([name, value]);
        return;
      }
      if (!value || !value.size) return; // an empty file input
      var file = { field: name, name: value.name || "photo.jpg", type: value.type || "application/octet-stream", data: null, size: value.size };
      files.push(file);
      var prepared = value instanceof File && window.BluebirdPhotos && !/^image\/jpeg$/.test(value.type)
        ? window.BluebirdPhotos.prepare(value).then(function (p) { file.name = p.name; file.type = p.blob.type || file.type; return p.blob; })
        : Promise.resolve(value);
      reads.push(prepared.then(function (blob) { return blob.arrayBuffer(); }).then(function (buffer) {
        file.data = buffer;
        file.size = buffer.byteLength;
      }));
    });
    return Promise.all(reads).then(function () { return { fields: fields, files: files }; });
  }

  function sizeOf(item) {
    var n = 0;
    item.fields.forEach(function (f) { n += f[0].length + f[1].length; });
    item.files.forEach(function (f) { n += f.size; });
    return n;
  }

  // Keep one submission. Resolves with the item once it is safely in IndexedDB.
  function capture(form, data, url, method, waitMs) {
    if (!config) readConfig();
    url = new URL(url || form.getAttribute("action") || location.href, location.href);
    return unpack(data).then(function (parts) {
      var uuidField = parts.fields.filter(function (f) { return f[0] === "client_uuid"; })[0];
      if (!uuidField) {
        uuidField = ["client_uuid", ""];
        parts.fields.push(uuidField);
      }
      if (!uuidField[1]) uuidField[1] = uuid4();
      var item = {
        id: uuidField[1],
        user: config ? config.user : "",
        userName: config ? config.userName : "",
        url: url.pathname + url.search,
        method: (method || form.getAttribute("method") || "post").toUpperCase(),
        fields: parts.fields,
        files: parts.files,
        label: describe(form),
        page: location.pathname + location.search,
        created: Date.now(),
        attempts: 0,
        state: "waiting", // waiting | refused
        lastError: "",
        status: 0,
        nextAt: waitMs > 0 ? Date.now() + waitMs : 0 // a 503's Retry-After
      };
      item.size = sizeOf(item);
      return getItem(item.id).then(function (existing) {
        // The same client_uuid again (a double tap): it is the same submission, kept once.
        return existing || putItem(item).then(function () { return item; });
      });
    }).then(function (item) {
      afterCapture(form, item);
      askPersistence();
      changed();
      // A busy server said when to come back (Retry-After): the timer for held items does
      // it; neither a sync wake-up (it forces) nor the early retry below goes before.
      if (waitMs > 0) return item;
      registerSync();
      // A failed send while the phone thinks it is online (a dropped connection): try
      // again soon; the ping decides whether the server is there.
      window.setTimeout(function () { replay(false); }, 3000);
      return item;
    });
  }

  // What the user sees: it is kept; the form is fresh (a new client_uuid); a round goes on.
  function afterCapture(form, item) {
    toast(msg("saved"));
    var card = form.closest("[data-round-item]");
    if (card) {
      var next = nextItemUrl(card, item);
      if (next) {
        window.location.assign(next);
        return;
      }
    }
    if (form.isConnected) {
      form.reset();
      form.querySelectorAll("input[data-client-uuid], input[name=client_uuid]").forEach(function (i) { i.value = uuid4(); });
      var first = form.querySelector("input:not([type=hidden]), textarea");
      if (first && first.focus) first.focus();
    }
  }

  // ---- The round: answered offline, on to the next item -------------------------------------

  function roundOf(url) {
    var m = /\/rounds\/(\d+)\/items\/(\d+)/.exec(url || "");
    return m ? { round: m[1], item: m[2] } : null;
  }

  function itemLinks() {
    return Array.prototype.slice.call(document.querySelectorAll(".all-items .item-list a[href*='item=']"));
  }

  function linkItem(a) {
    return new URL(a.href, location.href).searchParams.get("item");
  }

  function queuedItemsOfRound(items, round) {
    var ids = {};
    items.forEach(function (it) {
      var r = roundOf(it.url);
      if (r && r.round === round) ids[r.item] = it;
    });
    return ids;
  }

  var queuedCache = []; // the outbox as last read (for the round's next item)

  function nextItemUrl(card, item) {
    var here = roundOf(item.url);
    if (!here) return null;
    var queued = queuedItemsOfRound(queuedCache.concat([item]), here.round);
    var links = itemLinks();
    var at = links.map(linkItem).indexOf(here.item);
    var order = links.slice(at + 1).concat(links.slice(0, Math.max(at, 0)));
    var open = order.filter(function (a) {
      var li = a.closest("li");
      return !queued[linkItem(a)] && li && li.classList.contains("result-none");
    });
    var target = open[0] || null;
    if (!target) return location.pathname; // every item answered or kept: the round's own page
    return target.getAttribute("href");
  }

  // Mark a round's kept answers, and say so when the item on screen is already kept.
  function decorateRound(items) {
    var links = itemLinks();
    if (!links.length) return;
    var m = /\/rounds\/(\d+)/.exec(location.pathname);
    if (!m) return;
    var queued = queuedItemsOfRound(items, m[1]);
    links.forEach(function (a) {
      var li = a.closest("li");
      var mark = li.querySelector("[data-outbox-mark]");
      if (queued[linkItem(a)] && !mark) {
        mark = document.createElement("span");
        mark.className = "badge badge-queued";
        mark.setAttribute("data-outbox-mark", "");
        mark.textContent = msg("queued");
        li.appendChild(mark);
      } else if (!queued[linkItem(a)] && mark) {
        mark.remove();
      }
    });
    var card = document.querySelector("[data-round-item]");
    var current = card && card.querySelector("[name=item_id]");
    var note = card && card.querySelector("[data-outbox-note]");
    if (current && queued[current.value] && !note) {
      note = document.createElement("p");
      note.className = "hint outbox-note";
      note.setAttribute("data-outbox-note", "");
      note.textContent = msg("saved");
      card.insertBefore(note, card.querySelector(".answer-buttons"));
    }
  }

  // While online, keep every item of the round ahead, so the next one opens offline.
  function warmRound() {
    var links = itemLinks();
    if (!links.length || !navigator.serviceWorker || !navigator.serviceWorker.controller) return;
    var urls = links.map(function (a) { return a.getAttribute("href"); });
    urls.push(location.pathname, config ? config.outboxUrl : "/outbox");
    navigator.serviceWorker.controller.postMessage({ type: "warm", urls: urls });
  }

  // The tab bar's pages and 待上传, kept once (the worker keeps field pages only).
  function warmBasics(also) {
    if (!config || !navigator.serviceWorker || !navigator.serviceWorker.controller) return;
    var urls = Array.prototype.map.call(document.querySelectorAll("nav.tabbar a[href], nav.topnav a[href]"),
      function (a) { return a.getAttribute("href"); });
    urls.push(config.outboxUrl);
    if (also) urls = urls.concat(also);
    navigator.serviceWorker.controller.postMessage({ type: "warm", urls: urls });
  }

  // ---- Reachability ----------------------------------------------------------------------------

  // True when the server sent this page just now (no worker in between, or the worker says
  // it fetched it), null when that is not known (its copy from earlier, an older worker):
  // then the server is asked. A ping on every page was 740 bytes a navigation (issue 16).
  function pageFromNetwork() {
    var sw = navigator.serviceWorker;
    if (!sw || !sw.controller) return Promise.resolve(true);
    return withTimeout(new Promise(function (resolve) {
      var channel = new MessageChannel();
      channel.port1.onmessage = function (e) { resolve(e.data && e.data.fresh ? true : null); };
      sw.controller.postMessage({ type: "served" }, [channel.port2]);
    }), 1000).catch(function () { return null; });
  }

  function withTimeout(promise, ms) {
    return new Promise(function (resolve, reject) {
      var timer = window.setTimeout(function () { reject(new Error("timeout")); }, ms);
      promise.then(function (v) { window.clearTimeout(timer); resolve(v); },
        function (e) { window.clearTimeout(timer); reject(e); });
    });
  }

  // Resolves {user, csrf} from the server, or null when it cannot be reached.
  function ping() {
    if (!config) return Promise.resolve(null);
    var url = config.pingUrl + "?t=" + Date.now();
    return withTimeout(fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } }), PING_TIMEOUT_MS)
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error(String(r.status))); })
      .then(function (body) { setReachable(true); return body; },
        function () { setReachable(false); return null; });
  }

  function setReachable(value) {
    if (reachable === value) return;
    reachable = value;
    showBanner();
    if (value === false) refreshNow();
  }

  // A page kept from earlier shows the time it was made as "now" in its time fields (a
  // visitor's time in): untouched ones get the phone's clock, so the answer says when.
  function refreshNow() {
    var d = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var now = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
    document.querySelectorAll("input[type=datetime-local]").forEach(function (input) {
      if (input.value && input.value === input.defaultValue && !input.dataset.touched) input.value = now;
    });
  }
  document.addEventListener("input", function (evt) {
    if (evt.target && evt.target.type === "datetime-local") evt.target.dataset.touched = "1";
  });

  function isOffline() {
    return navigator.onLine === false || reachable === false;
  }

  function showBanner() {
    var banner = document.getElementById("offline-banner");
    if (!banner) return;
    var off = isOffline();
    if (off && banner.dataset.text) banner.textContent = banner.dataset.text.replace("{time}", banner.dataset.savedAt || "");
    banner.hidden = !off;
  }

  // ---- Replay ----------------------------------------------------------------------------------

  function backoff(attempts) {
    return Math.min(MAX_BACKOFF_MS, 2000 * Math.pow(2, Math.max(0, attempts - 1)));
  }

  // The server's own words for a refusal: the message next to the field or at the top.
  function messageOf(html) {
    try {
      var doc = new DOMParser().parseFromString(html || "", "text/html");
      var picks = ["main .flash-error", "main [role=alert]", "main .has-error .error", "main .error", "main h1"];
      for (var i = 0; i < picks.length; i++) {
        var el = doc.querySelector(picks[i]);
        if (el && el.textContent.trim()) return el.textContent.trim().replace(/\s+/g, " ").slice(0, 300);
      }
      return "";
    } catch (e) {
      return "";
    }
  }

  function isLogin(url) {
    if (!url || !config) return false;
    return new URL(url, location.href).pathname === new URL(config.loginUrl, location.href).pathname;
  }

  function send(item, csrf) {
    var data = new FormData();
    item.fields.forEach(function (f) { data.append(f[0], f[0] === "csrf_token" && csrf ? csrf : f[1]); });
    item.files.forEach(function (f) { data.append(f.field, new Blob([f.data], { type: f.type }), f.name); });
    var headers = { Accept: "text/html", "X-Bluebird-Upload": "1", "X-Bluebird-Replay": item.id };
    if (csrf) headers["X-CSRFToken"] = csrf;
    return patch(item.id, { attempts: item.attempts + 1, startedAt: Date.now(), state: "waiting" }).then(function () {
      return withTimeout(fetch(item.url, { method: item.method, body: data, credentials: "same-origin", headers: headers }), SEND_TIMEOUT_MS);
    }).then(function (response) {
      var target = response.headers.get("X-Bluebird-Redirect");
      if ((target && isLogin(target)) || (response.redirected && isLogin(response.url)) || response.status === 401) {
        return refuse(item, 401, msg("session"));
      }
      if (response.ok) return deleteItem(item.id).then(function () { return "sent"; });
      var status = response.status;
      if (status === 503 || status === 429 || status >= 500) {
        var after = parseInt(response.headers.get("Retry-After") || "", 10);
        var wait = after > 0 ? after * 1000 : backoff(item.attempts + 1);
        return patch(item.id, {
          nextAt: Date.now() + wait, status: status,
          lastError: status === 503 ? msg("busy") : msg("server", { status: status })
        }).then(function () { return "later"; });
      }
      return response.text().then(function (html) {
        return refuse(item, status, messageOf(html) || msg("refused", { status: status }));
      });
    }, function () {
      // No answer: nothing is known to be saved; the same client_uuid goes again later.
      setReachable(false);
      return patch(item.id, { nextAt: Date.now() + backoff(item.attempts + 1), lastError: msg("network"), status: 0 })
        .then(function () { return "offline"; });
    });
  }

  function refuse(item, status, text) {
    return patch(item.id, { state: "refused", status: status, lastError: text }).then(function () { return "refused"; });
  }

  function withLock(fn) {
    if (navigator.locks && navigator.locks.request) {
      return navigator.locks.request(LOCK, { ifAvailable: true }, function (lock) {
        return lock ? fn() : null; // another tab is uploading
      });
    }
    return fn();
  }

  // Send what is due, oldest first, one at a time. force: ignore the backoff (the button).
  function replay(force) {
    if (running) return running;
    if (!config) readConfig();
    if (!config) return Promise.resolve();
    running = allItems().then(function (items) {
      queuedCache = items;
      function isDue(it, who) {
        // Refused only because nobody (or somebody else) was signed in: due again once he is.
        var relogged = it.state === "refused" && it.status === 401 && who && String(who.user || "") === String(it.user || "");
        return (it.state !== "refused" || relogged) && (force || relogged || !it.nextAt || it.nextAt <= Date.now());
      }
      if (!items.length) return reachable === true ? null : ping();
      if (!items.some(function (it) { return isDue(it, null) || (it.state === "refused" && it.status === 401); })) return null;
      return withLock(function () {
        return ping().then(function (who) {
          if (!who) return null;
          var due = items.filter(function (it) { return isDue(it, who); });
          setStatus("sending");
          return due.reduce(function (chain, item) {
            return chain.then(function (stop) {
              if (stop) return stop;
              if (String(who.user || "") !== String(item.user || "")) {
                // Saved by somebody else on this phone, or the session ended: keep it.
                if (!who.user) return refuse(item, 401, msg("session")).then(function () { return null; });
                return refuse(item, 401, msg("otherUser", { name: item.userName || "" })).then(function () { return null; });
              }
              return send(item, who.csrf).then(function (outcome) {
                changed();
                return outcome === "offline" ? "stop" : null;
              });
            });
          }, Promise.resolve(null));
        });
      });
    }).catch(function () { return null; }).then(function () {
      running = null;
      setStatus("");
      return changed();
    }).then(function (items) {
      scheduleNext(items);
      return items;
    });
    return running;
  }

  // An item held back (a 500, a 503's Retry-After) is tried again when its wait is over.
  var nextTimer = null;
  function scheduleNext(items) {
    window.clearTimeout(nextTimer);
    var waits = (items || []).filter(function (it) { return it.state !== "refused" && it.nextAt; })
      .map(function (it) { return it.nextAt - Date.now(); });
    if (!waits.length || reachable === false) return;
    nextTimer = window.setTimeout(function () { replay(false); }, Math.max(200, Math.min.apply(null, waits)));
  }

  function retry(id) {
    return patch(id, { state: "waiting", nextAt: 0, lastError: "", status: 0 }).then(changed).then(function () { return replay(true); });
  }

  function discard(id) {
    return deleteItem(id).then(changed);
  }

  // ---- What the pages show -----------------------------------------------------------------

  var status = "";

  function setStatus(value) {
    status = value;
    listeners.forEach(function (fn) { fn({ status: status }); });
  }

  function changed() {
    return allItems().then(function (items) {
      queuedCache = items;
      document.querySelectorAll("[data-outbox-badge]").forEach(function (badge) {
        badge.hidden = !items.length;
        badge.classList.toggle("has-refused", items.some(function (it) { return it.state === "refused"; }));
        var count = badge.querySelector("[data-outbox-count]");
        if (count) count.textContent = String(items.length);
      });
      decorateRound(items);
      listeners.forEach(function (fn) { fn({ items: items, status: status }); });
      return items;
    }).catch(function () { return []; });
  }

  function askPersistence() {
    if (!navigator.storage || !navigator.storage.persist) return;
    meta("persistAsked").then(function (asked) {
      if (asked) return;
      return navigator.storage.persist().then(function (granted) { return meta("persistAsked", { at: Date.now(), granted: granted }); });
    }).catch(function () {});
  }

  function registerSync() {
    if (!navigator.serviceWorker) return;
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync && reg.sync.register) return reg.sync.register("bluebird-outbox");
    }).catch(function () {});
  }

  // ---- Export: every waiting item as one file the office can import ---------------------------
  // Format "bluebird-outbox" version 2: version 1 plus who exported it (exported_by) and
  // each item's page. Version 1 files (no exported_by) are still read; see readImport.

  var FORMAT = "bluebird-outbox";
  var FORMAT_VERSION = 2;

  function base64(buffer) {
    var bytes = new Uint8Array(buffer), chunks = [];
    for (var i = 0; i < bytes.length; i += 0x8000) chunks.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000)));
    return btoa(chunks.join(""));
  }

  function exporter() {
    var page = document.querySelector("[data-outbox-page]");
    return {
      id: config ? config.user : "",
      username: config ? config.userName : "",
      name: (page && page.dataset.userFullName) || (config ? config.userName : "")
    };
  }

  function exportAll() {
    if (!config) readConfig();
    return allItems().then(function (items) {
      var who = exporter();
      var body = {
        format: FORMAT, version: FORMAT_VERSION, exported_at: new Date().toISOString(),
        exported_by: who, origin: location.origin,
        items: items.map(function (it) {
          return {
            client_uuid: it.id, user: it.user, user_name: it.userName, url: it.url, method: it.method,
            label: it.label, page: it.page || "", created: new Date(it.created).toISOString(), attempts: it.attempts,
            last_error: it.lastError, fields: it.fields.filter(function (f) { return f[0] !== "csrf_token"; }),
            files: it.files.map(function (f) { return { field: f.field, name: f.name, type: f.type, data: base64(f.data) }; })
          };
        })
      };
      var blob = new Blob([JSON.stringify(body)], { type: "application/json" });
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      var d = new Date();
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      var stamp = d.getFullYear() + pad(d.getMonth() + 1) + pad(d.getDate()) + "-" + pad(d.getHours()) + pad(d.getMinutes());
      a.download = "bluebird-outbox-" + (who.username || "").replace(/[^\w.-]/g, "") + "-" + stamp + ".json";
      document.body.appendChild(a);
      a.click();
      window.setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      return items.length;
    });
  }

  // ---- Import: an exported file, on any browser where its owner is signed in -----------------
  // The file is untrusted input. It grants nothing: its items join THIS browser's outbox
  // and go through the same replay as any other, under the current login, with this
  // session's CSRF token, so the server checks them as if typed here and attributes them
  // to the signed-in person. That is why an item is queued only when the signed-in person
  // is the one who took it (its `user`): a supervisor importing a butler's file would put
  // the butler's work under the supervisor's name. A version 1 file does not say who
  // exported it: the importer confirms the items are his own. The checks below refuse a
  // file that is not ours (format, version, size), an item aimed anywhere but a field
  // form of this app (same origin, IMPORT_PATHS in bluebird/shell/views.py), and a photo
  // that is not a photo (MIME type and its first bytes). The same client_uuid twice, or an
  // item the server already has, is harmless: the server answers a replay without doubling.

  var IMPORT_MAX_BYTES = 200 * 1048576; // a file: days of work with photos
  var IMPORT_MAX_ITEMS = 2000;
  var IMPORT_MAX_PHOTO = 25 * 1048576;
  var IMPORT_MAX_FIELDS = 300;
  var IMPORT_MAX_VALUE = 100000;
  var UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  var PHOTO_TYPES = {
    "image/jpeg": function (b) { return b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff; },
    "image/png": function (b) { return b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47; },
    "image/webp": function (b) { return ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP"; },
    "image/heic": function (b) { return ascii(b, 4, 8) === "ftyp"; },
    "image/heif": function (b) { return ascii(b, 4, 8) === "ftyp"; }
  };

  function ascii(bytes, from, to) {
    return String.fromCharCode.apply(null, Array.prototype.slice.call(bytes, from, to));
  }

  function unbase64(text) {
    var raw = atob(text);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function ImportError(key, params) {
    this.key = key;
    this.params = params || {};
  }

  // An app path of this origin that a field form posts to, normalised ("/a/../b" is "/b"),
  // or null. allowed: the path prefixes the server lists (data-import-paths).
  function appPath(value, allowed) {
    if (typeof value !== "string" || value.charAt(0) !== "/" || /^\/[\/\\]/.test(value) || /[\s\\]/.test(value)) return null;
    var url;
    try {
      url = new URL(value, location.origin);
    } catch (e) {
      return null;
    }
    if (url.origin !== location.origin) return null;
    if (allowed && !allowed.some(function (p) { return url.pathname.indexOf(p) === 0; })) return null;
    return url.pathname + url.search;
  }

  function checkFields(fields, at) {
    if (!Array.isArray(fields) || fields.length > IMPORT_MAX_FIELDS) throw new ImportError("badItem", { n: at });
    return fields.filter(function (f) {
      if (!Array.isArray(f) || f.length !== 2 || typeof f[0] !== "string" || typeof f[1] !== "string"
          || !f[0] || f[0].length > 100 || f[1].length > IMPORT_MAX_VALUE) throw new ImportError("badItem", { n: at });
      return f[0] !== "csrf_token"; // this session's token is put in when it is sent
    }).map(function (f) { return [f[0], f[1]]; });
  }

  function checkFiles(files, at) {
    if (!Array.isArray(files) || files.length > 20) throw new ImportError("badItem", { n: at });
    return files.map(function (f) {
      if (!f || typeof f.field !== "string" || !f.field || typeof f.data !== "string") throw new ImportError("badItem", { n: at });
      var type = String(f.type || "").toLowerCase();
      if (!PHOTO_TYPES[type]) throw new ImportError("badPhoto", { n: at, type: type || "?" });
      var bytes;
      try {
        bytes = unbase64(f.data);
      } catch (e) {
        throw new ImportError("badPhoto", { n: at, type: type });
      }
      if (!bytes.length || bytes.length > IMPORT_MAX_PHOTO || !PHOTO_TYPES[type](bytes)) throw new ImportError("badPhoto", { n: at, type: type });
      var name = String(f.name || "photo").replace(/[\/\\\u0000-\u001f]/g, "").slice(0, 100) || "photo";
      return { field: f.field, name: name, type: type, data: bytes.buffer, size: bytes.length };
    });
  }

  // Read and check a file; resolves {exporter, version, items: [{item, owner, state}]},
  // state "new" (to queue), "here" (already in this outbox), "other" (another person's).
  // Rejects with an ImportError whose key names the page's message.
  function readImport(file, allowed, maxRequest) {
    if (!config) readConfig();
    if (!file) return Promise.reject(new ImportError("notOurs"));
    if (file.size > IMPORT_MAX_BYTES) return Promise.reject(new ImportError("tooBig", { size: kb(file.size), max: kb(IMPORT_MAX_BYTES) }));
    return file.text().then(function (text) {
      var body;
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw new ImportError("notOurs");
      }
      if (!body || typeof body !== "object" || body.format !== FORMAT) throw new ImportError("notOurs");
      if (body.version !== 1 && body.version !== 2) throw new ImportError("version", { version: String(body.version) });
      if (!Array.isArray(body.items)) throw new ImportError("notOurs");
      if (!body.items.length) throw new ImportError("emptyFile");
      if (body.items.length > IMPORT_MAX_ITEMS) throw new ImportError("tooMany", { n: body.items.length, max: IMPORT_MAX_ITEMS });
      var by = body.version >= 2 && body.exported_by && typeof body.exported_by === "object" ? body.exported_by : null;
      if (body.version >= 2 && (!by || by.id === undefined || by.id === null || by.id === "")) throw new ImportError("notOurs");
      var seen = {};
      var items = body.items.map(function (raw, i) {
        var at = i + 1;
        if (!raw || typeof raw !== "object" || typeof raw.client_uuid !== "string" || !UUID_RE.test(raw.client_uuid)) {
          throw new ImportError("badItem", { n: at });
        }
        if (String(raw.method || "POST").toUpperCase() !== "POST") throw new ImportError("badItem", { n: at });
        var url = appPath(raw.url, allowed);
        if (!url) throw new ImportError("badUrl", { n: at, url: String(raw.url).slice(0, 80) });
        var fields = checkFields(raw.fields, at);
        var uuidField = fields.filter(function (f) { return f[0] === "client_uuid"; });
        if (uuidField.length > 1 || (uuidField.length && uuidField[0][1] !== raw.client_uuid)) throw new ImportError("badItem", { n: at });
        if (!uuidField.length) fields.push(["client_uuid", raw.client_uuid]);
        var files = checkFiles(raw.files || [], at);
        var created = Date.parse(raw.created);
        var item = {
          id: raw.client_uuid,
          user: config.user, userName: config.userName,
          url: url, method: "POST", fields: fields, files: files,
          label: String(raw.label || "").slice(0, 200),
          page: appPath(raw.page || "", null) || "",
          created: isNaN(created) ? Date.now() : created,
          attempts: 0, state: "waiting", lastError: "", status: 0, nextAt: 0,
          imported: { at: Date.now(), file: String(file.name || "").slice(0, 100) }
        };
        item.size = sizeOf(item);
        if (item.size > maxRequest) throw new ImportError("itemTooBig", { n: at });
        var owner = raw.user === undefined || raw.user === null || raw.user === "" ? null : String(raw.user);
        var ownerName = String(raw.user_name || (by && String(by.id) === owner ? by.name : "") || owner || "");
        if (by && owner === String(by.id) && by.name) ownerName = String(by.name);
        var dup = seen[item.id];
        seen[item.id] = true;
        return { item: item, owner: owner, ownerName: ownerName, state: dup ? "twice" : (owner && owner !== String(config.user) ? "other" : "new") };
      });
      return Promise.all(items.map(function (row) {
        if (row.state !== "new") return row;
        return getItem(row.item.id).then(function (existing) {
          if (existing) row.state = "here";
          return row;
        });
      })).then(function (rows) {
        return {
          version: body.version,
          exportedAt: body.exported_at || "",
          exporter: by ? { id: String(by.id), name: String(by.name || by.username || by.id) } : null,
          rows: rows
        };
      });
    });
  }

  // Queue a checked file's own items ("new") and send them now. Resolves with their count.
  function queueImport(checked) {
    var mine = checked.rows.filter(function (r) { return r.state === "new"; });
    return mine.reduce(function (chain, row) {
      return chain.then(function () {
        return getItem(row.item.id).then(function (existing) { return existing || putItem(row.item); });
      });
    }, Promise.resolve()).then(function () {
      askPersistence();
      return changed();
    }).then(function () { return mine.length; });
  }

  // ---- Logout: forget the pages, ask before leaving queued items ------------------------------

  function forgetPages() {
    if (!window.caches) return Promise.resolve();
    return caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("bluebird-pages") === 0; }).map(function (k) { return caches.delete(k); }));
    }).catch(function () {});
  }

  function isLogout(form) {
    var action = form.getAttribute("action") || "";
    return /\/logout$/.test(new URL(action, location.href).pathname);
  }

  // ---- Hooks -----------------------------------------------------------------------------------

  function formDataOf(form, submitter) {
    try {
      return submitter ? new FormData(form, submitter) : new FormData(form);
    } catch (e) {
      return new FormData(form);
    }
  }

  function keepHtmx(evt, waitMs) {
    var cfg = evt.detail && evt.detail.requestConfig;
    var elt = (cfg && cfg.elt) || (evt.detail && evt.detail.elt); // beforeSwap's elt is the target
    var form = elt && (elt.tagName === "FORM" ? elt : elt.closest && elt.closest("form"));
    if (!cfg || !form || !eligible(form, cfg.verb, cfg.path)) return false;
    var data = cfg.formData instanceof FormData ? cfg.formData : formDataOf(form);
    capture(form, data, cfg.path, cfg.verb, waitMs);
    return true;
  }

  document.addEventListener("htmx:beforeRequest", function (evt) {
    if (!isOffline()) return;
    if (keepHtmx(evt)) evt.preventDefault(); // known to be out of reach: no request at all
  });

  document.addEventListener("htmx:sendError", function (evt) {
    setReachable(false);
    keepHtmx(evt);
  });

  // A 503 (the server busy: no turn at the write gate) answered to a boosted form: nothing
  // was saved, so it is kept like a failed send (as photos.js does for uploads), the page
  // stays as it is, and it goes again after its Retry-After, with the same client_uuid.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail && evt.detail.xhr;
    if (!xhr || xhr.status !== 503) return;
    var after = parseInt(xhr.getResponseHeader("Retry-After") || "", 10);
    if (keepHtmx(evt, after > 0 ? after * 1000 : 0)) {
      evt.detail.shouldSwap = false;
      evt.detail.isError = false; // kept, not failed: no error page, no second capture
    }
  });

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form || form.tagName !== "FORM") return;
    if (isLogout(form)) {
      if (form.dataset.outboxAsked) return;
      evt.preventDefault();
      evt.stopImmediatePropagation();
      allItems().catch(function () { return []; }).then(function (items) {
        if (items.length && !window.confirm(msg("logout", { n: items.length }))) return;
        return forgetPages().then(function () {
          if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage({ type: "forget" });
          form.dataset.outboxAsked = "1";
          HTMLFormElement.prototype.submit.call(form);
        });
      });
      return;
    }
    if (evt.defaultPrevented) return; // htmx or photos.js sends it
    var photoInput = form.matches("[data-photo-form]") && form.querySelector("input[data-photo-input]");
    if (photoInput && photoInput.files && photoInput.files.length) return; // photos.js sends it
    if (form.hasAttribute("hx-post") || form.dataset.outboxChecked) return;
    if (!eligible(form, form.getAttribute("method"), form.getAttribute("action"))) return;
    // A plain form: make sure the server answers before the page goes (else the browser
    // would show its own error page and the answer would be lost).
    evt.preventDefault();
    var submitter = evt.submitter || null;
    var data = formDataOf(form, submitter);
    var go = isOffline() ? Promise.resolve(null) : ping();
    go.then(function (who) {
      if (!who) return capture(form, data);
      if (submitter && submitter.name) {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = submitter.name;
        hidden.value = submitter.value;
        form.appendChild(hidden);
      }
      form.dataset.outboxChecked = "1";
      HTMLFormElement.prototype.submit.call(form);
    });
  });

  // ---- The 待上传 page (templates/shell/outbox.html) ------------------------------------------

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function kb(bytes) {
    if (bytes >= 1024 * 1048576) return (bytes / 1073741824).toFixed(1) + " GB";
    return bytes >= 1024 * 1024 ? (bytes / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function when(ms) {
    var d = new Date(ms);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (d.getMonth() + 1) + "/" + d.getDate() + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function pageWords(root) {
    return function (name, params) {
      var text = root.dataset["msg" + name.charAt(0).toUpperCase() + name.slice(1)] || "";
      Object.keys(params || {}).forEach(function (k) { text = text.split("{" + k + "}").join(params[k]); });
      return text;
    };
  }

  function renderItem(item, w) {
    var li = el("li", "outbox-item state-" + item.state);
    li.setAttribute("data-outbox-item", item.id);
    li.appendChild(el("strong", "outbox-label", item.label || item.url));
    var facts = [w("when") + " " + when(item.created), w("size") + " " + kb(item.size || 0),
      w("attempts") + " " + item.attempts];
    if (item.files.length) facts.push(w("photos", { n: item.files.length }));
    facts.push(item.state === "refused" ? w("refusedState") : w("waitingState"));
    li.appendChild(el("span", "muted outbox-facts", facts.join(" · ")));
    if (item.lastError) {
      var error = el("p", item.state === "refused" ? "error outbox-error" : "muted outbox-error", w("error") + ": " + item.lastError);
      error.setAttribute("data-outbox-error", "");
      if (item.state === "refused") error.hidden = true; // 查看原因 shows it
      li.appendChild(error);
    }
    if (item.state === "refused") {
      var row = el("div", "outbox-item-actions");
      var why = el("button", "btn btn-small", w("why"));
      why.type = "button";
      why.setAttribute("data-outbox-why", "");
      row.appendChild(why);
      if (item.status === 401) {
        var login = el("a", "btn btn-small btn-primary", w("login"));
        login.href = (config ? config.loginUrl : "/login") + "?next=" + encodeURIComponent(config ? config.outboxUrl : "/outbox");
        login.setAttribute("hx-boost", "false");
        row.appendChild(login);
      }
      var again = el("button", "btn btn-small", w("retry"));
      again.type = "button";
      again.setAttribute("data-outbox-retry", "");
      row.appendChild(again);
      if (item.page) {
        var open = el("a", "btn btn-small", w("open"));
        open.href = item.page;
        row.appendChild(open);
      }
      var drop = el("button", "btn btn-small btn-danger", w("discardBtn"));
      drop.type = "button";
      drop.setAttribute("data-outbox-discard", "");
      row.appendChild(drop);
      li.appendChild(row);
    }
    return li;
  }

  function showStorage(root, w) {
    var out = root.querySelector("[data-outbox-storage]");
    if (!out || !navigator.storage || !navigator.storage.estimate) return;
    navigator.storage.estimate().then(function (e) {
      out.textContent = w("storage", { used: kb(e.usage || 0), free: kb(Math.max(0, (e.quota || 0) - (e.usage || 0))) });
    }).catch(function () {});
  }

  function setupPage() {
    var root = document.querySelector("[data-outbox-page]");
    if (!root || root.dataset.ready) return;
    root.dataset.ready = "1";
    var w = pageWords(root);
    var list = root.querySelector("[data-outbox-list]");
    var line = root.querySelector("[data-outbox-status]");
    function draw(change) {
      if (!root.isConnected) return;
      if (change.status !== undefined) line.textContent = change.status === "sending" ? msg("sending") : "";
      if (!change.items) return;
      list.textContent = "";
      change.items.forEach(function (item) { list.appendChild(renderItem(item, w)); });
      root.querySelector("[data-outbox-empty]").hidden = change.items.length > 0;
      var total = document.querySelector("[data-outbox-total]");
      if (total) total.textContent = String(change.items.length);
      showStorage(root, w);
    }
    listeners.push(draw);
    var importer = setupImport(root, w, line);
    root.addEventListener("click", function (evt) {
      var button = evt.target.closest("button");
      if (!button) return;
      var li = button.closest("[data-outbox-item]");
      var id = li && li.getAttribute("data-outbox-item");
      if (button.hasAttribute("data-outbox-send")) {
        replay(true).then(function (items) { if (items && !items.length) line.textContent = msg("done"); });
      } else if (button.hasAttribute("data-outbox-import-go")) {
        importer.go();
      } else if (button.hasAttribute("data-outbox-import-cancel")) {
        importer.reset();
      } else if (button.hasAttribute("data-outbox-export")) {
        exportAll().then(function (n) { line.textContent = w("exported", { n: n }); });
      } else if (button.hasAttribute("data-outbox-why")) {
        var error = li.querySelector("[data-outbox-error]");
        if (error) error.hidden = !error.hidden;
      } else if (button.hasAttribute("data-outbox-retry")) {
        retry(id);
      } else if (button.hasAttribute("data-outbox-discard")) {
        if (window.confirm(msg("discard"))) discard(id);
      }
    });
    changed();
  }

  // The 导入文件 part of the page: choose a file, see what it holds, import it (or not).
  function setupImport(root, w, line) {
    var box = root.querySelector("[data-outbox-import]");
    var input = root.querySelector("[data-outbox-import-file]");
    if (!box || !input) return { go: function () {}, reset: function () {} };
    var allowed = [];
    try {
      allowed = JSON.parse(root.dataset.importPaths || "[]");
    } catch (e) {
      allowed = [];
    }
    var maxRequest = parseInt(root.dataset.maxRequest || "", 10) || 60 * 1048576;
    var error = box.querySelector("[data-outbox-import-error]");
    var summary = box.querySelector("[data-outbox-import-summary]");
    var list = box.querySelector("[data-outbox-import-list]");
    var confirmRow = box.querySelector("[data-outbox-import-confirm-row]");
    var confirmBox = box.querySelector("[data-outbox-import-confirm]");
    var goButton = box.querySelector("[data-outbox-import-go]");
    var checked = null;

    function reset() {
      checked = null;
      box.hidden = true;
      error.hidden = true;
      error.textContent = "";
      summary.textContent = "";
      list.textContent = "";
      confirmRow.hidden = true;
      confirmBox.checked = false;
      input.value = "";
    }

    function canGo() {
      var any = checked && checked.rows.some(function (r) { return r.state === "new"; });
      goButton.hidden = !any;
      goButton.disabled = !any || (!confirmRow.hidden && !confirmBox.checked);
    }

    function refuse(text) {
      checked = null;
      box.hidden = false;
      error.textContent = text;
      error.hidden = false;
      summary.textContent = "";
      list.textContent = "";
      confirmRow.hidden = true;
      canGo();
    }

    function rowLine(row) {
      var li = el("li", "outbox-item import-" + row.state);
      li.setAttribute("data-outbox-import-item", row.item.id);
      li.appendChild(el("strong", "outbox-label", row.item.label || row.item.url));
      var facts = [w("when") + " " + when(row.item.created), w("size") + " " + kb(row.item.size || 0)];
      if (row.item.files.length) facts.push(w("photos", { n: row.item.files.length }));
      li.appendChild(el("span", "muted outbox-facts", facts.join(" · ")));
      var state = row.state === "other" ? w("importOther", { name: row.ownerName || "?" }) : w("import" + row.state.charAt(0).toUpperCase() + row.state.slice(1));
      li.appendChild(el("span", row.state === "other" ? "error outbox-import-state" : "outbox-import-state", state));
      return li;
    }

    function show(result) {
      var me = String(config.user);
      var rows = result.rows;
      var fresh = rows.filter(function (r) { return r.state === "new"; });
      var others = rows.filter(function (r) { return r.state === "other"; });
      if (!fresh.length && others.length && !rows.some(function (r) { return r.state === "here"; })) {
        var name = result.exporter && result.exporter.id !== me ? result.exporter.name : others[0].ownerName;
        refuse(w("importOtherOwner", { name: name || "?" }));
        return;
      }
      checked = result;
      box.hidden = false;
      error.hidden = true;
      list.textContent = "";
      rows.forEach(function (row) { list.appendChild(rowLine(row)); });
      if (result.exporter) {
        var at = Date.parse(result.exportedAt);
        summary.textContent = w("importSummary", { name: result.exporter.name, when: isNaN(at) ? "" : when(at), n: rows.length, k: fresh.length });
        if (result.exporter.id !== me) summary.textContent += " " + w("importOtherExporter", { name: result.exporter.name });
      } else {
        summary.textContent = w("importSummaryOld", { n: rows.length, k: fresh.length });
      }
      if (!fresh.length) summary.textContent += " " + w("importNothing");
      // A version 1 file does not say who exported it (nor an item without its `user`):
      // he confirms the items are his.
      var unknown = !result.exporter || fresh.some(function (r) { return !r.owner; });
      confirmRow.hidden = !(fresh.length && unknown);
      confirmBox.checked = false;
      canGo();
    }

    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) return;
      line.textContent = "";
      readImport(file, allowed, maxRequest).then(show, function (err) {
        if (err instanceof ImportError) refuse(w("import" + err.key.charAt(0).toUpperCase() + err.key.slice(1), err.params));
        else refuse(w("importNotOurs"));
      });
    });
    confirmBox.addEventListener("change", canGo);

    function go() {
      if (!checked || goButton.disabled) return;
      var result = checked;
      goButton.disabled = true;
      queueImport(result).then(function (n) {
        reset();
        line.textContent = w("imported", { n: n });
        // A replay already under way read the outbox before these joined: go after it.
        return (running || Promise.resolve()).then(function () { return replay(true); }).then(function (items) {
          if (items && !items.length) line.textContent = w("importedDone", { n: n });
        });
      }, function () {
        refuse(w("importNotOurs"));
      });
    }

    reset();
    return { go: go, reset: reset };
  }

  // ---- Start -------------------------------------------------------------------------------------

  function start() {
    readConfig();
    showBanner();
    if (!config) return;
    if (isOffline()) refreshNow();
    setupPage();
    Promise.all([changed(), isOffline() ? null : pageFromNetwork()]).then(function (answers) {
      if (answers[1] === true) setReachable(true);
      replay(false).then(function () {
        if (!isOffline()) {
          warmRound();
          warmBasics();
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", start);
  // Installed on the home screen: ask the browser to keep this site's data (once).
  window.addEventListener("appinstalled", askPersistence);
  if (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches) askPersistence();
  // A boosted navigation swapped the body: read the new page's config and marks.
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.target === document.body || (evt.detail && evt.detail.boosted)) {
      readConfig();
      setupPage();
      changed();
      if (!isOffline()) warmRound();
    }
  });
  window.addEventListener("online", function () { reachable = null; showBanner(); replay(true); });
  window.addEventListener("offline", function () { setReachable(false); showBanner(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") return;
    if (reachable === true) reachable = null; // back after a while: ask the server again
    replay(false);
  });
  if (navigator.serviceWorker) {
    // The first visit: once installed, the worker takes charge of this page. Keep this page,
    // the tab bar's and the round's items now, so the phone works offline from then on.
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (!config || isOffline()) return;
      warmRound();
      warmBasics([location.pathname + location.search]);
    });
  }
  window.setInterval(function () {
    if (queuedCache.length || reachable === false) replay(false);
  }, TIMER_MS);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (evt) {
      if (evt.data && evt.data.type === "replay") replay(true);
    });
  }

  window.BluebirdOutbox = {
    capture: function (form, data, url) { return capture(form, data, url); },
    isOffline: isOffline,
    replay: replay,
    retry: retry,
    discard: discard,
    exportAll: exportAll,
    readImport: readImport,
    items: allItems,
    onChange: function (fn) { listeners.push(fn); },
    ping: ping,
    version: DB_VERSION
  };
})();
