// Print buttons on printable pages. Without JavaScript they stay hidden and the browser's own print works.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
