// The slider puzzle of the change and bind mobile pages: the one part of
// the pages that cannot work without a script (the page offers "I can't do
// the puzzle" for whoever cannot use it).
(function () {
  "use strict";

  // The slider puzzle. Drag the handle (mouse, pen or finger; pointer
  // events) and the piece follows; on release the form posts x, the
  // piece's left edge, and the drag trail [[ms, x, y], …], both in the
  // picture's own pixels whatever size it is shown at, with times from the
  // events' own timestamps since the press.
  //
  // Or, with the handle focused (WCAG 2.1.1): the arrow keys move the
  // piece 1 pixel, with Shift or Page Up/Down 10, Home and End to either
  // end, and Enter or Space posts x and the keys [[ms, x], …]: each key
  // that moved the piece, with where it left it, and last the key that
  // submitted, in ms since the first key. The handle is a slider to
  // assistive technology, and a live region says where the piece is.
  function puzzle(form) {
    var width = +form.getAttribute("data-width");
    var height = +form.getAttribute("data-height");
    var frame = form.querySelector(".puzzle-frame");
    var piece = form.querySelector(".puzzle-piece");
    var handle = form.querySelector(".slider-handle");
    var fill = form.querySelector(".slider-fill");
    var live = form.querySelector("#slider-live");
    var drag = null;
    var keys = null;
    var at = 0;
    var quiet = 0;
    function scale() {
      return frame.getBoundingClientRect().width / width;
    }
    // The farthest the piece can go: the picture's edge, or the slider's.
    function farthest(s) {
      return Math.max(0, Math.floor(Math.min(width - piece.naturalWidth, (frame.clientWidth - handle.offsetWidth) / s)));
    }
    function place() {
      piece.style.top = (+form.getAttribute("data-piece-y") / height * 100) + "%";
      piece.style.width = (piece.naturalWidth / width * 100) + "%";
      handle.setAttribute("aria-valuemax", farthest(scale()));
    }
    if (piece.complete) {
      place();
    } else {
      piece.addEventListener("load", place);
    }
    function where(x) {
      return x === 0 ? "Piece at the left edge" : "Piece at " + x + " of " + handle.getAttribute("aria-valuemax") + " pixels";
    }
    function show(x) {
      var px = x * (drag ? drag.scale : scale());
      at = x;
      piece.style.left = px + "px";
      handle.style.left = px + "px";
      fill.style.width = (px + handle.offsetWidth / 2) + "px";
      handle.setAttribute("aria-valuenow", x);
      handle.setAttribute("aria-valuetext", where(x));
    }
    // Said once the keys rest, not at every press.
    function announce() {
      clearTimeout(quiet);
      quiet = setTimeout(function () { live.textContent = where(at) + "."; }, 400);
    }
    function post(x, field, value) {
      form.querySelector("input[name=x]").value = x;
      form.querySelector("input[name=" + field + "]").value = JSON.stringify(value);
      form.classList.add("busy");
      form.submit();
    }

    function sample(ev) {
      var x = Math.round((ev.clientX - drag.startX) / drag.scale);
      x = Math.max(0, Math.min(drag.maxX, x));
      var t = Math.max(drag.lastT, Math.round(ev.timeStamp - drag.t0));
      drag.lastT = t;
      drag.trail.push([t, x, Math.round((ev.clientY - drag.top) / drag.scale)]);
      return x;
    }
    handle.addEventListener("pointerdown", function (ev) {
      if (drag || form.classList.contains("busy")) {
        return;
      }
      ev.preventDefault();
      handle.setPointerCapture(ev.pointerId);
      keys = null; // a drag starts from the left edge
      var rect = frame.getBoundingClientRect();
      var s = rect.width / width;
      drag = { id: ev.pointerId, startX: ev.clientX, top: rect.top, t0: ev.timeStamp, lastT: 0, scale: s,
        maxX: farthest(s), trail: [] };
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
      var trail = thin(drag.trail, 500);
      drag = null;
      post(x, "trail", trail);
    });
    handle.addEventListener("pointercancel", function () {
      drag = null;
      show(0);
    });

    handle.addEventListener("keydown", function (ev) {
      if (drag || form.classList.contains("busy")) {
        return;
      }
      var top = farthest(scale());
      var step = ev.shiftKey ? 10 : 1;
      var to;
      switch (ev.key) {
      case "ArrowRight":
      case "ArrowUp":
        to = at + step;
        break;
      case "ArrowLeft":
      case "ArrowDown":
        to = at - step;
        break;
      case "PageUp":
        to = at + 10;
        break;
      case "PageDown":
        to = at - 10;
        break;
      case "Home":
        to = 0;
        break;
      case "End":
        to = top;
        break;
      case "Enter":
      case " ":
        ev.preventDefault();
        if (keys && keys.list.length > 0) {
          keys.list.push([Math.max(keys.list[keys.list.length - 1][0], Math.round(ev.timeStamp - keys.t0)), at]);
          post(at, "keys", keys.list);
        } else {
          live.textContent = "Move the piece into the gap first.";
        }
        return;
      default:
        return;
      }
      ev.preventDefault();
      to = Math.max(0, Math.min(top, to));
      if (to === at) {
        return;
      }
      if (!keys) {
        keys = { t0: ev.timeStamp, list: [] };
      }
      keys.list.push([Math.max(0, Math.round(ev.timeStamp - keys.t0)), to]);
      show(to);
      announce();
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
