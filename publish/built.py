"""The built site, read once: every HTML page the engine wrote, read and parsed once into what the later steps need.

python -m publish reads the site here once the engine has written it (read_site), and hands the one BuiltSite to each
step in turn: the PDFs and the EPUB take each page's article as HTML and each make their own tree of it (publish/pdf/site.py
load_pages; one tree shared by both, held while the PDFs print, cost more memory and time at 200 modules than it saved),
the Content-Security-Policy takes its inline scripts and writes each page (publish/csp.py), and the site check takes
its ids, links, images, records and what the allow-list refuses (macros/checks/built.py). Material's invalid attributes are repaired as a page is read
(publish/html5.py); a repaired page reaches the disk when its policy is written, so each page is written once.

Each page is parsed with lxml once, and only what the steps need is kept (the whole trees of a large course would not
fit in memory together). python -m publish has every other page parsed by a worker process (publish/worker.py), on the
machine's second core, while it parses the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import lxml.html
from lxml import etree

from macros.allowlist import THEME_INLINE_SCRIPTS, Refusal, refusals
from publish.html5 import repair_markup
from publish.worker import Worker, serve

# Scripts the browser runs; a <script type="application/json"> is data, which a policy does not govern.
RUN_TYPES = frozenset({"", "text/javascript", "module", "application/javascript"})
# The attributes whose values say which records a page shows (macros/checks/built.py, unused records).
RECORD_ATTRIBUTES = frozenset({"data-finding", "data-prompt", "data-source", "id"})
# libxml2's table of ids is never asked (the ids are read from the attributes below), so it is not built. lxml's plain
# HTML parser, not lxml.html's: the same tree, without a lookup of lxml.html's element class for each element visited.
_PARSER = etree.HTMLParser(encoding="utf-8", collect_ids=False)
# The page's content: Material's content article if there is one, else the first article.
_CONTENT = etree.XPath("//article[contains(concat(' ', normalize-space(@class), ' '), ' md-content__inner ')] | //article")


# What print asks of a page's article before it composes anything (PageFacts): the classes of its reflection and
# discussion prompts, of its run of show and facilitator notes, and of its downloads box.
PROMPT_CLASS = "cw-prompt"
GUIDE_CLASSES = ("cw-schedule", "cw-facilitator")
DOWNLOADS_CLASS = "cw-downloads"


@dataclass(frozen=True)
class PageFacts:
    """What the PDFs and the EPUB ask of a page's article before they compose anything, from the page's one parse."""

    prompts: tuple[str, ...]  # the data-prompt of each reflection and discussion prompt (div.cw-prompt), in page order
    guide: bool  # whether it has a run of show or facilitator notes (GUIDE_CLASSES)
    hrefs: tuple[str, ...]  # the href of each of its links, in page order
    downloads: tuple[tuple[str, str], ...]  # (type, href) of each typed link in its downloads box, in page order


@dataclass(frozen=True)
class Refused:
    """An element the allow-list refuses: its tag and attribute names (to find its line in a source), whether it is
    the theme's (outside the page's <article>), and why."""

    tag: str
    names: tuple[str, ...]
    theme: bool
    refusal: Refusal


@dataclass(frozen=True)
class StrayScript:
    """An inline script where the site's templates write none: (parent tag, its first class) names the place."""

    place: tuple[str, str]


@dataclass(frozen=True)
class BuiltPage:
    """One built HTML page: where it is, its bytes, and what the later steps take from its one parse."""

    # Its path in the site, as MkDocs writes it: 'what-to-expect/index.html'.
    address: str
    data: bytes = field(repr=False)
    # The text of every inline script a browser would run, as the browser hashes it (the policy).
    scripts: tuple[str, ...] = ()
    # (attribute, value) of every id and record attribute on the page, in document order (the check).
    records: tuple[tuple[str, str], ...] = ()
    # (tag, href or src) of every link and then every image of the article (or the page if it has none), and the src of
    # each image without alt text (the check).
    targets: tuple[tuple[str, str], ...] = ()
    no_alt: tuple[str, ...] = ()
    # What the allow-list refuses on the page, in document order (the check).
    refused: tuple[Refused | StrayScript, ...] = ()
    # The content article's HTML, or the body's if it has none; None for an empty page (the PDFs and the EPUB).
    article: str | None = field(default=None, repr=False)
    # What print asks of that article, when it is kept.
    facts: PageFacts | None = None

    @property
    def ids(self) -> list[str]:
        return [value for attribute, value in self.records if attribute == "id"]


