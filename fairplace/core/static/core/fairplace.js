// Loaded on every page (base.html).
// Progressive enhancement only: the server validates everything and ignores answers to
// questions that do not apply.
(function () {
  "use strict";
  function valueOf(form, name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if ((input.type === "radio" || input.type === "checkbox")) {
        if (input.checked) { return input.value; }
      } else {
        return input.value;
      }
    }
    return "";
  }
  function refresh(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (block) {
      var condition = JSON.parse(block.getAttribute("data-show-if"));
      var visible = Object.keys(condition).every(function (name) {
        return condition[name].indexOf(valueOf(form, name)) !== -1;
      });
      block.hidden = !visible;
    });
  }
  document.querySelectorAll("form").forEach(function (form) {
    if (!form.querySelector("[data-show-if]")) { return; }
    form.addEventListener("change", function () { refresh(form); });
    refresh(form);
  });
  var summary = document.querySelector("[data-focus-on-load]");
  if (summary) { summary.focus(); }
  document.querySelectorAll("[data-submit-once]").forEach(function (button) {
    button.form.addEventListener("submit", function () {
      // The server is idempotent anyway; this only spares a second request.
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  });
})();
