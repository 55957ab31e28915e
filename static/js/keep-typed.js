// Switching language keeps what was typed. The language switch posts `next` (this page's path and query) and
// the server answers with a redirect to the same page in the other language, a fresh page whose forms are empty.
// Just before the switch is sent, the values typed into this page's forms are put in sessionStorage (this tab
// only, never sent anywhere); on the page that follows, if its address is the same, they are put back and
// removed at once. Passwords, files, hidden fields and the CSRF token are never kept.
(function () {
  "use strict";
  var KEY = "portal-keep-typed";
  var SKIP = { password: 1, file: 1, hidden: 1, submit: 1, button: 1, reset: 1, image: 1 };

  function pageForms() {
    return Array.prototype.filter.call(document.forms, function (form) {
      return !form.classList.contains("language-switch");
    });
  }

  function kept(field) {
    return field.name && !SKIP[field.type] && field.name !== "csrfmiddlewaretoken" && !field.disabled;
  }

  function save() {
    var forms = pageForms().map(function (form) {
      var values = [];
      Array.prototype.forEach.call(form.elements, function (field) {
        if (!kept(field)) return;
        if (field.type === "checkbox" || field.type === "radio") {
          values.push([field.name, field.value, field.checked]);
        } else if (field.multiple) {
          values.push([field.name, Array.prototype.map.call(field.selectedOptions, function (o) { return o.value; })]);
        } else {
          values.push([field.name, field.value]);
        }
      });
      return values;
    });
    if (forms.some(function (values) { return values.length; })) {
      sessionStorage.setItem(KEY, JSON.stringify({ path: location.pathname + location.search, forms: forms }));
    }
  }

  function restore() {
    var raw = sessionStorage.getItem(KEY);
    if (!raw) return;
    sessionStorage.removeItem(KEY);
    var saved;
    try { saved = JSON.parse(raw); } catch (error) { return; }
    if (!saved || saved.path !== location.pathname + location.search) return;
    pageForms().forEach(function (form, index) {
      (saved.forms[index] || []).forEach(function (entry) {
        var fields = Array.prototype.filter.call(form.elements, function (f) { return f.name === entry[0] && kept(f); });
        fields.forEach(function (field) {
          if (field.type === "checkbox" || field.type === "radio") {
            if (field.value === entry[1]) field.checked = entry[2];
          } else if (field.multiple && Array.isArray(entry[1])) {
            Array.prototype.forEach.call(field.options, function (o) { o.selected = entry[1].indexOf(o.value) !== -1; });
          } else if (!Array.isArray(entry[1])) {
            field.value = entry[1];
          }
          field.dispatchEvent(new Event("input", { bubbles: true }));
          field.dispatchEvent(new Event("change", { bubbles: true }));
        });
      });
    });
  }

  document.addEventListener("submit", function (event) {
    if (event.target.classList && event.target.classList.contains("language-switch")) save();
  }, true);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", restore);
  } else {
    restore();
  }
})();