# What the allow-list says of one element, (tag, its attributes, whether it is the theme's) -> (its refusals, its
# record attributes). Kept for one reading of the site: every page repeats the theme's elements (the nav above all), so
# each is judged once.
Judged = dict[tuple[str, tuple[tuple[str, str], ...], bool], tuple[tuple[Refusal, ...], tuple[tuple[str, str], ...]]]


def _walk(root: etree._Element, article: etree._Element | None, judged: Judged) -> tuple[tuple[Refused | StrayScript, ...], tuple[tuple[str, str], ...]]:
    """One walk over a page's elements: what the allow-list refuses (its content, the <article>, as a page's source is
    judged, the theme around it with the theme's own additions, and any inline script beyond those the site's
    templates write), and (attribute, value) of every id and record attribute, in document order."""
    # The article's elements come one after another in document order: counting them tells content from theme
    # without a set of the article's elements to look each element up in.
    size = sum(1 for _ in article.iter(etree.Element)) if article is not None else 0
    inside = 0
    found: list[Refused | StrayScript] = []
    records: list[tuple[str, str]] = []
    scripts: Counter[tuple[str, str]] = Counter()
    for element in root.iter(etree.Element):  # elements only: no comments or processing instructions
        if inside:
            inside -= 1
            theme = False
        elif element is article:
            inside = size - 1
            theme = False
        else:
            theme = True
        tag = element.tag
        if tag == "script" and element.get("src") is None and (element.get("type") or "").lower() in RUN_TYPES:
            parent = element.getparent()
            place = (str(parent.tag), (parent.get("class") or "").split(" ")[0]) if parent is not None else ("", "")
            scripts[place] += 1
            if scripts[place] > THEME_INLINE_SCRIPTS.get(place, 0):
                found.append(StrayScript(place))
        attributes = tuple(element.items())
        key = (tag, attributes, theme)
        seen = judged.get(key)
        if seen is None:
            seen = judged[key] = (tuple(refusals(tag, list(attributes), theme=theme)), tuple(pair for pair in attributes if pair[0] in RECORD_ATTRIBUTES))
        refused, shown = seen
        if refused:
            found += [Refused(tag, tuple(name for name, _ in attributes), theme, refusal) for refusal in refused]
        if shown:
            records += shown
    return tuple(found), tuple(records)


