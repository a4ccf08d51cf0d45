// Bluebird rounds: one tap answers one item.
//
// The answer buttons of the current item ([data-round-item] [data-answer]) are disabled
// from the moment an answer is sent until the next item is on screen, and then for a
// short moment more: on a quick network the next item can arrive before a nervous
// second tap, which must not land on it. The server still decides: every answer names
// its item and carries its client_uuid, so a repeat is one answer. No inline scripts.
(function () {
  "use strict";

  var SETTLE_MS = 450; // a new item's buttons wake up after this
  var RECENT_MS = 2000; // an item shown this soon after an answer was caused by it
  var KEY = "bluebird.round.answeredAt";

  function now() { return Date.now(); }

  function remember() {
    try { window.sessionStorage.setItem(KEY, String(now())); } catch (e) { /* private mode */ }
  }

  function answeredAt() {
    try { return parseInt(window.sessionStorage.getItem(KEY) || "0", 10) || 0; } catch (e) { return 0; }
  }

  function buttons(card) {
    return card ? card.querySelectorAll("[data-answer], [data-submit]") : [];
  }

  function setDisabled(card, disabled) {
    buttons(card).forEach(function (b) { b.disabled = disabled; });
    if (disabled) card.setAttribute("aria-busy", "true");
    else card.removeAttribute("aria-busy");
  }

  function release(card) {
    if (!card || !card.isConnected) return;
    card.removeAttribute("data-sending");
    setDisabled(card, false);
  }

  // Capture phase: this runs before htmx (on the form) and photos.js (bubbling) see it.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.matches || !form.matches("[data-answer-form]")) return;
    var card = form.closest("[data-round-item]");
    if (!card) return;
    if (card.hasAttribute("data-sending") || card.hasAttribute("data-settling")) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
      return;
    }
    card.setAttribute("data-sending", "");
    remember();
    // After the event has gone by, so the form's values are read: now nothing else goes.
    window.setTimeout(function () {
      var upload = form.hasAttribute("data-photo-form") && form.hasAttribute("aria-busy");
      buttons(card).forEach(function (b) {
        if (!(upload && b.form === form)) b.disabled = true; // photos.js owns its own button
      });
      if (upload) watchUpload(card, form);
    }, 0);
  }, true);

  // photos.js uploads the fail form itself and, when the network drops, keeps the page
  // and the photos: once it is no longer busy, every button works again.
  function watchUpload(card, form) {
    if (typeof MutationObserver !== "function") return;
    var observer = new MutationObserver(function () {
      if (form.hasAttribute("aria-busy")) return;
      observer.disconnect();
      release(card);
    });
    observer.observe(form, { attributes: true, attributeFilter: ["aria-busy"] });
  }

  // htmx answered and kept the page (a network error, nothing swapped): tapping again retries.
  document.addEventListener("htmx:afterRequest", function (evt) {
    var card = evt.target && evt.target.closest && evt.target.closest("[data-round-item]");
    if (card && card.isConnected) release(card);
  });

  function settle(root) {
    if (!root || !root.querySelector) return;
    var card = root.matches && root.matches("[data-round-item]") ? root : root.querySelector("[data-round-item]");
    if (!card || now() - answeredAt() > RECENT_MS) return;
    if (card.hasAttribute("data-settling")) return;
    card.setAttribute("data-settling", "");
    setDisabled(card, true);
    window.setTimeout(function () {
      card.removeAttribute("data-settling");
      if (!card.hasAttribute("data-sending")) setDisabled(card, false);
    }, SETTLE_MS);
  }

  document.addEventListener("DOMContentLoaded", function () { settle(document); });
  // htmx:afterSwap comes in the same task as the swap itself (htmx:load only after the
  // settle delay), so no tap can reach the new buttons before they are held.
  document.addEventListener("htmx:afterSwap", function (evt) { settle(evt.target); });
  document.addEventListener("htmx:load", function (evt) { settle(evt.target); }); // photos.js sends this
  // Back from the next page (bfcache): nothing is in flight any more.
  window.addEventListener("pageshow", function (evt) {
    if (evt.persisted) document.querySelectorAll("[data-round-item]").forEach(release);
  });
})();
