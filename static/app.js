// Bluebird front-end glue: client UUIDs for replay-safe forms, offline handling, the
// service worker. No inline scripts anywhere (strict CSP); htmx does the rest.
(function () {
  "use strict";

  var uuid4 = window.BluebirdUuid4;  // static/outbox.js, loaded just before this file

  // Every create form carries a UUID made once per form: a double tap or a retry on a
  // slow network sends the same UUID, and the server saves once.
  function stampUuids(root) {
    (root || document).querySelectorAll("input[data-client-uuid]").forEach(function (input) {
      if (!input.value) input.value = uuid4();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    stampUuids(document);
  });
  document.addEventListener("htmx:load", function (evt) { stampUuids(evt.target); });
  // The offline banner and the outbox are static/outbox.js's.

  // A boosted link that cannot reach the server becomes a real navigation, so the
  // service worker can answer it with the offline page instead of nothing happening.
  document.addEventListener("htmx:sendError", function (evt) {
    var cfg = evt.detail.requestConfig;
    if (cfg && cfg.verb === "get" && (cfg.boosted || evt.detail.boosted)) window.location.href = cfg.path;
  });

  // Case form: tap a resident to fill the contact, or a suggested unit to fill the unit.
  document.addEventListener("click", function (evt) {
    function fieldIn(el, name) {
      var form = el.closest("form");
      return form && form.querySelector("[name=" + name + "]");
    }
    var pick = evt.target.closest("[data-fill-contact]");
    if (pick) {
      var who = fieldIn(pick, "contact_name"), phone = fieldIn(pick, "contact_phone");
      if (who) who.value = pick.dataset.name;
      if (phone) phone.value = pick.dataset.phone;
      return;
    }
    var unit = evt.target.closest("[data-fill-unit]");
    var input = unit && fieldIn(unit, "unit_code");
    if (input) {
      input.value = unit.dataset.fillUnit;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });

  // Long texts: a counter under each textarea[maxlength], and a word when the browser
  // cut a paste at the limit (it does so silently). The sentence comes from the page.
  function counterOf(area) {
    var counter = area.nextElementSibling;
    if (counter && counter.classList.contains("counter")) return counter;
    counter = document.createElement("small");
    counter.className = "counter";
    counter.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", counter);
    return counter;
  }

  function count(area, cut) {
    var max = parseInt(area.getAttribute("maxlength"), 10);
    if (!max) return;
    var counter = counterOf(area), n = area.value.length;
    var text = n + " / " + max;
    if (cut) text += " · " + (document.body.dataset.msgCut || "").replace("{max}", max);
    counter.textContent = text;
    counter.classList.toggle("is-full", n >= max);
  }

  function countAll(root) {
    (root || document).querySelectorAll("textarea[maxlength]").forEach(function (area) { count(area, false); });
  }

  document.addEventListener("DOMContentLoaded", function () { countAll(document); });
  document.addEventListener("htmx:load", function (evt) { countAll(evt.target); });
  document.addEventListener("input", function (evt) {
    if (evt.target.matches && evt.target.matches("textarea[maxlength]")) count(evt.target, false);
  });
  document.addEventListener("paste", function (evt) {
    var area = evt.target;
    if (!area.matches || !area.matches("textarea[maxlength]") || !evt.clipboardData) return;
    var pasted = evt.clipboardData.getData("text").length;
    var room = parseInt(area.getAttribute("maxlength"), 10) - area.value.length + (area.selectionEnd - area.selectionStart);
    if (pasted > room) setTimeout(function () { count(area, true); }, 0);
  });

  // Back to a form the browser refilled (the unit typed before the last submit): show
  // that unit's residents or suggestions again, as typing it did.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("input[list=unit-options][hx-get]").forEach(function (input) {
      if (input.value) input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      // This build's address, kept in the HTTP cache ("all"): the update check on each
      // navigation costs nothing, and a deploy's new address installs the new worker.
      var meta = document.querySelector("meta[name=bluebird-sw]");
      var url = meta ? meta.getAttribute("content") : "/sw.js";
      navigator.serviceWorker.register(url, { scope: "/", updateViaCache: "all" }).catch(function () {});
    });
  }
})();
