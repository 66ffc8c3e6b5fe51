"""A long document (the course reader) printed in parts and joined into one PDF, so memory stays flat as the course grows.

WeasyPrint keeps every laid-out page of a document until its PDF is written, about 1 MB a page. Here the document is
laid out a part at a time, each part painted into the one PDF and dropped before the next is laid out. A part begins
where the document breaks the page anyway (a page of the course, or a nav section with its first page), so each
part paginates as it would in the whole document. What depends on the whole is done once the parts are known:

- the contents' page numbers: the cover and contents are laid out last, with the numbers the parts gave their
  anchors, into page slots kept for them at the front (their page count is taken first, with wide placeholders);
- "Page N of M" and the running header: the parts are laid out without margin boxes; documents of empty pages, a
  hundred at a time, each page with its page's running string, name and number and the whole's page count, give the
  margin boxes, painted onto each page afterwards;
- bookmarks, links between parts, named destinations, the PDF/UA structure tree and the fonts: collected page by
  page in document order, written once at the end, as WeasyPrint writes them for a whole document. A page's finished
  objects (its content streams, its structure elements) wait in a scratch file meanwhile, as the bytes they will be.

This drives WeasyPrint's own painting, tagging and PDF functions (weasyprint.pdf), which are internal: it runs only
with the WeasyPrint version it was checked against, and every other version (or a part whose pagination moved)
prints the whole document at once instead. tests/test_pdf_parts.py compares both ways page by page.

A document whose pages stand alone (the slides: no front laid out after the rest, no margin boxes, nothing that counts
the pages) needs none of the passes after its parts: print_pages_parted paints its parts one after another.
"""

from __future__ import annotations

import gc
import html
import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import IO, Any

import pydyf
import weasyprint
from tinycss2.color5 import D50, D65
from weasyprint import CSS, DEFAULT_OPTIONS
from weasyprint.anchors import make_page_bookmark_tree
from weasyprint.formatting_structure.boxes import MarginBox
from weasyprint.matrix import Matrix
from weasyprint.pdf import VARIANTS, _use_references, _w3c_date_to_pdf
from weasyprint.pdf.anchors import add_annotations, add_forms, add_links, add_outlines
from weasyprint.pdf.fonts import build_fonts_dictionary
from weasyprint.pdf.stream import Stream
from weasyprint.pdf.tags import _build_box_tree

from .compose import PART_MARK
from .machine import release_memory

# The WeasyPrint whose internals this was checked against; pyproject.toml pins the same (a test compares them).
CHECKED_VERSION = "70.0"
# Parts are gathered to about this much HTML each: big enough that a part's fixed cost is small, small enough that
# its laid-out pages stay well within memory (about 40 pages).
PART_CHARS = 100_000
# The running string of the print stylesheet (publish/pdf/print.css: h1.page-title sets it).
RUNNING = "segment"
# While the parts are laid out, no margin boxes: they come from the margin document, once the page count is known.
NO_MARGINS = CSS(string="@page { @top-left { content: none } @top-right { content: none } @bottom-center { content: none } }")
# Contents numbers before the real ones are known: as wide as any page number, so the contents paginate the same.
PLACEHOLDER = "888"
LOGGER = logging.getLogger("weasyprint")


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


def split(document: str) -> Pieces | None:
    """Cut a composed document at its part marks, gathering parts to about PART_CHARS each; None if it has none."""
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
        if sum(map(len, gathered)) >= PART_CHARS:
            parts.append("".join(gathered))
            gathered = []
    if gathered:
        parts.append("".join(gathered))
    return Pieces(f"{before_body}<body{tag}>", front, parts, f"</body>{closing}")


def ua_options() -> dict[str, Any]:
    """WeasyPrint's options for a tagged PDF (PDF/UA-1), as write_pdf(pdf_variant="pdf/ua-1") takes them."""
    return {**DEFAULT_OPTIONS, "pdf_variant": "pdf/ua-1", **VARIANTS["pdf/ua-1"][1]}


def contents_numbers(numbers: dict[str, int] | None) -> CSS:
    """The contents' page numbers as fixed text: the parts' numbers, or placeholders while the front is measured."""
    if numbers is None:
        return CSS(string=f'.contents a::after {{ content: leader(" ") "{PLACEHOLDER}" }}')
    rules = (f'.contents a[href="#{name}"]::after {{ content: leader(" ") "{number}" }}' for name, number in numbers.items())
    return CSS(string="\n".join(rules))


