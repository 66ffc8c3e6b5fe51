/* The private reflection journal, and the reader's progress through the course.
 *
 * Every reflection prompt (div.cw-reflection[data-prompt]) gets a labelled text box.
 * Answers live in this browser's localStorage only, under "cw-journal/<cohort>/<prompt id>";
 * nothing here makes a network request. Each answer is kept with the prompt's last wording,
 * {"v": 1, "answer": …, "title": …, "prompt": …, "rev": how many saves}; an answer saved as bare text (before issue 18) is read as is
 * and rewritten in that form when its prompt is next shown. Progress sits beside them, under
 * "cw-journal/<cohort>/#done" (a prompt id never holds "#"): the parts marked as done, by their address
 * relative to the site's root. The parts are the pages inside a section of the navigation (script#course-parts,
 * from overrides/main.html). Each part gets a "Mark as done" checkbox at its end; the navigation marks the parts
 * done and counts them, and the home page lists them. The "My reflections" page (div.cw-journal-all) also gets
 * a toolbar: download as Markdown (answers and progress), import such a file (previewed, merged, never losing
 * what is stored), print, and clear all (after confirmation).
 *
 * Nothing the reader wrote is hidden or dropped by a course change (issue 18): a renamed prompt lists its former
 * ids (data-formerly) and its answers move to it; an answer or a progress mark the course no longer asks for is
 * shown on My reflections (and the home page) as such, and kept in every download until the reader deletes it.
 * A second tab's changes arrive by the storage event, and text changed in both tabs is kept twice, never replaced.
 * Where the browser refuses storage, every box says so as the page opens, and leaving with unsaved text asks first.
 * Material's instant navigation swaps pages without reloading scripts, so binding runs
 * on every document$ emission and skips blocks it has already enhanced.
 */
