// « Tout cocher » on « Mes factures » (issue 20), without inline script (the CSP forbids it).
// The box marked data-tick-all="facture" ticks or unticks every enabled box named facture in its form. Its
// own change event bubbles to the form after this script has set the boxes, so the form's htmx request
// (hx-trigger="change", the live total) runs once with the new selection. The box says checked, unchecked or
// mixed (indeterminate) as the invoices are ticked one by one. The page is sent with the box hidden: without
// this script it stays hidden, and the invoices are ticked one by one.
(function () {
  "use strict";

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-tick-all]"), function (all) {
      var form = all.form;
      var name = all.getAttribute("data-tick-all");
      if (!form) { return; }
      function boxes() {
        return Array.prototype.filter.call(form.querySelectorAll('input[type="checkbox"]'), function (box) {
          return box !== all && box.name === name && !box.disabled;
        });
      }
      if (!boxes().length) { return; }
      function sync() {
        var list = boxes();
        var ticked = list.filter(function (box) { return box.checked; }).length;
        all.checked = ticked === list.length;
        all.indeterminate = ticked > 0 && ticked < list.length;
      }
      all.addEventListener("change", function () {
        all.indeterminate = false;
        boxes().forEach(function (box) { box.checked = all.checked; });
      });
      form.addEventListener("change", function (event) {
        if (event.target !== all && event.target.name === name) { sync(); }
      });
      sync();
      var wrapper = all.closest("[data-tick-all-box]");
      if (wrapper) { wrapper.hidden = false; }
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
