"""The session's slides (issue 20): both files of every deck in every build (one deck per session when the course has
several), each deck's order and words, notes, bounds, LibreOffice."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, SITE_URL, squash
from pptx import Presentation
from pptx.util import Emu
from pypdf import PdfReader

from macros.course import load_model
from macros.data import load_course
from macros.diagrams import learning_cycle
from macros.downloads import GUIDE_PDF, SCHEDULE_PAGE, SLIDES_FOLDER, decks_of, slides_files
from macros.last_updated import build_moment as moment
from macros.models import Session
from macros.slide import Line, Slide
from publish.pdf.site import nav_pages, page_url, settings_of
from publish.slides.layout import HEIGHT, LEADING, WIDTH, Box, lay_out, text_width
from publish.slides.pdf import slides_html, write_pdf
from publish.slides.pptx import EMU_PER_POINT, build_presentation

MODEL = load_model(ROOT / "mkdocs.yml")
SETTINGS = settings_of(MODEL)
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
DATA = load_course(ROOT / "docs")


# The course's decks: its one deck (None), or one per session when it has several (macros/downloads.py).
DECKS = decks_of(MODEL.sessions)


def deck_files(site: Path) -> list[tuple[Session | None, Path, Path]]:
    """Each deck of the course with its two files in a built site: (its session, the PDF, the PowerPoint file)."""
    return [(deck, *(site / SLIDES_FOLDER / name for name in slides_files(deck))) for deck in DECKS]


def pptx_of(path: Path) -> Any:
    return Presentation(str(path))


def titles_in_pptx(deck: Any) -> list[str]:
    """Each slide's title, read from its title placeholder (what the outline view and screen readers show)."""
    return [squash(slide.shapes.title.text_frame.text) for slide in deck.slides]


def pdf_pages_text(pdf: Path) -> list[str]:
    """Each page's text as poppler reads it, one string per page, whitespace collapsed."""
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [squash(page) for page in out.split("\f")][: len(PdfReader(pdf).pages)]


def slide_pages(deck: Session | None) -> list[str]:
    """The nav's pages a deck shows: every printable page but the home page and pages with `slides: false`; of a deck of
    one session, that session's pages only."""
    from mkdocs.utils.meta import get_data

    kept = []
    for src, _ in nav_pages(SETTINGS.nav):
        meta = get_data((ROOT / "docs" / src).read_text(encoding="utf-8"))[1]
        if src != "index.md" and meta.get("slides") is not False and (deck is None or MODEL.session_of(src) == deck):
            kept.append(src)
    return kept


def calls_on(src: str, name: str) -> list[str]:
    """The first argument of each call of a macro on a page, in order."""
    text = (ROOT / "docs" / src).read_text(encoding="utf-8")
    return re.findall(r"\{\{\s*" + name + r"\(\s*\"?([\w-]*)\"?\s*\)\s*\}\}", text)


def test_every_build_writes_both_files_with_the_same_slides(site: Path, facilitator_site: Path) -> None:
    for built in (site, facilitator_site):
        files = deck_files(built)
        # Each deck's two files, and nothing else in the folder.
        assert sorted(path.name for path in (built / SLIDES_FOLDER).iterdir()) == sorted(path.name for _, *both in files for path in both)
        for session, pdf_file, pptx_file in files:
            assert_both_files_hold_the_same_slides(session, pdf_file, pptx_file)


def assert_both_files_hold_the_same_slides(session: Session | None, pdf_file: Path, pptx_file: Path) -> None:
    """A deck's PDF and PowerPoint file: the same number of slides, of the slides' size, each PDF page showing its slide's title."""
    pdf = PdfReader(pdf_file)
    deck = pptx_of(pptx_file)
    # A title slide, at least one slide for each of its pages and a closing slide.
    assert len(pdf.pages) == len(deck.slides) >= len(slide_pages(session)) + 2, pdf_file.name
    assert all((float(p.mediabox.width), float(p.mediabox.height)) == (WIDTH, HEIGHT) for p in pdf.pages)
    assert (deck.slide_width, deck.slide_height) == (round(WIDTH * EMU_PER_POINT), round(HEIGHT * EMU_PER_POINT))
    # The PDF is titled and tagged like the other PDFs, and each slide's title is a bookmark.
    assert pdf.metadata is not None and pdf.metadata.title and "slides" in pdf.metadata.title.lower()
    assert "/StructTreeRoot" in pdf.trailer["/Root"]
    titles = titles_in_pptx(deck)
    pages = pdf_pages_text(pdf_file)
    for number, (title, page) in enumerate(zip(titles, pages, strict=True), start=1):
        assert title and title in page, (pdf_file.name, number, title, page[:200])