(function () {
  "use strict";

  var PREFIX = "cw-journal/";
  var DONE = "#done";
  var PRIVATE = "Saved only in this browser, on this device. Nothing you write is ever sent over the network.";
  var REFUSED =
    "This browser is not letting this site save anything (a private window or a locked-down computer can do this), " +
    "so what you write here is lost when you leave or reload the page: copy it somewhere safe first. Nothing you write is ever sent over the network.";
  var NOT_SAVED = "Not saved: this browser would not store it. Copy your text before you leave this page.";
  var FORMAT = "cw-journal export 1";
  var GONE = "Answers to prompts no longer in the course";
  var BOTH_KEPT = "This answer was also changed in another tab: both texts are kept here, this tab’s first. Delete what you do not need.";

  // Text this tab last read or wrote for each prompt: a stored answer that differs was changed by another tab.
  var seen = {};
  // The revision of each answer this tab last read or wrote: each save counts one up, so an event that brings an
  // older revision (a browser can deliver one late, after this tab's own newer save) is not taken for news.
  var revisions = {};
  // Prompts whose text in a box on this page could not be saved.
  var unsaved = {};
  // Whether this browser lets the site store anything, tried as each page opens.
  var canStore = true;

  function cohort() {
    var meta = document.querySelector('meta[name="course-cohort"]');
    return (meta && meta.content) || "generic";
  }

  function prefix() {
    return PREFIX + cohort() + "/";
  }

  // Private browsing, a locked-down profile or a full disk can make storage throw; the page still works for this visit.
  function storable() {
    try {
      window.localStorage.setItem(prefix() + "#probe", "1");
      window.localStorage.removeItem(prefix() + "#probe");
      return true;
    } catch (error) {
      return false;
    }
  }

  function loadRaw(key) {
    try {
      return window.localStorage.getItem(prefix() + key);
    } catch (error) {
      return null;
    }
  }

  function saveRaw(key, value) {
    try {
      if (value) window.localStorage.setItem(prefix() + key, value);
      else window.localStorage.removeItem(prefix() + key);
      return true;
    } catch (error) {
      return false;
    }
  }

  // A stored answer as {answer, title, prompt}; bare text (the format before issue 18) has no wording yet.
  function parseRecord(value) {
    if (value === null) return null;
    try {
      var record = JSON.parse(value);
      if (record && record.v === 1 && typeof record.answer === "string") return record;
    } catch (error) {
      // Not JSON: an answer saved as bare text.
    }
    return { answer: value };
  }

  function read(id) {
    return parseRecord(loadRaw(id));
  }

  function answerOf(id) {
    var record = read(id);
    return record ? record.answer : "";
  }

  // Saves an answer with the wording of its prompt (kept from before when not given); an empty answer is removed.
  function write(id, answer, wording) {
    var old = read(id) || {};
    var words = wording || old;
    // Nothing new: writing would only tell the other tabs about a change that is not one.
    if (old.answer === answer && old.title === words.title && old.prompt === words.prompt) return true;
    var revision = Math.max(old.rev || 0, revisions[id] || 0) + 1;
    var record = { v: 1, answer: answer, title: words.title || "", prompt: words.prompt || "", rev: revision };
    var saved = saveRaw(id, answer ? JSON.stringify(record) : "");
    if (saved) revisions[id] = answer ? revision : 0;
    return saved;
  }

  // Every stored answer of this cohort, by prompt id.
  function storedAnswers() {
    var found = {};
    try {
      Object.keys(window.localStorage).forEach(function (key) {
        if (key.indexOf(prefix()) !== 0 || key.indexOf("#") !== -1) return;
        var record = parseRecord(window.localStorage.getItem(key));
        if (record && record.answer) found[key.slice(prefix().length)] = record;
      });
    } catch (error) {
      return {};
    }
    return found;
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

  // Two texts as one, each kept whole: the second is dropped only when the first already holds it.
  function both(first, second) {
    if (!second || first.indexOf(second) !== -1) return first;
    if (!first || second.indexOf(first) === 0) return second;
    return first + "\n\n" + second;
  }

  /* The boxes. */

  // A prompt block's id, wording and former ids, as the page shows them.
  function promptOf(block) {
    var title = block.querySelector(".admonition-title");
    var text = block.querySelector(".cw-prompt-text");
    return {
      id: block.getAttribute("data-prompt"),
      title: title ? title.textContent.replace(/^Reflect:\s*/, "") : "",
      prompt: text ? text.textContent.replace(/\s+/g, " ").trim() : "",
      formerly: (block.getAttribute("data-formerly") || "").split(" ").filter(Boolean),
    };
  }

  function boxesFor(id) {
    return Array.prototype.filter.call(document.querySelectorAll(".cw-reflection[data-prompt] .cw-journal"), function (box) {
      return box.closest(".cw-reflection").getAttribute("data-prompt") === id;
    });
  }

  // Shows text in every box on this page that asks the prompt, with a status line if given.
  function show(id, text, said) {
    seen[id] = text;
    boxesFor(id).forEach(function (box) {
      box.querySelector("textarea").value = text;
      box.querySelector(".cw-journal-print").textContent = text;
      if (said) box.querySelector(".cw-journal-status").textContent = said;
    });
  }

  function saveAnswer(prompt, text) {
    var saved = write(prompt.id, text, prompt);
    if (saved) delete unsaved[prompt.id];
    else if (text) unsaved[prompt.id] = true;
    return saved;
  }

  // Answers saved under a prompt's former ids move to it; when both hold text, both are kept.
  function moveFormer(prompt) {
    var said = "";
    prompt.formerly.forEach(function (old) {
      var before = read(old);
      if (!before || !before.answer) return;
      var now = answerOf(prompt.id);
      var merged = both(now, before.answer);
      if (saveAnswer(prompt, merged) && saveRaw(old, "")) {
        said = merged === before.answer ? "Your answer to this prompt’s earlier version was moved here." : "Your answers to this prompt and to its earlier version are both kept here.";
      }
    });
    return said;
  }

  function enhanceReflection(block) {
    if (block.querySelector(".cw-journal")) return;
    var prompt = promptOf(block);
    var field = "cw-journal-" + prompt.id;
    var box = element("div", { class: "cw-journal" });
    var label = element("label", { for: field, class: "cw-journal-label" }, "Your private notes");
    var note = element("p", { id: field + "-note", class: "cw-journal-note" + (canStore ? "" : " cw-journal-refused") }, canStore ? PRIVATE : REFUSED);
    var area = element("textarea", { id: field, rows: "5", "aria-describedby": field + "-note", spellcheck: "true" });
    var status = element("p", { class: "cw-journal-status", role: "status" });
    // Shown instead of the box on paper, where a text box would cut the answer off.
    var printed = element("div", { class: "cw-journal-print", "aria-hidden": "true" });
    var moved = moveFormer(prompt);
    var text = answerOf(prompt.id);
    // Keep the prompt's wording as the course last showed it (and rewrite an answer stored as bare text).
    if (text && !block.classList.contains("cw-orphan")) write(prompt.id, text, prompt);
    area.value = printed.textContent = seen[prompt.id] = text;
    revisions[prompt.id] = (read(prompt.id) || {}).rev || 0;
    status.textContent = moved;
    area.addEventListener("input", function () {
      var stored = answerOf(prompt.id);
      var said = "Saved in this browser at " + timeNow() + ".";
      var caret = [area.selectionStart, area.selectionEnd];
      if (stored !== seen[prompt.id] && stored) {
        // Another tab changed this answer since this one last saw it: keep both texts, never one over the other.
        area.value = both(area.value, stored);
        area.setSelectionRange(caret[0], caret[1]);
        block.setAttribute("data-merged", "");
      }
      // Said until the page is left, so typing on does not hide it.
      if (block.hasAttribute("data-merged")) said = BOTH_KEPT + " " + said;
      printed.textContent = area.value;
      var saved = saveAnswer(prompt, area.value);
      caret = [area.selectionStart, area.selectionEnd];
      show(prompt.id, area.value, saved ? said : NOT_SAVED);
      // This tab's text comes first, so the caret stays where the reader is typing.
      area.setSelectionRange(caret[0], caret[1]);
    });
    box.append(label, area, note, printed, status);
    block.append(box);
  }

  // A change made in another tab of this site: show it, keeping both texts where this tab holds text it has not saved.
  function onStorage(event) {
    if (event.key !== null && event.key.indexOf(prefix()) !== 0) return;
    var id = event.key === null ? null : event.key.slice(prefix().length);
    if (id === DONE || id === null) showProgress();
    if (id !== null && id.indexOf("#") !== -1) return;
    var ids = id === null ? Object.keys(seen) : [id];
    // The value this event carries (not what storage holds by now), so events are taken one by one, in order.
    var record = id === null ? null : parseRecord(event.newValue);
    if (record && record.rev && record.rev <= (revisions[id] || 0)) return;
    ids.forEach(function (one) {
      var theirs = record ? record.answer : "";
      revisions[one] = record ? record.rev || 0 : 0;
      var area = boxesFor(one).map(function (box) { return box.querySelector("textarea"); })[0];
      if (!area || area.value === theirs) return;
      if (area.value === seen[one] && !unsaved[one]) {
        show(one, theirs, "Updated from another tab at " + timeNow() + ".");
        return;
      }
      var merged = both(area.value, theirs);
      var saved = saveAnswer(promptOf(area.closest(".cw-reflection")), merged);
      show(one, merged, saved ? BOTH_KEPT : NOT_SAVED);
    });
    document.querySelectorAll(".cw-journal-all").forEach(showGone);
  }

  // Before the reader leaves a page whose text could not be saved: the browser asks on closing or reloading,
  // and a link (which Material's instant navigation follows without unloading the page) asks here.
  function hasUnsaved() {
    return Object.keys(unsaved).some(function (id) {
      return boxesFor(id).some(function (box) { return box.querySelector("textarea").value; });
    });
  }

  function onBeforeUnload(event) {
    if (!hasUnsaved()) return;
    event.preventDefault();
    event.returnValue = "";
  }

  function onLinkClick(event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || !hasUnsaved() || link.hasAttribute("download")) return;
    var target = new URL(link.href, window.location.href);
    if (target.pathname === window.location.pathname && target.search === window.location.search) return;
    if (window.confirm("This browser did not save what you wrote on this page. Leave anyway, and lose it?")) {
      unsaved = {};
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
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

  function partUrls() {
    return parts().map(function (part) { return part.url; });
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

  // Every part marked as done, including parts the course no longer has (kept, never pruned).
  function loadDone() {
    try {
      var stored = JSON.parse(loadRaw(DONE) || "[]");
      return Array.isArray(stored) ? stored.filter(function (url) { return typeof url === "string"; }) : [];
    } catch (error) {
      return [];
    }
  }

  function saveDone(done) {
    return saveRaw(DONE, done.length ? JSON.stringify(done) : "");
  }

  // Marks for parts that are not in the course's navigation now.
  function goneParts(done) {
    var known = partUrls();
    return done.filter(function (url) { return known.indexOf(url) === -1; });
  }

  function countText(done) {
    var total = parts().length;
    var count = done.length - goneParts(done).length;
    return count + " of " + total + (total === 1 ? " part" : " parts") + " done";
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
    // With more than one session, each session's parts (and each other section's) are listed under its heading.
    var lists = [];
    parts().forEach(function (part) {
      if (!lists.length || (part.group && part.group !== lists[lists.length - 1].group)) {
        var list = element("ul", { class: "cw-progress-list" });
        if (part.group) section.append(element("h3", { class: "cw-progress-group" }, part.group));
        section.append(list);
        lists.push({ group: part.group, list: list });
      }
      var item = element("li", { "data-part": part.url });
      item.append(element("a", { href: new URL(part.url, root()).href }, part.title), " ", element("span", { class: "cw-progress-state" }));
      lists[lists.length - 1].list.append(item);
    });
    var note = element("p", { class: "cw-journal-note" + (canStore ? "" : " cw-journal-refused") }, "Mark a part as done at the end of its page. " + (canStore ? PRIVATE : REFUSED));
    section.append(element("div", { class: "cw-gone-parts" }), note);
    var source = article.querySelector(".md-source-file");
    if (source) source.before(section); else article.append(section);
  }

  // The parts marked as done that the course no longer has, by their address: shown, never dropped.
  function showGoneParts(done) {
    var gone = goneParts(done);
    document.querySelectorAll(".cw-gone-parts").forEach(function (holder) {
      holder.replaceChildren();
      if (!gone.length) return;
      holder.append(element("p", {}, "You also marked as done " + (gone.length === 1 ? "a part" : gone.length + " parts") + " no longer in the course, at " + (gone.length === 1 ? "this address:" : "these addresses:")));
      var list = element("ul", { class: "cw-gone-parts-list" });
      gone.forEach(function (url) { list.append(element("li", {}, url)); });
      holder.append(list);
    });
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
    showGoneParts(done);
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
    var words = canStore ? "Your progress is " + PRIVATE.charAt(0).toLowerCase() + PRIVATE.slice(1) : REFUSED;
    var note = element("p", { id: "cw-done-note", class: "cw-journal-note" + (canStore ? "" : " cw-journal-refused") }, words);
    var status = element("p", { class: "cw-done-status", role: "status" });
    input.addEventListener("change", function () {
      var done = loadDone().filter(function (u) { return u !== part.url; });
      if (input.checked) done.push(part.url);
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

  // The prompts the course asks now (not the answers shown as gone), and the map from former ids to them.
  function coursePrompts() {
    var found = { ids: [], formerly: {} };
    document.querySelectorAll(".cw-journal-page:not(.cw-gone) .cw-reflection[data-prompt]").forEach(function (block) {
      var prompt = promptOf(block);
      found.ids.push(prompt.id);
      prompt.formerly.forEach(function (old) { found.formerly[old] = prompt.id; });
    });
    return found;
  }

  // Stored answers to prompts the course no longer asks, by id.
  function goneAnswers() {
    var known = coursePrompts();
    var stored = storedAnswers();
    var gone = {};
    Object.keys(stored).forEach(function (id) {
      if (known.ids.indexOf(id) === -1 && !known.formerly[id]) gone[id] = stored[id];
    });
    return gone;
  }

  // The answers the course no longer asks for, under their own heading, each in a box like any other (so they
  // print, download, import and clear with the rest) with the prompt's last wording and a way to delete it.
  function showGone(container) {
    var gone = goneAnswers();
    var ids = Object.keys(gone).sort();
    var section = document.querySelector(".cw-gone");
    var shown = section ? section.getAttribute("data-ids") : "";
    if (shown === ids.join(" ") && section) return;
    if (section) section.previousElementSibling.remove();
    if (section) section.remove();
    if (!ids.length) return;
    var heading = element("h2", { id: "cw-gone-title" }, GONE);
    section = element("div", { class: "cw-journal-page cw-gone", "data-page-title": GONE, "data-ids": ids.join(" ") });
    section.append(element("p", {}, "The course has changed since you wrote these. They stay here, and in every download, until you delete them."));
    ids.forEach(function (id) {
      var block = element("div", { class: "admonition question cw-prompt cw-reflection cw-orphan", "data-prompt": id });
      block.append(element("p", { class: "admonition-title" }, "Reflect: " + (gone[id].title || id)));
      if (gone[id].prompt) block.append(element("p", { class: "cw-prompt-text" }, gone[id].prompt));
      section.append(block);
      enhanceReflection(block);
      var remove = element("button", { type: "button", class: "md-button" }, "Delete this answer");
      remove.addEventListener("click", function () {
        if (!window.confirm("Delete your answer to “" + (gone[id].title || id) + "”? This cannot be undone.")) return;
        if (saveRaw(id, "")) {
          delete seen[id];
          delete revisions[id];
          showGone(container);
          container.querySelector(".cw-journal-tools-status").textContent = "Your answer to “" + (gone[id].title || id) + "” was deleted.";
        }
      });
      block.querySelector(".cw-journal").append(remove);
    });
    var article = container.closest("article") || document.body;
    var source = article.querySelector(".md-source-file");
    if (source) source.before(heading, section); else article.append(heading, section);
  }

  function entries() {
    var found = [];
    document.querySelectorAll(".cw-journal-page").forEach(function (section) {
      section.querySelectorAll(".cw-reflection[data-prompt]").forEach(function (block) {
        var prompt = promptOf(block);
        // With more than one session, a page's prompts are exported under its session's heading too.
        var session = section.getAttribute("data-session");
        var page = section.getAttribute("data-page-title") || "";
        found.push({ id: prompt.id, page: session ? session + " · " + page : page, title: prompt.title, prompt: prompt.prompt, answer: answerOf(prompt.id) });
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
    if (parts().length || done.length) {
      lines.push("## Progress", "", countText(done) + ".", "");
      var group = null;
      parts().forEach(function (part) {
        if (part.group && part.group !== group) {
          group = part.group;
          lines.push("", "### " + group, "");
        }
        lines.push("- [" + (done.indexOf(part.url) !== -1 ? "x" : " ") + "] " + part.title + " <!-- part: " + part.url + " -->");
      });
      goneParts(done).forEach(function (url) { lines.push("- [x] " + url + " (no longer in the course) <!-- part: " + url + " -->"); });
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

  // An exported file read back: {answers: {id: {answer, title, prompt}}, done: [part urls]}, or {error: what is wrong
  // and what to do}. A file this site wrote is never refused for what the course has changed since: answers to
  // prompts it no longer has are kept with the wording the file gives, former ids are read as today's.
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
    var formerly = coursePrompts().formerly;
    var result = { answers: {}, done: [] };
    for (var index = 0; index < lines.length; index++) {
      var part = /^- \[([ xX])\] .* <!-- part: (\S+) -->$/.exec(lines[index]);
      if (part) {
        if (part[1] !== " " && result.done.indexOf(part[2]) === -1) result.done.push(part[2]);
        continue;
      }
      var open = /^<!-- answer: (\S+) -->$/.exec(lines[index]);
      if (!open) continue;
      var id = formerly[open[1]] || open[1];
      var end = lines.indexOf("<!-- end of answer: " + open[1] + " -->", index + 1);
      if (end === -1) return refuse("is cut short: the answer that starts on line " + (index + 1) + " has no end line (<!-- end of answer: " + open[1] + " -->).");
      // The export writes "### title", "", "> prompt", "" just above each answer.
      var title = /^### (.*)$/.exec(lines[index - 4] || "");
      var asked = /^> (.*)$/.exec(lines[index - 2] || "");
      var answer = lines.slice(index + 1, end).join("\n");
      var before = result.answers[id];
      result.answers[id] = { answer: before ? both(before.answer, answer) : answer, title: title ? title[1] : id, prompt: asked ? asked[1] : "" };
      index = end;
    }
    return result;
  }

  // What importing would change: nothing stored is ever lost. An answer only in the file is added; when both hold
  // text, the longer one is kept if it starts with the other, else both are kept, this browser's first.
  function plan(file) {
    var asked = {};
    entries().forEach(function (entry) { asked[entry.id] = entry; });
    var known = coursePrompts().ids;
    var changes = [];
    Object.keys(file.answers).forEach(function (id) {
      var mine = answerOf(id);
      var theirs = file.answers[id].answer;
      var wording = known.indexOf(id) === -1 ? file.answers[id] : asked[id];
      var title = wording.title;
      if (!theirs || theirs === mine || mine.indexOf(theirs) === 0) return;
      var change = { id: id, text: both(mine, theirs), wording: wording, gone: known.indexOf(id) === -1 };
      var gone = change.gone ? " (a prompt no longer in the course: it is kept under “" + GONE + "”)" : "";
      if (!mine) change.says = "Add your answer to “" + title + "”" + gone + ".";
      else if (theirs.indexOf(mine) === 0) change.says = "Replace your answer to “" + title + "” with the file’s, which continues it" + gone + ".";
      else change.says = "Keep both answers to “" + title + "”: the one here, then the file’s" + gone + ".";
      changes.push(change);
    });
    var done = loadDone();
    var titlesOfParts = {};
    parts().forEach(function (part) { titlesOfParts[part.url] = part.title; });
    file.done.filter(function (url) { return done.indexOf(url) === -1; }).forEach(function (url) {
      var says = titlesOfParts[url] ? "Mark “" + titlesOfParts[url] + "” as done." : "Keep the mark “done” for " + url + ", a part no longer in the course.";
      changes.push({ part: url, gone: !titlesOfParts[url], says: says });
    });
    return changes;
  }

  function apply(changes) {
    var done = loadDone();
    var ok = changes.every(function (change) {
      if (change.part) {
        done.push(change.part);
        return true;
      }
      return write(change.id, change.text, change.wording);
    });
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
      var gone = changes.filter(function (change) { return change.gone; }).length;
      preview.remove();
      Object.keys(seen).forEach(function (id) { show(id, answerOf(id)); });
      showGone(container);
      showProgress();
      status.textContent = !saved
        ? "This browser would not let the page save everything; some changes were not imported."
        : "Imported “" + name + "”: " + changes.length + (changes.length === 1 ? " change." : " changes.") +
          (gone ? " " + gone + " of them " + (gone === 1 ? "is" : "are") + " for parts of the course it no longer has, kept under “" + GONE + "” or with your progress." : "");
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

  function clearAll(container, status) {
    // What the course no longer asks for is on this page too: say so, by name, before anything is deleted.
    var gone = goneAnswers();
    var titles = Object.keys(gone).map(function (id) { return "“" + (gone[id].title || id) + "”"; });
    var goneDone = goneParts(loadDone());
    var also = titles.length || goneDone.length
      ? " This includes " + [titles.length ? "your answers to prompts no longer in the course (" + titles.join(", ") + ")" : "", goneDone.length ? "your marks on parts no longer in the course (" + goneDone.join(", ") + ")" : ""].filter(Boolean).join(" and ") + "."
      : "";
    if (!window.confirm("Delete every reflection and progress mark you have saved on this site in this browser?" + also + " This cannot be undone.")) {
      status.textContent = "Nothing was deleted.";
      return;
    }
    try {
      Object.keys(window.localStorage).forEach(function (key) {
        if (key.indexOf(prefix()) === 0) window.localStorage.removeItem(key);
      });
    } catch (error) {
      status.textContent = "This browser would not let the page delete your notes.";
      return;
    }
    unsaved = {};
    revisions = {};
    Object.keys(seen).forEach(function (id) { show(id, ""); });
    showGone(container);
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
      ["Clear all", "md-button", function () { clearAll(container, status); }],
    ];
    actions.forEach(function (action) {
      var button = element("button", { type: "button", class: action[1] }, action[0]);
      button.addEventListener("click", action[2]);
      tools.append(button);
    });
    tools.append(picker, status);
    container.prepend(tools, element("div", { class: "cw-gone-parts" }));
    container.querySelectorAll(".cw-journal-needs-script").forEach(function (note) { note.hidden = true; });
  }

  function bind() {
    canStore = storable();
    document.querySelectorAll(".cw-reflection[data-prompt]").forEach(enhanceReflection);
    document.querySelectorAll(".cw-journal-all").forEach(function (container) {
      enhanceJournalPage(container);
      showGone(container);
    });
    enhanceNavigation();
    enhanceHome();
    enhancePart();
    showProgress();
  }

  window.addEventListener("storage", onStorage);
  window.addEventListener("beforeunload", onBeforeUnload);
  window.addEventListener("click", onLinkClick, true);
  if (typeof window.document$ !== "undefined") {
    window.document$.subscribe(bind);
  } else {
    document.addEventListener("DOMContentLoaded", bind);
  }
})();
