// rebind pages: progressive enhancement only. Every form works without this
// script; it opens dialogs in place and shows resend countdowns.
(function () {
  "use strict";

  document.addEventListener("click", function (ev) {
    var opener = ev.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dialog && typeof dialog.showModal === "function") {
        ev.preventDefault();
        dialog.showModal();
      }
      return;
    }
    var closer = ev.target.closest("[data-close-dialog]");
    if (closer) {
      var open = closer.closest("dialog");
      if (open) {
        ev.preventDefault();
        open.close();
      }
    }
  });

  // A button with data-resend-at (Unix seconds) stays disabled, counting
  // down, until then.
  function countdown(button) {
    var until = parseInt(button.getAttribute("data-resend-at"), 10) * 1000;
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    function tick() {
      var left = Math.ceil((until - Date.now()) / 1000);
      if (left > 0) {
        button.disabled = true;
        button.textContent = label + " (" + left + "s)";
        setTimeout(tick, 500);
      } else {
        button.disabled = false;
        button.textContent = label;
      }
    }
    tick();
  }

  // An element with data-deadline (Unix seconds) shows the time left until
  // then; the page states the deadline itself, this only counts.
  function deadline(el) {
    var until = parseInt(el.getAttribute("data-deadline"), 10) * 1000;
    function tick() {
      var left = Math.max(0, Math.round((until - Date.now()) / 1000));
      el.textContent = left > 0 ? "(" + Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2) + " left)" : "(time is up)";
      if (left > 0) {
        setTimeout(tick, 1000);
      }
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-resend-at]").forEach(countdown);
    document.querySelectorAll("[data-deadline]").forEach(deadline);
  });
})();
