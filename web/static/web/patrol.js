// Patrol report (巡查上报): narrow the category list as the worker types, and take the
// phone's position on arrival, showing the grid it falls in. No framework.
(function () {
  "use strict";
  var search = document.getElementById("id_category_q");
  var select = document.getElementById("id_category");
  var count = document.getElementById("category-count");
  if (search && select) {
    search.addEventListener("input", function () {
      var q = search.value.trim();
      var first = null, shown = 0;
      select.querySelectorAll("option[data-search]").forEach(function (o) {
        var hit = !q || o.getAttribute("data-search").indexOf(q) !== -1;
        o.hidden = !hit;
        o.disabled = !hit;
        if (hit) { shown += 1; if (!first) first = o; }
      });
      select.querySelectorAll("optgroup").forEach(function (g) {
        g.hidden = !g.querySelector("option:not([hidden])");
      });
      // Pick the best match unless the current choice still matches.
      var current = select.selectedOptions[0];
      if (first && (!current || !current.value || current.hidden)) { select.value = first.value; }
      if (count) { count.textContent = q ? shown + " / " + select.querySelectorAll("option[data-search]").length : ""; }
    });
  }

  var button = document.getElementById("use-position");
  var status = document.getElementById("position-status");
  var hint = document.getElementById("locate-hint");
  var lat = document.getElementById("id_lat");
  var lng = document.getElementById("id_lng");
  if (!button || !lat) return;
  if (!("geolocation" in navigator)) { button.hidden = true; return; }

  function showPlace() {
    var url = button.getAttribute("data-locate") + "?lat=" + encodeURIComponent(lat.value) + "&lng=" + encodeURIComponent(lng.value);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { hint.innerHTML = html; });
  }

  function locate() {
    status.textContent = button.getAttribute("data-wait") || "…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lng.value = pos.coords.longitude.toFixed(6);
      // The place in words comes from the locate hint below; no raw coordinates.
      status.textContent = "✓ " + (button.getAttribute("data-done") || "");
      showPlace();
    }, function () {
      status.textContent = "✗ " + (button.getAttribute("data-failed") || "");
    }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }

  button.addEventListener("click", locate);
  // A patrol report is about where the worker stands: ask at once, unless the page came
  // back with a position already (a form error).
  if (lat.value && lng.value) { showPlace(); } else { locate(); }
})();
