// Start the NHS.UK design system's components (menus, error summary focus, and so on).
// Every page works without this script; it only adds what the components do in a browser.
import { initAll } from "./nhsuk/nhsuk-frontend.min.js";

initAll();

// A page that holds typed text (a module's notes) asks before the browser leaves it with
// changes not yet saved. Saving submits the form, which is not leaving it.
for (const form of document.querySelectorAll("form[data-lms-unsaved-warning]")) {
  let changed = false;
  form.addEventListener("input", () => { changed = true; });
  form.addEventListener("submit", () => { changed = false; });
  window.addEventListener("beforeunload", (event) => {
    if (changed) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
}

// Printing opens every "show more" section, so that the tables behind them are printed
// whole, and closes again those the reader had closed.
const closedForPrint = [];
window.addEventListener("beforeprint", () => {
  for (const details of document.querySelectorAll("details:not([open])")) {
    details.open = true;
    closedForPrint.push(details);
  }
});
window.addEventListener("afterprint", () => {
  for (const details of closedForPrint.splice(0)) {
    details.open = false;
  }
});
