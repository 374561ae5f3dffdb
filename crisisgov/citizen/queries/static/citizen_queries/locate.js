// "Use my location": the browser's position fills the point form, which the citizen then sends.
(function () {
  "use strict";
  var button = document.getElementById("locate");
  if (!button || !navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("lon").value = position.coords.longitude.toFixed(5);
      document.getElementById("lat").value = position.coords.latitude.toFixed(5);
      document.getElementById("point-form").submit();
    });
  });
})();
