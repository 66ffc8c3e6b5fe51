"""The pieces of a document printed in parts (publish/pdf/parts.py) joined into one PDF, with pikepdf (on qpdf), as
WeasyPrint writes a whole document: the pages in order; each part's structure elements under one Document element; the
parent tree numbered as WeasyPrint numbers a whole document (the pages, then the link annotations in page order); the
bookmarks; the named destinations, by which links between parts find their anchors; the information and XMP metadata,
from the front; the objects written in compressed object streams.

The worker that printed the pieces places the bookmarks and named destinations as WeasyPrint would (Joined.mark, with
WeasyPrint's own functions) and hands the pieces back as this module's plain values; the build's own process writes the
join once its print workers are gone (publish/pdf/build.py PrintPool.close), with pikepdf alone: it never loads
WeasyPrint, and a join's memory is never added to a print worker's.
"""

from __future__ import annotations

import html
import io
import logging
import warnings
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem

if TYPE_CHECKING:
    from weasyprint.matrix import Matrix

# The running string of the print stylesheet (publish/pdf/print.css: h1.page-title sets it).
RUNNING = "segment"
LOGGER = logging.getLogger("weasyprint")
# What WeasyPrint says of a link whose anchor the document does not have (the join says it of the whole).
NO_ANCHOR = "No anchor #%s for internal URI reference"
# 72 PDF points per inch / 96 CSS pixels per inch.
SCALE = 0.75
# How a margin page is drawn onto its page: after the page's own content (whose transformation it undoes), as an artifact.
MARGIN_NAME = "/CwMargin"
DRAW_MARGIN = b"\nQ\n/Artifact <</Type /Pagination>> BDC\nq " + MARGIN_NAME.encode() + b" Do Q\nEMC\n"


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
        from weasyprint.matrix import Matrix  # in the worker that printed the page (Joined.mark), which has WeasyPrint loaded

        return Matrix(SCALE, 0, 0, -SCALE, 0, self.height * SCALE)


@dataclass(frozen=True)
class Piece:
    """One printed piece of the document (a part, the front, a margin document): its PDF and what the whole needs of its pages."""

    pdf: bytes
    pages: list[PageInfo]


class Repaginated(Exception):
    """A page count moved between passes (the contents with their real numbers, or a margin document)."""


class Joined:
    """The pieces joined into one PDF with pikepdf, as WeasyPrint writes a whole document (weasyprint/pdf/__init__.py).

    The parts come in first, the front (laid out with their numbers) last, so the pages are copied only when all are
    known: the front's, then the parts', then each margin drawn onto its page. Until it is written, it is only its
    pieces and their marks (mark): the worker process that printed them hands it back, and the build writes it once its
    print workers are gone (publish/pdf/build.py), so a join's memory is never added to a print worker's."""

    def __init__(self, front_pages: int) -> None:
        self.front_pages = front_pages
        self.pieces: list[Piece] = []
        # Every page's information in document order; the front's stand-ins until the front is known.
        self.pages: list[PageInfo] = [PageInfo(0.0, [], [], [], None, None, "")] * front_pages
        # Each margin document with the first page it draws on.
        self.margins: list[tuple[Piece, int]] = []
        # Made by mark(), once every piece is in: each named destination (name, page, x, y) and the bookmarks' tree.
        self.destinations: list[tuple[str, int, float, float]] = []
        self.bookmarks: list[Any] = []

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
        return '<div class="cw-margin-page cw-margin-before"></div>\n' * standing_in(start) + "\n".join(pages)

    def _draw_margins(self, margins: Piece, start: int) -> None:
        """Draw a margin document's pages (after those standing in) onto the pages from start, each as a pagination artifact."""
        source = self._open(margins)
        for number, margin in enumerate(source.pages[standing_in(start) :], start=start):
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
        pages = [page.obj for page in pdf.pages]
        destinations: list[Any] = []
        for name, number, x, y in self.destinations:
            destinations += [pikepdf.String(name), Array([pages[number], Name.XYZ, x, y, 0])]
        if destinations:
            pdf.Root.Names = Dictionary(Dests=Dictionary(Names=Array(destinations)))
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

    def mark(self) -> None:
        """Once every piece is in (in the worker that printed them, which has WeasyPrint loaded): the named destinations
        and the bookmarks' tree, placed on their pages as WeasyPrint places them for a whole document, and what WeasyPrint
        says of a link whose anchor no piece has. The join is then written (write) without WeasyPrint."""
        from weasyprint.anchors import make_page_bookmark_tree

        known = self.anchor_pages()
        for page in self.pages:
            for name in page.links:
                if name not in known:
                    LOGGER.error(NO_ANCHOR, name)
        names: list[tuple[str, int, float, float]] = []
        seen: set[str] = set()
        for number, page in enumerate(self.pages):
            if not page.anchors:
                continue
            matrix = page.matrix
            for name, x, y in page.anchors:
                if name not in seen:
                    seen.add(name)
                    names.append((name, number, *matrix.transform_point(x, y)))
        self.destinations = sorted(names)
        self.bookmarks = []
        skipped: list[int] = []
        last_by_depth = [self.bookmarks]
        previous = 0
        for number, page in enumerate(self.pages):
            previous = make_page_bookmark_tree(SimpleNamespace(bookmarks=page.bookmarks), skipped, last_by_depth, previous, number, page.matrix)

    def _outline(self) -> None:
        """The bookmarks' tree (mark) as the PDF's outline."""

        def items(nodes: list[Any]) -> list[OutlineItem]:
            found = []
            for label, (number, x, y), children, state in nodes:
                item = OutlineItem(label, number, "XYZ", left=x, top=y, zoom=0)
                item.children.extend(items(children))
                item.is_closed = state == "closed"
                found.append(item)
            return found

        if self.bookmarks:
            with self.pdf.open_outline() as outline:
                outline.root.extend(items(self.bookmarks))


def standing_in(start: int) -> int:
    """How many pages of a margin document stand in for the pages before its batch (none for the first)."""
    return 0 if start == 0 else 2 - start % 2
