// Bluebird photo uploads: downscale in the browser, show what will go, upload with progress.
//
// Every form[data-photo-form] gets this: files chosen in input[data-photo-input] are
// decoded (EXIF orientation applied), drawn at <= 1600 px on the long side and encoded as
// JPEG; [data-photo-previews] shows each with the size that will be sent. On submit the
// form goes by XMLHttpRequest with the small copies, so [data-progress] can show the
// upload. The original File objects stay in the input until the server has answered,
// so a dropped connection loses nothing. No inline scripts (strict CSP), no libraries.
(function () {
  "use strict";
  if (window.BluebirdPhotos) return; // loaded again by a boosted page swap: once is enough

  var MAX_SIDE = 1600;
  var QUALITY = 0.85;
  var SMALL_BYTES = 600 * 1024; // a JPEG this small and <= MAX_SIDE goes as it is
  var SENT_AS_IS = /^image\/(jpeg|png|webp)$/; // what the server takes without our help
  var MESSAGES = {
    network: {
      "zh-CN": "网络不稳定，照片还在，请重试",
      en: "Network problem — your photos are kept. Try again."
    },
    original: { "zh-CN": "原图", en: "original" }
  };

  var states = new WeakMap(); // form -> {items, ready, generation, sending, urls}

  function lang() {
    return (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0 ? "zh-CN" : "en";
  }

  function t(key) {
    return MESSAGES[key][lang()];
  }

  function stateOf(form) {
    var s = states.get(form);
    if (!s) {
      s = { items: [], ready: Promise.resolve(), generation: 0, sending: false, urls: [] };
      states.set(form, s);
    }
    return s;
  }

  // ---- Decoding and downscaling ------------------------------------------------------

  // Decode with EXIF orientation applied; resolves {source, width, height, close}.
  function decode(file) {
    if (typeof window.createImageBitmap === "function") {
      return createImageBitmap(file, { imageOrientation: "from-image" })
        .then(function (bitmap) {
          return {
            source: bitmap, width: bitmap.width, height: bitmap.height,
            close: function () { if (bitmap.close) bitmap.close(); }
          };
        })
        .catch(function () { return decodeWithImg(file); });
    }
    return decodeWithImg(file);
  }

  // Fallback: an <img> applies image-orientation: from-image by default.
  function decodeWithImg(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        resolve({
          source: img, width: img.naturalWidth, height: img.naturalHeight,
          close: function () { URL.revokeObjectURL(url); }
        });
      };
      img.onerror = function () {
        URL.revokeObjectURL(url);
        reject(new Error("cannot decode"));
      };
      img.src = url;
    });
  }

  function fit(width, height) {
    var long = Math.max(width, height);
    if (long <= MAX_SIDE) return { width: width, height: height };
    var scale = MAX_SIDE / long;
    return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
  }

  function toJpeg(decoded) {
    var size = fit(decoded.width, decoded.height);
    var canvas = document.createElement("canvas");
    canvas.width = size.width;
    canvas.height = size.height;
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff"; // transparent PNG areas become white, as on the server
    ctx.fillRect(0, 0, size.width, size.height);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(decoded.source, 0, 0, size.width, size.height);
    return new Promise(function (resolve) {
      canvas.toBlob(function (blob) {
        canvas.width = canvas.height = 0; // give the pixels back now, phones are short of memory
        resolve(blob);
      }, "image/jpeg", QUALITY);
    });
  }

  function jpegName(name) {
    var base = (name || "").replace(/\.[^./\\]*$/, "");
    return (base || "photo") + ".jpg";
  }

  // ---- EXIF: carry the capture time over to the canvas copy -------------------------
  // A canvas writes no EXIF, but the watermark prints when the photo was taken
  // (DateTimeOriginal). The copy gets a minimal EXIF with that one tag: no orientation
  // (the pixels are already upright), no GPS, nothing else.

  var DATETIME = /^\d{4}:\d{2}:\d{2} \d{2}:\d{2}:\d{2}$/;

  function readCaptureTime(file) {
    return file.slice(0, 256 * 1024).arrayBuffer().then(function (buffer) {
      try {
        return findDateTimeOriginal(new DataView(buffer));
      } catch (e) {
        return null; // EXIF is optional and may be damaged; the photo still goes
      }
    }, function () { return null; });
  }

  function findDateTimeOriginal(view) {
    if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) return null;
    var offset = 2;
    while (offset + 4 <= view.byteLength) {
      if (view.getUint8(offset) !== 0xff) return null;
      var marker = view.getUint8(offset + 1);
      if (marker === 0xda || marker === 0xd9) return null; // image data: no more metadata
      var length = view.getUint16(offset + 2);
      if (marker === 0xe1 && length >= 16 && offset + 10 <= view.byteLength &&
          view.getUint32(offset + 4) === 0x45786966 && view.getUint16(offset + 8) === 0) { // "Exif\0\0"
        var found = tiffDateTimeOriginal(view, offset + 10, Math.min(view.byteLength, offset + 2 + length));
        if (found) return found;
      }
      offset += 2 + length;
    }
    return null;
  }

  function tiffDateTimeOriginal(view, tiff, end) {
    var order = view.getUint16(tiff);
    if (order !== 0x4949 && order !== 0x4d4d) return null;
    var little = order === 0x4949;
    function u16(at) { if (at + 2 > end) throw new Error("eof"); return view.getUint16(at, little); }
    function u32(at) { if (at + 4 > end) throw new Error("eof"); return view.getUint32(at, little); }
    function entry(ifd, tag) {
      var count = u16(tiff + ifd);
      for (var i = 0; i < count && i < 512; i++) {
        var at = tiff + ifd + 2 + i * 12;
        if (u16(at) === tag) return at;
      }
      return null;
    }
    if (u16(tiff + 2) !== 42) return null;
    var exifPointer = entry(u32(tiff + 4), 0x8769);
    if (exifPointer === null) return null;
    var original = entry(u32(exifPointer + 8), 0x9003);
    if (original === null || u16(original + 2) !== 2) return null; // ASCII
    var count = u32(original + 4);
    if (count < 19 || count > 64) return null;
    var start = tiff + u32(original + 8);
    var text = "";
    for (var k = 0; k < 19; k++) {
      if (start + k >= end) return null;
      text += String.fromCharCode(view.getUint8(start + k));
    }
    return DATETIME.test(text) ? text : null;
  }

  function exifSegment(datetime) {
    // Big-endian TIFF: IFD0 with one entry (the Exif IFD pointer), the Exif IFD with one
    // entry (DateTimeOriginal), then the 20-byte string.
    var tiff = new DataView(new ArrayBuffer(64));
    tiff.setUint16(0, 0x4d4d);
    tiff.setUint16(2, 42);
    tiff.setUint32(4, 8);
    tiff.setUint16(8, 1);
    tiff.setUint16(10, 0x8769); tiff.setUint16(12, 4); tiff.setUint32(14, 1); tiff.setUint32(18, 26);
    tiff.setUint32(22, 0);
    tiff.setUint16(26, 1);
    tiff.setUint16(28, 0x9003); tiff.setUint16(30, 2); tiff.setUint32(32, 20); tiff.setUint32(36, 44);
    tiff.setUint32(40, 0);
    for (var i = 0; i < 19; i++) tiff.setUint8(44 + i, datetime.charCodeAt(i));
    var head = new DataView(new ArrayBuffer(10));
    head.setUint16(0, 0xffe1);
    head.setUint16(2, 2 + 6 + 64);
    head.setUint32(4, 0x45786966); // "Exif"
    head.setUint16(8, 0);
    return [head.buffer, tiff.buffer];
  }

  function withCaptureTime(blob, datetime) {
    if (!datetime) return blob;
    return new Blob([blob.slice(0, 2)].concat(exifSegment(datetime), [blob.slice(2)]), { type: "image/jpeg" });
  }

  // ---- One file -----------------------------------------------------------------------

  // Resolves {file, blob, name, converted}: blob is what will be sent.
  function prepare(file) {
    var asIs = { file: file, blob: file, name: file.name, converted: false };
    return decode(file).then(function (decoded) {
      var small = file.type === "image/jpeg" && file.size < SMALL_BYTES &&
        Math.max(decoded.width, decoded.height) <= MAX_SIDE;
      if (small) {
        decoded.close();
        return asIs;
      }
      return Promise.all([toJpeg(decoded), readCaptureTime(file)]).then(function (done) {
        decoded.close();
        var blob = done[0];
        if (!blob) return asIs; // the canvas could not encode (memory): the server copes
        blob = withCaptureTime(blob, done[1]);
        if (SENT_AS_IS.test(file.type) && file.size <= blob.size) return asIs;
        return { file: file, blob: blob, name: jpegName(file.name), converted: true };
      }, function () {
        decoded.close();
        return asIs;
      });
    }, function () {
      return asIs; // not decodable here (HEIC on Chromium, or not an image): the server decides
    }).catch(function () {
      return asIs; // anything else that goes wrong here must not lose the photo
    });
  }

  // ---- Previews -----------------------------------------------------------------------

  function kb(bytes) {
    return Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  // In a one-line flex form (input and button side by side), previews, progress and
  // messages take a row of their own below instead of squeezing the input.
  function fullRow(form, element) {
    if (window.getComputedStyle(form).display.indexOf("flex") === -1) return;
    form.style.flexWrap = "wrap";
    element.style.flexBasis = "100%";
  }

  function clearPreviews(form, state) {
    state.urls.forEach(function (url) { URL.revokeObjectURL(url); });
    state.urls = [];
    var box = form.querySelector("[data-photo-previews]");
    if (!box) { // a form without a place for previews gets one right after its file input
      var input = form.querySelector("input[data-photo-input]");
      box = document.createElement("div");
      box.className = "photo-previews";
      box.setAttribute("data-photo-previews", "");
      if (input) input.insertAdjacentElement("afterend", box);
      else form.appendChild(box);
      fullRow(form, box);
    }
    box.textContent = "";
    return box;
  }

  function addPreview(box, state, item) {
    if (!box) return;
    var figure = document.createElement("figure");
    figure.className = "photo-preview";
    figure.style.margin = "0";
    figure.style.textAlign = "center";
    figure.style.fontSize = ".8rem";
    var url = URL.createObjectURL(item.blob);
    state.urls.push(url);
    var img = document.createElement("img");
    img.alt = item.name;
    img.src = url;
    img.onerror = function () { // e.g. a HEIC this browser cannot show: keep the name instead
      var name = document.createElement("span");
      name.textContent = item.name;
      name.style.display = "block";
      name.style.maxWidth = "72px";
      name.style.overflowWrap = "anywhere";
      figure.replaceChild(name, img);
    };
    var caption = document.createElement("figcaption");
    caption.textContent = kb(item.blob.size) + (item.converted ? "" : " · " + t("original"));
    figure.appendChild(img);
    figure.appendChild(caption);
    box.appendChild(figure);
  }

  // Prepare the chosen files one after another (a 12 MP bitmap is 48 MB of memory).
  function handleFiles(form, files) {
    var state = stateOf(form);
    var generation = ++state.generation;
    var box = clearPreviews(form, state);
    setMessage(form, "");
    state.items = [];
    var list = Array.prototype.slice.call(files || []);
    state.ready = list.reduce(function (chain, file) {
      return chain.then(function () {
        if (generation !== state.generation) return;
        return prepare(file).then(function (item) {
          if (generation !== state.generation) return;
          state.items.push(item);
          addPreview(box, state, item);
        });
      });
    }, Promise.resolve());
    return state.ready;
  }

  // ---- Submitting ---------------------------------------------------------------------

  function setMessage(form, text) {
    var note = form.querySelector("[data-photo-message]");
    if (!text) {
      if (note) note.remove();
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.className = "error";
      note.setAttribute("role", "alert");
      note.setAttribute("data-photo-message", "");
      var anchor = form.querySelector("[data-progress]") || form.querySelector("[data-submit]");
      if (anchor) anchor.insertAdjacentElement("afterend", note);
      else form.appendChild(note);
      fullRow(form, note);
    }
    note.textContent = text;
  }

  function setBusy(form, busy) {
    stateOf(form).sending = busy;
    form.querySelectorAll("[data-submit]").forEach(function (button) { button.disabled = busy; });
    var progress = form.querySelector("[data-progress]");
    if (progress) {
      if (busy) fullRow(form, progress);
      progress.hidden = !busy;
      if (busy) progress.removeAttribute("value"); // indeterminate until bytes move
    }
    if (busy) form.setAttribute("aria-busy", "true");
    else form.removeAttribute("aria-busy");
  }

  function actionOf(form) {
    return new URL(form.getAttribute("action") || window.location.href, window.location.href).href;
  }

  function withoutHash(url) {
    return url.split("#")[0];
  }

  function send(form, input, submitter) {
    var state = stateOf(form);
    var data;
    try {
      data = submitter ? new FormData(form, submitter) : new FormData(form);
    } catch (e) {
      data = new FormData(form); // older browsers take no submitter
    }
    data.delete(input.name);
    state.items.forEach(function (item) { data.append(input.name, item.blob, item.name); });

    var action = actionOf(form);
    var outbox = window.BluebirdOutbox;
    if (outbox && outbox.isOffline()) return keep(form, data, action); // no signal: straight to the outbox
    var xhr = new XMLHttpRequest();
    xhr.open((form.getAttribute("method") || "post").toUpperCase(), action);
    xhr.setRequestHeader("Accept", "text/html");
    // Asks the server to name its redirect instead of sending one (bluebird/web.py): the
    // XHR would follow a 303 itself, use up the flash, and the page would load twice.
    xhr.setRequestHeader("X-Bluebird-Upload", "1");
    var progress = form.querySelector("[data-progress]");
    xhr.upload.addEventListener("progress", function (evt) {
      if (progress && evt.lengthComputable && evt.total) {
        progress.max = 100;
        progress.value = Math.round((evt.loaded / evt.total) * 100);
      }
    });
    xhr.onload = function () {
      if (xhr.status === 0) return lost(form, data, action);
      if (xhr.status === 503 && outbox) return keep(form, data, action); // busy: the outbox retries
      var target = xhr.getResponseHeader("X-Bluebird-Redirect");
      if (xhr.status === 200 && target) {
        if (progress) progress.value = 100;
        window.location.assign(target);
        return;
      }
      var landed = xhr.responseURL ? withoutHash(xhr.responseURL) : "";
      if (xhr.status >= 200 && xhr.status < 300 && landed && landed !== withoutHash(action)) {
        // The server saved and redirected (303): go there for real.
        if (progress) progress.value = 100;
        window.location.assign(xhr.responseURL);
        return;
      }
      showResponse(form, input, xhr);
    };
    xhr.onerror = xhr.ontimeout = function () { lost(form, data, action); };
    xhr.onabort = function () { failed(form); };
    xhr.send(data);
  }

  // The network failed: the outbox (static/outbox.js) keeps the submission, small photos
  // and all, and sends it when the signal returns. Without it, the files stay in the input.
  function lost(form, data, action) {
    if (window.BluebirdOutbox) return keep(form, data, action);
    failed(form);
  }

  function keep(form, data, action) {
    var state = stateOf(form);
    window.BluebirdOutbox.capture(form, data, action).then(function () {
      state.items = [];
      state.generation++;
      clearPreviews(form, state);
      setBusy(form, false);
    }, function () {
      failed(form);
    });
  }

  function failed(form) {
    setBusy(form, false);
    setMessage(form, t("network")); // the files are still in the input: tapping again retries
  }

  // Show the page the server answered (a 4xx with the error next to the field, or a 5xx)
  // in place of this one. Chosen files go back into the new form, unless the error was
  // about the photos themselves.
  function showResponse(form, input, xhr) {
    var state = stateOf(form);
    var files = state.items.map(function (item) { return item.file; });
    var action = form.getAttribute("action");
    var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    if (!doc.body || !doc.body.childElementCount) return failed(form);
    clearPreviews(form, state);
    document.title = doc.title;
    if (doc.documentElement.lang) document.documentElement.lang = doc.documentElement.lang;
    var body = document.adoptNode(doc.body);
    document.documentElement.replaceChild(body, document.body);
    if (window.htmx && typeof window.htmx.process === "function") window.htmx.process(body);
    body.dispatchEvent(new CustomEvent("htmx:load", { bubbles: true, detail: { elt: body } }));

    var again = null;
    body.querySelectorAll("form[data-photo-form]").forEach(function (f) {
      if (!again && f.getAttribute("action") === action) again = f;
    });
    var newInput = again && again.querySelector("input[data-photo-input][name='" + input.name + "']");
    var photoError = xhr.status === 413 || xhr.status === 415 ||
      (newInput && newInput.closest(".has-error")) || body.querySelector(".flash-error");
    if (newInput && files.length && !photoError && typeof DataTransfer === "function") {
      try {
        var transfer = new DataTransfer();
        files.forEach(function (file) { transfer.items.add(file); });
        newInput.files = transfer.files;
        handleFiles(again, newInput.files);
      } catch (e) { /* the user chooses again */ }
    }
    var problem = body.querySelector(".has-error, .flash-error, [role=alert]");
    if (problem && problem.scrollIntoView) problem.scrollIntoView({ block: "center" });
  }

  // ---- Events (delegated: they survive the body being replaced) -------------------------

  document.addEventListener("change", function (evt) {
    var input = evt.target;
    if (!input.matches || !input.matches("input[data-photo-input]")) return;
    var form = input.closest("form[data-photo-form]");
    if (form) handleFiles(form, input.files);
  });

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.matches || !form.matches("form[data-photo-form]")) return;
    var input = form.querySelector("input[data-photo-input]");
    var state = stateOf(form);
    if (state.sending) { // a double tap: the first one is on its way
      evt.preventDefault();
      return;
    }
    if (!input || !input.files || !input.files.length || typeof XMLHttpRequest !== "function") return;
    evt.preventDefault();
    var submitter = evt.submitter || null;
    setMessage(form, "");
    setBusy(form, true);
    if (state.items.length !== input.files.length) {
      // Chosen before this script ran, or restored: prepare them now.
      if (!state.generation) handleFiles(form, input.files);
    }
    state.ready.then(function () {
      send(form, input, submitter);
    }, function () {
      failed(form);
    });
  });

  window.BluebirdPhotos = { prepare: prepare };

  // Back from the next page (bfcache): the form must not stay stuck in "sending".
  window.addEventListener("pageshow", function (evt) {
    if (!evt.persisted) return;
    document.querySelectorAll("form[data-photo-form]").forEach(function (form) {
      if (stateOf(form).sending) setBusy(form, false);
    });
  });
})();
