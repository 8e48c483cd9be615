// The work queues (desk, workbench): keyboard-first, no inline script (CSP).
// j/k move through the list, Enter goes into the detail pane, one letter per action
// (the button's data-key, shown on it), "/" searches units, Esc back to the list.
// The unit search filters the <select>'s options as one types.
(function () {
  "use strict";
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#rows > li.qrow")); }
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }
  function markSelected(number) {
    rows().forEach(function (r) {
      var on = r.getAttribute("data-number") === number;
      r.classList.toggle("selected", on);
      var a = r.querySelector("a");
      if (a) { if (on) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); } }
    });
  }
  function move(step) {
    var list = rows();
    if (!list.length) return;
    var i = list.findIndex(function (r) { return r.classList.contains("selected"); });
    i = Math.max(0, Math.min(list.length - 1, i + step));
    var link = list[i].querySelector("a");
    if (link) { link.focus(); link.click(); }
  }
  function filterUnits(input) {
    var select = document.getElementById(input.getAttribute("data-filter-for"));
    if (!select) return;
    var q = input.value.trim().toLowerCase();
    var first = null;
    Array.prototype.forEach.call(select.querySelectorAll("option"), function (opt) {
      if (!opt.value) return;
      var hit = !q || opt.textContent.toLowerCase().indexOf(q) !== -1;
      opt.hidden = !hit;
      if (hit && !first) first = opt;
    });
    Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (g) {
      var hit = !q || g.label.toLowerCase().indexOf(q) !== -1;
      if (hit) { Array.prototype.forEach.call(g.querySelectorAll("option"), function (o) { o.hidden = false; if (!first) first = o; }); }
      g.hidden = !Array.prototype.some.call(g.querySelectorAll("option"), function (o) { return !o.hidden; });
    });
    var chosen = select.options[select.selectedIndex];
    if (q && first && (!chosen || chosen.hidden || !chosen.value)) { select.value = first.value; }
  }
  document.addEventListener("input", function (e) {
    if (e.target.matches && e.target.matches("input.unit-filter")) filterUnits(e.target);
  });
  document.addEventListener("keydown", function (e) {
    if (!document.querySelector("[data-queue]")) return;
    if (e.key === "Escape" && typing(document.activeElement)) {
      document.activeElement.blur();
      var sel = document.querySelector("#rows > li.selected a");
      if (sel) sel.focus();
      return;
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.target.closest && e.target.closest("#pane form")) {
      e.preventDefault();
      e.target.closest("form").requestSubmit();
      return;
    }
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "j") { e.preventDefault(); move(1); return; }
    if (e.key === "k") { e.preventDefault(); move(-1); return; }
    if (e.key === "/") {
      var search = document.querySelector("#pane input.unit-filter");
      if (search) { e.preventDefault(); search.focus(); }
      return;
    }
    if (e.key === "Enter" && e.target.closest && e.target.closest("#rows")) {
      var field = document.querySelector("#pane input:not([type=hidden]), #pane select, #pane textarea");
      if (field) { e.preventDefault(); field.focus(); }
      return;
    }
    var button = document.querySelector('#pane button[data-key="' + e.key + '"], .pager [data-key="' + e.key + '"]');
    if (button) {
      e.preventDefault();
      // A folded action (不予受理, 并单 in a <details>) is unfolded first.
      var fold = button.closest("details");
      if (fold) fold.open = true;
      var form = button.closest("form");
      var field2 = form && form.querySelector("select, textarea, input:not([type=hidden])");
      // An action with input to give goes to its first field; one without is done.
      if (field2) { field2.focus(); } else { button.click(); }
    }
  });
  // A refused action (400/403/409) answers with the pane that says why: show it.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var s = e.detail.xhr.status;
    if (s === 400 || s === 403 || s === 409) { e.detail.shouldSwap = true; e.detail.isError = false; }
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    var pane = document.getElementById("pane");
    if (pane) {
      markSelected(pane.getAttribute("data-number"));
      // One column on a phone: the pane sits under the list, so bring it into view.
      if (window.innerWidth < 900 && e.detail.requestConfig && e.detail.requestConfig.verb === "get") {
        pane.scrollIntoView({ block: "start" });
      }
      var active = document.activeElement;
      if (pane.getAttribute("data-number") && (!active || active === document.body || !active.closest("#rows"))) {
        var sel = document.querySelector("#rows > li.selected a");
        if (sel) sel.focus();
      }
    }
  });
})();
