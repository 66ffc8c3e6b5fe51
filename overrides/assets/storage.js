/* Material's own scripts keep working where the browser refuses storage (private windows, locked-down laptops).
 *
 * Material's inline script (partials/javascripts/base.html) defines __md_get and __md_set, which read
 * localStorage or sessionStorage by default; where the browser refuses storage, merely naming them throws a
 * SecurityError, and the palette, tabs and search scripts stop with an uncaught error as the page opens.
 * This file runs right after that script (overrides/main.html, block extrahead) and wraps both, so a refused
 * store reads as empty and a write is dropped, as Material already does for a full one. The journal
 * (journal.js) does its own checks and tells the reader.
 */
(function () {
  "use strict";

  var get = window.__md_get;
  var set = window.__md_set;
  if (typeof get !== "function" || typeof set !== "function") return;
  window.__md_get = function () {
    try {
      return get.apply(this, arguments);
    } catch (error) {
      return null;
    }
  };
  window.__md_set = function () {
    try {
      set.apply(this, arguments);
    } catch (error) {
      // Nothing to do: Material treats an unsaved preference as the default.
    }
  };
})();
