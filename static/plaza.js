// Plaza's own small script: progressive enhancements only. Every page works
// without it.
(function () {
  "use strict";
  // A slug field follows its name field until someone edits the slug by hand.
  function wireSlug(form) {
    var name = form.querySelector("input[name=name]");
    var slug = form.querySelector("input[name=slug][data-follow-name]");
    if (!name || !slug) return;
    var touched = slug.value !== "";
    slug.addEventListener("input", function () { touched = true; });
    name.addEventListener("input", function () {
      if (touched) return;
      slug.value = name.value.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-")
        .replace(/^[^a-z]+/, "").replace(/-+$/, "").slice(0, 40);
    });
  }
  // Buttons with data-confirm ask before submitting.
  document.addEventListener("submit", function (e) {
    var btn = e.submitter;
    var msg = (btn && btn.getAttribute("data-confirm")) || e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  }, true);
  // Copy buttons: <button data-copy="text">.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-copy]");
    if (!btn || !navigator.clipboard) return;
    navigator.clipboard.writeText(btn.getAttribute("data-copy")).then(function () {
      var label = btn.textContent;
      btn.textContent = "Copied";
      setTimeout(function () { btn.textContent = label; }, 1500);
    });
  });

  // Schema editor: add, move and remove columns and ports. Field names carry
  // indexes (output_ports[0].columns[3].name); they are renumbered in page
  // order before the form is sent, so what the server reads is what is shown.
  function cloneTemplate(tpl) {
    return document.importNode(tpl.content, true).firstElementChild;
  }
  function renumber(form) {
    form.querySelectorAll("[data-port]").forEach(function (port, i) {
      port.querySelectorAll("[name^='output_ports[']").forEach(function (el) {
        el.name = el.name.replace(/^output_ports\[\d+\]/, "output_ports[" + i + "]");
      });
      port.querySelectorAll("[data-columns] [data-column]").forEach(function (row, j) {
        row.querySelectorAll("[name*='.columns[']").forEach(function (el) {
          el.name = el.name.replace(/\.columns\[\d+\]/, ".columns[" + j + "]");
        });
      });
    });
  }
  function wireSchemaEditor(form) {
    var ports = form.querySelector("[data-ports]");
    if (!ports) return;
    form.classList.add("js");
    form.addEventListener("click", function (e) {
      var t = e.target;
      if (t.matches("[data-add-column]")) {
        var port = t.closest("[data-port]");
        var row = cloneTemplate(port.querySelector("template[data-column-template]"));
        port.querySelector("[data-columns]").appendChild(row);
        renumber(form);
        row.querySelector("input").focus();
      } else if (t.matches("[data-move]")) {
        var r = t.closest("[data-column]");
        if (t.getAttribute("data-move") === "up" && r.previousElementSibling) {
          r.parentNode.insertBefore(r, r.previousElementSibling);
        } else if (t.getAttribute("data-move") === "down" && r.nextElementSibling) {
          r.parentNode.insertBefore(r.nextElementSibling, r);
        }
        renumber(form);
        t.focus();
      } else if (t.matches("[data-add-port]")) {
        var p = cloneTemplate(form.querySelector("template[data-port-template]"));
        ports.appendChild(p);
        renumber(form);
        p.querySelector("input:not([type=hidden])").focus();
      } else if (t.matches("[data-remove-port]")) {
        if (ports.querySelectorAll("[data-port]").length > 1 || window.confirm("Remove the only port?")) {
          t.closest("[data-port]").remove();
          renumber(form);
        }
      }
    });
    form.addEventListener("change", function (e) {
      if (e.target.matches("[data-remove-column]")) {
        e.target.closest("[data-column]").classList.toggle("row-removed", e.target.checked);
      }
    });
    form.addEventListener("submit", function () { renumber(form); });
  }

  // A filter form marked data-autosubmit applies a choice at once; a new
  // domain clears the team, which belonged to the old one.
  function wireAutosubmit(form) {
    form.addEventListener("change", function (e) {
      if (e.target.name === "domain" && form.elements.team) {
        form.elements.team.value = "";
      }
      form.requestSubmit();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-autosubmit]").forEach(wireAutosubmit);
    document.querySelectorAll("form").forEach(wireSlug);
    document.querySelectorAll("form").forEach(wireSchemaEditor);
  });
})();
