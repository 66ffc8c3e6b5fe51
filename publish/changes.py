"""python -m publish.changes: what a change does to the course, in plain words, and where readers will see it.

Compares the course at a base revision (by default the merge base with the default branch) with the working
tree: records added, removed or changed in the data and the cohort manifests, shown item by item as word
diffs; pages whose prose changed, paragraph by paragraph; and for each, where it will be seen (pages, search,
handouts, the reader, the workbook, the facilitator guide). Quotations, citations and facilitator-only text are
flagged for a second look. Prints Markdown for a pull request's job summary (GITHUB_STEP_SUMMARY set, or
--format markdown), plain text otherwise, and nothing when nothing changed.

Both sides are read by the same loaders the build uses; "where" comes from rendering every macro call of
every page with and without the change, so it follows the macros, not a list kept here.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import io
import os
import re
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from bs4 import BeautifulSoup
from mkdocs.utils.meta import get_data

from macros.check import course_pages
from macros.cohort import COHORTS_DIR, Build, Cohort, current_build, read_manifest
from macros.course import CoursePage, nav_entries, prints
from macros.data import COURSE_FILE, DATA_DIR, LIST_FILES, CourseData, load_course
from macros.downloads import GUIDE_PDF, HOME_PAGE, READER_EPUB, READER_PDF, SLIDES_FOLDER, SLIDES_PDF, SLIDES_PPTX, WORKBOOK_PDF, handout_pdf
from macros.errors import ContentError
from macros.library import RESOURCES_PAGE, SLIDE_FORMS, Macro, PageContext, current
from macros.nav import read_config
from macros.notes import OPENING, note_spans
from macros.pages import check_front_matter, split_source
from macros.renames import fix_for, likely_successor
from macros.revision import commit_of, default_branch, git, is_shallow, merge_base
from macros.templates import PageChecker
from publish.pdf.content import GUIDE_BLOCKS, prompt_blocks
from publish.pdf.site import NavEntry, first_askers, nav_pages, page_url

ROOT = Path(__file__).resolve().parent.parent
# What a comparison reads from each revision: the pages, the data, the nav and the cohort manifests.
PARTS = ("docs/", f"{COHORTS_DIR}/", "mkdocs.yml")
Format = Literal["text", "markdown"]
Op = Literal["=", "-", "+"]
# Texts of at most this many words are shown whole, "old → new"; longer ones as one text with the changes marked.
SHORT = 12
# Unchanged words kept on each side of a change in a long text; longer unchanged runs are cut to "…".
CONTEXT = 6
DATA_DIR_SHOWN = f"docs/{DATA_DIR}"
KIND_TITLES = {"finding": "Findings", "prompt": "Prompts", "source": "Sources"}
# The CourseData table that holds each kind of record.
KIND_TABLES = {"finding": "findings", "source": "sources", "prompt": "prompts"}
# Words for a record's fields, as a reviewer reads them.
FIELD_WORDS = {
    "cited_as": "cited as",
    "facts_heading": "facts heading",
    "question": "research question",
    "minutes": "time box (minutes)",
    "numbered": "numbered list",
    "term": "bold lead-in",
    "by": "said by",
    "quote": "quotation",
    "resource_themes": "resource themes",
    "start_date": "start date",
    "end_date": "end date",
    "time_zone": "time zone",
    "start_time": "start time",
    "key_points": "key point",
    "objectives": "objective",
    "formerly": "former ids",
}
# A page's front matter says some things differently from a record, and so does a cohort manifest.
PAGE_WORDS = {"minutes": "minutes", "question": "guiding question"}
COHORT_WORDS = {"minutes": "minutes"}
SINGULAR = {
    "items": "item",
    "facts": "fact",
    "methods": "method",
    "authors": "author",
    "epilogue": "epilogue paragraph",
    "faculty": "faculty member",
    "roles": "role",
    "reach": "reach figure",
    "hosts": "host",
    "organizations": "organization",
    "facilitators": "facilitator",
    "cities": "city",
    "groups": "group",
    "objectives": "objective",
    "key_points": "key point",
    "entries": "entry",
    "paragraphs": "paragraph",
    "formerly": "former id",
}
# Source fields a citation or full reference prints: a change to one is a change to a citation.
CITATION_FIELDS = {"title", "authors", "affiliation", "cited_as", "venue", "year", "date"}
QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
MACRO_CALL = re.compile(r"{{.*?}}|{%.*?%}")
CITE_CALL = re.compile(r"""cite\(\s*["']([^"']+)["']\s*\)""")


class ChangesError(Exception):
    """A comparison that cannot run: one line saying what is wrong and how to fix it."""


# --- Git -------------------------------------------------------------------------------------------------------------


def _unshallow_fix() -> str:
    return "Fix: run `git fetch --unshallow` (in a workflow, give actions/checkout `fetch-depth: 0`), then run `make changes` again."


def resolve_base(root: Path, base: str | None) -> tuple[str, str]:
    """(commit, how the report names it) of the revision to compare with; raises ChangesError in one line with the fix."""
    if git(root, "rev-parse", "--git-dir").returncode != 0:
        raise ChangesError(f"make changes: {root} is not a git repository, so there is nothing to compare with. Fix: run it in a clone of the course.")
    if base:
        commit = commit_of(root, base)
        if commit is not None:
            return commit, f"{base} ({commit[:7]})" if not commit.startswith(base) else commit[:7]
        if is_shallow(root):
            raise ChangesError(f"make changes: the revision '{base}' is not in this shallow clone. {_unshallow_fix()}")
        raise ChangesError(
            f"make changes: there is no revision '{base}' in this repository. "
            "Fix: give a branch, tag or commit that exists (`git branch -a` lists the branches), e.g. make changes BASE=main."
        )
    branch = default_branch(root)
    if branch is None:
        if is_shallow(root):
            raise ChangesError(f"make changes: this shallow clone has no default branch to compare with. {_unshallow_fix()}")
        raise ChangesError("make changes: there is no default branch (origin/HEAD or main) to compare with. Fix: name one, e.g. make changes BASE=main.")
    commit = merge_base(root, branch)
    if commit is None:
        if is_shallow(root):
            raise ChangesError(f"make changes: the common ancestor of HEAD and {branch} is not in this shallow clone. {_unshallow_fix()}")
        raise ChangesError(f"make changes: HEAD and {branch} have no common ancestor. Fix: name the revision to compare with, e.g. make changes BASE={branch}.")
    return commit, f"{branch} ({commit[:7]})"


def export(root: Path, commit: str, destination: Path) -> None:
    """The pages, data, nav and cohort manifests of a commit, written under destination."""
    archive = git(root, "archive", "--format=tar", commit)
    if archive.returncode != 0:
        said = archive.stderr.decode(errors="replace").strip().splitlines()
        reason = said[-1] if said else "no reason given"
        raise ChangesError(f"make changes: git could not read {commit[:7]} ({reason}). Fix: run `git fetch` (or clone the repository again), then try again.")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        wanted = [m for m in tar.getmembers() if m.name.startswith(PARTS)]
        tar.extractall(destination, members=wanted, filter="data")


# --- One side of the comparison ---------------------------------------------------------------------------------------


# (page, index of the macro call on it, in the facilitator edition?) -> what the call shows there.
Rendered = dict[tuple[str, int, bool], str]


@dataclass
class Block:
    """A paragraph of a page body (lines between blank lines), where it starts, and whether it is facilitator-only."""

    text: str
    line: int
    heading: str | None
    note: str | None  # the facilitator note's title ("" without one), None outside notes


@dataclass
class Page:
    """One page of a side: its source, front matter, macro calls and paragraphs."""

    src: str
    path: Path
    text: str
    title: str
    meta: dict[str, Any]
    # The front matter as the build reads it for other pages' macros (the schedule, the reflections page).
    nav_meta: dict[str, Any]
    calls: list[tuple[Macro, list[Any], int]]
    note_lines: set[int]
    blocks: list[Block]

    @property
    def searchable(self) -> bool:
        search = self.meta.get("search")
        return not (isinstance(search, dict) and search.get("exclude") is True)


@dataclass
class Side:
    """The course at one revision, read with the build's own loaders."""

    root: Path
    data: CourseData | None
    # Why the data did not load, as the check says it (first problem), when it did not.
    data_problem: str | None
    pages: dict[str, Page]
    order: list[str]
    printable: set[str]
    cohorts: dict[str, Cohort | None]
    # The nav as readers meet it: "Title (page)" in order, sections included.
    menu: list[str] = field(default_factory=list)
    handouts: set[str] = field(default_factory=set)
    _shown: Rendered | None = None
    # The prompt ids each page shows participants (asked), worked out once per page.
    _asked: dict[str, list[str]] = field(default_factory=dict)

    def shown(self) -> Rendered:
        """What every macro call shows with this side's own data (rendered once)."""
        assert self.data is not None
        if self._shown is None:
            self._shown = render_calls(self, self.data)
        return self._shown

    def asked(self, src: str) -> list[str]:
        """The ids of the prompts a page shows participants, in page order."""
        if src not in self._asked:
            page = self.pages[src]
            html = "".join(self.shown()[(src, i, False)] for i, (_, _, line) in enumerate(page.calls) if line not in page.note_lines)
            self._asked[src] = [str(block["data-prompt"]) for block in prompt_blocks(BeautifulSoup(html, "lxml"))]
        return self._asked[src]

    def file(self, relative: str) -> str | None:
        path = self.root / relative
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None

    def title(self, src: str) -> str:
        return self.pages[src].title if src in self.pages else src

    def on_slides(self, src: str) -> bool:
        """Whether the session's slides show the page (publish/slides/deck.py): a printable page but the home page, without `slides: false`."""
        return src in self.printable and src != HOME_PAGE and src in self.pages and self.pages[src].meta.get("slides") is not False


