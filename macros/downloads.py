"""The PDFs and the EPUB reader as the site offers them: their file names, and the downloads() macro that links to them.

The PDF export (publish/pdf) and the EPUB export (publish/epub) write files under these names and check that each
page offers the files it should, so a link and its file cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import escape
from mkdocs.utils import get_relative_url

from .cohort import current_build
from .library import OWN_PAGE, current, macro
from .models import Session

PDF_FOLDER = "pdf"
READER_PDF = "course-reader.pdf"
WORKBOOK_PDF = "reflection-workbook.pdf"
# Made in the facilitator edition only: the run of show and the facilitator notes (issue 6).
GUIDE_PDF = "facilitator-guide.pdf"
HOME_PAGE = "index.md"
# In the facilitator edition, the Schedule page offers the slides too.
SCHEDULE_PAGE = "schedule.md"
EPUB_FOLDER = "epub"
READER_EPUB = "course-reader.epub"
# The session's slides (publish/slides), as a 16:9 PDF and a PowerPoint file.
SLIDES_FOLDER = "slides"
SLIDES_PDF = "session-slides.pdf"
SLIDES_PPTX = "session-slides.pptx"
# What a link says it opens, by the file's suffix: its media type and the word shown after it.
KINDS = {
    ".pdf": ("application/pdf", "PDF"),
    ".epub": ("application/epub+zip", "EPUB"),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint"),
}


def _of(name: str, session: Session | None) -> str:
    """A file name for one session of a course of several: 'course-reader-<session id>.pdf'; the name itself for the whole course."""
    if session is None:
        return name
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}-{session.id}{dot}{suffix}"


def reader_pdf(session: Session | None = None) -> str:
    """The course reader's file name: the whole course's (course-reader.pdf), or one session's when the course has several."""
    return _of(READER_PDF, session)


def workbook_pdf(session: Session | None = None) -> str:
    """The reflection workbook's file name: the whole course's, or one session's when the course has several."""
    return _of(WORKBOOK_PDF, session)


def slides_files(session: Session | None = None) -> tuple[str, str]:
    """The slides' file names (PDF, PowerPoint): the one deck of a course of one session, or one session's deck of several."""
    return _of(SLIDES_PDF, session), _of(SLIDES_PPTX, session)


def printed_sessions(sessions: Sequence[Session]) -> list[Session]:
    """The sessions that get a reader, a workbook and a deck of their own: every session when there are several, none when
    there is one (its reader, workbook and deck are the course's, under today's names)."""
    return list(sessions) if len(sessions) > 1 else []


def decks_of(sessions: Sequence[Session]) -> list[Session | None]:
    """The decks of slides a course has: one per session when it has several, else its one deck (None)."""
    own: list[Session | None] = [*printed_sessions(sessions)]
    return own or [None]


def handout_pdf(src_path: str) -> str:
    """The file name of a page's handout: 'handout-what-to-expect.pdf' for what-to-expect.md."""
    stem = src_path.removesuffix(".md").replace("/", "-")
    return f"handout-{stem}.pdf"


def slides_offered(facilitator: bool, session: Session | None = None) -> list[tuple[str, str]]:
    """(path in the site, link text) of the session's slides: the 16:9 PDF and the PowerPoint file (one session's, named, when
    the course has several)."""
    notes = ", with the facilitator notes as speaker notes" if facilitator else ""
    which = f"{session.name} slides" if session is not None else "Session slides"
    pdf, pptx = slides_files(session)
    return [
        (f"{SLIDES_FOLDER}/{pdf}", f"{which}: one slide per page, 16:9"),
        (f"{SLIDES_FOLDER}/{pptx}", f"{which} to present{notes}"),
    ]


def session_offered(session: Session) -> list[tuple[str, str]]:
    """(path in the site, link text) of one session's reader and workbook, in a course of several sessions."""
    return [
        (f"{PDF_FOLDER}/{reader_pdf(session)}", f"{session.name} reader: its pages, with contents"),
        (f"{PDF_FOLDER}/{workbook_pdf(session)}", f"{session.name} workbook: its prompts, with space to write"),
    ]


def offered_on(src_path: str, facilitator: bool = False, sessions: Sequence[Session] = (), session: Session | None = None) -> list[tuple[str, str]]:
    """(path in the site, link text) of each file a page offers: on the home page the reader (PDF and EPUB), the workbook and the
    slides; on the Schedule page the slides, in the facilitator edition only; elsewhere the page's handout.

    In a course of several `sessions`, the home page offers each session's reader, workbook and slides as well, and a page
    of a `session` its session's reader and workbook (and, on the Schedule page, its session's slides).
    """
    own = printed_sessions(sessions)
    mine = session if own else None
    if src_path == HOME_PAGE:
        return [
            (f"{PDF_FOLDER}/{READER_PDF}", "Course reader: every page, with contents"),
            (f"{EPUB_FOLDER}/{READER_EPUB}", "Course reader for phones and e-readers: every page, as an e-book"),
            (f"{PDF_FOLDER}/{WORKBOOK_PDF}", "Reflection workbook: every prompt, with space to write"),
            *(slides_offered(facilitator) if not own else []),
            *(link for each in own for link in (*session_offered(each), *slides_offered(facilitator, each))),
        ]
    extra = session_offered(mine) if mine is not None else []
    if src_path == SCHEDULE_PAGE:
        # A schedule outside every session of several offers each session's slides.
        decks: list[Session | None] = [mine] if mine is not None else decks_of(sessions)
        return [*(link for deck in decks for link in slides_offered(facilitator, deck) if facilitator), *extra]
    return [(f"{PDF_FOLDER}/{handout_pdf(src_path)}", "Handout for this part: its content and prompts, with space to write"), *extra]


def render_downloads(links: list[tuple[str, str]]) -> str:
    """A box of links to PDFs, e-books and slides, each marked with its kind so a reader knows what the link opens (nothing without links)."""
    if not links:
        return ""
    items, words = [], set()
    for href, text in links:
        media_type, word = KINDS[href[href.rfind(".") :]]
        words.add(word)
        items.append(f'<li><a href="{escape(href)}" type="{media_type}">{escape(text)}</a> ({word})</li>')
    title = "Print" if words == {"PDF"} else "Print or read offline"
    return f'<div class="admonition abstract cw-downloads">\n<p class="admonition-title">{title}</p>\n<ul>{"".join(items)}</ul>\n</div>'


@macro(None, "downloads()", reads=OWN_PAGE)
def downloads() -> str:
    """Links to this page's files: the course reader (PDF and EPUB), workbook and slides on the home page, the page's handout elsewhere.

    In a course of several sessions, each session's too (offered_on)."""
    page = current.get()
    here = page.url or "."
    model = page.course
    offered = model.offers(page.src_path) if model is not None else offered_on(page.src_path, current_build.get().facilitator)
    links = [(get_relative_url(path, here), text) for path, text in offered]
    return render_downloads(links)
