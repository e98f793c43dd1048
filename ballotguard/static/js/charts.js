// Draws every Vega-Lite chart on the page. Each chart's spec sits in a non-executed JSON <script>
// (Django's json_script), and vega-embed runs with the CSP-safe expression interpreter (ast: true),
// so the Content-Security-Policy needs neither 'unsafe-inline' nor 'unsafe-eval'. Without script the
// table beside each chart still carries every figure.
import "../vega/vega.min.js";
import "../vega-lite/vega-lite.min.js";
import "../vega-embed/vega-embed.min.js";
import { expressionInterpreter } from "../vega-interpreter/vega-interpreter.js";

for (const element of document.querySelectorAll("[data-vega-spec]")) {
  const source = document.getElementById(element.dataset.vegaSpec);
  if (!source) continue;
  const spec = JSON.parse(source.textContent);
  try {
    await globalThis.vegaEmbed(element, spec, {
      ast: true, expr: expressionInterpreter, actions: false, renderer: "svg",
      // No injected <style> elements (style-src 'self'): their rules are in ballotguard.css.
      defaultStyle: false, tooltip: { disableDefaultStyle: true },
      // Vega's own default ("sans-serif", and serif in some SVG viewers) is not the page's typeface:
      // every title, axis and legend uses the GOV.UK stack (GDS Transport is mapped to Arial locally).
      config: { font: '"GDS Transport", arial, "Liberation Sans", sans-serif' },
    });
    element.dataset.rendered = "true";
  } catch (error) {
    element.dataset.rendered = "failed";
    element.textContent = "The chart could not be drawn: the table below has the same figures.";
  }
}
