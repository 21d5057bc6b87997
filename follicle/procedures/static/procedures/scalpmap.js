// The scalp map of a draft session record: choose a zone (mouse, touch or keyboard) to type its
// figures in the table, which is the real form; the map's shades, figures and the volume total
// follow what is typed. Without JavaScript each zone is a link to its row's first input.
(function () {
  "use strict";

  var LEVELS = 4;
  var KEYS = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : match;
    });
  }

  function toNumber(value) {
    var n = parseFloat(String(value || "").replace(",", "."));
    return isFinite(n) && n > 0 ? n : 0;
  }

  function init() {
    var figure = document.querySelector("[data-scalp-map][data-interactive]");
    var form = document.getElementById("zones-form");
    if (!figure || !form) return;
    var lang = document.documentElement.lang || undefined;
    var volumeFormat = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 2 });
    var zones = Array.prototype.slice.call(figure.querySelectorAll("a.zone[data-zone]"));
    var byKey = {};
    zones.forEach(function (zone) { byKey[zone.dataset.zone] = zone; });
    var total = document.getElementById("zones-total");
    var announce = null;

    function input(kind, key) { return form.elements[kind + "_" + key]; }

    function read(key) {
      var points = input("points", key), volume = input("volume", key);
      return { points: points ? parseInt(points.value, 10) || 0 : 0, volume: volume ? toNumber(volume.value) : 0 };
    }

    function render(now) {
      var values = {}, most = 0, sum = 0;
      zones.forEach(function (zone) {
        var v = read(zone.dataset.zone);
        values[zone.dataset.zone] = v;
        most = Math.max(most, v.volume);
        sum += v.volume;
      });
      zones.forEach(function (zone) {
        var v = values[zone.dataset.zone];
        var treated = v.points > 0 || v.volume > 0;
        var level = v.volume > 0 && most > 0 ? Math.min(LEVELS, Math.ceil((LEVELS * v.volume) / most - 1e-9)) : 0;
        // The zone's visible words sit in a sibling group (not inside the link, whose accessible
        // name is its aria-label): shade both alike.
        var words = figure.querySelector('[data-zone-text="' + zone.dataset.zone + '"]');
        for (var i = 0; i <= LEVELS; i++) {
          zone.classList.toggle("level-" + i, i === level);
          words.classList.toggle("level-" + i, i === level);
        }
        var volumeText = volumeFormat.format(v.volume);
        words.querySelector('[data-figure="points"]').textContent = treated ? fill(figure.dataset.tplPoints, { n: v.points }) : "";
        words.querySelector('[data-figure="volume"]').textContent = treated ? fill(figure.dataset.tplVolume, { v: volumeText }) : "";
        zone.setAttribute(
          "aria-label",
          treated
            ? fill(figure.dataset.tplSome, { zone: zone.dataset.label, points: v.points, volume: volumeText })
            : fill(figure.dataset.tplNone, { zone: zone.dataset.label })
        );
      });
      if (total) renderTotal(Math.round(sum * 100) / 100, now);
    }

    function renderTotal(sum, now) {
      var prepared = total.dataset.prepared === "" ? null : toNumber(total.dataset.prepared);
      var over = prepared !== null && sum > prepared + toNumber(total.dataset.tolerance);
      var text = prepared === null
        ? fill(total.dataset.tplSum, { total: volumeFormat.format(sum) })
        : fill(total.dataset.tplOf, { total: volumeFormat.format(sum), prepared: volumeFormat.format(prepared) });
      if (over) text += " — " + total.dataset.tplOver;
      function show() {
        total.classList.toggle("text-danger", over);
        total.classList.toggle("fw-semibold", over);
        var icon = total.querySelector("[data-total-icon]");
        icon.classList.toggle("bi-exclamation-triangle-fill", over);
        icon.classList.toggle("bi-droplet-half", !over);
        total.querySelector("[data-total-text]").textContent = text;
      }
      // The live region speaks once typing pauses, not at every keystroke.
      window.clearTimeout(announce);
      if (now) show();
      else announce = window.setTimeout(show, 300);
    }

    var selectedRing = figure.querySelector('[data-ring="selected"]');
    var focusRing = figure.querySelector('[data-ring="focus"]');

    function ring(path, zone) {
      if (!path) return;
      path.setAttribute("d", zone ? zone.querySelector(".zone-shape").getAttribute("d") : "");
      path.classList.toggle("is-shown", Boolean(zone));
    }

    function highlight(key) {
      ring(selectedRing, byKey[key]);
      zones.forEach(function (zone) {
        var on = zone.dataset.zone === key;
        zone.classList.toggle("is-selected", on);
        if (on) zone.setAttribute("aria-current", "true"); else zone.removeAttribute("aria-current");
      });
      Array.prototype.forEach.call(form.querySelectorAll("[data-zone-row]"), function (row) {
        row.classList.toggle("is-selected", row.dataset.zoneRow === key);
      });
    }

    // One tab stop for the map; the arrow keys move between its zones (a roving tabindex).
    function rove(target) {
      zones.forEach(function (zone) { zone.setAttribute("tabindex", zone === target ? "0" : "-1"); });
    }

    function choose(key) {
      highlight(key);
      rove(byKey[key]);
      var points = input("points", key);
      if (points) {
        points.focus();
        points.select();
      }
    }

    zones.forEach(function (zone) {
      zone.addEventListener("click", function (event) {
        event.preventDefault();
        choose(zone.dataset.zone);
      });
      zone.addEventListener("focus", function () {
        ring(focusRing, zone.matches(":focus-visible") ? zone : null);
      });
      zone.addEventListener("blur", function () { ring(focusRing, null); });
      zone.addEventListener("keydown", function (event) {
        if (event.key === " " || event.key === "Spacebar") {
          event.preventDefault();
          choose(zone.dataset.zone);
          return;
        }
        var direction = KEYS[event.key];
        if (!direction) return;
        var next = byKey[zone.dataset[direction]];
        event.preventDefault();
        if (next) {
          rove(next);
          next.focus();
        }
      });
    });

    form.addEventListener("input", function () { render(false); });
    form.addEventListener("focusin", function (event) {
      var row = event.target.closest("[data-zone-row]");
      if (row) {
        highlight(row.dataset.zoneRow);
        rove(byKey[row.dataset.zoneRow]);
      }
    });

    rove(zones[0]);
    render(true);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