def test_the_slides_follow_the_nav_and_show_the_records_words(site: Path) -> None:
    for deck, pdf_file, pptx_file in deck_files(site):
        assert_the_deck_follows_the_nav(deck, titles_in_pptx(pptx_of(pptx_file)), squash(" ".join(pdf_pages_text(pdf_file))))


def assert_the_deck_follows_the_nav(deck: Session | None, titles: list[str], text: str) -> None:
    """A deck opens on its session's title (the course's one session's), closes on the closing name, and shows its pages'
    records in the nav's order, with their words."""
    assert titles[0] == squash((deck or MODEL.sessions[0]).title)
    # The deck closes on the name in closing_credit (docs/data/course.yml).
    assert titles[-1] == squash(DATA.course.closing_credit or DATA.course.title)
    position = 0
    for src in slide_pages(deck):
        # Each page's records in the page's order: findings by their titles, cases and studies by theirs.
        expected = [DATA.findings[i].title for i in calls_on(src, "finding")]
        expected += [DATA.sources[i].title for i in calls_on(src, "case") + calls_on(src, "study")]
        expected += [DATA.prompts[i].title for i in calls_on(src, "discussion")]
        for title in expected:
            assert any(t.startswith(squash(title)) for t in titles), (src, title)
        first = next((n for n, t in enumerate(titles) if any(t.startswith(squash(e)) for e in expected)), None)
        if first is not None:
            assert first >= position, f"{src} comes before the page above it in the nav"
            position = first
        for id in calls_on(src, "finding"):
            for item in DATA.findings[id].items:
                assert squash(item.text) in text, (src, id, item.text)
        for id in calls_on(src, "discussion"):
            prompt = DATA.prompts[id]
            assert squash(prompt.text) in text and f"{prompt.minutes} minutes" in text, id
        for stage in calls_on(src, "strategic_triangle"):
            assert any(f"(stage {stage} of" in t for t in titles), stage
        # A quotation is shown whole, by quote() or on its case's card, and so on its own slide.
        quote_sources = [DATA.sources[i] for i in calls_on(src, "quote") + calls_on(src, "case") if DATA.sources[i].quote is not None]
        for source in quote_sources:
            assert source.quote is not None
            for paragraph in source.quote.paragraphs:
                assert squash(paragraph) in text, paragraph


def test_the_facilitator_pptx_has_speaker_notes_and_the_participant_pptx_none(site: Path, cohort_site: Path, facilitator_site: Path) -> None:
    for built in (site, cohort_site):
        for _, _, pptx_file in deck_files(built):
            assert not any(slide.has_notes_slide for slide in pptx_of(pptx_file).slides), pptx_file
    from test_editions import facilitator_notes

    with_notes = slides = 0
    for session, _, pptx_file in deck_files(facilitator_site):
        deck = pptx_of(pptx_file)
        notes = squash(" ".join(slide.notes_slide.notes_text_frame.text for slide in deck.slides if slide.has_notes_slide))
        # Each facilitator note of the deck's pages is in its speaker notes, title and words.
        for src, title, lines in facilitator_notes():
            if src in slide_pages(session):
                assert squash(title) in notes, (pptx_file.name, src, title)
                for line in lines:
                    assert squash(re.sub(r"[*_`]", "", line)) in notes, (pptx_file.name, src, line)
        with_notes += sum(slide.has_notes_slide for slide in deck.slides)
        slides += len(deck.slides)
    assert with_notes > slides / 2


def _word_boxes(pdf: Path) -> list[list[tuple[Box, str, int]]]:
    """Every word poppler finds on each page, with its box and the line it belongs to."""
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    soup = BeautifulSoup(out, "lxml")
    pages = []
    for page in soup.find_all("page"):
        words = []
        for number, line in enumerate(page.find_all("line")):
            for word in line.find_all("word"):
                x0, y0, x1, y1 = (float(word[k]) for k in ("xmin", "ymin", "xmax", "ymax"))
                words.append((Box(x0, y0, x1 - x0, y1 - y0), word.get_text(), number))
        pages.append(words)
    return pages


