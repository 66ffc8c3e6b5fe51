/* The private reflection journal.
 *
 * Every reflection prompt (div.cw-reflection[data-prompt]) gets a labelled text box.
 * Answers live in this browser's localStorage only, under "cw-journal/<cohort>/<prompt id>";
 * nothing here makes a network request. The "My reflections" page (div.cw-journal-all)
 * also gets a toolbar: download as Markdown, print, and clear all (after confirmation).
 * Material's instant navigation swaps pages without reloading scripts, so binding runs
 * on every document$ emission and skips blocks it has already enhanced.
 */
(function () {
  "use strict";

  var PREFIX = "cw-journal/";

  function cohort() {
    var meta = document.querySelector('meta[name="course-cohort"]');
    return (meta && meta.content) || "generic";
  }

  function storageKey(promptId) {
    return PREFIX + cohort() + "/" + promptId;
  }

  // Private browsing or a full disk can make storage throw; the box still works for this visit.
  function load(promptId) {
    try {
      return window.localStorage.getItem(storageKey(promptId)) || "";
    } catch (error) {
      return "";
    }
  }

  function save(promptId, text) {
    try {
      if (text) {
        window.localStorage.setItem(storageKey(promptId), text);
      } else {
        window.localStorage.removeItem(storageKey(promptId));
      }
      return true;
    } catch (error) {
      return false;
    }
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  function timeNow() {
    var now = new Date();
    return String(now.getHours()).padStart(2, "0") + ":" + String(now.getMinutes()).padStart(2, "0");
  }

  function enhanceReflection(block) {
    if (block.querySelector(".cw-journal")) return;
    var id = block.getAttribute("data-prompt");
    var field = "cw-journal-" + id;
    var box = element("div", { class: "cw-journal" });
    var label = element("label", { for: field, class: "cw-journal-label" }, "Your private notes");
    var note = element("p", { id: field + "-note", class: "cw-journal-note" },
      "Saved only in this browser, on this device. Nothing you write is ever sent over the network.");
    var area = element("textarea", { id: field, rows: "5", "aria-describedby": field + "-note", spellcheck: "true" });
    var status = element("p", { class: "cw-journal-status", role: "status" });
    // Shown instead of the box on paper, where a text box would cut the answer off.
    var printed = element("div", { class: "cw-journal-print", "aria-hidden": "true" });
    area.value = load(id);
    printed.textContent = area.value;
    area.addEventListener("input", function () {
      printed.textContent = area.value;
      status.textContent = save(id, area.value)
        ? "Saved in this browser at " + timeNow() + "."
        : "This browser does not allow saving; copy your notes before you leave the page.";
    });
    box.append(label, area, note, printed, status);
    block.append(box);
  }

  /* The "My reflections" page. */

  function entries() {
    var found = [];
    document.querySelectorAll(".cw-journal-page").forEach(function (section) {
      section.querySelectorAll(".cw-reflection[data-prompt]").forEach(function (block) {
        var title = block.querySelector(".admonition-title");
        var text = block.querySelector(".cw-prompt-text");
        found.push({
          page: section.getAttribute("data-page-title") || "",
          title: title ? title.textContent.replace(/^Reflect:\s*/, "") : "",
          prompt: text ? text.textContent : "",
          answer: load(block.getAttribute("data-prompt")),
        });
      });
    });
    return found;
  }

  function markdown() {
    var lines = ["# My reflections", ""];
    var where = cohort() === "generic" ? "" : ", cohort " + cohort();
    lines.push("Exported on " + new Date().toISOString().slice(0, 10) + where + ". Kept only in your browser until you saved this file.", "");
    var page = null;
    entries().forEach(function (entry) {
      if (entry.page !== page) {
        page = entry.page;
        lines.push("## " + page, "");
      }
      lines.push("### " + entry.title, "", "> " + entry.prompt, "", entry.answer ? entry.answer : "_No answer yet._", "");
    });
    return lines.join("\n");
  }

  function download() {
    var blob = new Blob([markdown()], { type: "text/markdown;charset=utf-8" });
    var url = URL.createObjectURL(blob);
    var link = element("a", { href: url, download: "my-reflections.md" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 0);
  }

  function clearAll(status) {
    if (!window.confirm("Delete every reflection you have written on this site in this browser? This cannot be undone.")) {
      status.textContent = "Nothing was deleted.";
      return;
    }
    var prefix = PREFIX + cohort() + "/";
    try {
      Object.keys(window.localStorage).forEach(function (key) {
        if (key.indexOf(prefix) === 0) window.localStorage.removeItem(key);
      });
    } catch (error) {
      status.textContent = "This browser would not let the page delete your notes.";
      return;
    }
    document.querySelectorAll(".cw-journal textarea").forEach(function (area) { area.value = ""; });
    document.querySelectorAll(".cw-journal-print").forEach(function (printed) { printed.textContent = ""; });
    document.querySelectorAll(".cw-journal-status").forEach(function (line) { line.textContent = ""; });
    status.textContent = "All your reflections were deleted from this browser.";
  }

  function enhanceJournalPage(container) {
    if (container.querySelector(".cw-journal-tools")) return;
    var tools = element("div", { class: "cw-journal-tools", role: "group", "aria-label": "Your reflections" });
    var status = element("p", { class: "cw-journal-tools-status", role: "status" });
    var actions = [
      ["Download as Markdown", "md-button md-button--primary", function () { download(); status.textContent = "Your reflections were saved as my-reflections.md."; }],
      ["Print", "md-button", function () { window.print(); }],
      ["Clear all", "md-button", function () { clearAll(status); }],
    ];
    actions.forEach(function (action) {
      var button = element("button", { type: "button", class: action[1] }, action[0]);
      button.addEventListener("click", action[2]);
      tools.append(button);
    });
    tools.append(status);
    container.prepend(tools);
    container.querySelectorAll(".cw-journal-needs-script").forEach(function (note) { note.hidden = true; });
  }

  function bind() {
    document.querySelectorAll(".cw-reflection[data-prompt]").forEach(enhanceReflection);
    document.querySelectorAll(".cw-journal-all").forEach(enhanceJournalPage);
  }

  if (typeof window.document$ !== "undefined") {
    window.document$.subscribe(bind);
  } else {
    document.addEventListener("DOMContentLoaded", bind);
  }
})();
