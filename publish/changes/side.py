"""One side of the comparison: the course at one revision (a checkout, or a revision written out) as the build's course
model (macros/course.py load_model), with each page's macro calls and paragraphs."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from macros.checks.rendered import check_front_matter
from macros.cohort import COHORTS_DIR, Cohort
from macros.course import CourseModel, CoursePage, load_model, model_of_config, nav_sections, prints
from macros.data import CourseData
from macros.library import Macro
from macros.models import Session
from macros.notes import OPENING, note_spans
from macros.pages import split_source
from macros.templates import PageChecker
from publish.pdf.compose import PrintedSessions, sessions_of
from publish.slides.deck import decks_showing

from .render import Rendered, handout_pages, render_calls

# What a side reads without CONFIG=: MkDocs' own defaults (its config file, its docs_dir) and the theme's overrides.
CONFIG_FILE = "mkdocs.yml"
DOCS_DIR = "docs"
OVERRIDES_DIR = "overrides"


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
    # The nav's pages in reading order, as the build walks them.
    nav: list[CoursePage] = field(default_factory=list)
    # The nav as readers meet it: "Title (page)" in order, sections included.
    menu: list[str] = field(default_factory=list)
    handouts: set[str] = field(default_factory=set)
    # What every macro call shows with this side's own data (render.py; when the data loads).
    shown: Rendered = field(default_factory=dict)
    # The prompt ids each page shows participants, worked out once per page (render.asked).
    asked: dict[str, list[str]] = field(default_factory=dict)
    # The side's course model, as a build at that revision makes it (None when its mkdocs.yml does not load).
    model: CourseModel | None = None
    # The MkDocs config read, from root (make changes CONFIG=...; mkdocs.yml by default).
    config: str = CONFIG_FILE

    def _from_root(self, folder: Path) -> str:
        return folder.relative_to(self.root).as_posix() if folder.is_relative_to(self.root) else str(folder)

    @property
    def docs(self) -> str:
        """The docs folder as an author sees it from root: the config's docs_dir ('docs' by default)."""
        return self._from_root(self.model.settings.docs_dir) if self.model is not None else DOCS_DIR

    @property
    def cohorts_dir(self) -> str:
        """The cohort manifests' folder from root: cohorts/ beside the config."""
        return self._from_root((self.root / self.config).parent / COHORTS_DIR)

    @property
    def parts(self) -> tuple[str, ...]:
        """What a comparison reads of a revision: the pages, the data, the nav and the cohort manifests, and the theme
        overrides the config names (MkDocs' config checks that the folder is there; overrides/ beside it by default)."""
        custom = self.model.config["theme"].custom_dir if self.model is not None else None
        overrides = self._from_root(Path(custom) if custom else (self.root / self.config).parent / OVERRIDES_DIR)
        return (f"{self.docs}/", f"{self.cohorts_dir}/", f"{overrides}/", self.config)

    def address(self, src: str) -> str:
        """A page's URL from the site's root, by MkDocs' rules for the side's config."""
        assert self.model is not None  # a side without a model has no pages
        return self.model.pages[src].address

    def file(self, relative: str) -> str | None:
        path = self.root / relative
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None

    def title(self, src: str) -> str:
        return self.pages[src].title if src in self.pages else src

    def decks(self, src: str) -> list[Session | None]:
        """The decks of slides that show the page, by publish/slides/deck.py's rule over the printable pages: the one deck
        (None) with one session, its own session's with several; none for the home page, a page outside every session of
        several, or one with `slides: false`."""
        if src not in self.printable or src not in self.pages or self.model is None:
            return []
        return decks_showing(self.model, src, self.pages[src].meta)

    @property
    def printed(self) -> PrintedSessions:
        """The side's sessions as print groups by them: whose readers and workbooks it makes and which pages each holds
        (publish/pdf/compose.py, the map the PDFs are composed by)."""
        assert self.model is not None  # a side without a model has no pages
        return sessions_of(self.model)


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


def _model(root: Path, config: str) -> CourseModel | None:
    """The side's course model (macros/course.py, the build's own loader). When its config does not load, the pages
    and data MkDocs finds in docs/ beside it without it (no nav); None when there are none."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    config_file = root / config
    try:
        return load_model(config_file)
    except (MkDocsException, OSError, yaml.YAMLError):
        pass
    try:
        bare = load_config(io.BytesIO(b"site_name: course"), config_file_path=str(config_file), plugins=[], hooks=[], markdown_extensions=[])
        return model_of_config(bare, "")
    except (MkDocsException, OSError):
        return None


def load_side(root: Path, config: str = CONFIG_FILE) -> Side:
    """Read the course under root (a checkout, or a revision written out by revision.export) as the build does, from the
    config at root/config: its course model, each page's macro calls and paragraphs, and what every call shows."""
    root = root.resolve()
    model = _model(root, config)
    data = model.data if model is not None else None
    problem: str | None = None
    if model is not None and data is None:
        config = model.settings.config_file.name
        first = next((p for p in model.problems if p.path != config), model.problems[0])
        where = first.path.removeprefix(str(root) + os.sep)
        problem = f"{where}:{first.line}: {first.message.rstrip('.')}"
    course_pages = model.pages if model is not None else {}
    nav = model.nav_pages if model is not None else []
    in_nav = {page.src_path for page in nav}
    pages: dict[str, Page] = {}
    for src, known in sorted(course_pages.items()):
        # A page that is not UTF-8 (the model holds no text for it) is read here as well as it can be.
        text = known.text if known.text is not None else Path(known.abs_src_path).read_text(encoding="utf-8", errors="replace")
        meta_text, meta_line, body, body_line = split_source(text)
        meta, _ = check_front_matter(known.display, meta_text, meta_line)
        calls: list[tuple[Macro, list[Any], int]] = []
        if data is not None:
            checker = PageChecker(data, known.display, line_offset=body_line - 1)
            checker.check(body)
            # The checker counts a call's line within the body; the report counts lines in the file.
            calls = [(spec, args, line + body_line - 1) for spec, args, line in checker.calls]
        lines = body.splitlines()
        spans, _ = note_spans(lines)
        note_lines = {body_line + i for first, last in spans for i in range(first, last + 1)}
        title = known.title if src in in_nav else str(meta.get("title") or src)
        pages[src] = Page(src, text, title, meta, calls, note_lines, _blocks(lines, body_line, spans))
    order = [page.src_path for page in nav] + [src for src in sorted(course_pages) if src not in in_nav]
    # The nav's pages the print path keeps (prints: all but those whose front matter says `reader: false`).
    printable = {page.src_path for page in nav if prints(page.meta)}
    menu = (
        [" › ".join([*sections, entry.title]) + f" ({entry.src})" for entry, sections in nav_sections(model.nav) if entry.src in course_pages]
        if model is not None
        else []
    )
    cohorts = {cohort_id: cohort for cohort_id, (cohort, _) in model.manifests.items()} if model is not None else {}
    side = Side(root, data, problem, pages, order, printable, cohorts, nav=nav, menu=menu, model=model, config=config)
    if data is not None:
        side.shown = render_calls(side, data)
        side.handouts = set(handout_pages(side))
    return side
