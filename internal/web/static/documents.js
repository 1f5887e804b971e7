// The documents step of a reset. Without this script the form sends every
// picture and typed transaction in one post. With it, each picture uploads
// as soon as it is picked, with a preview made in the page from the user's
// own file (the server never sends an uploaded picture back), a progress
// bar and its own error in words; a picture can be removed or replaced;
// and [Submit] waits until every kind of picture has its minimum and, where
// transactions are typed, one row is complete. The final post then carries
// the token and the rows only: each file input is emptied once its
// pictures are on their way. (transactions.js adds and removes the rows.)
(function () {
  "use strict";

  var form, csrf, submit, hint;

  function init() {
    form = document.getElementById("documents-form");
    if (!form || !window.FormData || !window.XMLHttpRequest || !window.URL || !URL.createObjectURL) {
      return;
    }
    csrf = form.querySelector("input[name=csrf]").value;
    submit = document.getElementById("submit");
    hint = document.getElementById("submit-hint");
    items().forEach(function (fs) {
      var input = fs.querySelector("input[type=file]");
      input.addEventListener("change", function () {
        var files = Array.prototype.slice.call(input.files);
        input.value = "";
        files.forEach(function (file) { pick(fs, file); });
      });
    });
    document.addEventListener("click", onClick);
    form.addEventListener("input", update);
    form.addEventListener("submit", function (ev) {
      if (missing().length > 0) {
        ev.preventDefault();
        update();
      }
    });
    update();
  }

  function items() {
    return Array.prototype.slice.call(form.querySelectorAll("fieldset.item[data-kind]"));
  }

  // rowsOf returns an item's picture rows; with busy, only those uploaded
  // or on their way.
  function rowsOf(fs, busy) {
    return Array.prototype.filter.call(fs.querySelectorAll("li.file"), function (li) {
      return !busy || li.classList.contains("done") || li.classList.contains("uploading");
    });
  }

  function say(fs, msg) {
    var status = fs.querySelector(".field-status");
    if (status) {
      status.textContent = msg;
    }
  }

  // pick adds a row for file and uploads it, unless the item is full.
  function pick(fs, file) {
    var row = newRow(fs, file);
    var max = parseInt(fs.getAttribute("data-max"), 10);
    if (rowsOf(fs, true).length >= max) {
      fail(fs, row, "At most " + max + " of these: remove one first.");
      return;
    }
    send(fs, row, file);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) {
      e.className = cls;
    }
    if (text) {
      e.textContent = text;
    }
    return e;
  }

  function button(label, action, name) {
    var b = el("button", "button small secondary", label);
    b.type = "button";
    b.setAttribute("data-action", action);
    b.setAttribute("aria-label", label + " " + name);
    return b;
  }

  function newRow(fs, file) {
    var li = el("li", "file");
    li.appendChild(el("img", "preview"));
    li.appendChild(el("span", "file-name"));
    var bar = el("progress");
    bar.max = 100;
    bar.value = 0;
    li.appendChild(bar);
    li.appendChild(el("span", "file-status"));
    var actions = el("span", "file-actions");
    var replace = el("input", "replace-input");
    replace.type = "file";
    replace.accept = fs.querySelector("input[type=file]").accept;
    replace.hidden = true;
    replace.addEventListener("change", function () {
      var next = replace.files[0];
      replace.value = "";
      if (next) {
        swapFile(fs, li, next);
      }
    });
    actions.appendChild(replace);
    li.appendChild(actions);
    fs.querySelector("ul.files").appendChild(li);
    show(li, file);
    return li;
  }

  // show puts file's name, preview and buttons in row li.
  function show(li, file) {
    li.file = file;
    var img = li.querySelector(".preview");
    if (li.previewURL) {
      URL.revokeObjectURL(li.previewURL);
    }
    li.previewURL = URL.createObjectURL(file);
    img.hidden = false;
    img.alt = "Preview of " + file.name;
    img.onerror = function () { img.hidden = true; };
    img.src = li.previewURL;
    li.querySelector(".file-name").textContent = file.name;
    var actions = li.querySelector(".file-actions");
    actions.querySelectorAll("button").forEach(function (b) { b.remove(); });
    actions.appendChild(button("Remove", "remove", file.name));
    actions.appendChild(button("Replace", "replace", file.name));
  }

  function state(li, cls, text) {
    li.className = "file " + cls;
    li.querySelector(".file-status").textContent = text;
  }

  function fail(fs, li, msg) {
    state(li, "error", msg);
    li.querySelector("progress").hidden = true;
    say(fs, li.file.name + ": " + msg);
    update();
  }

  // send uploads file as row li's picture.
  function send(fs, li, file) {
    var bar = li.querySelector("progress");
    bar.hidden = false;
    bar.value = 0;
    state(li, "uploading", "Uploading…");
    li.removeAttribute("data-file");
    var data = new FormData();
    data.append("csrf", csrf);
    data.append(fs.getAttribute("data-kind"), file, file.name);
    var xhr = new XMLHttpRequest();
    li.xhr = xhr;
    xhr.open("POST", form.getAttribute("data-upload"));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (ev) {
      if (ev.lengthComputable) {
        bar.value = Math.round(ev.loaded * 100 / ev.total);
      }
    };
    xhr.onload = function () {
      li.xhr = null;
      var body = parse(xhr.responseText);
      if (xhr.status === 201 && body && body.id) {
        bar.value = 100;
        li.setAttribute("data-file", body.id);
        state(li, "done", "Uploaded");
        say(fs, file.name + " uploaded.");
        update();
        return;
      }
      fail(fs, li, words(xhr.status, body));
    };
    xhr.onerror = function () {
      li.xhr = null;
      fail(fs, li, "The upload did not reach us. Check your connection and try again.");
    };
    xhr.send(data);
    update();
  }

  function parse(text) {
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  // words says why an upload failed: the server's words when it gave
  // them, else what its status means.
  function words(status, body) {
    if (body && body.error && body.error.message) {
      return body.error.message;
    }
    switch (status) {
      case 415: return "Not a photo: choose a JPEG, PNG or WebP picture.";
      case 413: return "Too large: choose a smaller picture.";
      case 403: return "This page has expired. Reload it and try again.";
    }
    return "The upload failed. Try again.";
  }

  // forget asks the server to remove li's picture, if it has one, then
  // calls done(ok).
  function forget(li, done) {
    if (li.xhr) {
      li.xhr.abort();
      li.xhr = null;
    }
    var id = li.getAttribute("data-file");
    if (!id) {
      done(true);
      return;
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/reset-mobile/documents/files/" + encodeURIComponent(id) + "/remove");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    xhr.onload = function () {
      var body = parse(xhr.responseText);
      done(xhr.status === 204 || xhr.status === 404, words(xhr.status, body));
    };
    xhr.onerror = function () { done(false, "The picture could not be removed. Check your connection and try again."); };
    xhr.send("csrf=" + encodeURIComponent(csrf));
  }

  function removeRow(fs, li) {
    forget(li, function (ok, why) {
      if (!ok) {
        say(fs, why);
        return;
      }
      if (li.previewURL) {
        URL.revokeObjectURL(li.previewURL);
      }
      li.remove();
      say(fs, "Picture removed.");
      fs.querySelector("input[type=file]").focus();
      update();
    });
  }

  // swapFile replaces row li's picture with next: the old one is removed
  // first, so a full item has room for the new one.
  function swapFile(fs, li, next) {
    forget(li, function (ok, why) {
      if (!ok) {
        say(fs, why);
        return;
      }
      show(li, next);
      send(fs, li, next);
      li.querySelector("[data-action=replace]").focus();
    });
  }

  function onClick(ev) {
    var b = ev.target.closest("button");
    if (!b || !form.contains(b)) {
      return;
    }
    var fs = b.closest("fieldset.item");
    var li = b.closest("li.file");
    if (b.hasAttribute("data-remove-file") || b.getAttribute("data-action") === "remove") {
      ev.preventDefault();
      removeRow(fs, li);
    } else if (b.getAttribute("data-action") === "replace") {
      li.querySelector(".replace-input").click();
    }
  }

  // filled reports whether a row holds every field (all) or any.
  function filled(row, all) {
    var values = Array.prototype.map.call(row.querySelectorAll("input"), function (i) { return i.value.trim() !== ""; });
    return all ? values.every(Boolean) : values.some(Boolean);
  }

  function plural(n, noun) {
    return n + " more " + noun + (n === 1 ? "" : "s");
  }

  // missing says what [Submit] still waits for.
  function missing() {
    var out = [];
    var busy = false;
    items().forEach(function (fs) {
      var done = 0;
      rowsOf(fs, true).forEach(function (li) {
        if (li.classList.contains("uploading")) {
          busy = true;
        } else {
          done++;
        }
      });
      var need = parseInt(fs.getAttribute("data-min"), 10) - done;
      if (need > 0) {
        out.push("add " + plural(need, fs.getAttribute("data-noun")));
      }
    });
    var rows = Array.prototype.slice.call(form.querySelectorAll("#tx-rows [data-row]"));
    if (form.querySelector("#tx-rows") && !rows.some(function (row) { return filled(row, true); })) {
      out.push("type the TXID, coin and amount of at least one transaction");
    }
    if (busy) {
      out.push("wait for the uploads to finish");
    }
    return out;
  }

  function update() {
    var left = missing();
    submit.disabled = left.length > 0;
    var text = left.length > 0 ? "Before you submit: " + left.join("; ") + "." : "Everything needed is here. Check it, then submit.";
    if (hint.textContent !== text) {
      hint.textContent = text;
    }
  }

  document.addEventListener("DOMContentLoaded", init);
})();