def _menu(entries: Iterable[NavEntry], section: str = "") -> Iterator[str]:
    for entry in entries:
        where = f"{section} › {entry.title}" if section else entry.title
        if entry.src is None:
            yield from _menu(entry.children, where)
        else:
            yield f"{where} ({entry.src})"


def _blocks(lines: list[str], body_line: int, spans: list[tuple[int, int]]) -> list[Block]:
    """The body's paragraphs (lines, its note_spans spans), each with its first line in the file, the heading above it and its facilitator note."""
    note_of: dict[int, str] = {}
    for first, last in spans:
        opening = OPENING.match(lines[first])
        title = lines[first][opening.end() :].strip().lstrip("|").strip() if opening else ""
        for index in range(first, last + 1):
            note_of[index] = title
    blocks: list[Block] = []
    heading: str | None = None
    current_lines: list[int] = []

    def fence(index: int) -> bool:
        """A note's opening or closing line: the note's label says what it is, so its words are left out."""
        return index in note_of and bool(OPENING.match(lines[index]) or lines[index].strip().startswith("///"))

    def close() -> None:
        if current_lines:
            text = " ".join(lines[i].strip() for i in current_lines if not fence(i)).strip()
            if text:
                blocks.append(Block(text, body_line + current_lines[0], heading, note_of.get(current_lines[0], note_of.get(current_lines[-1]))))
            current_lines.clear()

    for index, line in enumerate(lines):
        if not line.strip():
            close()
            continue
        if line.startswith("#") and index not in note_of:
            close()
            heading = line.lstrip("#").strip()
        current_lines.append(index)
    close()
    return blocks


