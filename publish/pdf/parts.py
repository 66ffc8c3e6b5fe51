"""A long document (the course reader, the facilitator guide) printed in parts, each part a PDF of its own, joined
into one PDF: memory stays flat as the course grows, and a part whose input did not change comes from the print cache.

A part begins where the document breaks the page anyway (a page of the course, or a nav section with its first page),
so each part paginates as it would in the whole document. Each part is laid out without margin boxes and written as a
tagged PDF (PDF/UA-1) of its own, with what the whole needs of each of its pages kept beside it (its anchors,
bookmarks, links, running string and page name); both are one entry of the print cache (publish/cache.py), keyed by
exactly the part's HTML and stylesheets. What depends on the whole is made once the parts are known:

- the contents' page numbers: the cover and contents (the front) are laid out last, with the numbers the parts gave
  their anchors (the front's page count is taken first, with wide placeholders, so the parts' numbers are known);
- "Page N of M" and the running header: documents of empty pages, a hundred at a time, each page with its page's
  running string, name and number and the whole's page count, give the margin boxes; each margin page is drawn onto
  its page as a pagination artifact (PDF/UA: running heads and page numbers are not the document's content);
- the join (publish/pdf/join.py): its bookmarks and named destinations placed here (Joined.mark), then written by the
  build once its print workers are gone (jobs.write_joined).

The front's two layouts and each margin document are cache entries too: an edit prints again the parts it reaches, the
front when a contents number moves, and the margins only when a running header or the page count does. Reading the
laid-out pages (their boxes' running strings) uses WeasyPrint internals: this runs only with the WeasyPrint version it
was checked against, and every other version (or a front or margin document whose pagination moved) prints the whole
document at once instead. tests/test_pdf_parts.py compares both ways page by page.

A document whose pages stand alone (the slides: nothing laid out after the rest, no margin boxes, nothing that counts
the pages) is only its parts, joined: print_pages_parted.
"""

from __future__ import annotations

import gc
import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import weasyprint
import weasyprint.pdf as weasyprint_pdf
from weasyprint import CSS

from publish.cache import PrintCache

from .compose import PART_MARK
from .join import Joined, PageInfo, Piece, Repaginated, standing_in
from .machine import release_memory

# The WeasyPrint whose internals this was checked against; pyproject.toml pins the same (a test compares them).
CHECKED_VERSION = "70.0"
# A part ends after a fragment (what lies between two part marks: a page of the course, or a nav section with its first
# page) that one in PART_EVERY picks by its first id, or once it holds this much HTML: a part's laid-out pages stay
# well within memory (about 40 pages at most), and an edit prints again a page or two's part. Printing the reader in
# parts of about two pages rather than about thirty costs 2-3% more time and its PDF about 8% more bytes (each part's
# fonts are subset for it); where the parts end does not move when a page grows or shrinks.
PART_CHARS = 100_000
PART_EVERY = 2
# The slides' fragments are a slide each: a part ends after one slide in this many (a deck's slides are many and small).
SLIDES_EVERY = 32
FIRST_ID = re.compile(r'\sid="([^"]*)"')
# While the parts are laid out, no margin boxes: they come from the margin documents, once the page count is known.
NO_MARGINS = "@page { @top-left { content: none } @top-right { content: none } @bottom-center { content: none } }"
# Contents numbers before the real ones are known: as wide as any page number, so the contents paginate the same.
PLACEHOLDER = "888"


def supported(version: str = weasyprint.__version__) -> bool:
    """Whether parts can be joined with this WeasyPrint (the one checked), else the whole document is printed at once."""
    return version == CHECKED_VERSION


@dataclass(frozen=True)
class Pieces:
    """A document with part marks, cut: its opening (up to and with <body>), the front, the parts, its closing."""

    opening: str
    front: str
    parts: list[str]
    closing: str

    def document(self, fragment: str) -> str:
        return f"{self.opening}\n{fragment}\n{self.closing}"


