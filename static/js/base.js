// Shared by every page. Behaviour lives here rather than in on* attributes so the
// Content-Security-Policy can forbid inline script (script-src 'self').
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select[data-autosubmit]")) { e.target.form.submit(); }
  });
  // After the server refuses a form, the cursor goes to the field it refused (Django marks
  // it aria-invalid), not to the first field: the user fixes the error without hunting.
  function focusFirstError(root) {
    var bad = root.querySelector('[aria-invalid="true"], .has-error input, .has-error select, .has-error textarea');
    if (!bad) return;
    bad.focus({ preventScroll: true });
    bad.scrollIntoView({ block: "center" });
  }
  document.addEventListener("DOMContentLoaded", function () { focusFirstError(document); });
  document.addEventListener("htmx:afterSwap", function (e) { focusFirstError(e.target); });
  // A chosen photo (input[type=file][data-preview=<img id>]) is shown before it is sent.
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input.matches || !input.matches("input[type=file][data-preview]")) return;
    var img = document.getElementById(input.getAttribute("data-preview"));
    if (!img) return;
    var file = input.files && input.files[0];
    img.hidden = !(file && file.type.indexOf("image/") === 0);
    if (!img.hidden) { img.src = URL.createObjectURL(file); }
  });
  // On a phone the navigation is one line that scrolls sideways: bring the current page's
  // link into view (centred), so the user sees where they are and what lies either side.
  document.addEventListener("DOMContentLoaded", function () {
    var here = document.querySelector('.topbar nav a[aria-current="page"]');
    var nav = here && here.closest("nav");
    if (!nav || nav.scrollWidth <= nav.clientWidth) return;
    var offset = here.getBoundingClientRect().left - nav.getBoundingClientRect().left;
    nav.scrollLeft += offset - (nav.clientWidth - here.offsetWidth) / 2;
  });
  // [data-copy="text"] copies text to the clipboard and says so on the button.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-copy]");
    if (!b || !navigator.clipboard) return;
    navigator.clipboard.writeText(b.getAttribute("data-copy")).then(function () {
      b.textContent = b.getAttribute("data-copied") || "✓";
    });
  });
})();