def load_side(root: Path) -> Side:
    """Read the course under root (a checkout, or a revision written out by export)."""
    root = root.resolve()
    docs = root / "docs"
    data: CourseData | None = None
    problem: str | None = None
    try:
        data = load_course(docs)
    except ContentError as error:
        first = error.problems[0]
        shown = first.path.removeprefix(str(root) + os.sep)
        problem = f"{shown}:{first.line}: {first.message.rstrip('.')}"
    config = root / "mkdocs.yml"
    _, values = read_config(config)
    nav = nav_entries(values.get("nav"))
    titles = dict(nav_pages(nav))
    order = [src for src, _ in nav_pages(nav)]
    # Whether a page goes in the print path (`reader: false` keeps it out), from front matter read here without a problem.
    clean: dict[str, bool] = {}
    pages: dict[str, Page] = {}
    sources = course_pages(docs, config) if docs.is_dir() else []
    for src in sources:
        path = docs / src
        text = path.read_text(encoding="utf-8", errors="replace")
        meta_text, meta_line, body, body_line = split_source(text)
        meta, meta_problems = check_front_matter("docs/" + src, meta_text, meta_line)
        # A problem (or undecodable text) may mean the print path's own reading differs: that page is left to it, below.
        if not meta_problems and "\ufffd" not in text:
            clean[src] = meta.get("reader") is not False
        calls: list[tuple[Macro, list[Any], int]] = []
        if data is not None:
            checker = PageChecker(data, "docs/" + src, line_offset=body_line - 1)
            checker.check(body)
            # The checker counts a call's line within the body; the report counts lines in the file.
            calls = [(spec, args, line + body_line - 1) for spec, args, line in checker.calls]
        lines = body.splitlines()
        spans, _ = note_spans(lines)
        note_lines = {body_line + i for first, last in spans for i in range(first, last + 1)}
        title = titles.get(src) or str(meta.get("title") or src)
        pages[src] = Page(src, path, text, title, meta, get_data(text)[1], calls, note_lines, _blocks(lines, body_line, spans))
    # The nav's pages the print path keeps, by its own rule (_printable): a page not read cleanly here is read as it reads it.
    printable = {src for src in order if (clean[src] if src in clean else _prints(docs / src))}
    order = [src for src in order if src in pages] + [src for src in sources if src not in order]
    cohorts: dict[str, Cohort | None] = {}
    folder = root / COHORTS_DIR
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        cohorts[path.stem] = read_manifest(path)[0]
    side = Side(root, data, problem, pages, order, printable, cohorts, menu=list(_menu(nav)))
    if data is not None:
        side.handouts = set(handout_pages(side))
    return side


def _prints(path: Path) -> bool:
    """Whether the print path prints the page at path (a missing page is left to the build to report)."""
    return prints(get_data(path.read_text(encoding="utf-8"))[1]) if path.is_file() else True


# --- Rendering: what each macro call shows, with and without a change ------------------------------------------------

PARTICIPANT = Build()
FACILITATOR = Build(edition="facilitator")


def _nav(side: Side, earlier: dict[str, Page]) -> list[CoursePage]:
    """Every page of the nav read as the build reads it: earlier holds pages as they were."""
    nav = []
    for src in side.order:
        read = earlier.get(src, side.pages[src])
        nav.append(CoursePage(src, side.title(src), page_url(src), str(read.path), text=read.text, meta=read.nav_meta))
    return nav


def _context(page: Page, data: CourseData, earlier: dict[str, Page], nav: list[CoursePage]) -> PageContext:
    """The page as macros see it, with the nav's pages (_nav): earlier holds pages as they were."""
    return PageContext(
        data=data,
        src_path=page.src,
        url=page_url(page.src),
        meta=dict(earlier.get(page.src, page).meta),
        resources_url=page_url(RESOURCES_PAGE),
        pages=nav,
    )


def render_calls(
    side: Side,
    data: CourseData,
    *,
    cohort: tuple[str, Cohort | None] | None = None,
    earlier: dict[str, Page] | None = None,
) -> Rendered:
    """What every macro call of every page shows, in each edition that shows it: calls inside a note only in the facilitator edition.

    A call outside notes can show facilitators more (the schedule says what is not set yet), so it is rendered in both editions.
    """
    shown: Rendered = {}
    earlier = earlier or {}
    nav = _nav(side, earlier)
    for page in side.pages.values():
        context = _context(page, data, earlier, nav)
        for index, (spec, args, line) in enumerate(page.calls):
            for build in (FACILITATOR,) if line in page.note_lines else (PARTICIPANT, FACILITATOR):
                if cohort is not None:
                    build = Build(cohort[0], cohort[1], build.edition)
                page_token, build_token = current.set(context), current_build.set(build)
                try:
                    shown[(page.src, index, build.facilitator)] = spec.function(*args) + _slides_mark(spec.name, args)
                except Exception as error:  # a call the other side's data cannot show (e.g. an id it lacks) shows something else
                    shown[(page.src, index, build.facilitator)] = f"\0{type(error).__name__}: {error}"
                finally:
                    current.reset(page_token)
                    current_build.reset(build_token)
    return shown


# What a call shows on the slides, as a mark after what it shows on the page: an HTML comment, which no question
# about the page's blocks sees, holding a digest of the call's slides (its slide form, macros/library.py).
SLIDES_MARK = "<!--slides:"


def _slides_mark(name: str, args: list[Any]) -> str:
    form = SLIDE_FORMS.get(name)
    return f"{SLIDES_MARK}{hashlib.sha256(repr(form(*args)).encode()).hexdigest()}-->" if form is not None else ""


