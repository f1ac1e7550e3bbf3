// The fee simulator (fees/simulator.html). Progressive enhancement only: without JavaScript
// "Ajouter une ligne" asks the server for one more line and the share link is a plain link.
(function () {
  "use strict";

  // "Ajouter une ligne": a copy of the empty line (the <template> the server rendered), numbered.
  var addButton = document.getElementById("ajouter-ligne");
  var model = document.getElementById("modele-ligne");
  var lines = document.getElementById("lignes");
  if (addButton && model && lines && "content" in model) {
    addButton.addEventListener("click", function (event) {
      var count = lines.querySelectorAll("[data-line]").length;
      var max = parseInt(addButton.getAttribute("data-max-lines"), 10) || 100;
      if (count >= max) { return; } // the server says why
      event.preventDefault();
      var number = String(count + 1);
      var holder = document.createElement("div");
      holder.innerHTML = model.innerHTML.split("__N__").join(number);
      var line = holder.firstElementChild;
      lines.appendChild(line);
      var first = line.querySelector("select, input");
      if (first) { first.focus(); }
    });
  }

  // "Copier le lien": shown only when the script runs.
  var copyButton = document.getElementById("copier-lien");
  var status = document.getElementById("copier-statut");
  if (copyButton) {
    var field = document.getElementById(copyButton.getAttribute("data-copy"));
    copyButton.hidden = false;
    var say = function (text) { if (status) { status.textContent = text; } };
    var fallback = function () {
      field.focus();
      field.select();
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
      say(copyButton.getAttribute(copied ? "data-copied" : "data-copy-failed"));
    };
    copyButton.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () {
          say(copyButton.getAttribute("data-copied"));
        }, fallback);
      } else {
        fallback();
      }
    });
  }
})();
