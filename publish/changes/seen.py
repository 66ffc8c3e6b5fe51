"""Where a change is seen: the pages, search, handouts, reader, workbook, slides and facilitator guide whose rendering differs."""

from __future__ import annotations

from dataclasses import dataclass, field

from bs4 import BeautifulSoup

from macros.downloads import GUIDE_PDF, READER_EPUB, READER_PDF, SLIDES_FOLDER, WORKBOOK_PDF, decks_of, handout_pdf, reader_pdf, slides_files, workbook_pdf
from macros.models import Course, Session
from publish.pdf.compose import course_fields_printed, guide_title
from publish.pdf.content import GUIDE_BLOCKS, prompt_blocks
from publish.slides.deck import course_slides

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
    # The course record as it was and as it is, when it changed: the covers, heads and slides that print it.
    course: tuple[Course, Course] | None = None


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


def reader_named(session: Session | None) -> str:
    """A reader as the report names it: the course's (the EPUB holds the same pages), or a session's own."""
    return f"the course reader ({READER_PDF}, {READER_EPUB})" if session is None else f"the {session.name} reader ({reader_pdf(session)})"


def workbook_named(session: Session | None) -> str:
    return f"the reflection workbook ({WORKBOOK_PDF})" if session is None else f"the {session.name} workbook ({workbook_pdf(session)})"


def record_printed(side: Side, before: Course, after: Course) -> list[str]:
    """Where print shows a change of the course record besides its macros' output, by print's own rules: each PDF whose
    head (PrintedSessions.head) changed, or every PDF when a field their templates print changed; the facilitator
    guide's title; each deck whose title, title slide or closing slide (course_slides) changed."""
    assert side.model is not None
    printed = side.printed
    every = any(getattr(before, name) != getattr(after, name) for name in course_fields_printed())

    def reaches(session: Session | None) -> bool:
        return every or printed.head(before, session) != printed.head(after, session)

    # The e-book's cover and title are made again on every build; its chapters, which the print cache keeps, show no record.
    places = [f"the cover of the {'course' if each is None else each.name} reader ({reader_pdf(each)})" for each in printed.documents if reaches(each)]
    places += [f"the cover of {workbook_named(each)}" for each in printed.documents if reaches(each)]
    places += [f"the head of the handout {handout_pdf(src)}" for src in side.order if src in side.handouts and reaches(printed.of(src))]
    if reaches(None) or guide_title(before) != guide_title(after):
        places.append(f"the cover of the facilitator guide ({GUIDE_PDF}, facilitator edition)")
    address = side.model.settings.site_url
    for deck in decks_of(side.model.sessions):
        old, new = course_slides(before, side.model, deck, address), course_slides(after, side.model, deck, address)
        parts = [part for part, was, now in zip(("the title of the slides", "the title slide", "the closing slide"), old, new, strict=True) if was != now]
        if parts:
            pdf, pptx = slides_files(deck)
            places.append(f"{_join(parts)} ({SLIDES_FOLDER}/{pdf}, {pptx})")
    return places


def nav_printed(base: Side, head: Side) -> list[str]:
    """Where print shows a change of the nav, by print's own rules: each reader whose contents (its part of the printed
    nav, PrintedSessions.nav_of) changed, the e-book's with the course reader's; the handout and the workbooks
    (PrintedSessions.holds) of each page whose title changed."""
    if base.model is None or head.model is None:
        return []
    printed, was = head.printed, {each.id: each for each in base.printed.own}
    places = []
    for each in printed.documents:
        before = None if each is None else was.get(each.id)
        # A session new in the nav had no reader before.
        earlier = base.printed.nav_of(base.model.printed_nav, before) if each is None or before is not None else ()
        if earlier != printed.nav_of(head.model.printed_nav, each):
            pdf = f"({reader_pdf(each)})" if each is not None else f"({READER_PDF}) and its e-book contents ({READER_EPUB})"
            places.append(f"the {'course' if each is None else each.name} reader's contents and bookmarks {pdf}")
    renamed = [src for src in head.order if src in base.pages and src in head.handouts and base.title(src) != head.title(src)]
    places += [f"the title of the handout {handout_pdf(src)}" for src in renamed]
    places += [f"the headings of {workbook_named(each)}" for each in printed.documents if any(printed.holds(each, src) for src in renamed)]
    return places


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
        # The course reader and workbook hold every page; in a course of several sessions, each session's its own pages.
        printed = side.printed
        places += [reader_named(each) for each in printed.documents if any(src in side.printable and printed.holds(each, src) for src in pages)]
        places += [workbook_named(each) for each in printed.documents if any(src in side.handouts and printed.holds(each, src) for src in seen.prompts)]
    decks = decks_of(side.model.sessions) if side.model is not None else [None]
    for deck in decks:
        slides = [src for src in side.order if src in seen.slides and deck in side.decks(src)]
        if slides or seen.covers:
            which = f"the slides of {_join([quote(side.title(src)) for src in slides])}" if slides else "the title slide"
            pdf, pptx = slides_files(deck)
            places.append(f"{which} ({SLIDES_FOLDER}/{pdf}, {pptx})")
    if seen.covers:
        places.append(f"the covers and headings of every PDF, and the cover of {READER_EPUB}")
    if seen.course is not None:
        places += record_printed(side, *seen.course)
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
