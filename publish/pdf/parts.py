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
- the join (pikepdf, on qpdf), written by the build once no worker is printing (printer.write_joined): the pages in
  order; each part's structure elements under one Document element; the parent tree numbered as WeasyPrint numbers a
  whole document (the pages, then the link annotations in page order); the bookmarks; the named destinations, by which
  links between parts find their anchors; the information and XMP metadata, from the front; the objects written in
  compressed object streams, as WeasyPrint writes a whole document.

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
import html
import io
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pikepdf
import weasyprint
import weasyprint.pdf as weasyprint_pdf
from pikepdf import Array, Dictionary, Name, OutlineItem
from weasyprint import CSS
from weasyprint.anchors import make_page_bookmark_tree
from weasyprint.matrix import Matrix

from publish.cache import PrintCache

from .compose import PART_MARK
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
# The running string of the print stylesheet (publish/pdf/print.css: h1.page-title sets it).
RUNNING = "segment"
# While the parts are laid out, no margin boxes: they come from the margin documents, once the page count is known.
NO_MARGINS = "@page { @top-left { content: none } @top-right { content: none } @bottom-center { content: none } }"
# Contents numbers before the real ones are known: as wide as any page number, so the contents paginate the same.
PLACEHOLDER = "888"
LOGGER = logging.getLogger("weasyprint")
# What WeasyPrint says of a link whose anchor the document does not have (the join says it of the whole).
NO_ANCHOR = "No anchor #%s for internal URI reference"
# 72 PDF points per inch / 96 CSS pixels per inch.
SCALE = 0.75
# How a margin page is drawn onto its page: after the page's own content (whose transformation it undoes), as an artifact.
MARGIN_NAME = "/CwMargin"
DRAW_MARGIN = b"\nQ\n/Artifact <</Type /Pagination>> BDC\nq " + MARGIN_NAME.encode() + b" Do Q\nEMC\n"


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


@dataclass(frozen=True)
class PageInfo:
    """What the whole needs of one page of a piece: small values, kept beside the piece's PDF in the cache."""

    height: float
    anchors: list[tuple[str, float, float]]
    bookmarks: list[tuple[int, str, tuple[float, float], str]]
    links: list[str]  # the anchors its internal links lead to
    # The running string's first and last assignment on this page, if any, and the page's name.
    first_running: str | None
    last_running: str | None
    page_name: str

    @classmethod
    def of(cls, page: Any) -> PageInfo:
        first = last = None
        box = page._page_box
        for child in box.descendants():
            if child.string_set and child.string_set != "none":
                for name, text in child.string_set:
                    if name == RUNNING:
                        first = text if first is None else first
                        last = text
        return cls(
            page.height,
            [(name, x, y) for name, (x, y, _, _) in page.anchors.items()],
            [(level, label, (x, y), state) for level, label, (x, y), state in page.bookmarks],
            [target for kind, target, _, _ in page.links if kind == "internal"],
            first,
            last,
            box.page_type.name or "",
        )

    def as_json(self) -> list[Any]:
        return [self.height, self.anchors, self.bookmarks, self.links, self.first_running, self.last_running, self.page_name]

    @classmethod
    def from_json(cls, data: list[Any]) -> PageInfo:
        height, anchors, bookmarks, links, first, last, name = data
        return cls(
            float(height),
            [(str(n), float(x), float(y)) for n, x, y in anchors],
            [(int(level), str(label), (float(x), float(y)), str(state)) for level, label, (x, y), state in bookmarks],
            [str(link) for link in links],
            first,
            last,
            str(name),
        )

    @property
    def matrix(self) -> Matrix:
        """From the page's CSS pixels (y down) to PDF points (y up)."""
        return Matrix(SCALE, 0, 0, -SCALE, 0, self.height * SCALE)


@dataclass(frozen=True)
class Piece:
    """One printed piece of the document (a part, the front, a margin document): its PDF and what the whole needs of its pages."""

    pdf: bytes
    pages: list[PageInfo]


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


class Repaginated(Exception):
    """A page count moved between passes (the contents with their real numbers, or a margin document)."""


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


