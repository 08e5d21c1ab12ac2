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
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(wireSlug);
  });
})();
