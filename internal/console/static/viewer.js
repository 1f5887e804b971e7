// rebind staff console: zoom and rotate for the pictures of an application.
// Without this script each picture shows fitted to the page. With it, each
// picture sits in a frame that scrolls; the toolbar's buttons, or the keys
// + - R 0 on the focused frame, zoom, rotate a quarter turn and fit. The
// figure carries data-zoom and data-rotation for tests and styles.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var steps = [0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8];

  function setUp(figure) {
    var stage = figure.querySelector(".stage");
    var turn = figure.querySelector(".turn");
    var img = figure.querySelector("img");
    var tools = figure.querySelector(".viewer-tools");
    var status = figure.querySelector(".viewer-state");
    if (!stage || !turn || !img || !tools) {
      return;
    }
    var w = Number(img.getAttribute("width")) || 1;
    var h = Number(img.getAttribute("height")) || 1;
    var zoom = 2; // index into steps: 1, fitted to the frame
    var rotation = 0;

    function layout() {
      var sideways = rotation % 180 !== 0;
      var fit = Math.min(1, stage.clientWidth / (sideways ? h : w));
      var s = fit * steps[zoom];
      img.style.width = w * s + "px";
      img.style.height = h * s + "px";
      img.style.transform = "translate(-50%, -50%) rotate(" + rotation + "deg)";
      turn.style.width = (sideways ? h : w) * s + "px";
      turn.style.height = (sideways ? w : h) * s + "px";
      figure.dataset.zoom = String(steps[zoom]);
      figure.dataset.rotation = String(rotation);
      status.textContent = Math.round(steps[zoom] * 100) + "%" + (rotation ? ", turned " + rotation + "\u00b0" : "");
    }

    function act(what) {
      if (what === "in") {
        zoom = Math.min(steps.length - 1, zoom + 1);
      } else if (what === "out") {
        zoom = Math.max(0, zoom - 1);
      } else if (what === "rotate") {
        rotation = (rotation + 90) % 360;
      } else if (what === "fit") {
        zoom = 2;
        rotation = 0;
      }
      layout();
    }

    tools.hidden = false;
    figure.classList.add("js-viewer");
    tools.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (!b) {
        return;
      }
      act(b.dataset.zoom || (b.hasAttribute("data-rotate") ? "rotate" : "fit"));
    });
    stage.addEventListener("keydown", function (e) {
      var keys = { "+": "in", "=": "in", "-": "out", "r": "rotate", "R": "rotate", "0": "fit" };
      if (keys[e.key] && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        act(keys[e.key]);
      }
    });
    window.addEventListener("resize", layout);
    layout();
  }

  document.querySelectorAll("figure[data-viewer]").forEach(setUp);
});
