// Progressive enhancement for GOV.UK Frontend, loaded as a same-origin module so the
// Content-Security-Policy needs no 'unsafe-inline'. Every page works without it.
import { initAll } from "../govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
