// The query workbench's editor (views/query): line numbers, Tab and
// Ctrl+Enter, the text kept in this browser, a fresh run token per run, the
// elapsed time and Cancel while a run is in flight, insert on click from the
// schema browser, history and saved queries into the editor, paging of the
// result table and copy-link buttons. Loaded on /query only; htmx sends
// the CSRF header (hx-headers on <body>) and the form carries _csrf.
(function () {
  "use strict";
  var STORE = "plaza.query.sql";
  var PAGE = 100;

  var form, editor, gutter, runInput, cancelBtn, statusEl, runBtn;
  var lines = 0, timer = null, started = 0, leaveTab = false;

  function token() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function store(text) {
    try { localStorage.setItem(STORE, text); } catch (e) { /* private mode, full: the draft is only a courtesy */ }
  }
  function stored() {
    try { return localStorage.getItem(STORE); } catch (e) { return null; }
  }

  // The gutter holds one number per line and scrolls with the text.
  function renumber() {
    var n = editor.value.split("\n").length;
    if (n !== lines) {
      var out = [];
      for (var i = 1; i <= n; i++) out.push(i);
      gutter.textContent = out.join("\n");
      lines = n;
    }
    gutter.scrollTop = editor.scrollTop;
  }

  // insert puts text at the cursor (replacing a selection) so that undo
  // still works where the browser supports it.
  function insert(text) {
    editor.focus();
    var ok = false;
    try { ok = document.execCommand("insertText", false, text); } catch (e) { ok = false; }
    if (!ok) {
      editor.setRangeText(text, editor.selectionStart, editor.selectionEnd, "end");
      editor.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  // insertName adds a space before a name typed right after a word.
  function insertName(name) {
    var before = editor.value.slice(0, editor.selectionStart);
    if (/[\w"]$/.test(before)) name = " " + name;
    insert(name);
  }

  function load(sql) {
    editor.value = sql;
    editor.dispatchEvent(new Event("input", { bubbles: true }));
    editor.focus();
    editor.setSelectionRange(0, 0);
    editor.scrollTop = 0;
    form.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function run() {
    if (form.classList.contains("is-running")) return;
    if (form.requestSubmit) form.requestSubmit(runBtn);
    else runBtn.click();
  }

  function setRunning(on) {
    form.classList.toggle("is-running", on);
    cancelBtn.hidden = !on;
    cancelBtn.disabled = false;
    runBtn.disabled = on;
    clearInterval(timer);
    if (on) {
      started = Date.now();
      var tick = function () {
        var label = cancelBtn.disabled ? "Cancelling… " : "Running… ";
        statusEl.textContent = label + ((Date.now() - started) / 1000).toFixed(1) + " s";
      };
      tick();
      timer = setInterval(tick, 100);
    } else {
      statusEl.textContent = "";
    }
  }

  // Results: 100 rows to a page, Prev/Next and "rows 1–100 of N".
  function pageResults(root) {
    var table = root.querySelector("table.qw-rows");
    var nav = root.querySelector(".qw-pager");
    if (!table || !nav) return;
    var rows = table.tBodies[0] ? table.tBodies[0].rows : [];
    var size = parseInt(nav.getAttribute("data-page-size"), 10) || PAGE;
    var total = rows.length;
    if (total <= size) return;
    var pages = Math.ceil(total / size), page = 0;
    var label = nav.querySelector("[data-page-label]");
    var prev = nav.querySelector("[data-page=prev]"), next = nav.querySelector("[data-page=next]");
    var wrap = table.closest(".qw-table-wrap");
    function show(p) {
      page = Math.max(0, Math.min(pages - 1, p));
      var from = page * size, to = Math.min(total, from + size);
      for (var i = 0; i < total; i++) rows[i].hidden = i < from || i >= to;
      label.textContent = "rows " + (from + 1).toLocaleString("en") + "–" + to.toLocaleString("en") + " of " + total.toLocaleString("en");
      prev.disabled = page === 0;
      next.disabled = page === pages - 1;
      if (wrap) wrap.scrollTop = 0;
    }
    prev.addEventListener("click", function () { show(page - 1); });
    next.addEventListener("click", function () { show(page + 1); });
    nav.hidden = false;
    show(0);
  }

  // An answer that is not a result fragment (a full error page, a proxy's
  // message) is shown as a short error box instead of a page in a page.
  function errorBox(xhr) {
    var title = "Something went wrong (HTTP " + xhr.status + ")", text = "";
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var page = doc.querySelector("[data-testid=error-page]");
      if (page) {
        var h = page.querySelector("h1"), p = page.querySelector("h1 + p"), id = page.querySelector("[data-testid=request-id]");
        if (h) title = h.textContent;
        if (p) text = p.textContent;
        if (id) text += " (request id " + id.textContent + ")";
      }
    } catch (e) { /* keep the generic message */ }
    var box = document.createElement("div");
    box.className = "alert alert-error error qw-error";
    box.setAttribute("role", "alert");
    box.setAttribute("data-testid", "query-error");
    var strong = document.createElement("strong");
    strong.textContent = title;
    var para = document.createElement("p");
    para.className = "qw-error-title";
    para.appendChild(strong);
    box.appendChild(para);
    if (text) {
      var pre = document.createElement("pre");
      pre.textContent = text;
      box.appendChild(pre);
    }
    return box;
  }

  function copy(text, btn) {
    var done = function () {
      var label = btn.textContent;
      btn.textContent = "Copied";
      setTimeout(function () { btn.textContent = label; }, 1500);
    };
    var fallback = function () {
      var input = document.createElement("input");
      input.value = text;
      input.className = "qw-copy-field";
      btn.after(input);
      input.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      if (ok) { input.remove(); done(); } else { input.addEventListener("blur", function () { input.remove(); }); }
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  }

  function selectTab(section, tab) {
    section.querySelectorAll("[role=tab]").forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
  }

  function wireTabs(section) {
    var tabs = section.querySelectorAll("[role=tab]");
    section.classList.add("js");
    section.querySelector("[role=tablist]").hidden = false;
    selectTab(section, tabs[0]);
    section.addEventListener("click", function (e) {
      var t = e.target.closest("[role=tab]");
      if (t) selectTab(section, t);
    });
    section.addEventListener("keydown", function (e) {
      var t = e.target.closest("[role=tab]");
      if (!t || (e.key !== "ArrowRight" && e.key !== "ArrowLeft")) return;
      var list = Array.prototype.slice.call(tabs), i = list.indexOf(t);
      var n = list[(i + (e.key === "ArrowRight" ? 1 : list.length - 1)) % list.length];
      selectTab(section, n);
      n.focus();
    });
  }

  function wireFilter(input) {
    var root = input.closest(".qw-schema");
    var tables = root.querySelectorAll(".qw-table");
    var none = root.querySelector(".qw-nomatch");
    input.hidden = false;
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      tables.forEach(function (t) {
        var text = t.getAttribute("data-search") || "";
        var hit = words.every(function (w) { return text.indexOf(w) >= 0; });
        t.hidden = !hit;
        if (hit) shown++;
        if (hit && words.length) t.open = true;
      });
      root.querySelectorAll(".qw-domain").forEach(function (d) {
        d.hidden = !d.querySelector(".qw-table:not([hidden])");
      });
      if (none) none.hidden = shown > 0;
    });
  }

  // source is the element that issued an htmx request; in the swap events
  // detail.elt is the target, the issuer is in requestConfig.
  function source(evt) {
    var d = evt.detail || {};
    return (d.requestConfig && d.requestConfig.elt) || d.elt;
  }
  function isRun(evt) {
    return source(evt) === form;
  }

  function init() {
    form = document.getElementById("query-form");
    editor = document.getElementById("sql-editor");
    if (!form || !editor) return;
    gutter = form.querySelector(".gutter");
    runInput = document.getElementById("query-run");
    cancelBtn = document.getElementById("query-cancel");
    statusEl = document.getElementById("query-status");
    runBtn = document.getElementById("query-run-btn");
    form.classList.add("js");

    if (editor.hasAttribute("data-restore") && editor.value === "") {
      var text = stored();
      if (text) editor.value = text;
    }
    renumber();
    // A run counts as the shared query's only while its SQL is unchanged.
    var savedInput = document.getElementById("query-saved");
    editor.addEventListener("input", function () {
      renumber();
      store(editor.value);
      if (savedInput) savedInput.value = editor.value === savedInput.getAttribute("data-saved-sql") ? savedInput.getAttribute("data-token") : "";
    });
    if (savedInput) savedInput.setAttribute("data-token", savedInput.value);
    editor.addEventListener("scroll", function () { gutter.scrollTop = editor.scrollTop; });

    editor.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        run();
        return;
      }
      if (e.key === "Escape") { leaveTab = true; return; }
      if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey && !e.altKey && !e.metaKey && !leaveTab) {
        e.preventDefault();
        insert("  ");
        return;
      }
      leaveTab = false;
    });
    editor.addEventListener("blur", function () { leaveTab = false; });

    // Before each submit: a fresh run token (Cancel names it). The export
    // buttons submit the form natively (a download); stopping the event here,
    // in the capture phase, keeps htmx's listener on the form from taking it.
    document.addEventListener("submit", function (e) {
      if (e.target !== form) return;
      runInput.value = token();
      var b = e.submitter;
      if (b && b.hasAttribute("data-export")) {
        e.stopPropagation();
        var menu = b.closest("details");
        if (menu) menu.open = false;
      }
    }, true);
    // Ctrl+Enter anywhere in the form (the save name, the buttons).
    form.addEventListener("keydown", function (e) {
      if (e.target !== editor && e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        run();
      }
    });

    // The export menu closes on a click elsewhere or Escape.
    var menu = form.querySelector(".qw-export");
    if (menu) {
      document.addEventListener("click", function (e) {
        if (menu.open && !menu.contains(e.target)) menu.open = false;
      });
      menu.addEventListener("keydown", function (e) {
        if (e.key === "Escape") { menu.open = false; menu.querySelector("summary").focus(); }
      });
    }

    // Names from the schema browser; SQL from history and saved queries.
    document.addEventListener("click", function (e) {
      var ins = e.target.closest("[data-insert]");
      if (ins) {
        e.preventDefault();
        insertName(ins.getAttribute("data-insert"));
        return;
      }
      var ld = e.target.closest("[data-sql]");
      if (ld) {
        e.preventDefault();
        load(ld.getAttribute("data-sql"));
        return;
      }
      var cp = e.target.closest("[data-copy-link]");
      if (cp) {
        e.preventDefault();
        copy(new URL(cp.getAttribute("data-copy-link"), location.href).href, cp);
      }
    });

    document.querySelectorAll("[data-tabs]").forEach(wireTabs);
    var filter = document.getElementById("schema-filter");
    if (filter) wireFilter(filter);

    var saveName = document.getElementById("query-save-name");
    var saveStatus = document.getElementById("query-save-status");
    saveName.addEventListener("input", function () { saveStatus.textContent = ""; });

    document.body.addEventListener("htmx:beforeRequest", function (e) {
      if (isRun(e)) {
        setRunning(true);
      } else if (source(e) && source(e).id === "query-save-btn") {
        saveStatus.textContent = "";
        saveStatus.className = "small";
        if (!saveName.value.trim()) {
          e.preventDefault();
          saveStatus.textContent = "Give the query a name first.";
          saveStatus.className = "small bad-text";
          saveName.focus();
        } else if (!editor.value.trim()) {
          e.preventDefault();
          saveStatus.textContent = "The editor is empty.";
          saveStatus.className = "small bad-text";
          editor.focus();
        }
      } else if (source(e) === cancelBtn) {
        cancelBtn.disabled = true;
      }
    });
    document.body.addEventListener("htmx:afterRequest", function (e) {
      if (isRun(e)) setRunning(false);
    });
    // A refusal or a failure still shows in the result region: the result
    // fragment as it came (a 4xx carrying query-error), anything else as a
    // short error box.
    document.body.addEventListener("htmx:beforeSwap", function (e) {
      var xhr = e.detail.xhr;
      if (!xhr) return;
      var body = xhr.responseText || "";
      var src = source(e);
      // A save refused for its input answers a message, not the list.
      if (src && src.id === "query-save-btn" && (xhr.status >= 400 || body.indexOf('data-testid="save-error"') >= 0)) {
        e.detail.shouldSwap = false;
        e.detail.isError = false;
        var msg = "Not saved (HTTP " + xhr.status + ").";
        try {
          var doc = new DOMParser().parseFromString(body, "text/html");
          var fe = doc.querySelector("[data-testid=save-error], .field-error, [data-testid=error-page] h1 + p, .alert-error");
          if (fe) msg = fe.textContent.trim();
        } catch (err) { /* keep the short message */ }
        saveStatus.textContent = msg;
        saveStatus.className = "small bad-text";
        return;
      }
      if (xhr.status < 400 || !isRun(e)) return;
      if (body.indexOf('data-testid="query-error"') >= 0 && body.indexOf("<html") < 0) {
        e.detail.shouldSwap = true;
        e.detail.isError = false;
      } else {
        e.detail.shouldSwap = false;
        document.getElementById("query-result").replaceChildren(errorBox(xhr));
      }
    });
    document.body.addEventListener("htmx:sendError", function (e) {
      if (isRun(e)) {
        var box = errorBox({ status: 0, responseText: "" });
        box.querySelector("strong").textContent = "The server did not answer: check the connection and run again.";
        document.getElementById("query-result").replaceChildren(box);
      }
    });
    document.body.addEventListener("htmx:afterSwap", function (e) {
      var t = e.detail.target;
      if (t && t.id === "query-result") {
        pageResults(t);
      } else if (t && t.id === "saved-list" && source(e) && source(e).id === "query-save-btn") {
        saveStatus.textContent = "Saved.";
        saveStatus.className = "small muted";
        saveName.value = "";
        var tab = document.getElementById("tab-saved");
        if (tab) selectTab(tab.closest("[data-tabs]"), tab);
      }
    });
    // A result already on the page (a full-page answer without htmx).
    pageResults(document.getElementById("query-result") || document);

    if (form.hasAttribute("data-autorun") && editor.value.trim()) {
      // htmx wires the form on DOMContentLoaded too; run after it has.
      setTimeout(run, 0);
    }
  }

  // A deferred script runs while readyState is already "interactive" but
  // before DOMContentLoaded, when htmx wires the page: wait for it.
  if (document.readyState === "complete") init();
  else document.addEventListener("DOMContentLoaded", init);
})();
