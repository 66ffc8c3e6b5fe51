/* The small-group discussion timer.
 *
 * Every discussion block (div.cw-discussion[data-minutes]) gets a countdown for its
 * time box with Start, Pause and Reset. A polite live region tells screen-reader users
 * when it starts, when one minute is left and when time is up; the clock itself is a
 * role="timer" that is read on demand, not every second. Time is measured against
 * Date.now(), so a tab put in the background does not drift.
 */
(function () {
  "use strict";

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  function clock(milliseconds) {
    var seconds = Math.max(0, Math.ceil(milliseconds / 1000));
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function spoken(milliseconds) {
    var seconds = Math.max(0, Math.ceil(milliseconds / 1000));
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    var parts = [];
    if (minutes) parts.push(minutes + (minutes === 1 ? " minute" : " minutes"));
    if (rest) parts.push(rest + (rest === 1 ? " second" : " seconds"));
    return parts.join(" ") || "no time";
  }

  function enhanceDiscussion(block) {
    if (block.querySelector(".cw-timer")) return;
    var minutes = parseInt(block.getAttribute("data-minutes"), 10);
    if (!(minutes > 0)) return;
    var total = minutes * 60 * 1000;
    var remaining = total;
    var endsAt = null;
    var ticking = null;
    var warned = false;

    var box = element("div", { class: "cw-timer", role: "group", "aria-label": "Discussion timer, " + minutes + " minutes" });
    var face = element("p", { class: "cw-timer-clock", role: "timer" }, clock(total));
    var start = element("button", { type: "button", class: "md-button md-button--primary cw-timer-start" }, "Start");
    var pause = element("button", { type: "button", class: "md-button cw-timer-pause", disabled: "" }, "Pause");
    var reset = element("button", { type: "button", class: "md-button cw-timer-reset" }, "Reset");
    var status = element("p", { class: "cw-timer-status", role: "status" });
    var buttons = element("div", { class: "cw-timer-buttons" });
    buttons.append(start, pause, reset);
    box.append(face, buttons, status);
    block.append(box);

    function stop() {
      if (ticking !== null) window.clearInterval(ticking);
      ticking = null;
      endsAt = null;
      start.disabled = false;
      pause.disabled = true;
    }

    function tick() {
      // Instant navigation removed the page: stop quietly.
      if (!document.body.contains(box)) return stop();
      remaining = endsAt - Date.now();
      face.textContent = clock(remaining);
      if (!warned && total > 60000 && remaining <= 60000 && remaining > 0) {
        warned = true;
        status.textContent = "One minute left.";
      }
      if (remaining <= 0) {
        remaining = 0;
        stop();
        box.classList.add("cw-timer--done");
        status.textContent = "Time is up. The " + minutes + " minutes are over.";
        start.focus();
      }
    }

    start.addEventListener("click", function () {
      if (ticking !== null) return;
      if (remaining <= 0) {
        remaining = total;
        warned = false;
      }
      box.classList.remove("cw-timer--done");
      endsAt = Date.now() + remaining;
      ticking = window.setInterval(tick, 250);
      start.disabled = true;
      pause.disabled = false;
      // Keep keyboard focus on a live control: the Start button just became disabled.
      pause.focus();
      status.textContent = (remaining === total ? "Timer started: " : "Timer resumed: ") + spoken(remaining) + " left.";
    });

    pause.addEventListener("click", function () {
      if (ticking === null) return;
      remaining = endsAt - Date.now();
      stop();
      face.textContent = clock(remaining);
      start.focus();
      status.textContent = "Timer paused with " + spoken(remaining) + " left.";
    });

    reset.addEventListener("click", function () {
      stop();
      remaining = total;
      warned = false;
      box.classList.remove("cw-timer--done");
      face.textContent = clock(total);
      status.textContent = "Timer reset to " + spoken(total) + ".";
    });
  }

  function bind() {
    document.querySelectorAll(".cw-discussion[data-minutes]").forEach(enhanceDiscussion);
  }

  if (typeof window.document$ !== "undefined") {
    window.document$.subscribe(bind);
  } else {
    document.addEventListener("DOMContentLoaded", bind);
  }
})();
