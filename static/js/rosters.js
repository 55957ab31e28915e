// Progressive enhancement for the roster pages: works without it.
(function () {
  "use strict";
  // The poster's print button needs JavaScript, so it stays hidden without it.
  document.querySelectorAll(".js-print").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // Attendance: the reason and the substitute only matter for their own choice.
  document.querySelectorAll("form.js-attendance").forEach(function (form) {
    var choice = form.querySelector("select[name=attendance]");
    if (!choice) { return; }
    function sync() {
      form.querySelectorAll("[data-when]").forEach(function (block) {
        block.hidden = block.getAttribute("data-when") !== choice.value;
      });
    }
    choice.addEventListener("change", sync);
    sync();
  });
})();
