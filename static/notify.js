// Bluebird notifications: turn web push on or off for this device from 我的 → 通知设置.
// The browser is asked for permission only inside a tap's click handler; every
// outcome ends in a plain sentence in #push-status (the texts come from the page, so
// they are translated). No inline scripts anywhere (strict CSP).
(function () {
  "use strict";

  var FLAG = "bluebird-push";  // localStorage: the endpoint this device subscribed with here

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  // A promise that gives up after ms: an offline push service must not leave the tap hanging.
  function within(promise, ms) {
    return new Promise(function (resolve, reject) {
      var timer = setTimeout(function () { reject(new Error("timed out")); }, ms);
      promise.then(function (v) { clearTimeout(timer); resolve(v); }, function (e) { clearTimeout(timer); reject(e); });
    });
  }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (!r.ok) throw new Error("server answered " + r.status);
      return r.json();
    });
  }

  function say(panel, key, kind) {
    var status = panel.querySelector("#push-status");
    status.textContent = panel.dataset[key] || "";
    status.className = "push-status" + (kind ? " is-" + kind : "");
    status.dataset.state = key;
  }

  function showOn(panel, on) {
    panel.querySelector("#push-enable").hidden = on;
    panel.querySelector("#push-disable").hidden = !on;
  }

  function refresh(panel) {
    if (!window.isSecureContext) { say(panel, "msgInsecure", "error"); panel.querySelector("#push-enable").disabled = true; return; }
    if (!supported()) { say(panel, "msgUnsupported", "error"); panel.querySelector("#push-enable").disabled = true; return; }
    if (Notification.permission === "denied") { say(panel, "msgDenied", "error"); showOn(panel, false); return; }
    within(navigator.serviceWorker.ready, 10000)
      .then(function (reg) { return reg.pushManager.getSubscription(); })
      .then(function (sub) {
        var on = Boolean(sub) && Notification.permission === "granted";
        say(panel, on ? "msgOn" : "msgOff", on ? "ok" : "");
        showOn(panel, on);
      })
      .catch(function () { say(panel, "msgOff"); showOn(panel, false); });
  }

  function fail(key) { var e = new Error(key); e.key = key; return e; }

  function enable(panel, button) {
    if (!window.isSecureContext || !supported()) { refresh(panel); return; }
    button.disabled = true;
    say(panel, "msgWorking");
    // requestPermission runs inside the click handler: a user gesture, as browsers require.
    var asked = Notification.requestPermission();
    Promise.resolve(asked)
      .then(function (permission) {
        if (permission === "denied") throw fail("msgDenied");
        if (permission !== "granted") throw fail("msgDismissed");
        return within(navigator.serviceWorker.ready, 10000);
      })
      .then(function (reg) {
        return reg.pushManager.getSubscription().then(function (existing) {
          return existing || within(reg.pushManager.subscribe({
            userVisibleOnly: true, applicationServerKey: keyBytes(panel.dataset.key)
          }), 15000);
        });
      })
      .catch(function (err) { throw err && err.key ? err : fail("msgFailed"); })
      .then(function (sub) {
        return postJson(panel.dataset.subscribe, sub.toJSON())
          .then(function () { return sub; }, function () { throw fail("msgServer"); });
      })
      .then(function (sub) {
        try { localStorage.setItem(FLAG, sub.endpoint); } catch (e) { /* private mode */ }
        say(panel, "msgOn", "ok");
        showOn(panel, true);
      })
      .catch(function (err) { say(panel, (err && err.key) || "msgFailed", "error"); })
      .then(function () { button.disabled = false; });
  }

  function disable(panel, button) {
    button.disabled = true;
    within(navigator.serviceWorker.ready, 10000)
      .then(function (reg) { return reg.pushManager.getSubscription(); })
      .then(function (sub) {
        if (!sub) return null;
        var endpoint = sub.endpoint;
        return sub.unsubscribe().then(function () { return postJson(panel.dataset.unsubscribe, { endpoint: endpoint }); });
      })
      .then(function () {
        try { localStorage.removeItem(FLAG); } catch (e) { /* private mode */ }
        say(panel, "msgOff");
        showOn(panel, false);
      })
      .catch(function () { say(panel, "msgServer", "error"); })
      .then(function () { button.disabled = false; });
  }

  // A device that subscribed before gets its subscription re-sent when it changed
  // (browsers rotate them); the service worker handles pushsubscriptionchange too.
  function resync() {
    if (!document.getElementById("bell") || !supported() || !window.isSecureContext) return;
    var known;
    try { known = localStorage.getItem(FLAG); } catch (e) { return; }
    if (!known || Notification.permission !== "granted") return;
    navigator.serviceWorker.ready
      .then(function (reg) { return reg.pushManager.getSubscription(); })
      .then(function (sub) {
        if (!sub || sub.endpoint === known) return null;
        var body = sub.toJSON();
        body.old_endpoint = known;
        return postJson("/notifications/subscribe", body).then(function () { localStorage.setItem(FLAG, sub.endpoint); });
      })
      .catch(function () { /* next page load tries again */ });
  }

  function init() {
    var panel = document.getElementById("push-panel");
    if (panel && !panel.dataset.ready) {
      panel.dataset.ready = "1";
      refresh(panel);
    }
  }

  document.addEventListener("click", function (evt) {
    var panel = document.getElementById("push-panel");
    if (!panel) return;
    var on = evt.target.closest("#push-enable"), off = evt.target.closest("#push-disable");
    if (on) enable(panel, on);
    if (off) disable(panel, off);
  });
  document.addEventListener("DOMContentLoaded", function () { init(); resync(); });
  document.addEventListener("htmx:load", init);
})();
