// The typed transactions of the documents step. Without this script the
// form offers a few rows and ignores the empty ones. With it, the rows that
// hold anything stay with one empty row, [Add a transaction] adds one (up
// to the form's data-max) and [Remove this transaction] takes one away;
// the rows are numbered again after each change, and the form hears an
// "input" event so that documents.js judges [Submit] again.
(function () {
  "use strict";

  var box, template, add, max;

  function rows() {
    return Array.prototype.slice.call(box.querySelectorAll("[data-row]"));
  }

  function empty(row) {
    return Array.prototype.every.call(row.querySelectorAll("input"), function (i) { return i.value.trim() === ""; });
  }

  // renumber names the rows in order, with the ids their labels follow.
  function renumber() {
    var all = rows();
    all.forEach(function (row, i) {
      row.querySelector("legend").textContent = "Transaction " + (i + 1);
      row.querySelectorAll("input").forEach(function (input) {
        var label = row.querySelector('label[for="' + input.id + '"]');
        input.id = input.name + "-" + (i + 1);
        if (label) {
          label.htmlFor = input.id;
        }
      });
      row.querySelector("[data-remove-row]").hidden = all.length < 2;
    });
    add.hidden = all.length >= max;
  }

  function changed() {
    renumber();
    box.closest("form").dispatchEvent(new Event("input", { bubbles: true }));
  }

  function init() {
    box = document.getElementById("tx-rows");
    add = document.getElementById("add-tx");
    if (!box || !add) {
      return;
    }
    max = parseInt(document.getElementById("transactions").getAttribute("data-max"), 10);
    template = rows()[0].cloneNode(true);
    template.querySelectorAll("input").forEach(function (i) {
      i.value = "";
      i.removeAttribute("aria-invalid");
    });
    var keptEmpty = false;
    rows().forEach(function (row) {
      if (empty(row)) {
        if (keptEmpty) {
          row.remove();
        }
        keptEmpty = true;
      }
    });
    add.addEventListener("click", function () {
      var row = template.cloneNode(true);
      box.appendChild(row);
      changed();
      row.querySelector("input").focus();
    });
    box.addEventListener("click", function (ev) {
      var b = ev.target.closest("[data-remove-row]");
      if (b) {
        b.closest("[data-row]").remove();
        changed();
        add.focus();
      }
    });
    renumber();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