def _split_mark(html: str) -> tuple[str, str]:
    """(what a call shows on the page, its slides' mark)."""
    at = html.find(SLIDES_MARK)
    return (html, "") if at < 0 else (html[:at], html[at:])


def handout_pages(side: Side) -> list[str]:
    """The pages that get a handout, by the print path's own rule, from the prompt blocks their calls show participants."""
    return first_askers((src, side.asked(src)) for src in side.order if src in side.printable)


@dataclass
class Seen:
    """Where a change shows: participants' pages, facilitator-edition pages, printed prompts or guide blocks, the covers, a cohort's site."""

    pages: set[str] = field(default_factory=set)
    facilitator: set[str] = field(default_factory=set)
    prompts: set[str] = field(default_factory=set)
    guide: set[str] = field(default_factory=set)
    # Pages whose slides show the change, and pages whose speaker notes (facilitator edition) do.
    slides: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)
    covers: bool = False
    cohort: str | None = None


def differences(side: Side, before: Rendered, after: Rendered) -> Seen:
    """The pages whose calls show something different between two renderings, and in which edition."""
    seen = Seen()
    for (src, index, facilitator), html in after.items():
        if before.get((src, index, facilitator)) == html:
            continue
        page = side.pages[src]
        in_note = page.calls[index][2] in page.note_lines
        old, new = BeautifulSoup(before.get((src, index, facilitator), ""), "lxml"), BeautifulSoup(html, "lxml")
        if facilitator:
            # Facilitators alone see it when participants see no change there; the guide gathers the facilitator edition's notes and schedule.
            if in_note or before.get((src, index, False)) == after.get((src, index, False)):
                seen.facilitator.add(src)
            if in_note:
                seen.notes.add(src)
            if in_note or [str(b) for b in old.select(GUIDE_BLOCKS)] != [str(b) for b in new.select(GUIDE_BLOCKS)]:
                seen.guide.add(src)
            continue
        (old_page, old_slides), (new_page, new_slides) = _split_mark(before.get((src, index, facilitator), "")), _split_mark(html)
        if old_page != new_page:
            seen.pages.add(src)
        if old_slides != new_slides:
            seen.slides.add(src)
        if [str(b) for b in prompt_blocks(old)] != [str(b) for b in prompt_blocks(new)]:
            seen.prompts.add(src)
    return seen


def _quote(title: str) -> str:
    return f"“{title}”"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe(side: Side, seen: Seen) -> list[str]:
    """Where a change will be seen, in reading order: pages, search, handouts, reader, workbook, facilitator guide."""
    places: list[str] = []
    pages = [src for src in side.order if src in seen.pages]
    if pages:
        noun = "the page" if len(pages) == 1 else "the pages"
        places.append(f"{noun} {_join([_quote(side.title(src)) for src in pages])}")
        if any(side.pages[src].searchable for src in pages):
            places.append("the search")
        places += [f"the handout {handout_pdf(src)}" for src in pages if src in side.handouts]
        if any(src in side.printable for src in pages):
            # The EPUB reader holds the same pages as the PDF one.
            places.append(f"the course reader ({READER_PDF}, {READER_EPUB})")
        if any(src in side.handouts for src in seen.prompts):
            places.append(f"the reflection workbook ({WORKBOOK_PDF})")
    slides = [src for src in side.order if src in seen.slides and side.on_slides(src)]
    if slides or seen.covers:
        which = f"the slides of {_join([_quote(side.title(src)) for src in slides])}" if slides else "the title slide"
        places.append(f"{which} ({SLIDES_FOLDER}/{SLIDES_PDF}, {SLIDES_PPTX})")
    if seen.covers:
        places.append(f"the covers and headings of every PDF, and the cover of {READER_EPUB}")
    notes = [src for src in side.order if src in seen.facilitator]
    if notes:
        places.append(f"the facilitator edition of {_join([_quote(side.title(src)) for src in notes])}")
    if any(src in side.printable for src in seen.guide):
        places.append(f"the facilitator guide ({GUIDE_PDF})")
    if any(side.on_slides(src) for src in seen.notes):
        places.append(f"the speaker notes of the facilitator edition's slides ({SLIDES_PPTX})")
    if seen.cohort and places:
        # Everything listed is that cohort's build.
        places[0] = f"the {seen.cohort} cohort's site (make site COHORT={seen.cohort}): {places[0]}"
    return places


# --- Word diffs --------------------------------------------------------------------------------------------------------


