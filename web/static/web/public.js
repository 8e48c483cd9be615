// The resident's form on a phone. "Use my position" fills the hidden lat/lng fields
// from the GPS and shows the place in words (街道 · 社区 · 网格), never raw coordinates;
// the chosen photo's preview is static/js/base.js's (the patrol page has one too).
(function () {
  "use strict";
  var button = document.getElementById("use-position");
  var status = document.getElementById("position-status");
  if (button && !("geolocation" in navigator)) { button.hidden = true; }
  if (button && "geolocation" in navigator) {
    button.addEventListener("click", function () {
      status.textContent = button.getAttribute("data-wait") || "…";
      navigator.geolocation.getCurrentPosition(function (pos) {
        var lat = pos.coords.latitude.toFixed(6), lng = pos.coords.longitude.toFixed(6);
        document.getElementById("id_lat").value = lat;
        document.getElementById("id_lng").value = lng;
        fetch(button.getAttribute("data-where") + "?lat=" + lat + "&lng=" + lng, { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) { status.textContent = "✓ " + (data.place || button.getAttribute("data-outside")); })
          .catch(function () { status.textContent = "✓ " + button.getAttribute("data-outside"); });
      }, function () { status.textContent = "✗"; }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }
})();