def _targets(article: etree._Element) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(tag, href or src) of every link and then every image in article, and the src of each image without alt text."""
    targets = tuple((tag, str(element.get(attr) or "")) for tag, attr in (("a", "href"), ("img", "src")) for element in article.iter(tag))
    return targets, tuple(str(image.get("src") or "") for image in article.iter("img") if image.get("alt") is None)


def parse_page(address: str, data: bytes, judged: Judged, *, article: bool = True) -> BuiltPage:
    """One page's bytes, parsed once into what the policy, the PDFs, the EPUB and the site check take from it.

    judged holds what the allow-list said of elements already seen, to be shared by the pages of one site. article:
    whether to keep the content article's HTML, which only the PDFs and the EPUB read (a build without them skips it).
    """
    if not data.strip():
        return BuiltPage(address, data)
    root = etree.fromstring(data, _PARSER)
    scripts = tuple(script.text or "" for script in root.iter("script") if script.get("src") is None and (script.get("type") or "").lower() in RUN_TYPES)
    first = next(root.iter("article"), None)
    targets, no_alt = _targets(first if first is not None else root)
    refused, records = _walk(root, first, judged)
    chosen = _content(root) if article else None
    return BuiltPage(
        address,
        data,
        scripts=scripts,
        records=records,
        targets=targets,
        no_alt=no_alt,
        refused=refused,
        article=lxml.html.tostring(chosen, encoding="unicode", with_tail=False) if chosen is not None else None,
        facts=_facts(chosen) if chosen is not None else None,
    )


def _content(root: etree._Element) -> etree._Element | None:
    """The content article, or the body if the page has none."""
    found = _CONTENT(root)
    return next((node for node in found if "md-content__inner" in (node.get("class") or "").split()), found[0]) if found else root.find("body")


def _facts(article: etree._Element) -> PageFacts:
    """What print asks of the article (PageFacts), from the elements inside it, as publish/pdf/content.py finds them."""
    prompts: list[str] = []
    hrefs: list[str] = []
    downloads: list[tuple[str, str]] = []
    guide = False
    for element in article.iterdescendants(etree.Element):
        classes = (element.get("class") or "").split()
        tag = element.tag
        if tag == "div" and PROMPT_CLASS in classes and element.get("data-prompt") is not None:
            prompts.append(str(element.get("data-prompt")))
        guide = guide or any(name in classes for name in GUIDE_CLASSES)
        href = element.get("href") if tag == "a" else None
        if href is None:
            continue
        hrefs.append(href)
        kind = element.get("type")
        if kind is not None and any(DOWNLOADS_CLASS in (parent.get("class") or "").split() for parent in _up_to(element, article)):
            downloads.append((kind, href))
    return PageFacts(tuple(prompts), guide, tuple(hrefs), tuple(downloads))


def article_facts(html: str) -> PageFacts:
    """What print asks of an article given as HTML (a page not read from a built site), as parse_page finds it."""
    root = etree.fromstring(html.encode(), _PARSER)
    found = next(root.iter("article"), None)
    return _facts(found if found is not None else root.find("body"))


def _up_to(element: etree._Element, top: etree._Element) -> Iterator[etree._Element]:
    """The ancestors of element, from its parent up to top (top included)."""
    for parent in element.iterancestors():
        yield parent
        if parent is top:
            return


@dataclass
class BuiltSite:
    """Every HTML page of a built site, by its path in the site, in path order."""

    root: Path
    pages: dict[str, BuiltPage]

    def write(self, page: BuiltPage, data: bytes) -> None:
        """Give a page new bytes, in the record and on disk (what was parsed from it stays: only its <head> may change)."""
        self.pages[page.address] = replace(page, data=data)
        (self.root / page.address).write_bytes(data)


def parse_files(root: Path, addresses: list[str], *, articles: bool) -> dict[str, BuiltPage]:
    """Read and parse the pages at these addresses under root, each repaired as it is read (publish/html5.py)."""
    judged: Judged = {}
    return {address: parse_page(address, repair_markup((root / address).read_bytes()), judged, article=articles) for address in addresses}


def parse_sent(messages: Iterator[tuple[Path, list[str], bool]]) -> dict[str, BuiltPage]:
    """The worker (`python -m publish.built`): the pages of each (root, addresses, articles) it is sent, parsed."""
    return {address: page for root, addresses, articles in messages for address, page in parse_files(root, addresses, articles=articles).items()}


def read_site(root: Path, *, articles: bool = True, worker: Worker | None = None) -> BuiltSite:
    """Read and parse every HTML page under root once, each repaired as it is read (publish/html5.py).

    articles=False leaves out each page's article (BuiltPage.article is None): for a build that makes no PDFs or EPUB.
    worker: a Worker of this module (publish/worker.py), which parses every other page meanwhile, on the second core.
    Raises WorkerFailed when the worker ends without its pages.
    """
    addresses = [path.relative_to(root).as_posix() for path in sorted(root.rglob("*.html"))]
    if worker is None:
        return BuiltSite(root, parse_files(root, addresses, articles=articles))
    worker.send((root, addresses[1::2], articles))
    own = parse_files(root, addresses[::2], articles=articles)
    theirs: dict[str, BuiltPage] = worker.result()
    return BuiltSite(root, {address: own[address] if address in own else theirs[address] for address in addresses})


if __name__ == "__main__":
    # The worker: this module imported again by its own name, so the pages it sends back are publish.built's BuiltPage.
    from publish.built import parse_sent

    serve(parse_sent)
