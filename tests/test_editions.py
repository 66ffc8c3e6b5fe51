"""Editions: facilitator notes and logistics reach the facilitator edition and nothing a participant gets."""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

from bs4 import BeautifulSoup
from conftest import ROOT, nav_pages, pages_in_docs, run, soup_of, squash
from pptx import Presentation
from pypdf import PdfReader
from test_slides import deck_files

from macros.data import load_course
from macros.downloads import GUIDE_PDF, PDF_FOLDER, READER_PDF, SCHEDULE_PAGE, SLIDES_FOLDER
from macros.notes import note_spans

# Text the facilitator edition adds outside the notes' own words: the logistics table and the banner.
FACILITATOR_ONLY = ["Small-group discussions, in course order", "Facilitator edition."]


def facilitator_notes() -> list[tuple[str, str, list[str]]]:
    """Every `/// facilitator` note in docs/: (page, title, its lines of prose as a reader would see them)."""
    notes = []
    for src in pages_in_docs():
        lines = (ROOT / "docs" / src).read_text(encoding="utf-8").splitlines()
        spans, problems = note_spans(lines)
        assert not problems, (src, problems)
        for first, last in spans:
            title = lines[first].partition("|")[2].strip()
            notes.append((src, title, [line.strip() for line in lines[first + 1 : last] if line.strip() and not line.lstrip().startswith("{{")]))
    return notes


def facilitator_sentences() -> list[str]:
    """Every line of prose written inside a `/// facilitator` note in docs/, as a reader would see it."""
    return [sentence for _, _, lines in facilitator_notes() for sentence in lines]


def shown_text(site: Path) -> dict[str, str]:
    """The visible text of every built page, keyed by its path in the site."""
    texts = {}
    for path in sorted(site.rglob("*.html")):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
        texts[str(path.relative_to(site))] = re.sub(r"\s+", " ", soup.get_text(" "))
    return texts


def search_text(site: Path) -> str:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    return html.unescape(" ".join(doc["title"] + " " + doc["text"] for doc in index["docs"]))


def pdf_text(pdf: Path) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in PdfReader(pdf).pages))


def test_the_pages_hold_facilitator_notes_to_test_with() -> None:
    sentences = facilitator_sentences()
    assert len(sentences) >= 4
    assert "For each setback, ask which of the five key actions the collaboration drew on, or could draw on, in responding to it." in sentences


def test_every_part_of_the_session_has_its_own_note_and_no_two_notes_are_the_same() -> None:
    notes = facilitator_notes()
    # The opening, each segment and the closing carry a debrief note, as does the schedule.
    assert {"framing.md", "what-to-expect.md", "how-to-make-progress.md", "where-to-begin.md", "synthesis.md", "schedule.md"} <= {src for src, _, _ in notes}
    titles = [title for _, title, _ in notes]
    assert len(set(titles)) == len(titles), titles
    bodies = [tuple(lines) for _, _, lines in notes]
    assert len(set(bodies)) == len(bodies)
    sentences = facilitator_sentences()
    repeated = {s for s in sentences if sentences.count(s) > 1}
    assert not repeated, f"a sentence used in more than one note: {repeated}"


def test_no_participant_page_or_search_entry_holds_facilitator_text(site: Path, cohort_site: Path) -> None:
    for participant in (site, cohort_site):
        pages = shown_text(participant)
        found = search_text(participant)
        for sentence in facilitator_sentences() + FACILITATOR_ONLY:
            assert sentence not in found, f"search index of {participant.name}: {sentence!r}"
            for path, text in pages.items():
                assert sentence not in text, f"{path}: {sentence!r}"
        for path in participant.rglob("*.html"):
            soup = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
            assert not soup.select(".cw-facilitator, .cw-logistics, .cw-edition-banner"), path
            assert soup.select_one('meta[name="robots"]') is None, path


def test_the_facilitator_edition_shows_every_note_and_the_logistics(facilitator_site: Path) -> None:
    pages = shown_text(facilitator_site)
    everything = " ".join(pages.values())
    found = search_text(facilitator_site)
    for sentence in facilitator_sentences():
        assert sentence in everything, sentence
        assert sentence in found, sentence
    schedule = BeautifulSoup((facilitator_site / "schedule" / "index.html").read_text(encoding="utf-8"), "lxml")
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in schedule.select(".cw-facilitator .cw-logistics-table tbody tr")]
    # Every discussion the pages ask, in the nav's order, with its time box and format from its record.
    data = load_course(ROOT / "docs")
    asked = [found for _, src in nav_pages() for found in re.findall(r'discussion\("([^"]+)"\)', (ROOT / "docs" / src).read_text(encoding="utf-8"))]
    discussions = [data.prompts[prompt_id] for prompt_id in dict.fromkeys(asked)]
    assert discussions and rows == [[d.title, f"{d.minutes} minutes", d.format] for d in discussions]
    # Each segment's discussion has its note, drawn as a facilitator admonition right before the prompt.
    titles = {src.removesuffix(".md"): title for src, title, _ in facilitator_notes()}
    for src in ("what-to-expect", "how-to-make-progress", "where-to-begin"):
        title = titles[src]
        soup = BeautifulSoup((facilitator_site / src / "index.html").read_text(encoding="utf-8"), "lxml")
        note = soup.select_one("article .admonition.facilitator")
        assert note is not None and note.select_one(".admonition-title").get_text() == title, src
        assert "cw-discussion" in note.find_next_sibling(class_="admonition")["class"], src


