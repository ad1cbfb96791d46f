// Fields shown only while a radio choice is made (issue 20), without inline script (the CSP forbids it).
// A field marked data-shown-when="same_address=False" lives in a block (crispy's div_id_<name>) that gets the
// hidden attribute while the radio named same_address has another value ticked, so a screen reader skips it
// too. Progressive enhancement: the page is sent with every field shown; without this script they stay shown.
// A field the server marked invalid (aria-invalid) is never hidden on arrival. Hiding keeps what was typed.
(function () {
  "use strict";

  function block(field) {
    return document.getElementById("div_" + field.id) || field.parentNode;
  }

  function start() {
    var fields = Array.prototype.slice.call(document.querySelectorAll("[data-shown-when]"));
    var groups = {};
    fields.forEach(function (field) {
      var rule = field.getAttribute("data-shown-when").split("=");
      var form = field.form;
      if (!form || rule.length !== 2) { return; }
      var key = rule[0] + "=" + rule[1];
      if (!groups[key]) { groups[key] = {form: form, name: rule[0], value: rule[1], fields: []}; }
      groups[key].fields.push(field);
    });
    Object.keys(groups).forEach(function (key) {
      var group = groups[key];
      var radios = group.form.querySelectorAll('input[type="radio"][name="' + group.name + '"]');
      if (!radios.length) { return; }
      function chosen() {
        var ticked = group.form.querySelector('input[type="radio"][name="' + group.name + '"]:checked');
        return ticked && ticked.value === group.value;
      }
      function update() {
        var show = chosen();
        group.fields.forEach(function (field) { block(field).hidden = !show; });
      }
      var invalid = group.fields.some(function (field) { return field.getAttribute("aria-invalid") === "true"; });
      if (!invalid) { update(); }
      Array.prototype.forEach.call(radios, function (radio) { radio.addEventListener("change", update); });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