def split(document: str, every: int = PART_EVERY) -> Pieces | None:
    """Cut a composed document at its part marks into parts of a fragment or a few (ends_part, one in every); None if it has none."""
    pieces = document.split(PART_MARK)
    before_body, found, rest = pieces[0].partition("<body")
    after_body, closing_found, closing = pieces[-1].rpartition("</body>")
    if len(pieces) < 3 or not found or not closing_found:
        return None
    tag, _, front = rest.partition(">")
    parts: list[str] = []
    gathered: list[str] = []
    for fragment in [*pieces[1:-1], after_body]:
        gathered.append(fragment)
        if ends_part(fragment, every) or sum(map(len, gathered)) >= PART_CHARS:
            parts.append("".join(gathered))
            gathered = []
    if gathered:
        parts.append("".join(gathered))
    return Pieces(f"{before_body}<body{tag}>", front, parts, f"</body>{closing}")


def ends_part(fragment: str, every: int) -> bool:
    """Whether a part ends after this fragment: one in every, picked by its first id (a page's key, a slide's number),
    so the same fragments end parts in every build, whatever their length."""
    found = FIRST_ID.search(fragment)
    named = found.group(1) if found else fragment
    return int.from_bytes(hashlib.sha256(named.encode()).digest()[:4], "big") % every == 0


def contents_numbers(numbers: dict[str, int] | None) -> str:
    """The contents' page numbers as fixed text: the parts' numbers, or placeholders while the front is measured."""
    if numbers is None:
        return f'.contents a::after {{ content: leader(" ") "{PLACEHOLDER}" }}'
    return "\n".join(f'.contents a[href="#{name}"]::after {{ content: leader(" ") "{number}" }}' for name, number in numbers.items())


@dataclass
class PartCache:
    """The print cache as one document's pieces use it, in the process that prints them.

    A piece is stored only if WeasyPrint said nothing and refused nothing while printing it (anything it says fails the
    build, and a stored piece would hide it from the next); with the files of the site it read, so a changed image
    prints it again. `entries` are the keys this document used, for the build to keep (PrintCache.close)."""

    cache: PrintCache
    name: str  # the document's, for the entries' names
    root: Path | None = None  # the built site, where the files a piece reads lie
    loaded: list[str] = field(default_factory=list)  # the fetcher's files read, growing as pieces are laid out
    said: Callable[[], int] = lambda: 0  # how many things WeasyPrint has said and refused so far
    printed: int = 0
    reused: int = 0

    @property
    def entries(self) -> list[str]:
        return sorted(self.cache.used)

    def piece(self, kind: str, inputs: list[str], make: Callable[[], Piece]) -> Piece:
        """The piece made from inputs: from the cache, or made now (and stored if nothing was said)."""
        key = self.cache.key(f"pdf-{kind}", *inputs)
        name = f"{self.name} ({kind})"
        entry = self.cache.load(key, name, self.root)
        if entry is not None:
            self.reused += 1
            return Piece(entry.files["pdf"], [PageInfo.from_json(page) for page in entry.meta["pages"]])
        loaded, said = len(self.loaded), self.said()
        made = make()
        self.printed += 1
        if self.said() == said:
            self.cache.store(key, name, {"pdf": made.pdf}, {"pages": [page.as_json() for page in made.pages]}, map(Path, self.loaded[loaded:]), self.root)
        return made


def _every_link(pages: list[Any]) -> Iterator[tuple[list[Any], list[tuple[str, float, float]]]]:
    """Each page's links and new anchors, as weasyprint.pdf.anchors.resolve_links gives them, keeping the links whose
    anchor this piece lacks: it may be in another part, and the join checks every link (Joined.write)."""
    seen: set[str] = set()
    for page in pages:
        anchors = []
        for name, (x, y, _, _) in page.anchors.items():
            if name not in seen:
                seen.add(name)
                anchors.append((name, x, y))
        yield list(page.links), anchors


@contextmanager
def _links_to_other_parts() -> Iterator[None]:
    """While a part is written, WeasyPrint keeps its links to other parts (it drops a link whose anchor it lacks)."""
    original = weasyprint_pdf.resolve_links
    weasyprint_pdf.resolve_links = _every_link
    try:
        yield
    finally:
        weasyprint_pdf.resolve_links = original


def _printed(document: Any, tagged: bool = True) -> Piece:
    """A laid-out piece as a PDF of its own (tagged, PDF/UA-1, unless it is a margin document) with its pages' information."""
    pages = [PageInfo.of(page) for page in document.pages]
    with _links_to_other_parts():
        pdf = document.write_pdf(pdf_variant="pdf/ua-1") if tagged else document.write_pdf()
    return Piece(pdf, pages)


