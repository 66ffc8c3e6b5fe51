"""The session's slides, in the deck's order, from the nav's pages: their headings and their macro calls' records.

The title slide comes first (the course, and the cohort when the build has one), then each page of the nav in order,
then the closing slide. In a page:

- each macro call with a slide form (macros/library.py, SLIDE_FORMS) gives that record's slides, where the call stands;
- a heading whose section gives no slide of its own gives a slide with the heading as its title (a page's first
  heading, with the page's guiding question under it);
- prose is never on a slide. In the facilitator edition it becomes the speaker notes of the slide it leads to (or,
  at the end of a section, of the section's last slide), with the facilitator notes written in the same place.

Kept off the slides: the home page (its records are the title slide), a page whose front matter says
`slides: false`, pages the course reader leaves out (`reader: false`), and a section whose heading carries
`{ .no-slides }`, down to the next heading of the same or a higher level.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import lxml.html
import markdown

from macros import render
from macros.cohort import current_build
from macros.course import CourseModel
from macros.downloads import HOME_PAGE, decks_of
from macros.errors import ContentError
from macros.library import MACROS, RESOURCES_PAGE, SLIDE_FORMS, PageContext, current
from macros.models import Course, Session
from macros.notes import OPENING, note_spans
from macros.slide import Slide, SlideKind
from publish.pdf.site import SiteSettings, nav_pages

HEADING = re.compile(r"^(?P<level>#{1,6})[ \t]+(?P<text>.*?)(?:[ \t]*\{(?P<attrs>[^}]*)\})?[ \t]*#*[ \t]*$")
CALL = re.compile(r"\{\{.*?\}\}")
# The class that keeps a heading's section off the slides: `## Epilogue { .no-slides }`.
NO_SLIDES = "no-slides"


def _text(html: str) -> str:
    """What a reader reads in a piece of HTML, as one line of plain text."""
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    # Blocks and table cells end in a space, so their words do not run together.
    for element in root.iter("p", "li", "td", "th", "tr", "caption", "br", "div", "ul", "ol", "table"):
        element.tail = " " + (element.tail or "")
    return re.sub(r"\s+", " ", root.text_content()).strip()


def _plain(markdown_text: str) -> str:
    """A passage of a page's Markdown (macro calls already rendered) as plain text, for the speaker notes."""
    return _text(markdown.markdown(markdown_text, extensions=["attr_list", "md_in_html", "tables"]))


@dataclass
class _Section:
    """A heading and what its section has given so far."""

    title: str
    level: int
    subtitle: str = ""
    slides: list[Slide] = field(default_factory=list)

    def heading_slide(self) -> Slide:
        """The slide of a heading whose section gives none of its own: a page's title (with its question) is a divider."""
        kind: SlideKind = "section" if self.level == 1 else "list"
        return Slide(self.title, kind, subtitle=self.subtitle)


