// 办事指南: the print button (no inline script: the page's CSP allows only our files).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("print");
  if (button) button.addEventListener("click", () => window.print());
});
