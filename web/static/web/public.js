// "Use my position": fills the hidden lat/lng fields from the phone's GPS.
(function () {
  "use strict";
  var button = document.getElementById("use-position");
  var status = document.getElementById("position-status");
  if (!button) return;
  if (!("geolocation" in navigator)) { button.hidden = true; return; }
  button.addEventListener("click", function () {
    status.textContent = button.getAttribute("data-wait") || "…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("id_lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("id_lng").value = pos.coords.longitude.toFixed(6);
      status.textContent = "✓ " + pos.coords.latitude.toFixed(4) + ", " + pos.coords.longitude.toFixed(4);
    }, function () { status.textContent = "✗"; }, { enableHighAccuracy: true, timeout: 10000 });
  });
})();
