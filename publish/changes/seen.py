"""Where a change is seen: the pages, search, handouts, reader, workbook, slides and facilitator guide whose rendering differs."""

from __future__ import annotations

from dataclasses import dataclass, field

from bs4 import BeautifulSoup

from macros.downloads import GUIDE_PDF, READER_EPUB, READER_PDF, SLIDES_FOLDER, WORKBOOK_PDF, decks_of, handout_pdf, reader_pdf, slides_files, workbook_pdf
from publish.pdf.content import GUIDE_BLOCKS, prompt_blocks

from .render import Rendered, split_mark
from .report import quote
from .side import Side


@dataclass
class Seen:
    """Where a change shows: participants' pages, facilitator-edition pages, printed prompts or guide blocks, the covers, a cohort's site."""

    pages: set[str] = field(default_factory=set)
    facilitator: set[str] = field(default_factory=set)
    prompts: set[str] = field(default_factory=set)
    guide: set[str] = field(default_factory=set)
    # Pages whose slides show the change, and pages whose speaker notes (facilitator edition) do.
    slides: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)
    covers: bool = False
    cohort: str | None = None


def differences(side: Side, before: Rendered, after: Rendered) -> Seen:
    """The pages whose calls show something different between two renderings, and in which edition."""
    seen = Seen()
    for (src, index, facilitator), html in after.items():
        if before.get((src, index, facilitator)) == html:
            continue
        page = side.pages[src]
        in_note = page.calls[index][2] in page.note_lines
        old, new = BeautifulSoup(before.get((src, index, facilitator), ""), "lxml"), BeautifulSoup(html, "lxml")
        if facilitator:
            # Facilitators alone see it when participants see no change there; the guide gathers the facilitator edition's notes and schedule.
            if in_note or before.get((src, index, False)) == after.get((src, index, False)):
                seen.facilitator.add(src)
            if in_note:
                seen.notes.add(src)
            if in_note or [str(b) for b in old.select(GUIDE_BLOCKS)] != [str(b) for b in new.select(GUIDE_BLOCKS)]:
                seen.guide.add(src)
            continue
        (old_page, old_slides), (new_page, new_slides) = split_mark(before.get((src, index, facilitator), "")), split_mark(html)
        if old_page != new_page:
            seen.pages.add(src)
        if old_slides != new_slides:
            seen.slides.add(src)
        if [str(b) for b in prompt_blocks(old)] != [str(b) for b in prompt_blocks(new)]:
            seen.prompts.add(src)
    return seen


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe(side: Side, seen: Seen) -> list[str]:
    """Where a change will be seen, in reading order: pages, search, handouts, reader, workbook, facilitator guide."""
    places: list[str] = []
    pages = [src for src in side.order if src in seen.pages]
    if pages:
        noun = "the page" if len(pages) == 1 else "the pages"
        places.append(f"{noun} {_join([quote(side.title(src)) for src in pages])}")
        if any(side.pages[src].searchable for src in pages):
            places.append("the search")
        places += [f"the handout {handout_pdf(src)}" for src in pages if src in side.handouts]
        if any(src in side.printable for src in pages):
            # The EPUB reader holds the same pages as the PDF one.
            places.append(f"the course reader ({READER_PDF}, {READER_EPUB})")
        # In a course of several sessions, a page of a session is printed in its session's reader as well.
        places += [
            f"the {session.name} reader ({reader_pdf(session)})"
            for session in side.own
            if any(src in side.printable and side.session_of(src) == session for src in pages)
        ]
        if any(src in side.handouts for src in seen.prompts):
            places.append(f"the reflection workbook ({WORKBOOK_PDF})")
        places += [
            f"the {session.name} workbook ({workbook_pdf(session)})"
            for session in side.own
            if any(src in side.handouts and side.session_of(src) == session for src in seen.prompts)
        ]
    decks = decks_of(side.model.sessions) if side.model is not None else [None]
    for deck in decks:
        slides = [src for src in side.order if src in seen.slides and deck in side.decks(src)]
        if slides or seen.covers:
            which = f"the slides of {_join([quote(side.title(src)) for src in slides])}" if slides else "the title slide"
            pdf, pptx = slides_files(deck)
            places.append(f"{which} ({SLIDES_FOLDER}/{pdf}, {pptx})")
    if seen.covers:
        places.append(f"the covers and headings of every PDF, and the cover of {READER_EPUB}")
    notes = [src for src in side.order if src in seen.facilitator]
    if notes:
        places.append(f"the facilitator edition of {_join([quote(side.title(src)) for src in notes])}")
    if any(src in side.printable for src in seen.guide):
        places.append(f"the facilitator guide ({GUIDE_PDF})")
    for deck in decks:
        if any(deck in side.decks(src) for src in seen.notes):
            places.append(f"the speaker notes of the facilitator edition's slides ({slides_files(deck)[1]})")
    if seen.cohort and places:
        # Everything listed is that cohort's build.
        places[0] = f"the {seen.cohort} cohort's site (make site COHORT={seen.cohort}): {places[0]}"
    return places
