/* Wide tables on a narrow screen: Material wraps each table in a box that scrolls sideways. A box that does scroll
 * can take focus (so the arrow keys scroll it) and is named for screen readers by its caption, or as a table; a box
 * that fits is left as Material made it. Runs on every page Material shows, and again when the window is resized.
 */
(function () {
  "use strict";

  function mark() {
    document.querySelectorAll(".md-typeset__scrollwrap").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) {
        var caption = box.querySelector("caption");
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", caption && caption.textContent.trim() ? caption.textContent.trim() : "Table, scrolls sideways");
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  // Material wraps the tables when it shows a page; this looks once it has.
  function soon() {
    window.requestAnimationFrame(mark);
  }
  if (typeof window.document$ !== "undefined") window.document$.subscribe(soon);
  else soon();
  window.addEventListener("resize", soon);
})();
