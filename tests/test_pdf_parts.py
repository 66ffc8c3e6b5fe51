"""The reader printed in parts and joined (publish/pdf/parts.py) is the reader printed whole, page for page, and so are the slides.

Compared on what a reader and an assistive tool meet: the page count, every page's text (with "Page N of M" and the
running header), the bookmarks and where they lead, the named destinations, every link, the PDF/UA structure tree and
its parent tree, the fonts and the document's information.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from pypdf import PdfReader

from macros.course import load_model
from publish.built import read_site
from publish.cache import PrintCache
from publish.pdf import parts
from publish.pdf.build import STYLESHEET, job
from publish.pdf.compose import PdfBuilder, print_setup, sessions_of
from publish.pdf.printer import RenderJob, print_job
from publish.slides import prepare_slides
from publish.slides.pdf import STYLESHEET as SLIDES_STYLESHEET
from publish.slides.pdf import slides_html

ROOT = Path(__file__).resolve().parent.parent


def describe(path: Path) -> dict[str, Any]:
    """What a reader and an assistive tool meet in a PDF, in page numbers rather than object numbers."""
    reader = PdfReader(path)
    pages = reader.pages
    index = {page.indirect_reference.idnum: number for number, page in enumerate(pages)}  # type: ignore[union-attr]

    def outline(items: list[Any]) -> list[Any]:
        return [
            outline(item) if isinstance(item, list) else (item.title, reader.get_destination_page_number(item), round(float(item.top or 0), 1))
            for item in items
        ]

    # The struct elements of the document's tree: a page's marked content outside it (WeasyPrint tags a whole
    # document's margin boxes so; the join draws them as pagination artifacts) is not met by an assistive tool.
    in_tree: set[int] = set()

    def tree(node: Any) -> Any:
        if hasattr(node, "idnum"):
            in_tree.add(node.idnum)
        node = node.get_object()
        if isinstance(node, int):
            return node
        if node.get("/Type") == "/OBJR":
            return ("OBJR", str(node["/Obj"].get_object().get("/Dest")))
        kids = node.get("/K", [])
        kids = kids if isinstance(kids, list) else [kids]
        page = node.get("/Pg")
        return (str(node.get("/S")), index.get(page.idnum) if page is not None else None, str(node.get("/Alt")), [tree(kid) for kid in kids])

    links = []
    for number, page in enumerate(pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            action = annotation.get("/A") or {}
            links.append(
                (
                    number,
                    [round(float(x), 1) for x in annotation["/Rect"]],
                    str(annotation.get("/Dest")),
                    str(action.get("/URI")),
                    annotation.get("/StructParent"),
                )
            )
    root = reader.trailer["/Root"]
    nums = root["/StructTreeRoot"]["/ParentTree"].get_object()["/Nums"]
    structure = tree(root["/StructTreeRoot"]["/K"][0])

    def marked(entry: Any) -> Any:
        entry = entry.get_object()
        return len([element for element in entry if element.idnum in in_tree]) if isinstance(entry, list) else "element"

    return {
        "pages": len(pages),
        "text": [page.extract_text() for page in pages],
        "outline": outline(reader.outline),
        "destinations": sorted(
            (name, reader.get_destination_page_number(dest), round(float(dest.top or 0), 1)) for name, dest in reader.named_destinations.items()
        ),
        "links": links,
        "structure": structure,
        "parent tree": [(nums[i], marked(nums[i + 1])) for i in range(0, len(nums), 2)],
        "struct parents": [page.get("/StructParents") for page in pages],
        "fonts": sorted({str(font.get_object()["/BaseFont"]).split("+")[-1] for page in pages for font in (page["/Resources"].get("/Font") or {}).values()}),
        "information": {key: str(value) for key, value in (reader.metadata or {}).items() if key not in ("/CreationDate", "/ModDate")},
        "language": str(root.get("/Lang")),
        "metadata": reader.xmp_metadata is not None,
    }


@pytest.fixture(scope="module")
def reader_job(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    model = load_model(ROOT / "mkdocs.yml")
    settings, course, cohort = print_setup(model, None, None)
    builder = PdfBuilder(read_site(site), settings, course, sessions_of(model), cohort, "participant")
    return job(builder, builder.reader(), tmp_path_factory.mktemp("parts"), STYLESHEET.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def slides_job(tmp_path_factory: pytest.TempPathFactory) -> RenderJob:
    """The first half of the course's deck (its first, when there are several) as the slides' printer receives it: each
    slide stands alone, so half shows every join the whole would at half the time; nothing else is built."""
    folder = tmp_path_factory.mktemp("slides")
    slides = prepare_slides(folder, load_model(ROOT / "mkdocs.yml"))
    deck = slides.decks[0]
    html = slides_html(deck.laid[: len(deck.laid) // 2 + 1], slides.settings, deck.title, slides.subject)
    return RenderJob("slides.pdf", html, str(folder), SLIDES_STYLESHEET.read_text(encoding="utf-8"), "", str(folder), pages_alone=True)


def printed(job: Any, name: str, monkeypatch: pytest.MonkeyPatch, **patches: Any) -> Path:
    for attribute, value in patches.items():
        monkeypatch.setattr(parts, attribute, value)
    job = type(job)(**{**job.__dict__, "name": name})
    result = print_job(job)
    assert result.messages == [] and result.refused == []
    path = Path(job.folder) / f".{name}.partial"
    assert result.pages == len(PdfReader(path).pages)
    return path


def counted_parts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on, the page count of each part joined."""
    painted: list[int] = []
    original_add = parts.Joined.add

    def counting_add(joined: parts.Joined, piece: parts.Piece) -> None:
        painted.append(len(piece.pages))
        original_add(joined, piece)

    monkeypatch.setattr(parts.Joined, "add", counting_add)
    return painted