class _PageSlides:
    """One page's slides, read line by line from its source."""

    def __init__(self, src: str, nav_title: str, model: CourseModel, site_url: str | None) -> None:
        self.nav_title = nav_title
        self.data = data = model.require()
        self.build = model.build
        self.path = model.pages[src].display
        checked = model.checked(src)
        if checked.problems:
            raise ContentError(checked.problems)
        checker, self.meta, self.body = checked.checker, checked.meta, checked.body
        # The macro calls on each line of the body (Jinja counts the body's lines from 1), in the order they stand.
        self.calls: dict[int, list[tuple[str, list[Any]]]] = {}
        for spec, args, line in checker.calls:
            self.calls.setdefault(line, []).append((spec.name, args))
        url = model.pages[src].address
        resources = model.pages.get(RESOURCES_PAGE)
        self.context = PageContext(
            data=data,
            src_path=src,
            url=url,
            meta=dict(self.meta),
            resources_url=resources.address if resources is not None else "resources/",
            pages=model.nav_pages,
            course=model,
            address=site_url + url if site_url else None,
        )
        self.slides: list[Slide] = []
        self.pending: list[str] = []
        self.sections: list[_Section] = []

    @contextmanager
    def _in_context(self) -> Iterator[None]:
        page_token, build_token = current.set(self.context), current_build.set(self.build)
        try:
            yield
        finally:
            current.reset(page_token)
            current_build.reset(build_token)

    def _call_html(self, name: str, args: list[Any]) -> str:
        return str(MACROS[name].function(*args))

    def _rendered(self, lines: list[str], first: int) -> str:
        """Lines of the body (the first is body line `first`) with each macro call replaced by what it shows on the page."""
        out = []
        for number, line in enumerate(lines, start=first):
            shown = [self._call_html(name, args) for name, args in self.calls.get(number, [])]
            pieces = CALL.split(line)
            out.append("".join(piece + (shown[i] if i < len(shown) else "") for i, piece in enumerate(pieces[:-1])) + pieces[-1])
        return "\n".join(out)

    def _emit(self, slides: list[Slide]) -> None:
        section = self.sections[-1] if self.sections else None
        for slide in slides:
            slide.origin = self.path
            kicker = section.title if section is not None else self.nav_title
            slide.kicker = kicker if kicker.casefold() != slide.title.casefold() else ""
            if self.pending:
                slide.notes, self.pending = self.pending, []
            self.slides.append(slide)
            if section is not None:
                section.slides.append(slide)

    def _close_sections(self, level: int) -> None:
        """End every open section at level or deeper: one that gave no slide gives its heading's slide."""
        while self.sections and self.sections[-1].level >= level:
            section = self.sections[-1]
            if not section.slides:
                self.sections.pop()
                self._emit([section.heading_slide()])
                continue
            if self.pending:
                section.slides[-1].notes += self.pending
                self.pending = []
            self.sections.pop()

    def _open_section(self, level: int, title: str) -> None:
        self._close_sections(level)
        parent = self.sections[-1] if self.sections else None
        if parent is not None and not parent.slides:
            # A heading whose first words are a deeper heading's section: its slide opens them, as a divider.
            self._emit([parent.heading_slide()])
        question = str(self.meta.get("question") or "") if level == 1 else ""
        subtitle = question if question.rstrip("?").casefold() != title.rstrip("?").casefold() else ""
        self.sections.append(_Section(title, level, subtitle))

    def read(self) -> list[Slide]:
        lines = self.body.splitlines()
        notes = dict(note_spans(lines)[0])
        skipping: int | None = None
        index = 0
        with self._in_context():
            while index < len(lines):
                line, number = lines[index], index + 1
                if index in notes:
                    if skipping is None and self.build.facilitator:
                        self._note(lines[index : notes[index] + 1], number)
                    index = notes[index] + 1
                    continue
                heading = HEADING.match(line)
                if heading:
                    level, title = len(heading.group("level")), heading.group("text").strip()
                    if skipping is not None and level > skipping:
                        index += 1
                        continue
                    skipping = None
                    if NO_SLIDES in (heading.group("attrs") or "").replace(".", " ").split():
                        self._close_sections(level)
                        skipping = level
                    else:
                        self._open_section(level, title)
                        self.context.heading = title
                    index += 1
                    continue
                if skipping is not None or not line.strip():
                    index += 1
                    continue
                # A paragraph: its lines up to a blank line, a heading or a note.
                end = index + 1
                while end < len(lines) and lines[end].strip() and not HEADING.match(lines[end]) and end not in notes and not OPENING.match(lines[end]):
                    end += 1
                self._paragraph(lines[index:end], number)
                index = end
            self._close_sections(1)
        if self.pending and self.slides:
            self.slides[-1].notes += self.pending
        if not self.build.facilitator:
            for slide in self.slides:
                slide.notes = []
        return self.slides

    def _paragraph(self, lines: list[str], first: int) -> None:
        """Prose goes to the notes; each macro call in it with a slide form gives its slides, where it stands."""
        calls = [call for number in range(first, first + len(lines)) for call in self.calls.get(number, [])]
        only_calls = all(not CALL.sub("", line).strip() for line in lines)
        if not only_calls and self.build.facilitator:
            text = _plain(self._rendered(lines, first))
            if text:
                self.pending.append(text)
        for name, args in calls:
            form = SLIDE_FORMS.get(name)
            if form is not None:
                self._emit(form(*args))

    def _note(self, lines: list[str], first: int) -> None:
        """A facilitator note, as the speaker notes say it: its title, then its text."""
        opening = lines[0].split("|", 1)
        title = opening[1].strip() if len(opening) > 1 else "Facilitator notes"
        text = _plain(self._rendered(lines[1:-1], first + 1))
        self.pending.append(f"{title}: {text}" if text else title)


def takes(model: CourseModel, src: str, session: Session | None = None) -> bool:
    """Whether a deck takes a page of the printed nav, its front matter aside: never the home page; in a course of several
    sessions, a session's deck only its own pages (None: the one deck, every page)."""
    return src != HOME_PAGE and (session is None or model.session_of(src) == session)


def shows(meta: Mapping[str, Any]) -> bool:
    """Whether a page's front matter lets it on the slides (not `slides: false`)."""
    return meta.get("slides") is not False


def decks_showing(model: CourseModel, src: str, meta: Mapping[str, Any]) -> list[Session | None]:
    """The decks (decks_of) that show a page of the printed nav: with one session its one deck (None), with several its
    own session's; none for the home page, a page outside every session of several, or one with `slides: false`."""
    return [deck for deck in decks_of(model.sessions) if takes(model, src, deck) and shows(meta)]


def deck_title(course: Course, session: Session | None) -> str:
    """A deck's title (its files' title, before the cohort's name): its session's, or the course's for the one deck (None)."""
    return session.title if session is not None else course.title


def course_slides(course: Course, model: CourseModel, session: Session | None, address: str | None) -> tuple[str, Slide, Slide]:
    """What a deck shows of the course record: its title, its title slide and its closing slide (make changes compares
    them, with the record as it was and as it is, to name the decks a change of the record reaches)."""
    title_slide = render.slide_title(course, session or model.sessions[0], model.build.cohort)
    return deck_title(course, session), title_slide, render.slide_closing(course, address)


def build_deck(settings: SiteSettings, model: CourseModel, session: Session | None = None) -> list[Slide]:
    """Every slide of the session in order: the title, each printed page's slides, the closing. In a course of several
    sessions, one session's deck: its title slide and its own pages' slides (None: the one session, every page)."""
    _, title_slide, closing = course_slides(model.require().course, model, session, settings.site_url)
    slides = [title_slide]
    for src, title in nav_pages(settings.nav):
        if not takes(model, src, session):
            continue
        page = _PageSlides(src, title, model, settings.site_url)
        if not shows(page.meta):
            continue
        slides += page.read()
    slides.append(closing)
    return slides
