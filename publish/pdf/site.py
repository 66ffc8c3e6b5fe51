"""The built site as the print path reads it: settings from mkdocs.yml, the nav, and each page's article."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from bs4 import BeautifulSoup, Tag
from mkdocs.structure.files import File

from macros.errors import ContentError, Problem, line_of
from publish.built import BuiltSite

PageSize = Literal["letter", "a4"]
PAGE_SIZES: tuple[PageSize, ...] = ("letter", "a4")


@dataclass(frozen=True)
class NavEntry:
    """One entry of the nav: a page (src set) or a section (children set)."""

    title: str
    src: str | None = None
    children: tuple[NavEntry, ...] = ()


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


@dataclass
class SitePage:
    """One built page: where it came from, where it lives, and its article parsed."""

    src: str
    url: str
    title: str
    article: Tag = field(repr=False)
    # The article as text, once the parsed tree is let go (release()).
    released: str | None = field(default=None, repr=False, init=False)

    @property
    def text(self) -> str:
        """The article's HTML as text: what a message about something on the page searches."""
        return self.released if self.released is not None else str(self.article)

    def release(self) -> None:
        """Keep the article as text only and let its parsed tree go (the PDFs are composed): an empty article remains."""
        self.released = self.text
        self.article = BeautifulSoup("<article></article>", "lxml").article  # type: ignore[assignment]

    @property
    def key(self) -> str:
        """A stable, id-safe name for the page: 'what-to-expect', 'home' for index.md."""
        stem = self.src.removesuffix(".md")
        stem = stem.removesuffix("/index") if stem.endswith("/index") else stem
        return "home" if stem == "index" else stem.replace("/", "-")

    def title_line(self, root: Path) -> int:
        """The line of the page's title ('# ...') in its source, where a message about the whole page points."""
        try:
            lines = (root / self.display).read_text(encoding="utf-8").splitlines()
        except OSError:
            return 1
        return next((n for n, line in enumerate(lines, start=1) if line.startswith("# ")), 1)

    @property
    def display(self) -> str:
        """The page's source as an author sees it in the repository."""
        return "docs/" + self.src


def _nav_entries(raw: Any) -> tuple[NavEntry, ...]:
    """The nav as written in mkdocs.yml (strings and one-key mappings), as entries; links outside the site are left out."""
    entries: list[NavEntry] = []
    for item in raw or []:
        if isinstance(item, str):
            entries.append(NavEntry(title=Path(item).stem, src=item))
            continue
        if not isinstance(item, dict) or len(item) != 1:
            continue
        ((title, value),) = item.items()
        if isinstance(value, str):
            if "://" not in value:
                entries.append(NavEntry(title=str(title), src=value))
        else:
            entries.append(NavEntry(title=str(title), children=_nav_entries(value)))
    return tuple(entries)


def load_settings(config_file: Path) -> SiteSettings:
    """mkdocs.yml's settings for the PDFs; raises ContentError naming the line to fix."""
    from mkdocs.config import load_config

    # MkDocs logs its own config chatter; the build step already showed it.
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    config = load_config(str(config_file))
    display = config_file.name
    extra = config["extra"] or {}
    pdf = extra.get("pdf") or {}
    size: PageSize = "a4" if str(pdf.get("page_size", "letter")).lower() == "a4" else "letter"
    if str(pdf.get("page_size", "letter")).lower() not in PAGE_SIZES:
        raise ContentError(
            [
                Problem(
                    display,
                    line_of(config_file, "page_size"),
                    f"`page_size: {pdf.get('page_size')}` is not a paper size the PDFs know.",
                    "use `page_size: letter` or `page_size: a4`.",
                )
            ]
        )
    if not config["nav"]:
        raise ContentError([Problem(display, 1, "the PDFs follow the nav, and mkdocs.yml has no `nav:`.", "add a `nav:` listing the pages in course order.")])
    site_url = config["site_url"] or None
    return SiteSettings(
        config_file=display,
        config_path=config_file,
        docs_dir=Path(config["docs_dir"]),
        site_name=config["site_name"],
        site_url=site_url if site_url is None or site_url.endswith("/") else site_url + "/",
        author=config["site_author"] or config["site_name"],
        description=config["site_description"] or config["site_name"],
        language=config["theme"]["language"] or "en",
        page_size=size,
        nav=_printable(_nav_entries(config["nav"]), config_file.parent / config["docs_dir"]),
    )


@cache
def page_url(src: str) -> str:
    """The URL MkDocs gives a page ('what-to-expect/', '' for index.md), from MkDocs' own File rules."""
    return File(src, "", "", True).url.removeprefix("./")


@cache
def built_path(src: str, directory_urls: bool = True) -> str:
    """Where MkDocs writes a page ('what-to-expect.md' -> 'what-to-expect/index.html'), from MkDocs' own File rules."""
    return File(src, "", "", directory_urls).dest_uri


def _printable_page(path: Path) -> bool:
    from macros.pages import split_source

    meta = split_source(path.read_text(encoding="utf-8"))[0] if path.is_file() else None
    loaded = yaml.safe_load(meta) if meta else None
    return not (isinstance(loaded, dict) and loaded.get("reader") is False)


def _printable(entries: tuple[NavEntry, ...], docs: Path) -> tuple[NavEntry, ...]:
    """The nav as print follows it: pages marked `reader: false` and sections left empty dropped."""
    kept: list[NavEntry] = []
    for entry in entries:
        if entry.src is None:
            children = _printable(entry.children, docs)
            if children:
                kept.append(NavEntry(title=entry.title, children=children))
        elif _printable_page(docs / entry.src):
            kept.append(entry)
    return tuple(kept)


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


def _article(text: str) -> Tag | None:
    """The page's content article (publish/built.py found it), as a tree the print path can change."""
    soup = BeautifulSoup(text, "lxml")
    return soup.article or soup.body


def nav_pages(entries: Iterable[NavEntry]) -> Iterator[tuple[str, str]]:
    """(source, nav title) of each page of the nav, in reading order; sections are walked into."""
    for entry in entries:
        if entry.src is None:
            yield from nav_pages(entry.children)
        else:
            yield entry.src, entry.title


def load_pages(site: BuiltSite, settings: SiteSettings) -> list[SitePage]:
    """Every printable page of the nav, in nav order, with its article from the built page's one parse (publish/built.py)."""
    pages: list[SitePage] = []
    problems: list[Problem] = []
    for src, title in nav_pages(settings.nav):
        url = page_url(src)
        built = site.pages.get(built_path(src))
        if built is None:
            problems.append(
                Problem(
                    settings.config_file,
                    line_of(settings.config_path, "nav"),
                    f"the nav lists {src}, but the build has no {url}index.html.",
                    "check the path in `nav:`.",
                )
            )
            continue
        article = _article(built.article) if built.article is not None else None
        if article is None:
            problems.append(Problem("docs/" + src, 1, "the built page has no content to print.", "make sure the page has text below its front matter."))
            continue
        pages.append(SitePage(src=src, url=url, title=title, article=article))
    if problems:
        raise ContentError(problems)
    return pages
