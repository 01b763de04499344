// Setup's enhancements; every page works without them.
// Copy buttons: <button type="button" data-copy="ID"> copies the text of the element with that id.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  });
});
// Quick Find narrows the navigation as one types (the form itself searches Setup without script).
document.addEventListener("input", (event) => {
  if (event.target.id !== "quick-find") return;
  const words = event.target.value.toLowerCase().split(/\s+/).filter(Boolean);
  for (const link of document.querySelectorAll(".setup-nav li a")) {
    const text = (link.textContent + " " + (link.dataset.keywords || "")).toLowerCase();
    link.parentElement.hidden = !words.every((w) => text.includes(w));
  }
});