class Joined:
    """The pieces joined into one PDF with pikepdf, as WeasyPrint writes a whole document (weasyprint/pdf/__init__.py).

    The parts come in first, the front (laid out with their numbers) last, so the pages are copied only when all are
    known: the front's, then the parts', then each margin drawn onto its page. Until it is written, it is only its
    pieces: the worker process that printed them hands it back, and the build writes it once no document is printing
    (publish/pdf/build.py), so the join's memory is never added to two printing workers'."""

    def __init__(self, front_pages: int) -> None:
        self.front_pages = front_pages
        self.pieces: list[Piece] = []
        # Every page's information in document order; the front's stand-ins until the front is known.
        self.pages: list[PageInfo] = [PageInfo(0.0, [], [], [], None, None, "")] * front_pages
        # Each margin document with the first page it draws on.
        self.margins: list[tuple[Piece, int]] = []

    def _start(self) -> None:
        """What the join is written with: the PDF being made and what it gathers of each piece as it is copied."""
        self.pdf = pikepdf.new()
        # The first piece opened (the front), whose information the join takes. The others are let go once copied:
        # qpdf reads a copied stream's data from its piece's file when the join is written, and each piece's file (in
        # memory) is kept here, while the piece's objects, parsed to be copied, are freed (they were half the join's memory).
        self.opening: pikepdf.Pdf | None = None
        self.files: list[io.BytesIO] = []
        self.page_entries: list[Any] = []  # each page's marked content, as struct elements in id order
        self.annotations: list[tuple[Any, Any]] = []  # each link annotation with its struct element
        self.elements: list[Any] = []  # the top-level struct elements, in page order

    def add(self, piece: Piece) -> None:
        """A part, after those added before."""
        self.pieces.append(piece)
        self.pages += piece.pages

    def add_front(self, front: Piece) -> None:
        """The front, before every part; its page count is the one the parts were numbered after."""
        if len(front.pages) != self.front_pages:
            raise Repaginated
        self.pieces.insert(0, front)
        self.pages[: self.front_pages] = front.pages

    def _copy(self, piece: Piece) -> None:
        """A piece's pages at the end of the PDF, with their structure, links and marked content."""
        source = self._open(piece)
        first = len(self.pdf.pages)
        with warnings.catch_warnings():
            # pikepdf warns that named destinations are not copied with pages: the join writes them (write()).
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            self.pdf.pages.extend(source.pages)
        # The piece's whole structure tree in one copy, its elements pointing to the pages just copied; its root and
        # document element are left unreferenced (not written): the join's own are its elements' parents.
        tree = self.pdf.copy_foreign(source.Root.StructTreeRoot)
        nums = tree.ParentTree.Nums
        mapping = {int(nums[index]): nums[index + 1] for index in range(0, len(nums), 2)}
        for number in range(first, len(self.pdf.pages)):
            page = self.pdf.pages[number].obj
            self.page_entries.append(mapping[int(page.StructParents)])
            page.StructParents = number
            for annotation in page.get("/Annots", []):
                if "/StructParent" in annotation:
                    self.annotations.append((annotation, mapping[int(annotation.StructParent)]))
        self.elements += list(tree.K[0].K)

    def _open(self, piece: Piece) -> pikepdf.Pdf:
        file = io.BytesIO(piece.pdf)
        self.files.append(file)
        source = pikepdf.open(file)
        if self.opening is None:
            self.opening = source
        return source

    def anchor_pages(self) -> dict[str, int]:
        """Each anchor's page number (1-based); the first occurrence of a name wins, as in WeasyPrint."""
        found: dict[str, int] = {}
        for number, page in enumerate(self.pages):
            for name, _, _ in page.anchors:
                found.setdefault(name, number + 1)
        return found

    def margin_pages(self, start: int, end: int) -> str:
        """Empty pages for pages start to end, each assigning the running string the page shows (its first on the page,
        else the last before) and with its name; from the second batch on, led by pages that stand in for the pages
        before (so none of the batch is the :first page, each keeps its left or right side, and each its number)."""
        pages, last = [], None
        for number, page in enumerate(self.pages[:end]):
            shown = page.first_running if page.first_running is not None else last
            last = page.last_running if page.last_running is not None else last
            if number < start:
                continue
            attributes = ' class="cw-margin-page"'
            if shown is not None:
                attributes += f' data-running="{html.escape(shown, quote=True)}"'
            if page.page_name:
                attributes += f' style="page: {page.page_name}"'
            pages.append(f"<div{attributes}></div>")
        return '<div class="cw-margin-page cw-margin-before"></div>\n' * _standing_in(start) + "\n".join(pages)

    def _draw_margins(self, margins: Piece, start: int) -> None:
        """Draw a margin document's pages (after those standing in) onto the pages from start, each as a pagination artifact."""
        source = self._open(margins)
        for number, margin in enumerate(source.pages[_standing_in(start) :], start=start):
            page = self.pdf.pages[number]
            # The page's resources are shared by its piece's pages: this page gets its own, with its margin.
            resources = Dictionary(dict(page.obj.Resources.items()))
            xobjects = resources.get("/XObject")
            resources.XObject = Dictionary(dict(xobjects.items()) if xobjects is not None else {})
            resources.XObject[MARGIN_NAME] = self.pdf.copy_foreign(margin.as_form_xobject())
            page.obj.Resources = resources
            page.contents_add(pikepdf.Stream(self.pdf, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(self.pdf, DRAW_MARGIN))

    def write(self, target: str) -> None:
        """The pages with their margins, the structure tree, named destinations, bookmarks and the front's information, then the file."""
        self._start()
        pdf = self.pdf
        for piece in self.pieces:
            self._copy(piece)
        for margin, start in self.margins:
            self._draw_margins(margin, start)
        known = self.anchor_pages()
        for page in self.pages:
            for name in page.links:
                if name not in known:
                    LOGGER.error(NO_ANCHOR, name)
        root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot))
        document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=root, K=Array(self.elements)))
        for element in self.elements:
            element.P = document
        nums: list[Any] = []
        for number, entry in enumerate(self.page_entries):
            nums += [number, entry]
        for index, (annotation, element) in enumerate(self.annotations, start=len(self.pages)):
            annotation.StructParent = index
            nums += [index, element]
        root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array(nums)))
        root.K = Array([document])
        pdf.Root.StructTreeRoot = root
        names: list[tuple[str, int, float, float]] = []
        seen: set[str] = set()
        for number, page in enumerate(self.pages):
            for name, x, y in page.anchors:
                if name not in seen:
                    seen.add(name)
                    names.append((name, number, *page.matrix.transform_point(x, y)))
        destinations = Array()
        for name, number, x, y in sorted(names):
            destinations.extend([pikepdf.String(name), Array([pdf.pages[number].obj, Name.XYZ, x, y, 0])])
        if names:
            pdf.Root.Names = Dictionary(Dests=Dictionary(Names=destinations))
        self._outline()
        opening = self.opening
        assert opening is not None, "the join has at least one piece"
        for key in ("/Lang", "/ViewerPreferences", "/MarkInfo", "/Metadata"):
            if key in opening.Root:
                pdf.Root[key] = pdf.copy_foreign(opening.make_indirect(opening.Root[key]))
        pdf.docinfo = pdf.copy_foreign(opening.make_indirect(opening.docinfo))  # type: ignore[assignment]
        # The objects in compressed object streams, as WeasyPrint writes a whole document: most of the join's are the
        # structure tree's small dictionaries, and written one by one they made the 200-module reader 16.3 MB, not 6.7.
        pdf.save(
            target,
            deterministic_id=True,
            fix_metadata_version=False,
            min_version=str(opening.pdf_version),
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
        )
        opening.close()

    def _outline(self) -> None:
        """The bookmarks of every page, in one tree, as WeasyPrint makes it for a whole document."""
        tree: list[Any] = []
        skipped: list[int] = []
        last_by_depth = [tree]
        previous = 0
        for number, page in enumerate(self.pages):
            previous = make_page_bookmark_tree(SimpleNamespace(bookmarks=page.bookmarks), skipped, last_by_depth, previous, number, page.matrix)

        def items(nodes: list[Any]) -> list[OutlineItem]:
            found = []
            for label, (number, x, y), children, state in nodes:
                item = OutlineItem(label, number, "XYZ", left=x, top=y, zoom=0)
                item.children.extend(items(children))
                item.is_closed = state == "closed"
                found.append(item)
            return found

        if tree:
            with self.pdf.open_outline() as outline:
                outline.root.extend(items(tree))


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
            if len(margin.pages) - _standing_in(start) != end - start:
                raise Repaginated
            joined.margins.append((margin, start))
    except Repaginated:
        return None
    return joined


def _standing_in(start: int) -> int:
    """How many pages of a margin document stand in for the pages before its batch (none for the first)."""
    return 0 if start == 0 else 2 - start % 2


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
    return joined