def assert_pdf_text_in_bounds(pdf: Path) -> None:
    """No word of any page runs off it, and no two words of different lines overlap."""
    page_box = Box(0, 0, WIDTH, HEIGHT)
    for number, words in enumerate(_word_boxes(pdf), start=1):
        for box, word, _ in words:
            assert box.inside(page_box), (number, word, box)
        for index, (box, word, line) in enumerate(words):
            for other, other_word, other_line in words[index + 1 :]:
                if line != other_line:
                    shrunk = Box(box.x + 0.5, box.y + 1, max(0.0, box.w - 1), max(0.0, box.h - 2))
                    assert not shrunk.overlaps(other), (number, word, other_word)


def assert_pptx_text_in_bounds(deck: Any) -> None:
    """Every shape sits on its slide, no two overlap, and each text frame's rows, measured in the slides' font, fit it."""
    slide_box = Box(0, 0, WIDTH, HEIGHT)
    for number, slide in enumerate(deck.slides, start=1):
        boxes = []
        for shape in slide.shapes:
            box = Box(*(Emu(v).pt for v in (shape.left, shape.top, shape.width, shape.height)))
            assert box.inside(slide_box), (number, shape.name, box)
            for other_name, other in boxes:
                assert not box.overlaps(other), (number, shape.name, other_name)
            boxes.append((shape.name, box))
            if not shape.has_text_frame:
                continue
            height = 0.0
            for paragraph in shape.text_frame.paragraphs:
                rows: list[list[Any]] = [[]]
                for child in paragraph._p:
                    tag = child.tag.rsplit("}", 1)[-1]
                    if tag == "br":
                        rows.append([])
                    elif tag in ("r", "fld"):
                        rows[-1].append(child)
                indent = Emu(int(paragraph._p.pPr.get("marL", "0"))).pt if paragraph._p.pPr is not None else 0.0
                sizes = [0.0]
                for row in rows:
                    width = 0.0
                    for run in row:
                        properties = run.find(f"{A}rPr")
                        size = int(properties.get("sz")) / 100
                        text = (run.findtext(f"{A}t") or "").split("\t")[-1]
                        width += text_width(text, size, properties.get("b") == "1", properties.get("i") == "1")
                        sizes.append(size)
                    assert width <= box.w - indent + 0.5, (number, shape.name, "".join(r.findtext(f"{A}t") or "" for r in row))
                spacing = paragraph.line_spacing.pt if paragraph.line_spacing is not None else max(sizes) * LEADING
                before = paragraph.space_before.pt if paragraph.space_before is not None else 0.0
                height += before + len(rows) * spacing
            assert height <= box.h + 0.5, (number, shape.name, height, box.h)


def test_no_text_runs_off_a_slide_or_over_another(site: Path, facilitator_site: Path, cohort_site: Path) -> None:
    for built in (site, facilitator_site, cohort_site):
        for _, pdf_file, pptx_file in deck_files(built):
            assert_pdf_text_in_bounds(pdf_file)
            assert_pptx_text_in_bounds(pptx_of(pptx_file))


def test_text_of_any_length_shrinks_or_continues_and_is_never_cut(tmp_path: Path) -> None:
    long_word = "Collaboration" * 12
    words = " ".join(f"word{n}" for n in range(400))
    slide = Slide(
        "A title far longer than any slide holds " * 12,
        subtitle="A subtitle that goes on " * 10,
        kicker="A section heading " * 40,
        lines=[Line(words, "bullet"), Line(long_word), *(Line(f"Entry {n} " * 9, "number", "Term", n) for n in range(1, 30))],
        notes=["A note."],
    )
    finding = next(iter(DATA.findings.values()))
    pictured = Slide(
        "Pictured " * 20,
        "discussion",
        lines=[Line(words, "bullet"), Line("Source: " + words, "source")],
        picture=learning_cycle(finding),
        picture_alt="A picture.",
        address=SITE_URL + "a-long-page/" * 20,
    )
    picture_alone = Slide("Alone", "picture", lines=[Line("Source: " + words, "source")], picture=learning_cycle(finding), picture_alt="A picture.")
    laid = lay_out([Slide("Short", lines=[Line("One line.")]), slide, pictured, picture_alone])
    assert len(laid) > 6
    shown = squash(" ".join(run.text for each in laid[1:] for column in each.columns for line in column.lines for row in line.rows for run in row))
    assert shown.count("word399") == 4
    for token in words.split():
        assert token in shown
    assert long_word in shown.replace(" ", "")
    for each in laid:
        boxes = each.boxes()
        for name, box in boxes:
            assert box.inside(Box(0, 0, WIDTH, HEIGHT)), (each.number, name, box)
        for index, (name, box) in enumerate(boxes):
            for other_name, other in boxes[index + 1 :]:
                assert not box.overlaps(other), (each.number, name, other_name)
    pdf = tmp_path / "long.pdf"
    write_pdf(slides_html(laid, SETTINGS, "Long", "Long"), tmp_path, pdf)
    assert len(PdfReader(pdf).pages) == len(laid)
    assert_pdf_text_in_bounds(pdf)
    deck = Presentation(io.BytesIO(build_presentation(laid, title="t", subject="s", author="a", language="en", moment=moment(ROOT))))
    assert len(deck.slides) == len(laid)
    assert_pptx_text_in_bounds(deck)


