/* The private reflection journal, and the reader's progress through the course.
 *
 * Every reflection prompt (div.cw-reflection[data-prompt]) gets a labelled text box.
 * Answers live in this browser's localStorage only, under "cw-journal/<cohort>/<prompt id>";
 * nothing here makes a network request. Progress sits beside them, under "cw-journal/<cohort>/#done"
 * (a prompt id never holds "#"): the parts marked as done, by their address relative to the site's root.
 * The parts are the pages inside a section of the navigation (script#course-parts, from overrides/main.html).
 * Each part gets a "Mark as done" checkbox at its end; the navigation marks the parts done and counts them,
 * and the home page lists them. The "My reflections" page (div.cw-journal-all) also gets a toolbar: download
 * as Markdown (answers and progress), import such a file (previewed, merged, never losing what is stored),
 * print, and clear all (after confirmation).
 * Material's instant navigation swaps pages without reloading scripts, so binding runs
 * on every document$ emission and skips blocks it has already enhanced.
 */
(function () {
  "use strict";

  var PREFIX = "cw-journal/";
  var DONE = "#done";
  var PRIVATE = "Saved only in this browser, on this device. Nothing you write is ever sent over the network.";
  var FORMAT = "cw-journal export 1";

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
    var note = element("p", { id: field + "-note", class: "cw-journal-note" }, PRIVATE);
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

  // Show text stored for a prompt in every box on this page that asks it.
  function refreshBoxes() {
    document.querySelectorAll(".cw-reflection[data-prompt]").forEach(function (block) {
      var area = block.querySelector(".cw-journal textarea");
      var printed = block.querySelector(".cw-journal-print");
      if (!area) return;
      area.value = load(block.getAttribute("data-prompt"));
      if (printed) printed.textContent = area.value;
    });
  }

  /* Progress. */

  function parts() {
    var data = document.getElementById("course-parts");
    try {
      return data ? JSON.parse(data.textContent) : [];
    } catch (error) {
      return [];
    }
  }

  // The site's root, as Material resolved it when the first page loaded.
  function root() {
    return window.__md_scope ? new URL(window.__md_scope) : new URL("./", window.location.href);
  }

  // This page's address relative to the site's root ("" for the home page).
  function here() {
    var path = window.location.pathname.replace(/index\.html$/, "");
    var base = root().pathname;
    return path.indexOf(base) === 0 ? decodeURIComponent(path.slice(base.length)) : null;
  }

  function loadDone() {
    var known = parts().map(function (part) { return part.url; });
    try {
      var stored = JSON.parse(load(DONE) || "[]");
      return known.filter(function (url) { return stored.indexOf(url) !== -1; });
    } catch (error) {
      return [];
    }
  }

  function saveDone(done) {
    return save(DONE, done.length ? JSON.stringify(done) : "");
  }

  function countText(done) {
    var total = parts().length;
    return done.length + " of " + total + (total === 1 ? " part" : " parts") + " done";
  }

  function markNavigation(done) {
    var base = root();
    document.querySelectorAll(".cw-nav-progress").forEach(function (line) { line.textContent = countText(done) + "."; });
    document.querySelectorAll(".md-nav--primary a.md-nav__link[href]").forEach(function (link) {
      var target = new URL(link.getAttribute("href"), window.location.href);
      // Links to a heading (the page's own contents in the navigation) are not parts.
      var url = !target.hash && target.pathname.indexOf(base.pathname) === 0 ? decodeURIComponent(target.pathname.slice(base.pathname.length)) : null;
      var mark = link.querySelector(".cw-done-mark");
      var isDone = url !== null && done.indexOf(url) !== -1;
      if (isDone && !mark) {
        mark = element("span", { class: "cw-done-mark" });
        mark.append(element("span", { "aria-hidden": "true" }, "✓"), element("span", { class: "cw-visually-hidden" }, " (done)"));
        link.append(mark);
      } else if (!isDone && mark) {
        mark.remove();
      }
    });
  }

  function enhanceNavigation() {
    var nav = document.querySelector(".md-sidebar--primary .md-nav--primary");
    if (!nav || nav.querySelector(".cw-nav-progress") || !parts().length) return;
    var list = nav.querySelector(":scope > .md-nav__list");
    if (list) list.before(element("p", { class: "cw-nav-progress" }));
  }

  function enhanceHome() {
    var article = document.querySelector(".md-content article");
    if (!article || here() !== "" || article.querySelector(".cw-progress") || !parts().length) return;
    var section = element("section", { class: "cw-progress", "aria-labelledby": "cw-progress-title" });
    section.append(element("h2", { id: "cw-progress-title" }, "Your progress"));
    section.append(element("p", { class: "cw-progress-count" }));
    var list = element("ul", { class: "cw-progress-list" });
    parts().forEach(function (part) {
      var item = element("li", { "data-part": part.url });
      item.append(element("a", { href: new URL(part.url, root()).href }, part.title), " ", element("span", { class: "cw-progress-state" }));
      list.append(item);
    });
    section.append(list, element("p", { class: "cw-journal-note" }, "Mark a part as done at the end of its page. " + PRIVATE));
    var source = article.querySelector(".md-source-file");
    if (source) source.before(section); else article.append(section);
  }

  function showHome(done) {
    document.querySelectorAll(".cw-progress-count").forEach(function (line) { line.textContent = countText(done) + "."; });
    document.querySelectorAll(".cw-progress-list li[data-part]").forEach(function (item) {
      var isDone = done.indexOf(item.getAttribute("data-part")) !== -1;
      item.classList.toggle("cw-progress-done", isDone);
      item.querySelector(".cw-progress-state").textContent = isDone ? "Done" : "Not done yet";
    });
  }

  function showProgress() {
    var done = loadDone();
    markNavigation(done);
    showHome(done);
    document.querySelectorAll(".cw-done input").forEach(function (box) { box.checked = done.indexOf(box.value) !== -1; });
  }

  function enhancePart() {
    var url = here();
    var article = document.querySelector(".md-content article");
    var part = parts().filter(function (p) { return p.url === url; })[0];
    if (!article || !part || article.querySelector(".cw-done")) return;
    var box = element("div", { class: "cw-done" });
    var input = element("input", { type: "checkbox", id: "cw-done-box", value: part.url, "aria-describedby": "cw-done-note" });
    var label = element("label", { for: "cw-done-box" }, "Mark as done");
    var note = element("p", { id: "cw-done-note", class: "cw-journal-note" }, "Your progress is " + PRIVATE.charAt(0).toLowerCase() + PRIVATE.slice(1));
    var status = element("p", { class: "cw-done-status", role: "status" });
    input.addEventListener("change", function () {
      var done = loadDone().filter(function (u) { return u !== part.url; });
      if (input.checked) done.push(part.url);
      done = parts().map(function (p) { return p.url; }).filter(function (u) { return done.indexOf(u) !== -1; });
      var saved = saveDone(done);
      showProgress();
      status.textContent = !saved
        ? "This browser does not allow saving your progress."
        : (input.checked ? "Marked as done. " : "Marked as not done. ") + countText(done) + ".";
    });
    var row = element("div", { class: "cw-done-row" });
    row.append(input, label);
    box.append(row, note, status);
    var source = article.querySelector(".md-source-file");
    if (source) source.before(box); else article.append(box);
  }

  /* The "My reflections" page. */

  function entries() {
    var found = [];
    document.querySelectorAll(".cw-journal-page").forEach(function (section) {
      section.querySelectorAll(".cw-reflection[data-prompt]").forEach(function (block) {
        var title = block.querySelector(".admonition-title");
        var text = block.querySelector(".cw-prompt-text");
        found.push({
          id: block.getAttribute("data-prompt"),
          page: section.getAttribute("data-page-title") || "",
          title: title ? title.textContent.replace(/^Reflect:\s*/, "") : "",
          prompt: text ? text.textContent : "",
          answer: load(block.getAttribute("data-prompt")),
        });
      });
    });
    return found;
  }

  // Each answer sits between two comment lines naming its prompt, so the file can be read back exactly;
  // the comments do not show where the Markdown is displayed.
  function markdown() {
    var lines = ["# My reflections", ""];
    var where = cohort() === "generic" ? "" : ", cohort " + cohort();
    lines.push("Exported on " + new Date().toISOString().slice(0, 10) + where + ". Kept only in your browser until you saved this file.");
    lines.push("To carry your notes to another device, open My reflections there and import this file.", "");
    lines.push("<!-- " + FORMAT + " cohort: " + cohort() + " -->", "");
    var done = loadDone();
    if (parts().length) {
      lines.push("## Progress", "", countText(done) + ".", "");
      parts().forEach(function (part) {
        lines.push("- [" + (done.indexOf(part.url) !== -1 ? "x" : " ") + "] " + part.title + " <!-- part: " + part.url + " -->");
      });
      lines.push("");
    }
    var page = null;
    entries().forEach(function (entry) {
      if (entry.page !== page) {
        page = entry.page;
        lines.push("## " + page, "");
      }
      lines.push("### " + entry.title, "", "> " + entry.prompt, "", "<!-- answer: " + entry.id + " -->");
      if (entry.answer) lines.push(entry.answer);
      lines.push("<!-- end of answer: " + entry.id + " -->", "");
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

  // An exported file read back: {answers: {id: text}, done: [part urls]}, or {error: what is wrong and what to do}.
  function parseExport(name, text) {
    var refuse = function (what) {
      return { error: "“" + name + "” " + what + " Nothing was imported, and nothing saved in this browser was changed." };
    };
    if (text.indexOf("\u0000") !== -1 || text.length > 1000000) {
      return refuse("is not a My reflections file: choose the my-reflections.md that “Download as Markdown” saved.");
    }
    var lines = text.replace(/\r\n?/g, "\n").split("\n");
    var header = null;
    lines.some(function (line) {
      var found = /^<!-- cw-journal export (\d+) cohort: (\S+) -->$/.exec(line);
      if (found) header = found;
      return found;
    });
    if (!header) return refuse("is not a My reflections file exported from this site: choose the my-reflections.md that “Download as Markdown” saved.");
    if (header[1] !== "1") return refuse("was saved by a newer version of this site; download it again from the site you saved it on.");
    if (header[2] !== cohort()) {
      return refuse("holds the reflections of another course (" + header[2] + "); this site is for " + (cohort() === "generic" ? "the course without a cohort" : cohort()) + ".");
    }
    var prompts = entries().map(function (entry) { return entry.id; });
    var known = parts().map(function (part) { return part.url; });
    var result = { answers: {}, done: [] };
    for (var index = 0; index < lines.length; index++) {
      var part = /^- \[([ xX])\] .* <!-- part: (\S+) -->$/.exec(lines[index]);
      if (part) {
        if (known.indexOf(part[2]) === -1) return refuse("marks a part this site does not have (" + part[2] + ") on line " + (index + 1) + ".");
        if (part[1] !== " ") result.done.push(part[2]);
        continue;
      }
      var open = /^<!-- answer: (\S+) -->$/.exec(lines[index]);
      if (!open) continue;
      var id = open[1];
      if (prompts.indexOf(id) === -1) return refuse("answers a prompt this site does not have (" + id + ") on line " + (index + 1) + ".");
      if (Object.prototype.hasOwnProperty.call(result.answers, id)) return refuse("answers the prompt " + id + " twice (again on line " + (index + 1) + ").");
      var end = lines.indexOf("<!-- end of answer: " + id + " -->", index + 1);
      if (end === -1) return refuse("is cut short: the answer that starts on line " + (index + 1) + " has no end line (<!-- end of answer: " + id + " -->).");
      result.answers[id] = lines.slice(index + 1, end).join("\n");
      index = end;
    }
    return result;
  }

  // What importing would change: nothing stored is ever lost. An answer only in the file is added; when both hold
  // text, the longer one is kept if it starts with the other, else both are kept, this browser's first.
  function plan(file) {
    var titles = {};
    entries().forEach(function (entry) { titles[entry.id] = entry.title; });
    var changes = [];
    Object.keys(file.answers).forEach(function (id) {
      var mine = load(id);
      var theirs = file.answers[id];
      if (!theirs || theirs === mine || mine.indexOf(theirs) === 0) return;
      if (!mine) {
        changes.push({ id: id, text: theirs, says: "Add your answer to “" + titles[id] + "”." });
      } else if (theirs.indexOf(mine) === 0) {
        changes.push({ id: id, text: theirs, says: "Replace your answer to “" + titles[id] + "” with the file’s, which continues it." });
      } else {
        changes.push({ id: id, text: mine + "\n\n" + theirs, says: "Keep both answers to “" + titles[id] + "”: the one here, then the file’s." });
      }
    });
    var done = loadDone();
    var marks = parts().filter(function (part) { return file.done.indexOf(part.url) !== -1 && done.indexOf(part.url) === -1; });
    marks.forEach(function (part) { changes.push({ part: part.url, says: "Mark “" + part.title + "” as done." }); });
    return changes;
  }

  function apply(changes) {
    var done = loadDone();
    var ok = changes.every(function (change) {
      if (change.part) {
        done.push(change.part);
        return true;
      }
      return save(change.id, change.text);
    });
    done = parts().map(function (p) { return p.url; }).filter(function (u) { return done.indexOf(u) !== -1; });
    return saveDone(done) && ok;
  }

  function showPreview(container, status, name, changes) {
    var old = container.querySelector(".cw-import-preview");
    if (old) old.remove();
    var preview = element("div", { class: "cw-import-preview", role: "region", "aria-labelledby": "cw-import-title" });
    var title = element("p", { id: "cw-import-title", class: "cw-import-title", tabindex: "-1" }, "Importing “" + name + "” will:");
    var list = element("ul");
    changes.forEach(function (change) { list.append(element("li", {}, change.says)); });
    var buttons = element("div", { class: "cw-import-buttons" });
    var confirm = element("button", { type: "button", class: "md-button md-button--primary" }, "Import");
    var cancel = element("button", { type: "button", class: "md-button" }, "Cancel");
    confirm.addEventListener("click", function () {
      var saved = apply(changes);
      preview.remove();
      refreshBoxes();
      showProgress();
      status.textContent = saved
        ? "Imported “" + name + "”: " + changes.length + (changes.length === 1 ? " change." : " changes.")
        : "This browser would not let the page save everything; some changes were not imported.";
    });
    cancel.addEventListener("click", function () {
      preview.remove();
      status.textContent = "Nothing was imported.";
    });
    buttons.append(confirm, cancel);
    preview.append(title, list, element("p", {}, "Nothing saved in this browser is deleted."), buttons);
    container.querySelector(".cw-journal-tools").after(preview);
    title.focus();
  }

  function importFile(container, status, file) {
    status.textContent = "";
    file.text().then(function (text) {
      var parsed = parseExport(file.name, text);
      if (parsed.error) {
        status.textContent = parsed.error;
        return;
      }
      var changes = plan(parsed);
      if (!changes.length) {
        status.textContent = "“" + file.name + "” holds nothing that is not already saved here. Nothing was changed.";
        return;
      }
      showPreview(container, status, file.name, changes);
    }, function () {
      status.textContent = "“" + file.name + "” could not be read. Nothing was imported, and nothing saved in this browser was changed.";
    });
  }

  function clearAll(status) {
    if (!window.confirm("Delete every reflection and progress mark you have saved on this site in this browser? This cannot be undone.")) {
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
    refreshBoxes();
    showProgress();
    document.querySelectorAll(".cw-journal-status").forEach(function (line) { line.textContent = ""; });
    status.textContent = "All your reflections and progress marks were deleted from this browser.";
  }

  function enhanceJournalPage(container) {
    if (container.querySelector(".cw-journal-tools")) return;
    var tools = element("div", { class: "cw-journal-tools", role: "group", "aria-label": "Your reflections" });
    var status = element("p", { class: "cw-journal-tools-status", role: "status" });
    var picker = element("input", { type: "file", accept: ".md,text/markdown,text/plain", hidden: "" });
    picker.addEventListener("change", function () {
      if (picker.files && picker.files[0]) importFile(container, status, picker.files[0]);
      picker.value = "";
    });
    var actions = [
      ["Download as Markdown", "md-button md-button--primary", function () { download(); status.textContent = "Your reflections and progress were saved as my-reflections.md."; }],
      ["Import from a file", "md-button", function () { picker.click(); }],
      ["Print", "md-button", function () { window.print(); }],
      ["Clear all", "md-button", function () { clearAll(status); }],
    ];
    actions.forEach(function (action) {
      var button = element("button", { type: "button", class: action[1] }, action[0]);
      button.addEventListener("click", action[2]);
      tools.append(button);
    });
    tools.append(picker, status);
    container.prepend(tools);
    container.querySelectorAll(".cw-journal-needs-script").forEach(function (note) { note.hidden = true; });
  }

  function bind() {
    document.querySelectorAll(".cw-reflection[data-prompt]").forEach(enhanceReflection);
    document.querySelectorAll(".cw-journal-all").forEach(enhanceJournalPage);
    enhanceNavigation();
    enhanceHome();
    enhancePart();
    showProgress();
  }

  if (typeof window.document$ !== "undefined") {
    window.document$.subscribe(bind);
  } else {
    document.addEventListener("DOMContentLoaded", bind);
  }
})();
