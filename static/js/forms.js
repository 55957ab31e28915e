// Every form of the portal: works without this file. It moves the focus to the error summary (so a screen
// reader announces it and a keyboard user starts from it), and counts the characters of long text against
// the limit the server checks (data-maxlength), saying how many are left or too many; it never cuts text.
(function () {
  "use strict";
  var strings = document.getElementById("portal-strings");
  function text(name, n) {
    var template = strings ? strings.getAttribute("data-" + name) || "" : "";
    return template.replace("{n}", String(n));
  }

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      event.preventDefault();
      var details = target.closest("details");
      if (details) { details.open = true; }
      target.focus();
      target.scrollIntoView({ block: "center" });
    });
  }

  document.querySelectorAll("textarea[data-maxlength], input[data-maxlength]").forEach(function (field) {
    var limit = parseInt(field.getAttribute("data-maxlength"), 10);
    if (!limit || (field.tagName === "INPUT" && limit < 100)) { return; }
    var counter = document.createElement("div");
    counter.className = "form-text char-count";
    counter.id = field.id + "-count";
    var announce = document.createElement("div");
    announce.className = "visually-hidden";
    announce.setAttribute("aria-live", "polite");
    var anchor = field.parentNode.querySelector(".invalid-feedback, .form-text") || null;
    field.parentNode.insertBefore(counter, anchor);
    field.parentNode.insertBefore(announce, anchor);
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (described ? described + " " : "") + counter.id);
    var timer = null;
    function update() {
      var left = limit - field.value.length;
      var message = left >= 0 ? text("chars-left", left) : text("chars-over", -left);
      counter.textContent = message;
      counter.classList.toggle("text-danger", left < 0);
      counter.classList.toggle("fw-bold", left < 0);
      clearTimeout(timer);
      timer = setTimeout(function () { announce.textContent = message; }, 1000);
    }
    field.addEventListener("input", update);
    update();
    announce.textContent = "";
  });
})();