def word_diff(old: str, new: str) -> list[tuple[Op, str]]:
    """The two texts as runs of unchanged, removed and added words."""
    a, b = old.split(), new.split()
    runs: list[tuple[Op, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            runs.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            runs.append(("+", " ".join(b[j1:j2])))
    return runs


def _trim(runs: list[tuple[Op, str]]) -> list[tuple[Op, str]]:
    """Long unchanged runs cut to a few words either side of a change."""
    trimmed: list[tuple[Op, str]] = []
    for index, (op, text) in enumerate(runs):
        words = text.split()
        if op != "=" or len(words) <= 2 * CONTEXT + 2:
            trimmed.append((op, text))
            continue
        head = words[:CONTEXT] if index > 0 else []
        tail = words[-CONTEXT:] if index < len(runs) - 1 else []
        trimmed.append(("=", " ".join([*head, "…", *tail])))
    return trimmed


# --- The report --------------------------------------------------------------------------------------------------------


@dataclass
class Line:
    """One changed value: its label, and the old and new text (None when added or removed)."""

    label: str
    old: str | None
    new: str | None


@dataclass
class Entry:
    """One record or page: what happened to it, its changed values, where it shows, and what deserves a second look."""

    action: str
    name: str
    lines: list[Line] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@dataclass
class Section:
    title: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Report:
    base: str
    notes: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(section.entries for section in self.sections)

    def second_look(self) -> list[str]:
        return [f"{entry.name}: {flag}" for section in self.sections for entry in section.entries for flag in entry.flags]


def _words(key: str) -> str:
    return FIELD_WORDS.get(key, key.replace("_", " "))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        # An item reads as its text, with anything else about it after it: "Agreeing on problem and solutions (group: Substance)".
        rest = "; ".join(f"{_words(str(k))}: {_text(v)}" for k, v in value.items() if k != "text")
        if "text" in value:
            return _text(value["text"]) + (f" ({rest})" if rest else "")
        return rest
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    return str(value)


def _key(value: Any) -> str:
    """What aligns two versions of a list entry: its text or name."""
    if isinstance(value, dict):
        for name in ("text", "name", "figure", "label"):
            if name in value:
                return str(value[name])
    return _text(value)


def field_lines(old: Any, new: Any, label: str = "", words_for: dict[str, str] | None = None) -> list[Line]:
    """Every changed value between two versions of a record (plain dicts and lists), labelled item by item."""
    if old == new:
        return []
    if isinstance(old, dict) or isinstance(new, dict):
        # A group of fields set or cleared whole (a quotation, a cohort's minutes) still reads field by field.
        old, new = old if old is not None else {}, new if new is not None else {}
    if isinstance(old, dict) and isinstance(new, dict):
        lines = []
        for key in [*old, *(k for k in new if k not in old)]:
            words = (words_for or {}).get(str(key)) or _words(str(key))
            # A part's text is the part itself: "item 3: old → new", not "item 3, text: old → new".
            inner = label if key == "text" and label else f"{label}, {words}" if label else words
            lines += field_lines(old.get(key), new.get(key), inner)
        return lines
    if (isinstance(old, str) and isinstance(new, list)) or (isinstance(old, list) and isinstance(new, str)):
        # One value or a list of them (a source's venue): one value reads as a list of one, so only what differs is shown.
        return field_lines([old] if isinstance(old, str) else old, [new] if isinstance(new, str) else new, label)
    if isinstance(old, list) and isinstance(new, list) and (old or new):
        return _list_lines(old, new, label)
    if old in (None, [], {}):
        return [Line(f"{label} (added)", None, _text(new))]
    if new in (None, [], {}):
        return [Line(f"{label} (removed)", _text(old), None)]
    return [Line(label, _text(old), _text(new))]


def new_record_lines(record: dict[str, Any], words_for: dict[str, str] | None = None) -> list[Line]:
    """The fields of a record that is new as a whole: each one is added, so none is marked so."""
    return [replace(line, label=line.label.removesuffix(" (added)")) for line in field_lines({}, record, words_for=words_for) if line.label != "id (added)"]


def _aligned(tag: str, i1: int, i2: int, j1: int, j2: int) -> tuple[list[tuple[int, int]], range, range]:
    """A differing opcode of a diff: the replaced entries paired (old, new), then the old ones left removed and the new ones left added."""
    pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
    return [(i1 + k, j1 + k) for k in range(pairs)], range(i1 + pairs, i2), range(j1 + pairs, j2)


def _list_lines(old: list[Any], new: list[Any], label: str) -> list[Line]:
    parent, _, last = label.rpartition(", ")
    name = SINGULAR.get(last.replace(" ", "_"), SINGULAR.get(last, last))
    name = FIELD_WORDS.get(name, name)

    def at(number: int) -> str:
        return f"{parent}, {name} {number}" if parent else f"{name} {number}"

    lines: list[Line] = []
    matcher = difflib.SequenceMatcher(None, [_key(v) for v in old], [_key(v) for v in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                lines += field_lines(old[i], new[j], at(j + 1))
            continue
        paired, removed, added = _aligned(tag, i1, i2, j1, j2)
        for i, j in paired:
            lines += field_lines(old[i], new[j], at(j + 1))
        for i in removed:
            lines.append(Line(at(i + 1) + " (removed)", _text(old[i]), None))
        for j in added:
            lines.append(Line(at(j + 1) + " (added)", None, _text(new[j])))
    return lines


def _dump(record: Any) -> dict[str, Any]:
    """A record's fields as written, without the defaults nobody wrote."""
    return dict(record.model_dump(mode="json", exclude_defaults=True))


def _record_name(kind: str, record_id: str, record: Any) -> str:
    title = getattr(record, "title", None) or getattr(record, "name", None) or record_id
    return f"{kind} {_quote(str(title))} ({record_id})"


def _variant(data: CourseData, kind: str, record_id: str, record: Any | None) -> CourseData:
    """The data with one record as it was (or without it), everything else as it is now."""
    table = KIND_TABLES[kind]
    records = dict(getattr(data, table))
    if record is None:
        records.pop(record_id, None)
    else:
        records[record_id] = record
    changed: dict[str, Any] = {table: records}
    return replace(data, **changed)


def _still_called(side: Side, record_id: str) -> list[str]:
    return [
        f'docs/{page.src}:{line} still calls {spec.name}("{record_id}"): make check fails until that line is changed.'
        for page in side.pages.values()
        for spec, args, line in page.calls
        if args and args[0] == record_id and spec.takes is not None
    ]


def compare_records(base: Side, head: Side, section: Section, kind: str) -> None:
    """Findings, prompts or sources added, removed or changed, with where each shows."""
    assert base.data is not None and head.data is not None
    table = KIND_TABLES[kind]
    old: dict[str, Any] = getattr(base.data, table)
    new: dict[str, Any] = getattr(head.data, table)
    shown_now = head.shown()
    for record_id in [*new, *(i for i in old if i not in new)]:
        before, after = old.get(record_id), new.get(record_id)
        if before == after:
            continue
        if after is None:
            entry = Entry("Removed", _record_name(kind, record_id, before))
            was = describe(base, differences(base, render_calls(base, _variant(base.data, kind, record_id, None)), base.shown()))
            entry.notes.append("It was seen in: " + "; ".join(was) + "." if was else "No page showed it.")
            entry.notes += _still_called(head, record_id)
        else:
            entry = Entry("Added" if before is None else "Changed", _record_name(kind, record_id, after))
            entry.lines = new_record_lines(_dump(after)) if before is None else field_lines(_dump(before), _dump(after))
            entry.seen = describe(head, differences(head, render_calls(head, _variant(head.data, kind, record_id, before)), shown_now))
            if not entry.seen:
                entry.notes.append("No page shows it yet." if before is None else "No page shows this change.")
        entry.flags = _record_flags(kind, before, after)
        section.entries.append(entry)


def _record_flags(kind: str, before: Any | None, after: Any | None) -> list[str]:
    flags = []
    old = _dump(before) if before is not None else {}
    new = _dump(after) if after is not None else {}
    if kind == "source":
        what = "changed" if before is not None and after is not None else "was added" if before is None else "was removed"
        if old.get("quote") != new.get("quote"):
            flags.append(f"a quotation {what}; check it against the session's own words")
        if any(old.get(name) != new.get(name) for name in CITATION_FIELDS):
            flags.append(f"a citation {what}; check it against the work it cites" if after is not None else f"a citation {what}")
    elif kind == "finding" and before is not None and after is not None and old.get("source") != new.get("source"):
        # A finding prints its source under it; a prompt's source is not shown.
        flags.append("the source it is credited to changed; check the citation")
    return flags


def compare_course(base: Side, head: Side, section: Section) -> None:
    """The course record (docs/data/course.yml), field by field."""
    assert base.data is not None and head.data is not None
    before, after = base.data.course, head.data.course
    if before == after:
        return
    entry = Entry("Changed", "the course record")
    entry.lines = field_lines(_dump(before), _dump(after))
    seen = differences(head, render_calls(head, replace(head.data, course=before)), head.shown())
    seen.covers = before.title != after.title
    entry.seen = describe(head, seen)
    section.entries.append(entry)


def _cohort_fields(side: Side, cohort: Cohort) -> dict[str, Any]:
    """A manifest's fields as written, its minutes named by the pages' titles (a manifest names a page by its path without .md)."""
    fields = _dump(cohort)
    if isinstance(fields.get("minutes"), dict):
        fields["minutes"] = {(_quote(side.title(f"{key}.md")) if f"{key}.md" in side.pages else key): parts for key, parts in fields["minutes"].items()}
    return fields


def compare_cohorts(base: Side, head: Side, section: Section) -> None:
    """Cohort manifests added, removed or changed; where each change shows in that cohort's own site."""
    for cohort_id in sorted(set(base.cohorts) | set(head.cohorts)):
        path = f"{COHORTS_DIR}/{cohort_id}.yml"
        if cohort_id not in head.cohorts:
            section.entries.append(Entry("Removed", f"the cohort manifest {path}"))
            continue
        before, after = base.cohorts.get(cohort_id), head.cohorts[cohort_id]
        if cohort_id not in base.cohorts:
            entry = Entry("Added", f"the cohort manifest {path}")
            entry.lines = new_record_lines(_cohort_fields(head, after), words_for=COHORT_WORDS) if after is not None else []
            section.entries.append(entry)
            continue
        if before is None or after is None:
            as_text = _text_entry(base, head, path, "the cohort manifest " + path)
            if as_text is not None:
                as_text.notes.append("One version of this manifest does not load (see make check), so it is compared as text.")
                section.entries.append(as_text)
            continue
        if before == after:
            continue
        entry = Entry("Changed", f"the cohort manifest {path}")
        entry.lines = field_lines(_cohort_fields(head, before), _cohort_fields(head, after), words_for=COHORT_WORDS)
        if head.data is not None:
            seen = differences(head, render_calls(head, head.data, cohort=(cohort_id, before)), render_calls(head, head.data, cohort=(cohort_id, after)))
            seen.covers = (before.name, before.dates) != (after.name, after.dates)
            seen.cohort = cohort_id
            entry.seen = describe(head, seen)
        section.entries.append(entry)


def _text_entry(base: Side, head: Side, relative: str, name: str) -> Entry | None:
    """A file compared line by line, for data that does not load."""
    old, new = base.file(relative), head.file(relative)
    if old == new:
        return None
    if new is None:
        return Entry("Removed", name)
    entry = Entry("Added" if old is None else "Changed", name)
    a, b = (old or "").splitlines(), new.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        paired, removed, added = _aligned(tag, i1, i2, j1, j2)
        entry.lines += [Line(f"line {j + 1}", a[i].strip(), b[j].strip()) for i, j in paired]
        entry.lines += [Line(f"line {i + 1} (removed)", a[i].strip(), None) for i in removed if a[i].strip()]
        entry.lines += [Line(f"line {j + 1} (added)", None, b[j].strip()) for j in added if b[j].strip()]
    return entry


def _quotations(text: str) -> list[str]:
    """The quoted passages of a paragraph (a blockquote is one), leaving out the ids quoted inside macro calls."""
    prose = MACRO_CALL.sub(" ", text)
    return ([prose] if prose.lstrip().startswith(">") else []) + QUOTED.findall(prose)


def _block_flags(old: Block | None, new: Block | None) -> list[str]:
    flags = []
    before, after = (old.text if old else ""), (new.text if new else "")
    if _quotations(before) != _quotations(after):
        flags.append("a quotation changed; check it against the session's own words")
    if CITE_CALL.findall(before) != CITE_CALL.findall(after):
        flags.append("a citation changed; check the work it cites")
    return flags


def _block_label(block: Block) -> str:
    where = f"line {block.line}"
    if block.note is not None:
        return f"{where}, facilitator note" + (f" {_quote(block.note)}" if block.note else "")
    return f"{where}, under {_quote(block.heading)}" if block.heading else where


def compare_pages(base: Side, head: Side, section: Section) -> None:
    """Pages added, removed or changed: front matter field by field, the body paragraph by paragraph."""
    for src in [*head.order, *(s for s in base.order if s not in head.pages)]:
        old, new = base.pages.get(src), head.pages.get(src)
        name = f"the page {_quote(head.title(src) if new else base.title(src))} (docs/{src})"
        if new is None:
            section.entries.append(Entry("Removed", name))
            continue
        if old is None:
            entry = Entry("Added", name, notes=[f"{len(new.blocks)} paragraphs."])
            entry.seen = describe(head, Seen(pages={src}, prompts={src}))
            section.entries.append(entry)
            continue
        if old.text == new.text:
            continue
        entry = Entry("Changed", name)
        seen = Seen()
        entry.lines = [replace(line, label="front matter, " + line.label) for line in field_lines(old.meta, new.meta, words_for=PAGE_WORDS)]
        if head.data is not None:
            # A page feeds macros here and elsewhere (objectives, key points, the schedule, the journal): render with the old page.
            earlier = render_calls(head, head.data, earlier={src: old})
            seen = differences(head, earlier, head.shown())
            if base.data is not None and base.asked(src) != head.asked(src):
                seen.pages.add(src)
                seen.prompts.add(src)
        if old.meta.get("title") != new.meta.get("title") or old.meta.get("description") != new.meta.get("description"):
            seen.pages.add(src)
        matcher = difflib.SequenceMatcher(None, [b.text for b in old.blocks], [b.text for b in new.blocks], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            paired, removed, added = _aligned(tag, i1, i2, j1, j2)
            changed: list[tuple[Block | None, Block | None]] = [(old.blocks[i], new.blocks[j]) for i, j in paired]
            changed += [(old.blocks[i], None) for i in removed]
            changed += [(None, new.blocks[j]) for j in added]
            for before, after in changed:
                shown_block = after or before
                assert shown_block is not None
                label = _block_label(shown_block) + (" (removed)" if after is None else " (added)" if before is None else "")
                entry.lines.append(Line(label, before.text if before else None, after.text if after else None))
                in_note = shown_block.note is not None
                (seen.facilitator if in_note else seen.pages).add(src)
                # A heading is a slide's title or the line above it; prose and notes are the facilitator slides' speaker notes.
                if shown_block.text.lstrip().startswith("#"):
                    seen.slides.add(src)
                elif MACRO_CALL.sub("", shown_block.text).strip():
                    seen.notes.add(src)
                if in_note:
                    seen.guide.add(src)
                    entry.flags.append("facilitator-only text changed; participants never see it")
                entry.flags += _block_flags(before, after)
        if not entry.lines:
            continue
        entry.flags = list(dict.fromkeys(entry.flags))
        entry.seen = describe(head, seen)
        section.entries.append(entry)


def compare_answers(before: CourseData, after: CourseData, section: Section) -> None:
    """Reflections whose id is gone: where readers' answers to each go (macros/renames.py asks for one of these)."""
    for old, prompt in before.prompts.items():
        if prompt.kind != "reflection" or old in after.where:
            continue
        name = _record_name("reflection", old, prompt)
        if old in after.formerly:
            new = after.formerly[old]
            note = f"Readers' answers move to {_record_name('reflection', new, after.prompts[new])} the next time they open it or My reflections."
            section.entries.append(Entry("Renamed", name, notes=[note]))
        elif old in after.retired:
            note = "Readers' answers stay in their journal, under “Answers to prompts no longer in the course” on My reflections."
            section.entries.append(Entry("Retired", name, notes=[note]))
        else:
            fix = fix_for(old, likely_successor(prompt.title, after)).replace(" (the record on this line)", "")
            entry = Entry("Removed without a word", name, notes=[f"make check fails until it is accounted for. Fix: {fix[0].upper()}{fix[1:]}"])
            entry.flags.append("readers who answered it would find their answer only among answers to prompts no longer in the course")
            section.entries.append(entry)


def compare(base: Side, head: Side, base_label: str) -> Report:
    """Everything that differs between two sides, as a report."""
    report = Report(base_label)
    data_sections = [Section(f"{KIND_TITLES[kind]} ({DATA_DIR_SHOWN}/{name})") for name, (kind, _) in LIST_FILES.items()]
    course_section = Section(f"The course record ({DATA_DIR_SHOWN}/{COURSE_FILE})")
    if base.data is not None and head.data is not None:
        for (_, (kind, _)), section in zip(LIST_FILES.items(), data_sections, strict=True):
            compare_records(base, head, section, kind)
        compare_course(base, head, course_section)
    else:
        fixes = {
            "base": "Fix: nothing to do for this report; that revision's data was already invalid.",
            "head": "Fix: run `make check` and correct the lines it names.",
        }
        for side, which, words in ((base, "base", f"at {base_label}"), (head, "head", "in this checkout")):
            if side.data_problem is not None:
                report.notes.append(
                    f"The course data {words} does not load ({side.data_problem}), so the data files are compared as text, "
                    f"without where they show. {fixes[which]}"
                )
        for (name, _), section in zip(LIST_FILES.items(), data_sections, strict=True):
            entry = _text_entry(base, head, f"{DATA_DIR_SHOWN}/{name}", f"{DATA_DIR_SHOWN}/{name}")
            if entry is not None:
                section.entries.append(entry)
        entry = _text_entry(base, head, f"{DATA_DIR_SHOWN}/{COURSE_FILE}", f"{DATA_DIR_SHOWN}/{COURSE_FILE}")
        if entry is not None:
            course_section.entries.append(entry)
    by_kind = dict(zip([kind for kind, _ in LIST_FILES.values()], data_sections, strict=True))
    pages_section = Section("Pages (docs/)")
    compare_pages(base, head, pages_section)
    nav_section = Section("Navigation (mkdocs.yml)")
    if base.menu != head.menu:
        entry = Entry("Changed", "the navigation", lines=field_lines({"menu": base.menu}, {"menu": head.menu}, words_for={"menu": "entries"}))
        entry.seen = [f"the menu of every page; the course reader's contents and bookmarks ({READER_PDF}) and its e-book contents ({READER_EPUB})"]
        nav_section.entries.append(entry)
    cohorts_section = Section(f"Cohort manifests ({COHORTS_DIR}/)")
    compare_cohorts(base, head, cohorts_section)
    answers_section = Section("Readers' answers (reflection prompts renamed or removed)")
    if base.data is not None and head.data is not None:
        compare_answers(base.data, head.data, answers_section)
    # What happens to readers' answers first, then findings, prompts and sources: the records a reviewer is most likely asked about.
    report.sections = [answers_section, by_kind["finding"], by_kind["prompt"], by_kind["source"], course_section, pages_section, nav_section, cohorts_section]
    return report


# --- Output ------------------------------------------------------------------------------------------------------------

MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def _md(text: str) -> str:
    """Text shown as written: Markdown in it is escaped, so only the report's own marks format."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def format_change(line: Line, style: Format) -> str:
    """One changed value: 'old → new' when short, else one text with its removed and added words marked."""
    plain = style == "text"
    esc = (lambda t: t) if plain else _md
    if line.old is None:
        return f"{line.label}: {esc(line.new or '')}"
    if line.new is None:
        return f"{line.label}: {esc(line.old)}"
    if max(len(line.old.split()), len(line.new.split())) <= SHORT:
        if plain:
            return f"{line.label}: {line.old} → {line.new}"
        # On the Summary page the words that changed stand out on each side.
        runs = word_diff(line.old, line.new)
        before = " ".join(esc(t) if op == "=" else f"~~{esc(t)}~~" for op, t in runs if op != "+")
        after = " ".join(esc(t) if op == "=" else f"**{esc(t)}**" for op, t in runs if op != "-")
        return f"{line.label}: {before} → {after}"
    parts = []
    for op, text in _trim(word_diff(line.old, line.new)):
        if op == "=":
            parts.append(esc(text))
        elif plain:
            parts.append(f"[-{text}-]" if op == "-" else f"{{+{text}+}}")
        else:
            parts.append(f"~~{esc(text)}~~" if op == "-" else f"**{esc(text)}**")
    return f"{line.label}: " + " ".join(parts)


def render_report(report: Report, style: Format) -> str:
    """The report as plain text (a terminal) or Markdown (a pull request's job summary); '' when nothing changed."""
    if report.empty:
        return ""
    out: list[str] = []
    count = sum(len(s.entries) for s in report.sections)
    plural = "change" if count == 1 else "changes"
    looks = report.second_look()
    if style == "markdown":
        out += ["## What this changes in the course", "", f"Compared with {_md(report.base)}: {count} {plural}.", ""]
        out += [f"> **Note:** {_md(note)}" for note in report.notes] + ([""] if report.notes else [])
        if looks:
            out += ["**For a second look:**", ""] + [f"- {_md(look)}" for look in looks] + [""]
        for section in report.sections:
            if not section.entries:
                continue
            out += [f"### {_md(section.title)}", ""]
            for entry in section.entries:
                out.append(f"- **{entry.action}:** {_md(entry.name)}")
                out += [f"  - {format_change(line, style)}" for line in entry.lines]
                if entry.seen:
                    out.append("  - *Seen in:* " + _md("; ".join(entry.seen)) + ".")
                out += [f"  - {_md(note)}" for note in entry.notes]
            out.append("")
        return "\n".join(out).rstrip() + "\n"
    out += [f"What this changes in the course, compared with {report.base}: {count} {plural}.", ""]
    out += [f"Note: {note}" for note in report.notes] + ([""] if report.notes else [])
    if looks:
        out += ["For a second look:"] + [f"  ! {look}" for look in looks] + [""]
    for section in report.sections:
        if not section.entries:
            continue
        out.append(section.title)
        for entry in section.entries:
            out.append(f"  {entry.action}: {entry.name}")
            out += [f"    {format_change(line, style)}" for line in entry.lines]
            if entry.seen:
                out.append("    Seen in: " + "; ".join(entry.seen) + ".")
            out += [f"    {note}" for note in entry.notes]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def changes(root: Path, base: str | None) -> Report:
    """Compare the working tree under root with a base revision; raises ChangesError."""
    commit, label = resolve_base(root, base)
    with tempfile.TemporaryDirectory(prefix="changes-") as folder:
        export(root, commit, Path(folder))
        return compare(load_side(Path(folder)), load_side(root), label)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m publish.changes", description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="the revision to compare with (default: the merge base with the default branch)")
    parser.add_argument(
        "--format", choices=("text", "markdown"), help="text for a terminal, markdown for a job summary (default: markdown when GITHUB_STEP_SUMMARY is set)"
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the checkout to compare (default: this folder)")
    args = parser.parse_args(argv)
    style: Format = args.format or ("markdown" if os.environ.get("GITHUB_STEP_SUMMARY") else "text")
    try:
        report = changes(args.root.resolve(), args.base or None)
    except ChangesError as error:
        print(error, file=sys.stderr)
        return 1
    sys.stdout.write(render_report(report, style))
    return 0


if __name__ == "__main__":
    sys.exit(main())