def test_the_pptx_is_a_real_deck(facilitator_site: Path) -> None:
    for _, _, pptx_file in deck_files(facilitator_site):
        assert_a_real_deck(pptx_file)


def assert_a_real_deck(pptx_file: Path) -> None:
    """Title first and slide number last on each slide, the slides' font, described pictures sharp enough, dates from the last commit."""
    deck = pptx_of(pptx_file)
    for number, slide in enumerate(deck.slides, start=1):
        shapes = list(slide.shapes)
        # The title placeholder comes first in reading order, the slide number (PowerPoint's own field) last.
        assert shapes[0].is_placeholder and shapes[0].placeholder_format.type is not None and shapes[0] == slide.shapes.title, number
        assert 'type="slidenum"' in shapes[-1]._element.xml, number
        for shape in shapes:
            for paragraph in shape.text_frame.paragraphs if shape.has_text_frame else []:
                for run in paragraph.runs:
                    assert run.font.name == "Liberation Sans", (number, run.text)
                    assert 'panose="020B0604020202020204"' in run._r.xml
            if shape.shape_type == 13:  # a picture
                assert (shape._element.nvPicPr.cNvPr.get("descr") or "").strip(), (number, shape.name)
                pixels = shape.image.size[0]
                assert pixels >= 1.5 * Emu(shape.width).pt, (number, shape.name, pixels)
    # Its dates and its zip entries' times are the last commit's, so the same sources give the same bytes.
    made = moment(ROOT)
    assert deck.core_properties.created == made.replace(tzinfo=None) == deck.core_properties.modified
    with zipfile.ZipFile(pptx_file) as archive:
        # (a zip file records seconds in steps of two)
        when = made.timetuple()[:6]
        assert {info.date_time for info in archive.infolist()} == {(*when[:5], when[5] // 2 * 2)}


def test_discussions_carry_the_groups_for_facilitators_and_the_page_online_when_known(cohort_site: Path, facilitator_site: Path) -> None:

    groups = load_model(ROOT / "mkdocs.yml", cohort="summer-institute-2025").build.cohort
    assert groups is not None
    facilitator = squash(" ".join(page for _, pdf_file, _ in deck_files(facilitator_site) for page in pdf_pages_text(pdf_file)))
    online = squash(" ".join(page for _, pdf_file, _ in deck_files(cohort_site) for page in pdf_pages_text(pdf_file)))
    for group in groups.groups:
        assert squash(group.name) in facilitator and squash(group.name) not in online
    codes = []
    for session, pdf_file, pptx_file in deck_files(cohort_site):
        # Each discussion of a deck's pages leads, by a code on its slide and the address written out, to its page online.
        in_deck = [s for slide in pptx_of(pptx_file).slides for s in slide.shapes if s.shape_type == 13 and s.name == "QR code"]
        discussions = [src for src in slide_pages(session) if calls_on(src, "discussion")]
        assert len(in_deck) >= len(discussions), pptx_file.name
        text = squash(" ".join(pdf_pages_text(pdf_file)))
        for src in discussions:
            address = SITE_URL + page_url(src)
            assert any(address in code._element.nvPicPr.cNvPr.get("descr") for code in in_deck), (pptx_file.name, src)
            assert address.split("://", 1)[1] in text, (pdf_file.name, src)
        codes += in_deck
    # The codes read back as the page's address.
    if shutil.which("zbarimg"):
        code = codes[0]
        image = Path(cohort_site.parent / "code.png")
        image.write_bytes(code.image.blob)
        read = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True, check=False).stdout.strip()
        assert read.startswith(SITE_URL), read


def test_the_home_page_and_the_facilitators_schedule_offer_the_slides(site: Path, facilitator_site: Path) -> None:
    # The home page offers every deck; the facilitators' Schedule page its session's deck (every deck when it is in no
    # session, the one deck of a course of one session).
    scheduled = MODEL.session_of(SCHEDULE_PAGE) if len(DECKS) > 1 else None
    on_schedule = [deck for deck in DECKS if scheduled is None or deck == scheduled]
    for built, pages in ((site, [("index.md", DECKS)]), (facilitator_site, [("index.md", DECKS), (SCHEDULE_PAGE, on_schedule)])):
        for src, decks in pages:
            page = built / page_url(src) / "index.html"
            links = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml").select(".cw-downloads a[href]")
            targets = {(page.parent / str(a["href"])).resolve() for a in links}
            for deck in decks:
                for name in slides_files(deck):
                    assert (built / SLIDES_FOLDER / name).resolve() in targets, (built.name, src, name)
    schedule = BeautifulSoup((site / page_url(SCHEDULE_PAGE) / "index.html").read_text(encoding="utf-8"), "lxml")
    assert not schedule.select(f'.cw-downloads a[href*="{SLIDES_FOLDER}/"]')
    # The facilitator guide names every deck's files (a long name may break after one of its hyphens).
    guide = re.sub(r"-\s+", "-", " ".join(page.extract_text() or "" for page in PdfReader(facilitator_site / "pdf" / GUIDE_PDF).pages[:3]))
    for deck in DECKS:
        for name in slides_files(deck):
            assert f"{SLIDES_FOLDER}/{name}" in guide, name


def test_libreoffice_opens_the_pptx_with_the_same_slides_as_the_pdf(facilitator_site: Path, tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("LibreOffice is missing: `make test` installs it (apt-get install -y --no-install-recommends libreoffice-impress).")
    # Every deck converted by one LibreOffice run.
    decks = deck_files(facilitator_site)
    sources = [Path(shutil.copy(pptx_file, tmp_path)) for _, _, pptx_file in decks]
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *map(str, sources),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    for source, (_, pdf_file, pptx_file) in zip(sources, decks, strict=True):
        converted = source.with_suffix(".pdf")
        assert converted.is_file(), result.stdout + result.stderr
        theirs = pdf_pages_text(converted)
        assert len(theirs) == len(pdf_pages_text(pdf_file)), pptx_file.name
        for number, (title, page) in enumerate(zip(titles_in_pptx(pptx_of(pptx_file)), theirs, strict=True), start=1):
            assert title in page, (pptx_file.name, number, title, page[:200])


def test_faculty_keep_a_section_or_a_page_off_the_slides(project: Path) -> None:
    from publish.slides.deck import build_deck

    def titles() -> list[str]:
        model = load_model(project / "mkdocs.yml")
        return [slide.title for slide in build_deck(settings_of(model), model)]

    before = titles()
    page = project / "docs" / "how-to-make-progress.md"
    text = page.read_text(encoding="utf-8")
    assert "## Epilogue\n" in text and "Epilogue" in before
    page.write_text(text.replace("## Epilogue\n", "## Epilogue { .no-slides }\n"), encoding="utf-8")
    after = titles()
    # The section's record is off the slides; the next section (its discussion) is still there, and nothing else moved.
    assert "Epilogue" not in after and len(after) == len(before) - 1
    assert [t for t in before if t != "Epilogue"] == after
    resources = project / "docs" / "resources.md"
    resources.write_text(resources.read_text(encoding="utf-8").replace('title: "Resources"\n', 'title: "Resources"\nslides: false\n'), encoding="utf-8")
    assert "Resources" not in titles() and "On managing innovation and change" not in titles()


def test_the_same_sources_give_the_same_pptx_bytes() -> None:
    from publish.slides.deck import build_deck

    def made() -> bytes:
        laid = lay_out(build_deck(SETTINGS, MODEL))
        return build_presentation(laid, title="t", subject="s", author="a", language="en", moment=moment(ROOT))

    assert made() == made()


def test_the_pptx_shortcuts_write_what_python_pptx_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each slide added in constant time and kept as its bytes once finished (publish/slides/pptx.py, written for the
    pinned python-pptx) gives the file python-pptx's own add_slide and save give."""
    from publish.slides import pptx
    from publish.slides.deck import build_deck

    laid = lay_out(build_deck(SETTINGS, MODEL))

    def made() -> bytes:
        return build_presentation(laid, title="t", subject="s", author="a", language="en", moment=moment(ROOT))

    shortcuts = made()
    monkeypatch.setattr(pptx, "_add_slide", lambda presentation, layout: presentation.slides.add_slide(layout))
    monkeypatch.setattr(pptx, "_finish", lambda slide: None)
    assert shortcuts == made()
