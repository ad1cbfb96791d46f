/* Month calendar, edit mode: each box's label says what it will do as it changes — « sera réservé » when a
   free day is ticked, « sera annulé » when a booked day is unticked, its state otherwise — so a screen
   reader hears the change on the box itself. The unit rules are checked on the server (htmx, on change). */
(function () {
  "use strict";
  function update(box) {
    var label = box.id && document.querySelector('label[for="' + box.id + '"] .cal-note');
    if (!label) { return; }
    var booked = box.hasAttribute("data-booked");
    var text = label.getAttribute("data-plain") || "";
    if (box.checked && !booked) { text = "sera réservé"; }
    if (!box.checked && booked) { text = "sera annulé"; }
    label.textContent = text ? " " + text : "";
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box && box.matches && box.matches('.cal-edit input[type="checkbox"][name="case"]')) { update(box); }
  });
}());