@dataclass
class _Slot:
    """What one page of the joined PDF keeps until the end: small values, never its boxes."""

    pdf_page: Any
    rectangle: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    height: float = 0.0
    bookmarks: list[Any] = field(default_factory=list)
    anchors: list[tuple[str, float, float]] = field(default_factory=list)
    internal_links: list[str] = field(default_factory=list)
    mcids: list[Any] = field(default_factory=list)  # the struct element of each marked content id, in id order
    elements: list[bytes] = field(default_factory=list)  # references to the page's top-level struct elements
    annotations: list[tuple[Any, Any]] = field(default_factory=list)
    # The running string's first and last assignment on this page, if any, and the page's name.
    first_running: str | None = None
    last_running: str | None = None
    page_name: str = ""


class JoinedPdf:
    """One PDF painted from several laid-out documents, as WeasyPrint's generate_pdf paints one (weasyprint/pdf/__init__.py)."""

    def __init__(self, options: dict[str, Any], scratch: IO[bytes]) -> None:
        self.options = options
        self.scale = 0.75  # 72 PDF points per inch / 96 CSS pixels per inch
        self.compress = not options["uncompressed_pdf"]
        self.pdf = pdf = pydyf.PDF()
        self.images: dict[str, Any] = {}
        self.fonts: dict[str, Any] = {}
        self.annot_files: dict[str, Any] = {}
        self.slots: list[_Slot] = []
        # Where finished objects wait for the PDF to be written.
        self.scratch = scratch
        color_space = pydyf.Dictionary(
            {
                "lab-d50": pydyf.Array(("/Lab", pydyf.Dictionary({"WhitePoint": pydyf.Array(D50), "Range": pydyf.Array((-125, 125, -125, 125))}))),
                "lab-d65": pydyf.Array(("/Lab", pydyf.Dictionary({"WhitePoint": pydyf.Array(D65), "Range": pydyf.Array((-125, 125, -125, 125))}))),
            }
        )
        pdf.add_object(color_space)
        self.resources = pydyf.Dictionary(
            {
                "ExtGState": pydyf.Dictionary(),
                "XObject": pydyf.Dictionary(),
                "Pattern": pydyf.Dictionary(),
                "Shading": pydyf.Dictionary(),
                "ColorSpace": color_space.reference,
            }
        )
        pdf.add_object(self.resources)
        # The structure tree's root objects exist from the start: each page's elements point to them.
        self.parent_tree = pydyf.Dictionary({"Nums": pydyf.Array()})
        pdf.add_object(self.parent_tree)
        self.structure_root = pydyf.Dictionary({"Type": "/StructTreeRoot", "ParentTree": self.parent_tree.reference})
        pdf.add_object(self.structure_root)
        self.structure = pydyf.Dictionary({"Type": "/StructElem", "S": "/Document", "K": pydyf.Array(), "P": self.structure_root.reference})
        pdf.add_object(self.structure)
        self.structure_root["K"] = pydyf.Array([self.structure.reference])
        pdf.catalog["StructTreeRoot"] = self.structure_root.reference

    def _new_slot(self) -> _Slot:
        slot = _Slot(pydyf.Dictionary({"Type": "/Page", "Parent": self.pdf.pages.reference}))
        self.pdf.add_page(slot.pdf_page)
        self.slots.append(slot)
        return slot

    def _stream(self, slot: _Slot, tags: dict[Any, Any]) -> Stream:
        """A content stream for the page in slot, sharing the document's fonts, resources and images."""
        return Stream(self.fonts, slot.rectangle, self.resources, self.images, tags, {}, None, compress=self.compress)

    def reserve(self, count: int) -> None:
        """Page slots for pages laid out later (the front), so the pages after them get their final numbers now."""
        for _ in range(count):
            self._new_slot()

    def add(self, document: Any, start: int | None = None) -> None:
        """Paint a laid-out document's pages into the slots from start (reserved ones), or as new pages at the end."""
        for offset, page in enumerate(document.pages):
            if start is None:
                slot = self._new_slot()
                number = len(self.slots) - 1
            else:
                number = start + offset
                slot = self.slots[number]
            self._paint(document, page, number, slot)

    def _paint(self, document: Any, page: Any, number: int, slot: _Slot) -> None:
        """One page: its stream, links, content and tags, as generate_pdf and add_tags do for each page."""
        scale = self.scale
        matrix = Matrix(scale, 0, 0, -scale, 0, page.height * scale)
        width = scale * (page.width + page.bleed["left"] + page.bleed["right"])
        height = scale * (page.height + page.bleed["top"] + page.bleed["bottom"])
        left, top = -scale * page.bleed["left"], -scale * page.bleed["top"]
        right, bottom = left + width, top + height
        tags: dict[Any, Any] = {}
        slot.rectangle = (left / scale, top / scale, (right - left) / scale, (bottom - top) / scale)
        first_object = len(self.pdf.objects)
        stream = self._stream(slot, tags)
        stream.transform(d=-1, f=(page.height * scale))
        self.pdf.add_object(stream)
        pdf_page = slot.pdf_page
        pdf_page.update({"MediaBox": pydyf.Array([left, top, right, bottom]), "Contents": stream.reference, "Resources": self.resources.reference})
        pdf_page["Tabs"] = "/S"
        pdf_page["StructParents"] = number
        slot.internal_links = [target for kind, target, _, _ in page.links if kind == "internal"]
        # Anchors are named destinations written at the end (WeasyPrint's pdf_names); links point to names.
        add_links((page.links, []), matrix, self.pdf, pdf_page, [], tags)
        add_annotations(page.links, matrix, document, self.pdf, pdf_page, self.annot_files, self.compress)
        add_forms(page.forms, matrix, self.pdf, pdf_page, self.resources, stream, document.font_config.font_map)
        page.paint(stream, scale)
        bleed = {key: value * 0.75 for key, value in page.bleed.items()}
        trim = [left + bleed["left"], top + bleed["top"], right - bleed["right"], bottom - bleed["bottom"]]
        pdf_page["TrimBox"] = pydyf.Array(trim)
        pdf_page["BleedBox"] = pydyf.Array(
            [trim[0] - min(10, bleed["left"]), trim[1] - min(10, bleed["top"]), trim[2] + min(10, bleed["right"]), trim[3] + min(10, bleed["bottom"])]
        )
        # Tagged now, while the page's boxes exist (add_tags tags each page the same way, after painting them all).
        nums: dict[int, Any] = {}
        box = page._page_box
        elements = list(_build_box_tree(box, self.structure, self.pdf, number, nums, slot.annotations, tags))
        slot.mcids = [reference for _, reference in sorted(nums.items())]
        slot.elements = [element.reference for element in elements]
        slot.height = page.height
        slot.bookmarks = list(page.bookmarks)
        slot.anchors = [(name, x, y) for name, (x, y, _, _) in page.anchors.items()]
        slot.page_name = box.page_type.name or ""
        for child in box.descendants():
            if child.string_set and child.string_set != "none":
                for name, text in child.string_set:
                    if name == RUNNING:
                        slot.first_running = text if slot.first_running is None else slot.first_running
                        slot.last_running = text
        self._freeze(first_object)

    def _freeze(self, first: int) -> None:
        """Keep the page's finished objects (its content stream, its structure elements) as their bytes from here on.

        Nothing changes them after their page: only the page itself (its margin stream comes later) and the link
        annotations (numbered into the parent tree at the end) stay objects. Kept in a scratch file, they cost no
        memory: this is what keeps the memory flat however long the document.
        """
        objects = self.pdf.objects
        for index in range(first, len(objects)):
            item = objects[index]
            if isinstance(item, Stream) or (isinstance(item, pydyf.Dictionary) and item.get("Type") in ("/StructElem", "/OBJR")):
                objects[index] = _Frozen(item, self.scratch)

    def anchor_pages(self) -> dict[str, int]:
        """Each anchor's page number (1-based); the first occurrence of a name wins, as in WeasyPrint."""
        found: dict[str, int] = {}
        for number, slot in enumerate(self.slots):
            for name, _, _ in slot.anchors:
                found.setdefault(name, number + 1)
        return found

    def margin_pages(self, start: int, end: int) -> str:
        """Empty pages for pages start to end, each assigning the running string the page shows (its first on the page,
        else the last before) and with its name; from the second batch on, led by pages that stand in for the pages
        before (so none of the batch is the :first page, each keeps its left or right side, and each its number)."""
        pages, last = [], None
        for number, slot in enumerate(self.slots[:end]):
            shown = slot.first_running if slot.first_running is not None else last
            last = slot.last_running if slot.last_running is not None else last
            if number < start:
                continue
            attributes = ' class="cw-margin-page"'
            if shown is not None:
                attributes += f' data-running="{html.escape(shown, quote=True)}"'
            if slot.page_name:
                attributes += f' style="page: {slot.page_name}"'
            pages.append(f"<div{attributes}></div>")
        standing_in = 0 if start == 0 else 2 - start % 2
        return '<div class="cw-margin-page cw-margin-before"></div>\n' * standing_in + "\n".join(pages)

    def add_margins(self, document: Any, start: int, end: int) -> None:
        """Paint the margin boxes of a margin document's pages (after those standing in) onto pages start to end, each after
        the page's content in a second content stream, tagged after the page's own marked content."""
        laid_out = document.pages[0 if start == 0 else 2 - start % 2 :]
        if len(laid_out) != end - start:
            raise Repaginated
        for number, page in enumerate(laid_out, start=start):
            slot = self.slots[number]
            first_object = len(self.pdf.objects)
            # WeasyPrint numbers marked content by the count so far: go on from the page's own.
            placeholders = [object() for _ in slot.mcids]
            tags = dict.fromkeys(placeholders)
            # The page's second content stream: PDF joins a page's streams, so the page's own transformation holds here too.
            stream = self._stream(slot, tags)
            self.pdf.add_object(stream)
            slot.pdf_page["Contents"] = pydyf.Array([slot.pdf_page["Contents"], stream.reference])
            page.paint(stream, self.scale)
            for placeholder in placeholders:
                del tags[placeholder]
            nums: dict[int, Any] = {}
            for box in page._page_box.children:
                if isinstance(box, MarginBox):
                    # Like add_tags: margin boxes are tagged but kept out of the document's tree.
                    for _ in _build_box_tree(box, self.structure, self.pdf, number, nums, slot.annotations, tags):
                        pass
            slot.mcids += [reference for _, reference in sorted(nums.items())]
            self._freeze(first_object)

    def write(self, target: str, metadata: Any) -> None:
        """Outlines, information, fonts, names and tags for the whole, then the file, as generate_pdf and write_pdf end."""
        pdf, options = self.pdf, self.options
        known = self.anchor_pages()
        for slot in self.slots:
            for name in slot.internal_links:
                if name not in known:
                    LOGGER.error("No anchor #%s for internal URI reference", name)
        root: list[Any] = []
        skipped: list[int] = []
        last_by_depth = [root]
        previous = 0
        for number, slot in enumerate(self.slots):
            matrix = Matrix(a=self.scale, d=-self.scale, f=slot.height * self.scale)
            previous = make_page_bookmark_tree(slot, skipped, last_by_depth, previous, number, matrix)
        add_outlines(pdf, root)
        pdf.info["Producer"] = pydyf.String(f"WeasyPrint {weasyprint.__version__}")
        for key, value in (("Title", metadata.title), ("Subject", metadata.description), ("Creator", metadata.generator)):
            if value:
                pdf.info[key] = pydyf.String(value)
        if metadata.authors:
            pdf.info["Author"] = pydyf.String(", ".join(metadata.authors))
        if metadata.keywords:
            pdf.info["Keywords"] = pydyf.String(", ".join(metadata.keywords))
        if metadata.created:
            pdf.info["CreationDate"] = pydyf.String(_w3c_date_to_pdf(metadata.created, "created"))
        if metadata.modified:
            pdf.info["ModDate"] = pydyf.String(_w3c_date_to_pdf(metadata.modified, "modified"))
        if metadata.lang:
            pdf.catalog["Lang"] = pydyf.String(metadata.lang)
        fonts = build_fonts_dictionary(pdf, self.fonts, self.compress, not options["full_fonts"], options)
        pdf.add_object(fonts)
        self.resources["Font"] = fonts.reference
        _use_references(pdf, self.resources, self.images, {})
        names, seen = [], set()
        for slot in self.slots:
            matrix = Matrix(self.scale, 0, 0, -self.scale, 0, slot.height * self.scale)
            for name, x, y in slot.anchors:
                if name not in seen:
                    seen.add(name)
                    names.append([name, pydyf.Array([slot.pdf_page.reference, "/XYZ", *matrix.transform_point(x, y), 0])])
        if names:
            array = pydyf.Array()
            for name, destination in sorted(names):
                array.append(pydyf.String(name))
                array.append(destination)
            pdf.catalog["Names"] = pydyf.Dictionary({"Dests": pydyf.Dictionary({"Names": array})})
        self._finish_tags()
        variant, _ = VARIANTS[options["pdf_variant"]]
        # The PDF/UA variant only writes the metadata (weasyprint/pdf/pdfua.py); it does not read the page streams.
        variant(pdf, SimpleNamespace(metadata=metadata), [], [], self.compress)
        with open(target, "wb") as file:
            pdf.write(file, options["pdf_version"], options["pdf_identifier"], self.compress)

    def _finish_tags(self) -> None:
        """The document element's kids and the parent tree, in page order, as add_tags ends."""
        nums = self.parent_tree["Nums"]
        for number, slot in enumerate(self.slots):
            nums.extend([number, pydyf.Array(slot.mcids)])
            self.structure["K"].extend(slot.elements)
        annotations = [pair for slot in self.slots for pair in slot.annotations]
        for index, (reference, annotation) in enumerate(annotations, start=len(self.slots)):
            nums.extend([index, reference])
            annotation["StructParent"] = index
        self.pdf.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})
        self.pdf.catalog["MarkInfo"] = pydyf.Dictionary({"Marked": "true"})
        if "Lang" not in self.pdf.catalog:
            LOGGER.error('Missing required "lang" attribute at the root of the document')
            self.pdf.catalog["Lang"] = pydyf.String()


