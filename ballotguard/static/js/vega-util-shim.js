// vega-interpreter (an ES module) imports three helpers from the bare specifier "vega-util". The import
// map in base.html points that specifier here, and this module hands over the same functions from the
// vega bundle already loaded by charts.js: no bundler, and every file is served from node_modules.
const vega = globalThis.vega;
export const ascending = vega.ascending;
export const isString = vega.isString;
export const DisallowedObjectProperties = vega.DisallowedObjectProperties;
