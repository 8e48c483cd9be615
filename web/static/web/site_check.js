// 现场核查 (issue 16): fill the check's position from the phone when its form is opened.
// The handler can still type it; the server checks range and nearness either way.
(function () {
  var lat = document.querySelector('input[data-geo="lat"]');
  var lng = document.querySelector('input[data-geo="lng"]');
  if (!lat || !lng || !("geolocation" in navigator)) return;
  var details = lat.closest("details");

  function fill() {
    if (lat.value && lng.value) return; // kept input after an error, or typed by hand
    navigator.geolocation.getCurrentPosition(function (pos) {
      lat.value = pos.coords.latitude.toFixed(6);
      lng.value = pos.coords.longitude.toFixed(6);
    }, function () {}, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
  }

  if (details) {
    details.addEventListener("toggle", function () { if (details.open) fill(); });
    if (details.open) fill();
  }
})();
