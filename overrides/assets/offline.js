/* Reading offline: registers the service worker (sw.js at the site's root, written by `make site`) and tells the
 * reader, politely, when a new version of the site has been published.
 *
 * The worker is registered only where the page names it (meta course-offline, set by built sites, not `make serve`).
 * A new version installs in the background and waits; this script then shows a notice with a Reload button in a
 * live region. Reload asks the waiting worker to take over, and the page reloads once it has.
 */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="course-offline"]');
  if (!meta || !("serviceWorker" in navigator)) return;
  var worker = new URL(meta.content, window.location.href);
  var accepted = false;
  var notice = null;

  // The live region exists before anything is said in it, so screen readers announce the notice.
  function region() {
    if (!notice) {
      notice = document.createElement("div");
      notice.className = "cw-update";
      notice.setAttribute("role", "status");
      notice.hidden = true;
      document.body.append(notice);
    }
    return notice;
  }

  function offer(waiting) {
    var box = region();
    if (!box.hidden) return;
    var text = document.createElement("p");
    text.textContent = "A new version of this site is available.";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "md-button md-button--primary";
    button.textContent = "Reload";
    button.addEventListener("click", function () {
      accepted = true;
      button.disabled = true;
      text.textContent = "Loading the new version…";
      waiting.postMessage("cw-use-new-version");
    });
    box.replaceChildren(text, button);
    box.hidden = false;
  }

  navigator.serviceWorker.addEventListener("controllerchange", function () {
    // The first install also takes control of the page; only a reload the reader asked for reloads.
    if (accepted) window.location.reload();
  });

  region();
  navigator.serviceWorker.register(worker.href, { scope: new URL("./", worker).href }).then(function (registration) {
    function watch(installing) {
      installing.addEventListener("statechange", function () {
        if (installing.state === "installed" && navigator.serviceWorker.controller) offer(installing);
      });
    }
    if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
    if (registration.installing) watch(registration.installing);
    registration.addEventListener("updatefound", function () { watch(registration.installing); });
    // Instant navigation shows pages without loading them: ask for a new version on each page it shows.
    if (typeof window.document$ !== "undefined") {
      window.document$.subscribe(function () {
        if (navigator.onLine && !registration.installing) registration.update().catch(function () {});
      });
    }
  }).catch(function () {
    // Without a worker the site works as before, online only.
  });
})();
