/* Keyboard and screen-reader help on every page (issue 20), without inline script (the CSP forbids it).

   1. Focus: an element marked data-focus-on-load (a confirmation, a server-written error summary) gets the
      focus when the page opens, so a screen reader reads it first.
   2. Errors: a form with invalid fields (aria-invalid="true", which Django sets on fields with errors) gets an
      error summary at its top when the server did not write one — « Erreur » heading, one link per field —
      and the page title starts with « Erreur : ». The summary receives the focus.
   3. Session: two minutes before the session ends a warning offers to extend it (POST to the URL in
      <meta name="session-extend">); text typed in a form is kept in sessionStorage until the form is sent,
      and given back when the parent comes back to the page (after logging in again, say), with a
      « session expirée » message on the login page when it did expire.
*/
(function () {
  "use strict";
  var store = window.sessionStorage;
  var DRAFT = "portal-draft:";
  var EXPIRES = "portal-session-expires";
  var WARN_BEFORE = 120; // seconds

  function text(node) { return (node && node.textContent || "").replace(/\s+/g, " ").trim(); }

  // ------------------------------------------------------------------ 2. error summary
  function fieldLabel(field) {
    var label = field.id && document.querySelector('label[for="' + field.id + '"]');
    if (label) { return text(label); }
    var legend = field.closest("fieldset") && field.closest("fieldset").querySelector("legend");
    return legend ? text(legend) : (field.getAttribute("aria-label") || field.name || "Champ");
  }

  function fieldError(field) {
    var ids = (field.getAttribute("aria-describedby") || "").split(/\s+/);
    for (var i = 0; i < ids.length; i++) {
      var node = ids[i] && document.getElementById(ids[i]);
      if (node && /(error|err|invalid)/i.test(ids[i] + " " + node.className)) { return text(node); }
    }
    var box = field.closest(".mb-3, .mb-2, .form-check, fieldset, p, div");
    var err = box && box.querySelector(".invalid-feedback, .errorlist, .text-danger");
    return err ? text(err) : "";
  }

  function buildSummary() {
    if (document.querySelector(".error-summary")) { return document.querySelector(".error-summary"); }
    var invalid = Array.prototype.filter.call(document.querySelectorAll('main form [aria-invalid="true"]'),
      function (f) { return f.type !== "hidden"; });
    if (!invalid.length) { return null; }
    var form = invalid[0].closest("form");
    var box = document.createElement("div");
    box.className = "alert alert-danger error-summary";
    box.setAttribute("role", "alert");
    box.setAttribute("tabindex", "-1");
    box.id = "resume-erreurs";
    var h = document.createElement("h2");
    h.className = "h5";
    h.textContent = invalid.length > 1 ? "Erreur : " + invalid.length + " champs sont à corriger"
      : "Erreur : un champ est à corriger";
    box.appendChild(h);
    var list = document.createElement("ul");
    list.className = "mb-0";
    var seen = {};
    invalid.forEach(function (field) {
      var key = field.name || field.id;
      if (seen[key]) { return; }
      seen[key] = true;
      if (!field.id) { return; }
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "#" + field.id;
      var err = fieldError(field);
      a.textContent = fieldLabel(field) + (err ? " : " + err : "");
      a.addEventListener("click", function (event) { event.preventDefault(); field.focus(); });
      li.appendChild(a);
      list.appendChild(li);
    });
    box.appendChild(list);
    form.parentNode.insertBefore(box, form);
    return box;
  }

  function errorsAndFocus() {
    var summary = buildSummary();
    if (summary && !/^Erreur/.test(document.title)) { document.title = "Erreur : " + document.title; }
    // After an action the focus goes to its message, unless the address names where to go (#calendrier).
    var target = summary || (location.hash.length > 1 ? null : document.querySelector("[data-focus-on-load]"));
    if (target) {
      if (!target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
      target.focus();
    }
  }

  // ------------------------------------------------------------------ 3. drafts and session
  function draftForms() {
    return Array.prototype.filter.call(document.querySelectorAll("main form"), function (f) {
      return (f.getAttribute("method") || "get").toLowerCase() === "post" && !f.hasAttribute("data-no-draft");
    });
  }

  function keeps(field) {
    return field.name && !field.disabled && ["password", "file", "hidden", "submit", "button"].indexOf(field.type) < 0
      && field.name !== "csrfmiddlewaretoken";
  }

  function saveDraft(form, index) {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (f) {
      if (!keeps(f)) { return; }
      if (f.type === "checkbox" || f.type === "radio") {
        data[f.name + "=" + f.value] = f.checked;
      } else {
        data[f.name] = f.value;
      }
    });
    try { store.setItem(DRAFT + location.pathname + "#" + index, JSON.stringify(data)); } catch (e) { /* full */ }
  }

  function restoreDrafts() {
    var restored = false;
    draftForms().forEach(function (form, index) {
      var key = DRAFT + location.pathname + "#" + index;
      var raw = store.getItem(key);
      if (!raw) { return; }
      var data;
      try { data = JSON.parse(raw); } catch (e) { return; }
      Array.prototype.forEach.call(form.elements, function (f) {
        if (!keeps(f)) { return; }
        if (f.type === "checkbox" || f.type === "radio") {
          var k = f.name + "=" + f.value;
          if (k in data && f.checked !== data[k]) { f.checked = data[k]; restored = true; }
        } else if (f.name in data && f.value !== data[f.name]) {
          f.value = data[f.name];
          restored = true;
        }
      });
    });
    if (restored) {
      var note = document.createElement("div");
      note.className = "alert alert-info";
      note.setAttribute("role", "status");
      note.textContent = "Ce que vous aviez saisi sans l'envoyer a été rétabli : vérifiez-le avant de valider.";
      var main = document.querySelector("main");
      main.insertBefore(note, main.firstChild);
    }
  }

  function watchDrafts() {
    draftForms().forEach(function (form, index) {
      form.addEventListener("input", function () { saveDraft(form, index); });
      form.addEventListener("change", function () { saveDraft(form, index); });
      form.addEventListener("submit", function () { store.removeItem(DRAFT + location.pathname + "#" + index); });
    });
  }

  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function sessionWarning(expires) {
    var box = null;
    var timer = null;
    function show(expired) {
      if (!box) {
        box = document.createElement("div");
        box.className = "session-warning";
        box.setAttribute("role", "alertdialog");
        box.setAttribute("aria-labelledby", "session-warning-text");
        document.body.appendChild(box);
      }
      box.innerHTML = "";
      var p = document.createElement("p");
      p.id = "session-warning-text";
      p.className = "mb-2";
      if (expired) {
        p.textContent = "Votre session a expiré. Reconnectez-vous : ce que vous avez saisi sur cette page sera rétabli.";
        var a = document.createElement("a");
        a.className = "btn btn-primary";
        a.href = "/compte/login/?next=" + encodeURIComponent(location.pathname + location.search);
        a.textContent = "Me reconnecter";
        box.appendChild(p);
        box.appendChild(a);
        a.focus();
        return;
      }
      p.textContent = "Votre session se termine dans moins de 2 minutes. Ce que vous avez saisi est gardé sur cet appareil.";
      var b = document.createElement("button");
      b.type = "button";
      b.className = "btn btn-primary";
      b.textContent = "Rester connecté";
      b.addEventListener("click", extend);
      box.appendChild(p);
      box.appendChild(b);
      b.focus();
    }
    function schedule(at) {
      clearTimeout(timer);
      store.setItem(EXPIRES, String(at));
      var left = at - Date.now() / 1000;
      if (left <= 0) { show(true); return; }
      timer = setTimeout(function () {
        show(false);
        timer = setTimeout(function () { show(true); }, Math.max(0, at - Date.now() / 1000) * 1000);
      }, Math.max(0, left - WARN_BEFORE) * 1000);
    }
    function extend() {
      var meta = document.querySelector('meta[name="session-extend"]');
      fetch(meta ? meta.content : "/compte/session/prolonger/", {
        method: "POST", credentials: "same-origin", headers: {"X-CSRFToken": csrf(), "Accept": "application/json"}
      }).then(function (r) { return r.ok ? r.json() : Promise.reject(r); }).then(function (data) {
        if (box) { box.remove(); box = null; }
        schedule(data.expires);
        var live = document.createElement("p");
        live.className = "visually-hidden";
        live.setAttribute("role", "status");
        document.body.appendChild(live);
        live.textContent = "Session prolongée.";
      }).catch(function () { show(true); });
    }
    schedule(expires);
  }

  function expiredNotice() {
    // On the login page: the session this browser had has run out.
    var was = parseFloat(store.getItem(EXPIRES) || "0");
    var form = document.querySelector('form[action*="/compte/login/"]');
    if (!form || !was || was > Date.now() / 1000) { return; }
    store.removeItem(EXPIRES);
    var note = document.createElement("div");
    note.className = "alert alert-warning";
    note.setAttribute("role", "alert");
    note.textContent = "Votre session a expiré : reconnectez-vous. Ce que vous aviez saisi sera rétabli.";
    form.parentNode.insertBefore(note, form);
  }

  function start() {
    restoreDrafts();
    watchDrafts();
    errorsAndFocus();
    var meta = document.querySelector('meta[name="session-expires"]');
    var expires = meta && parseFloat(meta.content);
    if (expires) { sessionWarning(expires); } else { expiredNotice(); }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
