"""The PDFs and the EPUB reader as the site offers them: their file names, and the downloads() macro that links to them.

The PDF export (publish/pdf) and the EPUB export (publish/epub) write files under these names and check that each
page offers the files it should, so a link and its file cannot drift apart.
"""

from __future__ import annotations

from markupsafe import escape
from mkdocs.utils import get_relative_url

from .cohort import current_build
from .library import current, macro

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


def handout_pdf(src_path: str) -> str:
    """The file name of a page's handout: 'handout-what-to-expect.pdf' for what-to-expect.md."""
    stem = src_path.removesuffix(".md").replace("/", "-")
    return f"handout-{stem}.pdf"


def slides_offered(facilitator: bool) -> list[tuple[str, str]]:
    """(path in the site, link text) of the session's slides: the 16:9 PDF and the PowerPoint file."""
    notes = ", with the facilitator notes as speaker notes" if facilitator else ""
    return [
        (f"{SLIDES_FOLDER}/{SLIDES_PDF}", "Session slides: one slide per page, 16:9"),
        (f"{SLIDES_FOLDER}/{SLIDES_PPTX}", f"Session slides to present{notes}"),
    ]


def offered_on(src_path: str, facilitator: bool = False) -> list[tuple[str, str]]:
    """(path in the site, link text) of each file a page offers: on the home page the reader (PDF and EPUB), the workbook and the
    slides; on the Schedule page the slides, in the facilitator edition only; elsewhere the page's handout."""
    if src_path == HOME_PAGE:
        return [
            (f"{PDF_FOLDER}/{READER_PDF}", "Course reader: every page, with contents"),
            (f"{EPUB_FOLDER}/{READER_EPUB}", "Course reader for phones and e-readers: every page, as an e-book"),
            (f"{PDF_FOLDER}/{WORKBOOK_PDF}", "Reflection workbook: every prompt, with space to write"),
            *slides_offered(facilitator),
        ]
    if src_path == SCHEDULE_PAGE:
        return slides_offered(facilitator) if facilitator else []
    return [(f"{PDF_FOLDER}/{handout_pdf(src_path)}", "Handout for this part: its content and prompts, with space to write")]


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


@macro(None, "downloads()")
def downloads() -> str:
    """Links to this page's files: the course reader (PDF and EPUB), workbook and slides on the home page, the page's handout elsewhere."""
    page = current.get()
    here = page.url or "."
    links = [(get_relative_url(path, here), text) for path, text in offered_on(page.src_path, current_build.get().facilitator)]
    return render_downloads(links)
