"""The printable PDFs as the site offers them: their file names, and the downloads() macro that links to them.

The PDF export (publish/pdf) writes files under these names and checks that each
page offers the PDFs it should, so a link and its file cannot drift apart.
"""

from __future__ import annotations

from markupsafe import escape
from mkdocs.utils import get_relative_url

from .library import current, macro

PDF_FOLDER = "pdf"
READER_PDF = "course-reader.pdf"
WORKBOOK_PDF = "reflection-workbook.pdf"
# Made in the facilitator edition only: the run of show and the facilitator notes (issue 6).
GUIDE_PDF = "facilitator-guide.pdf"
HOME_PAGE = "index.md"


def handout_pdf(src_path: str) -> str:
    """The file name of a page's handout: 'handout-what-to-expect.pdf' for what-to-expect.md."""
    stem = src_path.removesuffix(".md").replace("/", "-")
    return f"handout-{stem}.pdf"


def offered_on(src_path: str) -> list[tuple[str, str]]:
    """(file name, link text) of each PDF a page offers: the reader and workbook on the home page, else the page's handout."""
    if src_path == HOME_PAGE:
        return [(READER_PDF, "Course reader: every page, with contents"), (WORKBOOK_PDF, "Reflection workbook: every prompt, with space to write")]
    return [(handout_pdf(src_path), "Handout for this part: its content and prompts, with space to write")]


def render_downloads(links: list[tuple[str, str]]) -> str:
    """A box of links to PDFs, each marked as a PDF so a reader knows what the link opens."""
    items = "".join(f'<li><a href="{escape(href)}" type="application/pdf">{escape(text)}</a> (PDF)</li>' for href, text in links)
    return f'<div class="admonition abstract cw-downloads">\n<p class="admonition-title">Print</p>\n<ul>{items}</ul>\n</div>'


@macro(None, "downloads()")
def downloads() -> str:
    """Links to this page's PDFs: the course reader and workbook on the home page, the page's handout elsewhere."""
    page = current.get()
    here = page.url or "."
    links = [(get_relative_url(f"{PDF_FOLDER}/{name}", here), text) for name, text in offered_on(page.src_path)]
    return render_downloads(links)
