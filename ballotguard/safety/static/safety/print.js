// "Print this plan": shows the button (hidden without JavaScript, where the page says to use the
// browser's Print command instead) and prints on click. A static module, so the CSP needs no
// 'unsafe-inline' and no javascript: link.
for (const button of document.querySelectorAll("[data-bg-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
for (const hint of document.querySelectorAll("[data-bg-print-hint]")) {
  hint.hidden = true;
}
