// The owner's signature at a move-in: draw on a canvas with a finger or a pen; on
// submit the drawing travels as a PNG data URL in a hidden field. No inline scripts.
(function () {
  "use strict";
  if (window.bluebirdSignature) return; // loaded again by a boosted page swap: once is enough
  window.bluebirdSignature = true;

  function setup(canvas) {
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false, last = null;
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    ctx.strokeStyle = "#111";

    function point(evt) {
      var rect = canvas.getBoundingClientRect();
      return { x: (evt.clientX - rect.left) * canvas.width / rect.width,
               y: (evt.clientY - rect.top) * canvas.height / rect.height };
    }
    canvas.addEventListener("pointerdown", function (evt) {
      drawing = true; last = point(evt); canvas.setPointerCapture(evt.pointerId); evt.preventDefault();
    });
    canvas.addEventListener("pointermove", function (evt) {
      if (!drawing) return;
      var p = point(evt);
      ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
      last = p; drawn = true; evt.preventDefault();
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      canvas.addEventListener(name, function () { drawing = false; });
    });
    var form = canvas.closest("form");
    var data = form.querySelector("[data-signature-data]");
    // A refused finish (a missing owner name, say) comes back with the signature
    // already given: show it again rather than make the owner sign twice.
    if (data.value.indexOf("data:image/png;base64,") === 0) {
      var kept = new Image();
      kept.onload = function () { ctx.drawImage(kept, 0, 0); drawn = true; };
      kept.src = data.value;
    }
    var clear = form.querySelector("[data-signature-clear]");
    if (clear) clear.addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false;
    });
    form.addEventListener("submit", function () {
      data.value = drawn ? canvas.toDataURL("image/png") : "";
    });
    // The new owner's name and phone matter only when "a new owner" is chosen.
    var who = form.querySelector("select[name$=owner_id]");
    var fresh = form.querySelector("[data-new-owner]");
    if (who && fresh) {
      var show = function () {
        var hide = who.value !== "0" && !fresh.querySelector(".has-error");
        fresh.hidden = hide;
        if (hide) fresh.querySelectorAll("input").forEach(function (i) { i.value = ""; });
      };
      who.addEventListener("change", show);
      show();
    }
  }

  function init(root) {
    (root || document).querySelectorAll("canvas[data-signature-pad]").forEach(function (c) {
      if (!c.dataset.ready) { c.dataset.ready = "1"; setup(c); }
    });
  }
  // Only the move-in finish loads this file, maybe after the page was swapped in.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(document); });
  else init(document);
  document.addEventListener("htmx:load", function (evt) { init(evt.target); });
})();
