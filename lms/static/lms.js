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