class _Frozen(pydyf.Object):
    """A finished PDF object as the bytes pydyf would write for it, kept in a scratch file until the PDF is written."""

    def __init__(self, original: pydyf.Object, scratch: IO[bytes]) -> None:
        super().__init__()
        self.number, self.generation, self.free = original.number, original.generation, original.free
        data = original.data
        self._scratch, self._at, self._length = scratch, scratch.seek(0, os.SEEK_END), len(data)
        scratch.write(data)
        self._compressible = original.compressible

    @property
    def data(self) -> bytes:
        self._scratch.seek(self._at)
        return self._scratch.read(self._length)

    @property
    def compressible(self) -> bool:
        return self._compressible


class Repaginated(Exception):
    """A page count moved between passes (the contents with their real numbers, or the margin document)."""


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


def print_parted(document: str, render: Callable[[str, list[CSS]], Any], stylesheets: list[str], parse: Callable[[str], CSS], target: str) -> int | None:
    """Print a composed document in parts into target: its page count, or None when it must be printed whole instead.

    render(html, sheets) lays out one document with the caller's base URL, fetcher and font configuration;
    stylesheets are the document's own, and parse(text) makes (or reuses) a parsed stylesheet.
    """
    pieces = split(document) if supported() else None
    if pieces is None:
        return None
    sheets = [parse(text) for text in stylesheets]
    options = ua_options()
    front_document = pieces.document(pieces.front)
    front_pages = len(render(front_document, [*sheets, NO_MARGINS, contents_numbers(None)]).pages)
    with tempfile.TemporaryFile() as scratch:
        joined = JoinedPdf(options, scratch)
        joined.reserve(front_pages)
        for part in pieces.parts:
            joined.add(render(pieces.document(part), [*sheets, NO_MARGINS]))
            # The part's boxes hold reference cycles: free them now, and give the memory back, before the next is laid out.
            gc.collect()
            release_memory()
        front = render(front_document, [*sheets, NO_MARGINS, contents_numbers(joined.anchor_pages())])
        if len(front.pages) != front_pages:
            return None
        joined.add(front, start=0)
        metadata = front.metadata
        del front
        total = len(joined.slots)
        counted = [parse(PAGE_COUNT.sub(f'"{total}"', text)) for text in stylesheets]
        try:
            for start in range(0, total, MARGIN_PAGES):
                end = min(start + MARGIN_PAGES, total)
                margins = render(pieces.document(joined.margin_pages(start, end)), [*counted, CSS(string=MARGIN_CSS % {"before": start})])
                joined.add_margins(margins, start, end)
                del margins
        except Repaginated:
            return None
        joined.write(target, metadata)
        return len(joined.slots)


def print_pages_parted(document: str, render: Callable[[str, list[CSS]], Any], stylesheets: list[str], parse: Callable[[str], CSS], target: str) -> int | None:
    """Print in parts into target a document whose pages stand alone: no contents, no margin boxes, no page counted
    (the slides); what comes before its first part mark is its first part. Its page count, or None when it must be
    printed whole instead; the arguments are print_parted's."""
    pieces = split(document) if supported() else None
    if pieces is None:
        return None
    sheets = [parse(text) for text in stylesheets]
    options = ua_options()
    metadata = None
    with tempfile.TemporaryFile() as scratch:
        joined = JoinedPdf(options, scratch)
        for part in [pieces.front, *pieces.parts] if pieces.front.strip() else pieces.parts:
            laid_out = render(pieces.document(part), sheets)
            # Every part has the document's head: its title, authors, description and language.
            metadata = laid_out.metadata
            joined.add(laid_out)
            del laid_out
            gc.collect()
            release_memory()
        joined.write(target, metadata)
        return len(joined.slots)
