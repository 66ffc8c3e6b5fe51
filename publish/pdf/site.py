"""The built site as the print path reads it: settings and the nav from the build's course model, and each page's article."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import InitVar, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.structure.files import File

from macros.course import CourseModel, CoursePage, NavEntry, PageSize, walk_nav
from macros.errors import ContentError, Problem, line_of
from publish.built import BuiltSite, PageFacts, article_facts

if TYPE_CHECKING:
    # BeautifulSoup is imported where an article is parsed: the site build and check import this module for its
    # addresses (page_url, built_path) and never parse an article, so they need not load it.
    from bs4 import Tag


@dataclass(frozen=True)
class SiteSettings:
    """What the PDFs take from mkdocs.yml."""

    config_file: str
    config_path: Path
    docs_dir: Path
    site_name: str
    site_url: str | None
    author: str
    description: str
    language: str
    page_size: PageSize
    nav: tuple[NavEntry, ...]
    pages: dict[str, CoursePage] = field(repr=False)  # every page of the model (its URL and built file by MkDocs' rules)


@dataclass
class SitePage:
    """One built page: where it came from, where it lives, its article's HTML and what print asks of it before composing."""

    src: str
    url: str
    title: str
    # The article's HTML as the built page holds it (publish/built.py).
    html: str = field(repr=False)
    # The model's page it was built from (its source text, where it is shown), when it came from a build.
    source: CoursePage | None = field(default=None, repr=False)
    # What print asks of the article before composing (which pages get a handout, which the guide holds, which link
    # where, what the downloads box offers): as the built page's one parse read it (publish/built.py), or else read
    # from html.
    built_facts: InitVar[PageFacts | None] = None
    facts: PageFacts = field(init=False, repr=False)

    def __post_init__(self, built_facts: PageFacts | None) -> None:
        self.facts = built_facts if built_facts is not None else article_facts(self.html)

    def parsed(self) -> Tag:
        """The article parsed: a new tree at each call, for the caller to change and let go. No tree is kept: the trees of
        every page, held while the documents were composed, were the largest part of the build's memory, and a parse costs
        about what a copy of a kept tree did."""
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(self.html, "lxml")
        found = soup.article or soup.body
        assert found is not None, "load_pages keeps only pages with an article"
        return found

    @property
    def text(self) -> str:
        """The article's HTML as text: what a message about something on the page searches."""
        return self.html

    @property
    def key(self) -> str:
        """A stable, id-safe name for the page: 'what-to-expect', 'home' for index.md."""
        stem = self.src.removesuffix(".md")
        stem = stem.removesuffix("/index") if stem.endswith("/index") else stem
        return "home" if stem == "index" else stem.replace("/", "-")

    def lines_with(self, text: str) -> list[int]:
        """The lines of the page's source (as the build's model read it) that hold text."""
        source = self.source.text if self.source is not None else None
        return [n for n, line in enumerate((source or "").splitlines(), start=1) if text in line]

    def title_line(self) -> int:
        """The line of the page's title ('# ...') in its source, where a message about the whole page points."""
        source = self.source.text if self.source is not None else None
        return next((n for n, line in enumerate((source or "").splitlines(), start=1) if line.startswith("# ")), 1)

    @property
    def display(self) -> str:
        """The page's source as an author sees it in the repository."""
        return self.source.display if self.source is not None else self.src


def settings_of(model: CourseModel) -> SiteSettings:
    """What the PDFs, the EPUB and the slides take from the build's course model; raises ContentError naming the line to fix."""
    config = model.config
    display = model.settings.config_file.name
    if model.problems:
        raise ContentError(model.problems)
    if not config["nav"]:
        raise ContentError([Problem(display, 1, "the PDFs follow the nav, and mkdocs.yml has no `nav:`.", "add a `nav:` listing the pages in course order.")])
    return SiteSettings(
        config_file=display,
        config_path=model.settings.config_file,
        docs_dir=model.settings.docs_dir,
        site_name=config["site_name"],
        site_url=model.settings.site_url,
        author=config["site_author"] or config["site_name"],
        description=config["site_description"] or config["site_name"],
        language=config["theme"]["language"] or "en",
        page_size=model.settings.page_size,
        nav=model.printed_nav,
        pages=model.pages,
    )


@cache
def page_url(src: str) -> str:
    """The URL MkDocs gives a page ('what-to-expect/', '' for index.md), from MkDocs' own File rules, for each
    revision's events in the calendar's history (publish/ics.py); the build's own pages carry theirs (CoursePage.address)."""
    return File(src, "", "", True).url.removeprefix("./")


def first_askers(pages: Iterable[tuple[str, Iterable[str]]]) -> list[str]:
    """The pages (src) that get a handout, from each printable page's prompt ids in nav order: those that first ask a prompt.

    A page that only repeats prompts asked earlier (like a journal) gets none. The print path and `make changes` both use this rule.
    """
    asked: set[str] = set()
    chosen = []
    for src, prompt_ids in pages:
        ids = set(prompt_ids)
        if ids - asked:
            chosen.append(src)
        asked |= ids
    return chosen


def nav_pages(entries: tuple[NavEntry, ...]) -> Iterator[tuple[str, str]]:
    """(source, nav title) of each page of the nav, in reading order; sections are walked into."""
    for entry in walk_nav(entries):
        assert entry.src is not None
        yield entry.src, entry.title


def load_pages(site: BuiltSite, settings: SiteSettings) -> list[SitePage]:
    """Every printable page of the nav, in nav order, with its article from the built page's one parse (publish/built.py)."""
    pages: list[SitePage] = []
    problems: list[Problem] = []
    for src, title in nav_pages(settings.nav):
        page = settings.pages.get(src)
        built = site.pages.get(page.dest_uri) if page is not None else None
        if page is None or built is None:
            problems.append(
                Problem(
                    settings.config_file,
                    line_of(settings.config_path, "nav"),
                    f"the nav lists {src}, but the build has no {page.dest_uri if page is not None else src}.",
                    "check the path in `nav:`.",
                )
            )
            continue
        if built.article is None or not built.article.strip():
            problems.append(Problem(page.display, 1, "the built page has no content to print.", "make sure the page has text below its front matter."))
            continue
        pages.append(SitePage(src=src, url=page.address, title=title, html=built.article, source=page, built_facts=built.facts))
    if problems:
        raise ContentError(problems)
    return pages
