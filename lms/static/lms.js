// Start the NHS.UK design system's components (menus, error summary focus, and so on).
// Every page works without this script; it only adds what the components do in a browser.
import { initAll } from "./nhsuk/nhsuk-frontend.min.js";

initAll();
