// Shared by every page. Behaviour lives here rather than in on* attributes so the
// Content-Security-Policy can forbid inline script (script-src 'self').
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select[data-autosubmit]")) { e.target.form.submit(); }
  });
})();