# A margin document's pages: each sets the running string its page shows; those standing in for earlier pages count them.
MARGIN_CSS = """
.cw-margin-page { string-set: segment attr(data-running); height: 0; margin: 0; }
.cw-margin-page:not([data-running]) { string-set: none; }
.cw-margin-page + .cw-margin-page { break-before: page; }
.cw-margin-before { page: cw-margin-before; }
@page cw-margin-before { counter-reset: page %(before)d; }
"""
# The margin documents are laid out this many pages at a time, so their memory stays small too.
MARGIN_PAGES = 100
# The page count in the print stylesheet, given as the joined document's (a margin document has only a batch of pages).
PAGE_COUNT = re.compile(r"counter\(\s*pages\s*\)")


def _maker(render: Callable[[str, list[CSS]], Any], parse: Callable[[str], CSS], stylesheets: list[str]) -> Callable[..., Callable[[], Piece]]:
    """made(html, extra[, sheets][, tagged]): how to print one piece, laid out with the stylesheets (or sheets) and extra rules."""

    def made(html_text: str, extra: list[str], sheets: list[str] = stylesheets, tagged: bool = True) -> Callable[[], Piece]:
        def make() -> Piece:
            laid_out = render(html_text, [*map(parse, sheets), *(CSS(string=text) for text in extra)])
            piece = _printed(laid_out, tagged)
            del laid_out
            # The boxes hold reference cycles: free them now, and give the memory back, before the next is laid out.
            gc.collect()
            release_memory()
            return piece

        return make

    return made


def print_parted(
    document: str, render: Callable[[str, list[CSS]], Any], stylesheets: list[str], parse: Callable[[str], CSS], cache: PartCache
) -> Joined | None:
    """Print a composed document in parts: the parts to join (Joined.write), or None when it must be printed whole instead.

    render(html, sheets) lays out one document with the caller's base URL, fetcher and font configuration;
    stylesheets are the document's own, and parse(text) makes (or reuses) a parsed stylesheet. Each piece comes from
    the cache when its input is unchanged.
    """
    pieces = split(document) if supported() else None
    if pieces is None:
        return None
    made = _maker(render, parse, stylesheets)
    front_document = pieces.document(pieces.front)
    measuring = [NO_MARGINS, contents_numbers(None)]
    measured = cache.piece("front-measure", [front_document, *stylesheets, *measuring], made(front_document, measuring))
    joined = Joined(len(measured.pages))
    for part in pieces.parts:
        part_document = pieces.document(part)
        joined.add(cache.piece("part", [part_document, *stylesheets, NO_MARGINS], made(part_document, [NO_MARGINS])))
    numbered = [NO_MARGINS, contents_numbers(joined.anchor_pages())]
    try:
        joined.add_front(cache.piece("front", [front_document, *stylesheets, *numbered], made(front_document, numbered)))
        total = len(joined.pages)
        counted = [PAGE_COUNT.sub(f'"{total}"', text) for text in stylesheets]
        for start in range(0, total, MARGIN_PAGES):
            end = min(start + MARGIN_PAGES, total)
            margin_document = pieces.document(joined.margin_pages(start, end))
            extra = [MARGIN_CSS % {"before": start}]
            margin = cache.piece("margins", [margin_document, *counted, *extra], made(margin_document, extra, counted, tagged=False))
            if len(margin.pages) - standing_in(start) != end - start:
                raise Repaginated
            joined.margins.append((margin, start))
    except Repaginated:
        return None
    joined.mark()
    return joined


def print_pages_parted(
    document: str, render: Callable[[str, list[CSS]], Any], stylesheets: list[str], parse: Callable[[str], CSS], cache: PartCache
) -> Joined | None:
    """Print in parts a document whose pages stand alone: no contents, no margin boxes, no page counted (the slides);
    what comes before its first part mark is its first part. The parts to join, or None when it must be printed whole
    instead; the arguments are print_parted's, and the information is the first part's (every part has the document's head)."""
    pieces = split(document, SLIDES_EVERY) if supported() else None
    if pieces is None:
        return None
    made = _maker(render, parse, stylesheets)
    joined = Joined(0)
    for part in [pieces.front, *pieces.parts] if pieces.front.strip() else pieces.parts:
        part_document = pieces.document(part)
        joined.add(cache.piece("page-part", [part_document, *stylesheets], made(part_document, [])))
    joined.mark()
    return joined