def test_no_participant_pdf_holds_facilitator_text(site: Path, cohort_site: Path) -> None:
    pdfs = sorted((site / PDF_FOLDER).glob("*.pdf")) + sorted((cohort_site / PDF_FOLDER).glob("*.pdf"))
    assert len(pdfs) >= 6
    for pdf in pdfs:
        text = pdf_text(pdf)
        for sentence in [*facilitator_sentences(), *FACILITATOR_ONLY, "Facilitator notes"]:
            assert sentence not in text, f"{pdf.parent.parent.name}/{pdf.name}: {sentence!r}"


def pptx_text(path: Path) -> tuple[str, str]:
    """(every slide's text, every speaker note's text) of a PowerPoint file, whitespace collapsed."""
    deck = Presentation(str(path))
    shown = " ".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame)
    notes = " ".join(slide.notes_slide.notes_text_frame.text for slide in deck.slides if slide.has_notes_slide)
    return re.sub(r"\s+", " ", shown), re.sub(r"\s+", " ", notes)


def test_no_participant_slides_hold_facilitator_text(site: Path, cohort_site: Path, facilitator_site: Path) -> None:
    for built in (site, cohort_site):
        # Every deck the course has (one per session when it has several).
        for _, pdf_file, pptx_file in deck_files(built):
            shown, notes = pptx_text(pptx_file)
            assert notes == "", (built.name, pptx_file.name)
            assert not any(slide.has_notes_slide for slide in Presentation(str(pptx_file)).slides), (built.name, pptx_file.name)
            for text in (shown, pdf_text(pdf_file)):
                assert text.strip()
                for sentence in [*facilitator_sentences(), *FACILITATOR_ONLY, "Facilitator notes"]:
                    assert sentence not in text, f"{built.name}/{SLIDES_FOLDER}/{pdf_file.name}: {sentence!r}"
    # The facilitator edition's speaker notes do hold them: the test above would catch a leak.
    notes = " ".join(pptx_text(pptx_file)[1] for _, _, pptx_file in deck_files(facilitator_site))
    assert sum(sentence in notes for sentence in facilitator_sentences()) > len(facilitator_sentences()) / 2


def test_the_facilitator_reader_pdf_holds_every_note(facilitator_site: Path) -> None:
    pdf = facilitator_site / PDF_FOLDER / READER_PDF
    assert "facilitator edition" in (PdfReader(pdf).pages[0].extract_text() or "").lower()
    text = pdf_text(pdf)
    for sentence in [*facilitator_sentences(), "Small-group discussions, in course order"]:
        assert sentence in text, sentence


def test_the_facilitator_guide_pdf_holds_the_run_of_show_and_every_note(site: Path, facilitator_site: Path) -> None:
    assert not (site / PDF_FOLDER / GUIDE_PDF).exists()
    pages = [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(facilitator_site / PDF_FOLDER / GUIDE_PDF).pages]
    assert pages[0].startswith("FACILITATOR GUIDE · FACILITATOR EDITION")
    assert "Cohort: Mayor's Academy – Summer Institute 2025" in pages[0]
    text = " ".join(pages)
    # The run of show as the facilitators' schedule page gives it: each segment with its parts, and what is not set yet.
    schedule = soup_of(facilitator_site, SCHEDULE_PAGE).select_one(".cw-schedule")
    assert schedule is not None
    for item in schedule.select(".cw-schedule-order > li"):
        shown = [item.select_one("strong"), *item.select(".cw-schedule-parts > li")]
        assert " ".join(squash(part.get_text()) for part in shown if part is not None) in text, item["data-page"]
    missing = squash(schedule.select_one(".cw-schedule-missing").get_text())  # type: ignore[union-attr]
    assert missing.startswith("Not set yet: ") and missing.split(". ", 1)[0] in text
    for sentence in [*facilitator_sentences(), "Small-group discussions, in course order"]:
        assert sentence in text, sentence


def test_every_facilitator_page_says_which_edition_it_is(facilitator_site: Path) -> None:
    for path in facilitator_site.rglob("*.html"):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
        banner = soup.select_one(".md-banner .cw-edition-banner")
        assert banner is not None and banner.get_text().startswith("Facilitator edition."), path
        assert soup.select_one('meta[name="robots"]')["content"] == "noindex, nofollow", path  # type: ignore[index]


def _add_to_page(project: Path, text: str) -> Path:
    path = project / "docs" / "pre-work.md"
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    return path


def test_badly_written_notes_are_refused_with_line_and_fix(project: Path) -> None:
    path = _add_to_page(project, "\n!!! facilitator\n    Lookalike.\n\n/// Facilitator\nWrong case.\n///\n\n/// facilitator\nNever closed.\n")
    lines = path.read_text(encoding="utf-8").splitlines()
    result = run([sys.executable, "-m", "macros.check"], cwd=project)
    assert result.returncode == 1
    expected = [
        f"docs/pre-work.md:{lines.index('!!! facilitator') + 1}: a facilitator note must be a `/// facilitator` block; "
        "this admonition would be shown to participants.\n"
        "    Fix: write `/// facilitator` on this line and end the note with a line holding only `///`.",
        f"docs/pre-work.md:{lines.index('/// Facilitator') + 1}: the facilitator note's name must be written `facilitator`, in lower case.\n"
        "    Fix: write the line as `/// facilitator` (add ` | Title` for a title).",
        f"docs/pre-work.md:{lines.index('/// facilitator') + 1}: this facilitator note is never closed, so the rest of the page would be a note.\n"
        "    Fix: end the note with a line holding only `///`.",
    ]
    for message in expected:
        assert message in result.stderr, result.stderr
