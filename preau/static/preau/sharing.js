// The share dialog (preau/sharing): opened as a modal <dialog> whose panel htmx loads; without
// JS (or without <dialog>) the "Share" link simply opens the dialog's page. No inline script.
(function () {
  "use strict";

  function shareDialog(link) {
    var dialog = document.getElementById("share-dialog");
    if (dialog) { return dialog; }
    dialog = document.createElement("dialog");
    dialog.id = "share-dialog";
    dialog.className = "share-dialog";
    dialog.setAttribute("aria-labelledby", "share-dialog-title");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "secondary share-dialog-close";
    close.textContent = link.getAttribute("data-close-label") || "×";
    close.addEventListener("click", function () { dialog.close(); });
    var panel = document.createElement("div");
    panel.id = "share-panel";
    panel.className = "share-panel";
    dialog.appendChild(close);
    dialog.appendChild(panel);
    document.body.appendChild(dialog);
    // A change made in the dialog shows on the page behind it once the dialog is closed.
    dialog.addEventListener("htmx:afterRequest", function (event) {
      var verb = event.detail && event.detail.requestConfig && event.detail.requestConfig.verb;
      if (verb && verb !== "get" && event.detail.successful) { dialog.dataset.changed = "1"; }
    });
    dialog.addEventListener("close", function () {
      if (dialog.dataset.changed) { window.location.reload(); }
    });
    return dialog;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-share-dialog]");
    if (!link || !window.htmx || typeof window.HTMLDialogElement === "undefined") { return; }
    event.preventDefault();
    var dialog = shareDialog(link);
    window.htmx.ajax("GET", link.href, { target: "#share-panel", swap: "innerHTML" })
      .then(function () { if (!dialog.open) { dialog.showModal(); } });
  });

  // Rights: "manage" implies every right, every right implies "read" (the server applies
  // the same rule; this only shows it while the user ticks).
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[type=checkbox][data-rights-group]")) { return; }
    var group = box.getAttribute("data-rights-group");
    var boxes = document.querySelectorAll("input[data-rights-group='" + group + "']");
    var right = box.getAttribute("data-right");
    boxes.forEach(function (other) {
      var otherRight = other.getAttribute("data-right");
      if (box.checked && right === "manage") { other.checked = true; }
      if (box.checked && otherRight === "read") { other.checked = true; }
      if (!box.checked && right === "read") { other.checked = false; }
      if (!box.checked && right !== "manage" && otherRight === "manage") { other.checked = false; }
    });
  });
})();
