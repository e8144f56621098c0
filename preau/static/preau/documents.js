// Espace documentaire: uploads with a real progress bar per file, and drag and drop onto a
// folder's listing. No inline script (CSP). Without this script the upload form posts all
// the files at once to the same view, which makes the same checks.
(function () {
  "use strict";

  function text(form, key) { return form.dataset[key] || ""; }

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // After the uploads, take the listing and the quota gauge from a fresh copy of the page.
  function refresh() {
    var request = new XMLHttpRequest();
    request.open("GET", window.location.href);
    request.responseType = "document";
    request.addEventListener("load", function () {
      var fresh = request.response;
      if (!fresh) { return; }
      ["doc-listing", "quota-gauge"].forEach(function (id) {
        var newer = fresh.getElementById(id), older = document.getElementById(id);
        if (newer && older) {
          older.replaceWith(document.importNode(newer, true));
          if (window.htmx) { window.htmx.process(document.getElementById(id)); }
        }
      });
    });
    request.send();
  }

  function row(list, file, form) {
    var item = document.createElement("li");
    var name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var status = document.createElement("span");
    status.className = "upload-status";
    status.textContent = text(form, "msgWaiting");
    item.append(name, bar, status);
    list.appendChild(item);
    return { item: item, bar: bar, status: status };
  }

  function errorOf(request) {
    try {
      var data = JSON.parse(request.responseText);
      if (data.results && data.results.length && data.results[0].error) { return data.results[0].error; }
      if (data.error) { return data.error; }
    } catch (ignored) { /* not JSON: a proxy's or the server's error page */ }
    return request.status + " " + request.statusText;
  }

  // One request per file: its own progress bar and its own answer.
  function send(form, file, line, done) {
    var request = new XMLHttpRequest();
    var data = new FormData();
    var folder = form.querySelector("input[name=folder]");
    if (folder) { data.append("folder", folder.value); }
    data.append("files", file, file.name);
    request.open("POST", form.action);
    request.setRequestHeader("X-CSRFToken", csrfToken(form));
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        line.bar.value = Math.round(event.loaded / event.total * 100);
      }
    });
    line.status.textContent = text(form, "msgSending");
    request.addEventListener("load", function () {
      if (request.status === 201) {
        line.bar.value = 100;
        line.item.classList.add("done");
        line.status.textContent = text(form, "msgDone");
        done(true);
      } else {
        line.item.classList.add("failed");
        line.status.textContent = text(form, "msgFailed") + " " + errorOf(request);
        done(false);
      }
    });
    request.addEventListener("error", function () {
      line.item.classList.add("failed");
      line.status.textContent = text(form, "msgFailed") + " " + text(form, "msgNetwork");
      done(false);
    });
    request.send(data);
  }

  function uploadAll(form, files) {
    var list = form.querySelector(".upload-progress");
    var queue = Array.prototype.slice.call(files);
    if (!queue.length) { return; }
    list.hidden = false;
    list.textContent = "";
    var lines = queue.map(function (file) { return row(list, file, form); });
    var added = 0;
    var next = function (index) {
      if (index >= queue.length) {
        var input = form.querySelector("input[type=file]");
        if (input) { input.value = ""; }
        if (added) { refresh(); }
        return;
      }
      send(form, queue[index], lines[index], function (ok) {
        if (ok) { added += 1; }
        next(index + 1);
      });
    };
    next(0);
  }

  var supported = window.FormData && window.XMLHttpRequest && "upload" in new XMLHttpRequest();

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!supported || !form.matches || !form.matches("form[data-upload]")) { return; }
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files.length) { return; }
    event.preventDefault();
    uploadAll(form, input.files);
  });

  function zoneOf(event) {
    var zone = event.target.closest ? event.target.closest("[data-dropzone]") : null;
    if (!zone || !event.dataTransfer) { return null; }
    return Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0 ? zone : null;
  }

  document.addEventListener("dragover", function (event) {
    var zone = supported && zoneOf(event);
    if (!zone) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    zone.classList.add("dragging");
  });
  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest ? event.target.closest("[data-dropzone]") : null;
    if (zone && !zone.contains(event.relatedTarget)) { zone.classList.remove("dragging"); }
  });
  document.addEventListener("drop", function (event) {
    var zone = supported && zoneOf(event);
    if (!zone) { return; }
    event.preventDefault();
    zone.classList.remove("dragging");
    var form = document.getElementById(zone.dataset.dropzone);
    if (form) { uploadAll(form, event.dataTransfer.files); }
  });
}());
