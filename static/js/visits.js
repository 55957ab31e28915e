// The record book's visit form. The page works without this file: it only adds "add another opinion"
// and reloads the form for another site (to show that site's deputies) while nothing has been typed yet.
(function () {
  "use strict";
  var form = document.getElementById("visit-form");
  if (!form) { return; }

  var addButton = document.getElementById("add-opinion");
  var template = document.getElementById("opinion-template");
  var container = document.getElementById("opinion-forms");
  var total = form.querySelector('input[name="opinions-TOTAL_FORMS"]');
  var max = form.querySelector('input[name="opinions-MAX_NUM_FORMS"]');
  if (addButton && template && container && total) {
    addButton.classList.remove("d-none");
    addButton.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) { return; }
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      container.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var fresh = container.lastElementChild.querySelector("textarea");
      if (fresh) { fresh.focus(); }
      if (max && index + 1 >= parseInt(max.value, 10)) { addButton.disabled = true; }
    });
  }

  // Picking another site shows that site's deputies on duty, as long as the form holds nothing typed.
  var site = form.querySelector('select[name="site"]');
  var typed = false;
  form.addEventListener("input", function (event) {
    if (event.target !== site) { typed = true; }
  });
  if (site && form.dataset.siteUrl && !form.querySelector(".is-invalid")) {
    site.addEventListener("change", function () {
      if (typed || !site.value || window.location.pathname !== form.dataset.siteUrl) { return; }
      window.location.search = "?site=" + encodeURIComponent(site.value);
    });
  }
})();
