// The « salle d'attente » (portal/waiting_room.py): count down the server's Retry-After, then open the page
// again (a GET: a form is never sent again by itself). The parent can stop the automatic retry.
(function () {
  "use strict";
  var link = document.getElementById("waiting-retry");
  if (!link) { return; }
  var left = parseInt(link.getAttribute("data-retry-after"), 10) || 5;
  var countdown = document.querySelector("[data-countdown]");
  var status = document.getElementById("waiting-status");
  var stop = document.getElementById("waiting-stop");
  var timer = window.setInterval(function () {
    left -= 1;
    if (left > 0) {
      if (countdown) { countdown.textContent = String(left); }
      return;
    }
    window.clearInterval(timer);
    if (status) { status.textContent = "Nouvel essai…"; }
    window.location.assign(link.href);
  }, 1000);
  if (stop) {
    stop.hidden = false;
    stop.addEventListener("click", function () {
      window.clearInterval(timer);
      stop.hidden = true;
      if (status) { status.textContent = "Réessai automatique arrêté : choisissez « Réessayer maintenant » quand vous le souhaitez."; }
    });
  }
}());