def test_the_reader_in_parts_is_the_reader_whole(reader_job: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pieces = parts.split(reader_job.html)
    assert pieces is not None
    whole = describe(printed(reader_job, "whole.pdf", monkeypatch, supported=lambda: False))
    painted = counted_parts(monkeypatch)
    # Every page of the course its own part: the most joins the real course can have.
    in_parts = describe(printed(reader_job, "parts.pdf", monkeypatch, supported=lambda: True, PART_CHARS=1, MARGIN_PAGES=3))
    assert len(painted) > 5, "the reader must really have been printed in parts"
    for key, value in whole.items():
        assert in_parts[key] == value, f"{key} differs between the reader printed whole and in parts"
    assert re.search(r"Page 1 of \d+", whole["text"][0])


def test_the_slides_in_parts_are_the_slides_whole(slides_job: RenderJob, monkeypatch: pytest.MonkeyPatch) -> None:
    pieces = parts.split(slides_job.html)
    assert pieces is not None and not pieces.front.strip(), "each slide must begin a part, the first too"
    whole = describe(printed(slides_job, "whole.pdf", monkeypatch, supported=lambda: False))
    painted = counted_parts(monkeypatch)
    # A few parts (each costs a layout of its own): every join is alike.
    in_parts = describe(printed(slides_job, "parts.pdf", monkeypatch, supported=lambda: True, PART_CHARS=len(slides_job.html) // 3))
    assert len(painted) >= 3 and sum(painted) == whole["pages"], "the slides must really have been printed in parts"
    for key, value in whole.items():
        assert in_parts[key] == value, f"{key} differs between the slides printed whole and in parts"


def test_contents_numbers_lead_to_the_pages_in_parts(reader_job: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    path = printed(reader_job, "numbers.pdf", monkeypatch, supported=lambda: True, PART_CHARS=1)
    reader = PdfReader(path)
    contents = reader.pages[1].extract_text()
    found = 0
    for name, destination in reader.named_destinations.items():
        if name.startswith("section-"):
            continue
        title_page = reader.get_destination_page_number(destination) + 1
        if re.search(rf"\s{title_page}\s*$", contents, re.M):
            found += 1
    assert found >= 5, contents


def test_another_weasyprint_prints_the_document_whole(reader_job: Any) -> None:
    assert parts.supported(parts.CHECKED_VERSION)
    assert not parts.supported("71.0")

    def refuse(*anything: Any) -> Any:
        raise AssertionError("nothing may be laid out in parts on an unchecked WeasyPrint")

    original = parts.supported
    try:
        parts.supported = lambda version="": False  # type: ignore[assignment]
        assert parts.print_parted(reader_job.html, refuse, [reader_job.stylesheet], refuse, parts.PartCache(PrintCache(None), "x.pdf")) is None
    finally:
        parts.supported = original


def test_the_checked_weasyprint_is_the_pinned_and_installed_one() -> None:
    pins = re.findall(r'"weasyprint==([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pins == [parts.CHECKED_VERSION]
    assert weasyprint.__version__ == parts.CHECKED_VERSION


def test_where_parts_end_does_not_move_when_a_page_grows_or_shrinks(monkeypatch: pytest.MonkeyPatch) -> None:
    """A part ends after the pages its ids pick (parts.ends_part), not after so much text: a page that grows or shrinks
    changes its own part, and every other part is the same text, so the print cache still has it."""

    def document(sizes: list[int]) -> str:
        pages = "".join(f'{parts.PART_MARK}<section class="print-page" id="module-{n:03}"><p>{"word " * size}</p></section>' for n, size in enumerate(sizes))
        return f"<html><head></head><body><h1>Front</h1>{pages}</body></html>"

    sizes = [400 + 37 * n % 300 for n in range(80)]
    before = parts.split(document(sizes))
    assert before is not None and len(before.parts) > 10
    for page, size in ((3, 5), (40, 4000), (79, 1)):
        after = parts.split(document([size if n == page else each for n, each in enumerate(sizes)]))
        assert after is not None and len(after.parts) == len(before.parts)
        changed = [index for index, (old, new) in enumerate(zip(before.parts, after.parts, strict=True)) if old != new]
        assert len(changed) == 1 and f'id="module-{page:03}"' in after.parts[changed[0]]
    # However many pages the ids would give a part, it is cut once it holds PART_CHARS.
    longest = max(len(fragment) for fragment in document(sizes).split(parts.PART_MARK)[1:])
    monkeypatch.setattr(parts, "PART_CHARS", 3 * longest)
    capped = parts.split(document(sizes))
    assert capped is not None and max(map(len, capped.parts)) < 4 * longest


def test_a_part_mark_written_in_a_page_cannot_cut_the_reader(reader_job: Any) -> None:
    pieces = parts.split(reader_job.html)
    assert pieces is not None
    from publish.pdf.compose import _unmarked

    assert parts.PART_MARK not in _unmarked(f"<p>before</p>{parts.PART_MARK}<p>after</p>")
    assert parts.split("<html><body><p>no marks</p></body></html>") is None


def test_an_edit_prints_again_the_part_it_reaches_and_the_joined_pdf_is_the_clean_builds(
    reader_job: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part that grows moves every later page number: the later parts come from the cache all the same (a part's PDF
    does not depend on where it starts), the front and the margins are printed again, and the joined PDF is, byte for
    byte, the one a build with nothing cached prints."""
    monkeypatch.setattr(parts, "PART_CHARS", 20_000)
    pieces = parts.split(reader_job.html)
    assert pieces is not None and len(pieces.parts) >= 3, "the reader must be printed in several parts"
    folder = tmp_path / "cache"

    def print_reader(html: str, name: str, cached: bool) -> tuple[Any, bytes]:
        job = type(reader_job)(**{**reader_job.__dict__, "html": html, "name": name, "cache_folder": str(folder) if cached else None})
        result = print_job(job)
        assert result.messages == [] and result.refused == []
        return result, (Path(job.folder) / f".{name}.partial").read_bytes()

    first, _ = print_reader(reader_job.html, "first.pdf", cached=True)
    assert first.parts_reused == 0 and first.parts_printed > len(pieces.parts)
    # The second part grows by two pages' worth of prose.
    fragments = reader_job.html.split(parts.PART_MARK)
    second = next(index for index, fragment in enumerate(fragments) if index and "</p>" in fragment and pieces.parts[1].startswith(fragment))
    fragments[second] = fragments[second].replace("</p>", "</p>" + "<p>A paragraph added to this part of the reader.</p>" * 60, 1)
    edited = parts.PART_MARK.join(fragments)
    again, joined = print_reader(edited, "again.pdf", cached=True)
    _, clean = print_reader(edited, "clean.pdf", cached=False)
    assert again.pages > first.pages
    margin_documents = -(-again.pages // parts.MARGIN_PAGES)
    # Printed again: the grown part, the front (its contents numbers moved) and every margin document; nothing else.
    assert again.parts_printed == 1 + 1 + margin_documents, again
    assert again.parts_reused == len(pieces.parts) - 1 + 1  # the other parts, and the front as measured with placeholders
    assert joined == clean, "the reader joined from cached parts must be the clean build's, byte for byte"
