// The slider puzzle of the change and bind mobile pages: the one part of
// the pages that cannot work without a script.
(function () {
  "use strict";

  // The slider puzzle: drag the handle (mouse, pen or finger; pointer
  // events) and the piece follows. On release the form posts x, the
  // piece's left edge, and the drag trail [[ms, x, y], …], both in the
  // picture's own pixels whatever size it is shown at, with times from the
  // events' own timestamps since the press.
  function puzzle(form) {
    var width = +form.getAttribute("data-width");
    var height = +form.getAttribute("data-height");
    var frame = form.querySelector(".puzzle-frame");
    var piece = form.querySelector(".puzzle-piece");
    var handle = form.querySelector(".slider-handle");
    var fill = form.querySelector(".slider-fill");
    var drag = null;
    function place() {
      piece.style.top = (+form.getAttribute("data-piece-y") / height * 100) + "%";
      piece.style.width = (piece.naturalWidth / width * 100) + "%";
    }
    if (piece.complete) {
      place();
    } else {
      piece.addEventListener("load", place);
    }
    function sample(ev) {
      var x = Math.round((ev.clientX - drag.startX) / drag.scale);
      x = Math.max(0, Math.min(drag.maxX, x));
      var t = Math.max(drag.lastT, Math.round(ev.timeStamp - drag.t0));
      drag.lastT = t;
      drag.trail.push([t, x, Math.round((ev.clientY - drag.top) / drag.scale)]);
      return x;
    }
    function show(x) {
      var px = x * (drag ? drag.scale : 1);
      piece.style.left = px + "px";
      handle.style.left = px + "px";
      fill.style.width = (px + handle.offsetWidth / 2) + "px";
    }
    handle.addEventListener("pointerdown", function (ev) {
      if (drag || form.classList.contains("busy")) {
        return;
      }
      ev.preventDefault();
      handle.setPointerCapture(ev.pointerId);
      var rect = frame.getBoundingClientRect();
      var scale = rect.width / width;
      drag = { id: ev.pointerId, startX: ev.clientX, top: rect.top, t0: ev.timeStamp, lastT: 0, scale: scale,
        maxX: Math.min(width - piece.naturalWidth, (frame.clientWidth - handle.offsetWidth) / scale), trail: [] };
      sample(ev);
    });
    handle.addEventListener("pointermove", function (ev) {
      if (!drag || ev.pointerId !== drag.id) {
        return;
      }
      var events = ev.getCoalescedEvents ? ev.getCoalescedEvents() : [];
      var x = 0;
      (events.length ? events : [ev]).forEach(function (e) { x = sample(e); });
      show(x);
    });
    handle.addEventListener("pointerup", function (ev) {
      if (!drag || ev.pointerId !== drag.id) {
        return;
      }
      var x = sample(ev);
      show(x);
      form.querySelector("input[name=x]").value = x;
      form.querySelector("input[name=trail]").value = JSON.stringify(thin(drag.trail, 500));
      drag = null;
      form.classList.add("busy");
      form.submit();
    });
    handle.addEventListener("pointercancel", function () {
      drag = null;
      show(0);
    });
  }

  // thin keeps at most n samples, evenly, with the first and the last.
  function thin(trail, n) {
    if (trail.length <= n) {
      return trail;
    }
    var out = [];
    for (var i = 0; i < n; i++) {
      out.push(trail[Math.round(i * (trail.length - 1) / (n - 1))]);
    }
    return out;
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.puzzle").forEach(puzzle);
  });
})();
