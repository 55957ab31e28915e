/* The API's interactive page: Swagger UI draws some controls without a name a screen reader can announce and
   code blocks that scroll but cannot be reached with the keyboard. Each time it draws, name them and make the
   blocks focusable (axe-core: button-name, select-name, scrollable-region-focusable). Nothing else changes. */
(function () {
  "use strict";
  var chinese = (document.documentElement.lang || "").indexOf("zh") === 0;
  var COPY = chinese ? "复制" : "Copy";
  var CODE = chinese ? "代码示例或响应内容" : "Code sample or response";

  function label() {
    document.querySelectorAll(".copy-to-clipboard button:not([aria-label])").forEach(function (button) {
      button.setAttribute("aria-label", COPY);
    });
    document.querySelectorAll("tr[data-param-name] select:not([aria-label])").forEach(function (select) {
      select.setAttribute("aria-label", select.closest("tr").getAttribute("data-param-name"));
    });
    document.querySelectorAll(".microlight:not([tabindex])").forEach(function (block) {
      block.setAttribute("tabindex", "0");
      block.setAttribute("role", "region");
      block.setAttribute("aria-label", CODE);
    });
  }

  new MutationObserver(label).observe(document.body, { childList: true, subtree: true });
  label();
})();
