/* Check-in (pointage) without reloading, through short network cuts.
 *
 * Each tap gets an id made here (a UUID) and goes into a queue kept in localStorage before it is sent.
 * The queue is sent in order, one tap at a time; a tap leaves the queue only once the server answered it
 * (a network error or a server error keeps it for the next try: every 5 s, when the browser says it is
 * back online, and at the next page load). The server applies a tap id once, so a tap sent twice (the
 * answer lost in the cut) is never counted twice. The page shows the expected state at once.
 */
(function () {
  "use strict";
  var root = document.getElementById("checkin");
  if (!root) { return; }
  var KEY = "portal-checkin-queue";
  var url = root.dataset.tapUrl;
  var csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  var statusEl = document.getElementById("checkin-status");
  var flushing = false;
  var lastMessage = "";

  function load() {
    try { return JSON.parse(window.localStorage.getItem(KEY)) || []; } catch (e) { return []; }
  }
  var queue = load();
  function save() { window.localStorage.setItem(KEY, JSON.stringify(queue)); }

  function uuid() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function hhmm(d) { return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2); }

  var LABELS = { reserved: "Réservé", present: "Présent", absent_billed: "Absent facturé", excused: "Absent excusé",
                 cancelled: "Annulé" };

  function rowFor(bookingId) { return root.querySelector('.checkin-row[data-booking="' + bookingId + '"]'); }

  function render(row) {
    var s = row.dataset.state, left = !!row.dataset.left, synced = !!row.dataset.booking;
    var show = {
      arrive: s === "reserved" || s === "absent_billed",
      leave: s === "present" && !left,
      absent: s === "reserved",
      undo: row.dataset.undo === "1"
    };
    row.querySelectorAll("[data-action]").forEach(function (btn) {
      btn.hidden = !show[btn.dataset.action];
      btn.disabled = !synced;
    });
    row.querySelector("[data-label]").textContent = LABELS[s] || s;
    var t = "";
    if (row.dataset.arrived) { t = "Arrivé à " + row.dataset.arrived; }
    if (row.dataset.left) { t += (t ? " · " : "") + "parti à " + row.dataset.left; }
    row.querySelector("[data-times]").textContent = t;
    row.hidden = s === "cancelled";
  }

  function counters() {
    var c = { expected: 0, present: 0, absent: 0 };
    root.querySelectorAll(".checkin-row").forEach(function (row) {
      var s = row.dataset.state;
      if (s === "reserved" || s === "present" || s === "absent_billed") { c.expected += 1; }
      if (s === "present") { c.present += 1; }
      if (s === "absent_billed" || s === "excused") { c.absent += 1; }
    });
    Object.keys(c).forEach(function (k) { root.querySelector('[data-count="' + k + '"]').textContent = c[k]; });
  }

  function status() {
    var n = queue.length;
    statusEl.dataset.pending = String(n);
    statusEl.textContent = (n ? n + " pointage(s) en attente d'envoi : ils partiront dès le retour du réseau."
      : "Tout est enregistré.") + (lastMessage ? " " + lastMessage : "");
  }

  function snapshot(row) {
    return { state: row.dataset.state, arrived: row.dataset.arrived || "", left: row.dataset.left || "" };
  }
  function history(row) { return row._history || (row._history = []); }

  function optimistic(row, action, time) {
    var h = history(row);
    if (action === "undo") {
      var prev = h.pop();
      if (prev) { row.dataset.state = prev.state; row.dataset.arrived = prev.arrived; row.dataset.left = prev.left; }
      row.dataset.undo = h.length ? "1" : row.dataset.undo;
    } else {
      h.push(snapshot(row));
      if (action === "arrive") { row.dataset.state = "present"; row.dataset.arrived = time; row.dataset.left = ""; }
      if (action === "leave") { row.dataset.left = time; }
      if (action === "absent") { row.dataset.state = "absent_billed"; row.dataset.arrived = ""; row.dataset.left = ""; }
      row.dataset.undo = "1";
    }
    render(row);
  }

  function fromServer(row, b) {
    row.dataset.booking = b.id;
    row.dataset.state = b.state;
    row.dataset.arrived = b.arrived_at;
    row.dataset.left = b.left_at;
    row.dataset.undo = b.can_undo ? "1" : "";
    render(row);
  }

  function pendingFor(bookingId) {
    return queue.some(function (t) { return String(t.booking) === String(bookingId); });
  }

  function enqueue(tap) {
    queue.push(tap);
    save();
    status();
    counters();
    flush();
  }

  function tap(row, action) {
    var now = new Date();
    optimistic(row, action, hhmm(now));
    enqueue({ id: uuid(), booking: row.dataset.booking, action: action, at: now.toISOString() });
  }

  function answered(item, data) {
    var row = item.walk_in ? root.querySelector('.checkin-row[data-tap="' + item.id + '"]')
      : rowFor(item.booking);
    if (data.ok) {
      if (row && !pendingFor(data.booking.id)) { fromServer(row, data.booking); }
      lastMessage = "";
    } else {
      lastMessage = data.message || "Pointage refusé.";
      if (row && item.walk_in) { row.remove(); }
      else if (row && !item.walk_in && item.action !== "undo") {
        var prev = history(row).pop();
        if (prev) { row.dataset.state = prev.state; row.dataset.arrived = prev.arrived; row.dataset.left = prev.left; render(row); }
      }
    }
    counters();
  }

  function flush() {
    if (flushing || !queue.length) { status(); return; }
    flushing = true;
    var item = queue[0];
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(item)
    }).then(function (response) {
      if (response.status >= 500 || response.status === 403) { throw new Error("retry"); }
      return response.json();
    }).then(function (data) {
      queue = load().filter(function (t) { return t.id !== item.id; });
      save();
      answered(item, data);
      flushing = false;
      flush();
    }).catch(function () {
      flushing = false;  // kept in the queue: sent again later
      status();
    });
  }

  root.addEventListener("click", function (event) {
    var btn = event.target.closest("[data-action]");
    if (btn) {
      tap(btn.closest(".checkin-row"), btn.dataset.action);
      return;
    }
    var all = event.target.closest("[data-all-present]");
    if (all) {
      all.closest("[data-group]").querySelectorAll(".checkin-row").forEach(function (row) {
        if (row.dataset.state === "reserved" && row.dataset.booking) { tap(row, "arrive"); }
      });
    }
  });

  var form = document.getElementById("walk-in-form");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var child = form.elements.enrolment, unit = form.elements.unit;
      if (!child.value || !unit.value) { return; }
      var now = new Date();
      var tpl = document.getElementById("checkin-row-template").content.firstElementChild.cloneNode(true);
      var id = uuid();
      tpl.dataset.tap = id;
      tpl.dataset.arrived = hhmm(now);
      tpl.querySelector("[data-name]").textContent = child.options[child.selectedIndex].text + " (" +
        unit.options[unit.selectedIndex].text + ")";
      document.getElementById("walk-in-list").appendChild(tpl);
      render(tpl);
      enqueue({ id: id, walk_in: { enrolment: child.value, unit: unit.value, date: root.dataset.day },
                at: now.toISOString() });
      child.value = "";
    });
  }

  root.querySelectorAll(".checkin-row").forEach(function (row) {
    render(row);
  });
  // Taps kept from before a reload: show them, then send them.
  queue.forEach(function (t) {
    var row = t.booking && rowFor(t.booking);
    if (row) { optimistic(row, t.action, hhmm(new Date(t.at))); }
  });
  counters();
  window.addEventListener("online", flush);
  window.setInterval(flush, 5000);
  flush();
})();
