"""One side of the comparison: the course at one revision (a checkout, or a revision written out), read with the build's own loaders."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec
from mkdocs.structure.files import File, Files

from macros.checks.rendered import check_front_matter
from macros.cohort import COHORTS_DIR, Cohort, read_manifest
from macros.course import CoursePage, nav_entries, nav_sections, read_page
from macros.data import CourseData, load_course
from macros.downloads import HOME_PAGE
from macros.errors import ContentError
from macros.library import Macro
from macros.nav import read_config
from macros.notes import OPENING, note_spans
from macros.pages import split_source
from macros.templates import PageChecker

from .render import Rendered, handout_pages, render_calls


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
    text: str
    title: str
    meta: dict[str, Any]
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
    # The nav's pages in reading order, as the build walks them (read_nav).
    nav: list[CoursePage] = field(default_factory=list)
    # The nav as readers meet it: "Title (page)" in order, sections included.
    menu: list[str] = field(default_factory=list)
    handouts: set[str] = field(default_factory=set)
    # What every macro call shows with this side's own data (render.py; when the data loads).
    shown: Rendered = field(default_factory=dict)
    # The prompt ids each page shows participants, worked out once per page (render.asked).
    asked: dict[str, list[str]] = field(default_factory=dict)

    def file(self, relative: str) -> str | None:
        path = self.root / relative
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None

    def title(self, src: str) -> str:
        return self.pages[src].title if src in self.pages else src

    def on_slides(self, src: str) -> bool:
        """Whether the session's slides show the page (publish/slides/deck.py): a printable page but the home page, without `slides: false`."""
        return src in self.printable and src != HOME_PAGE and src in self.pages and self.pages[src].meta.get("slides") is not False


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


def published_pages(docs: Path, settings: dict[str, object]) -> list[str]:
    """Every Markdown page MkDocs will publish from docs (exclude_docs and data/ left out), found without loading
    the checkout (a build's are its model's pages)."""
    skip = pathspec.GitIgnoreSpec.from_lines(str(settings.get("exclude_docs") or "").splitlines())
    pages = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
    return [p for p in pages if not skip.match_file(p) and not p.startswith("data/")]


def read_nav(docs: Path, nav: object, sources: list[str]) -> list[tuple[CoursePage, tuple[str, ...]]]:
    """The nav's pages in reading order, as the build reads them (macros.course's walker and page reader), each with
    the titles of the sections it is in, outermost first."""
    files = Files([File(src, str(docs), "", True) for src in sources])
    found: list[tuple[CoursePage, tuple[str, ...]]] = []
    for entry, sections in nav_sections(nav_entries(nav)):
        file = files.get_file_from_path(str(entry.src))
        if file is not None and file.abs_src_path:
            found.append((read_page(file, entry.title), sections))
    return found


def load_side(root: Path) -> Side:
    """Read the course under root (a checkout, or a revision written out by revision.export)."""
    root = root.resolve()
    docs = root / "docs"
    data: CourseData | None = None
    problem: str | None = None
    try:
        data = load_course(docs)
    except ContentError as error:
        first = error.problems[0]
        where = first.path.removeprefix(str(root) + os.sep)
        problem = f"{where}:{first.line}: {first.message.rstrip('.')}"
    # mkdocs.yml read once, for the pages it publishes and its nav.
    _, settings = read_config(root / "mkdocs.yml")
    sources = published_pages(docs, settings) if docs.is_dir() else []
    walked = read_nav(docs, settings.get("nav"), sources)
    nav = [page for page, _ in walked]
    in_nav = {page.src_path: page for page in nav}
    pages: dict[str, Page] = {}
    for src in sources:
        path = docs / src
        known = in_nav.get(src)
        # The walker read the nav's pages; one it could not decode (it says "") is read here, as well as it can be.
        text = known.text if known is not None and known.text else path.read_text(encoding="utf-8", errors="replace")
        meta_text, meta_line, body, body_line = split_source(text)
        meta, _ = check_front_matter("docs/" + src, meta_text, meta_line)
        calls: list[tuple[Macro, list[Any], int]] = []
        if data is not None:
            checker = PageChecker(data, "docs/" + src, line_offset=body_line - 1)
            checker.check(body)
            # The checker counts a call's line within the body; the report counts lines in the file.
            calls = [(spec, args, line + body_line - 1) for spec, args, line in checker.calls]
        lines = body.splitlines()
        spans, _ = note_spans(lines)
        note_lines = {body_line + i for first, last in spans for i in range(first, last + 1)}
        title = known.title if known is not None else str(meta.get("title") or src)
        pages[src] = Page(src, text, title, meta, calls, note_lines, _blocks(lines, body_line, spans))
    order = [page.src_path for page in nav] + [src for src in sources if src not in in_nav]
    # The nav's pages the print path keeps: all but those whose front matter says `reader: false`.
    printable = {page.src_path for page in nav if page.meta.get("reader") is not False}
    menu = [" › ".join([*sections, page.title]) + f" ({page.src_path})" for page, sections in walked]
    cohorts: dict[str, Cohort | None] = {}
    folder = root / COHORTS_DIR
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        cohorts[path.stem] = read_manifest(path)[0]
    side = Side(root, data, problem, pages, order, printable, cohorts, nav=nav, menu=menu)
    if data is not None:
        side.shown = render_calls(side, data)
        side.handouts = set(handout_pages(side))
    return side
