// Keyboard-first intake: Ctrl+Enter submits, Alt+1..9 picks a suggested category,
// clicking a suggestion selects it. No framework; htmx does the fetching.
(function () {
  "use strict";
  function pick(button) {
    var select = document.getElementById("id_category");
    if (!select || !button) return;
    select.value = button.getAttribute("data-category");
    document.querySelectorAll(".chip").forEach(function (c) { c.setAttribute("aria-pressed", c === button ? "true" : "false"); });
    select.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.addEventListener("click", function (e) {
    var chip = e.target.closest && e.target.closest(".chip[data-category]");
    if (chip) { pick(chip); }
  });
  document.addEventListener("keydown", function (e) {
    var form = document.getElementById("intake");
    if (!form) return;
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
    if (e.altKey && /^[1-9]$/.test(e.key)) {
      var chip = document.querySelector('.chip[data-key="' + e.key + '"]');
      if (chip) { e.preventDefault(); pick(chip); }
    }
  });
})();
// An action that notifies people asks first (data-confirm; htmx forms use hx-confirm).
document.addEventListener("submit", function (e) {
  var form = e.target;
  if (form.hasAttribute && form.hasAttribute("data-confirm") && !form.hasAttribute("hx-post") &&
      !window.confirm(form.getAttribute("data-confirm"))) {
    e.preventDefault();
  }
});
