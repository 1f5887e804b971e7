// rebind pages: progressive enhancement only. Every form works without this
// script; it opens dialogs in place, shows resend countdowns, sends get-code
// buttons in the background, filters the country list and checks a number
// as it is typed. The slider puzzle (slider.js) is the one part of the
// pages that needs a script.
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

  // The quiz's form (data-confirm-blank names its dialog) asks before it
  // sends answers with a question left blank, which cannot pass: the dialog
  // says how many, [Go back] returns to the first of them, [Submit anyway]
  // (a submit button named "blank") sends them. The server asks too, for a
  // page without this script.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var dialog = document.getElementById(form.getAttribute("data-confirm-blank") || "");
    if (!dialog || typeof dialog.showModal !== "function" || (ev.submitter && ev.submitter.name === "blank")) {
      return;
    }
    var blank = Array.prototype.filter.call(form.querySelectorAll("fieldset.question"), function (f) {
      return !f.querySelector("input:checked");
    });
    if (blank.length === 0) {
      return;
    }
    ev.preventDefault();
    var count = dialog.querySelector("#blank-count");
    count.textContent = blank.length + " of the " + count.getAttribute("data-total") + " questions " +
      (blank.length === 1 ? "has" : "have") + " no option ticked.";
    dialog.onclose = function () {
      var first = blank[0].querySelector("input");
      if (first && document.contains(first)) {
        first.focus();
      }
    };
    dialog.showModal();
  });

  // A <time data-local> shows its moment in the browser's time zone; the
  // page states it in UTC, which stays without this script.
  var localTime = window.Intl && new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short"
  });
  function local(el) {
    var at = new Date(el.getAttribute("datetime"));
    if (localTime && !isNaN(at.getTime())) {
      el.title = el.textContent;
      el.textContent = localTime.format(at);
    }
  }

  // A form with data-inplace (a get-code button's) is sent in the
  // background, and the page's [data-swap] parts are replaced by the
  // answer's, so that a code typed meanwhile stays. An answer that is
  // another page (the flow ended) sends the browser to data-inplace.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute("data-inplace") || !window.fetch || !window.DOMParser) {
      return;
    }
    ev.preventDefault();
    if (ev.submitter) {
      ev.submitter.disabled = true;
    }
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (res) { return res.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        if (doc.body.getAttribute("data-page") !== document.body.getAttribute("data-page")) {
          location.assign(form.getAttribute("data-inplace") || location.href);
          return;
        }
        swap(doc);
      })
      .catch(function () { form.submit(); });
  });

  function swap(doc) {
    document.querySelectorAll("[data-swap][id]").forEach(function (old) {
      var fresh = doc.getElementById(old.id);
      if (!fresh) {
        return;
      }
      old.querySelectorAll("input[id]").forEach(function (input) {
        var kept = fresh.querySelector("#" + CSS.escape(input.id));
        if (kept && input.value) {
          kept.value = input.value;
        }
      });
      var node = document.importNode(fresh, true);
      old.replaceWith(node);
      node.querySelectorAll("[data-resend-at]").forEach(countdown);
      var input = node.querySelector("input");
      if (input) {
        input.focus();
      }
    });
  }

  // The [Country code] select gets a search box that narrows its options
  // as the user types (a name, a code like +65, or SG), and the number's
  // placeholder follows the chosen country.
  function countryFilter(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "country-filter";
    box.id = select.id + "-filter";
    box.placeholder = "Search a country or +code";
    box.setAttribute("aria-label", "Search countries");
    box.setAttribute("aria-controls", select.id);
    box.autocomplete = "off";
    select.parentNode.insertBefore(box, select);
    var options = Array.prototype.slice.call(select.options);
    // How well option o fits q: its name or code starts with it (3), a word
    // of it does (2), it holds it anywhere (1), or not at all (0).
    function fit(o, q) {
      var text = o.text.toLowerCase();
      if (text.indexOf(q) === 0 || o.value.toLowerCase() === q) {
        return 3;
      }
      if (text.indexOf(" " + q) >= 0) {
        return 2;
      }
      return text.indexOf(q) >= 0 ? 1 : 0;
    }
    box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase();
      var best = null;
      var bestFit = 0;
      options.forEach(function (o) {
        var f = o.value === "" ? 0 : (q === "" ? 1 : fit(o, q));
        o.hidden = f === 0 && o.value !== "";
        if (f > bestFit) {
          best = o;
          bestFit = f;
        }
      });
      if (q !== "" && best && best.value !== select.value) {
        select.value = best.value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    var number = select.form && select.form.querySelector("input[name=number]");
    function example() {
      var o = select.options[select.selectedIndex];
      if (number && o) {
        number.placeholder = o.getAttribute("data-example") || "";
      }
    }
    select.addEventListener("change", example);
    example();
  }

  // An input with data-check asks that address, a moment after the user
  // stops typing, whether the number is a mobile of the chosen country,
  // and shows the answer below it. The server checks again on submit.
  function numberCheck(input) {
    var select = input.form.querySelector("select[name=country]");
    var status = document.getElementById(input.getAttribute("aria-describedby"));
    var timer = 0;
    var asked = 0;
    function show(kind, msg) {
      status.textContent = msg;
      status.className = "field-status" + (kind ? " " + kind : "");
      if (kind === "field-error") {
        input.setAttribute("aria-invalid", "true");
      } else {
        input.removeAttribute("aria-invalid");
      }
    }
    function check() {
      var n = ++asked;
      if (input.value.trim() === "") {
        show("", "");
        return;
      }
      var url = input.getAttribute("data-check") + "?country=" + encodeURIComponent(select.value) +
        "&number=" + encodeURIComponent(input.value);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (res) { return res.json(); })
        .then(function (a) {
          if (n === asked) {
            show(a.valid ? "ok" : "field-error", a.message);
          }
        })
        .catch(function () {});
    }
    function later() {
      clearTimeout(timer);
      timer = setTimeout(check, 300);
    }
    input.addEventListener("input", later);
    select.addEventListener("change", later);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-resend-at]").forEach(countdown);
    document.querySelectorAll("[data-deadline]").forEach(deadline);
    document.querySelectorAll("time[data-local]").forEach(local);
    document.querySelectorAll("select[data-country-filter]").forEach(countryFilter);
    document.querySelectorAll("input[data-check]").forEach(numberCheck);
  });
})();
