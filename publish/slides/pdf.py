"""The slides as a 16:9 PDF, one slide per page, printed like the other PDFs: WeasyPrint, tagged (PDF/UA-1), titled, in parts."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from macros.errors import ContentError, Problem
from publish.cache import PrintCache
from publish.pdf import speedup
from publish.pdf.compose import TEMPLATES
from publish.pdf.jobs import Printed, RenderJob, cache_fields
from publish.pdf.machine import MachineError, lack_in_warning
from publish.pdf.qr import qr_code
from publish.pdf.site import SiteSettings

from .layout import LaidLine, LaidSlide

STYLESHEET = Path(__file__).resolve().parent.parent / "pdf" / "slides.css"


@dataclass(frozen=True)
class Group:
    """Lines of a slide's body that print together: a list (ul, ol) or plain paragraphs (tag '')."""

    tag: str
    lines: list[LaidLine]


def groups(lines: list[LaidLine]) -> list[Group]:
    """Consecutive entries of one kind of list become one list, so a screen reader hears a list and its length."""
    out: list[Group] = []
    for line in lines:
        tag = {"bullet": "ul", "number": "ol"}.get(line.line.kind, "")
        if out and out[-1].tag == tag and tag:
            out[-1].lines.append(line)
        else:
            out.append(Group(tag, [line]))
    return out


def bare_svg(picture: str) -> str:
    """The <svg> element of a picture the macros draw (they wrap it in a <figure> for the page)."""
    return picture[picture.index("<svg") : picture.rindex("</svg>") + len("</svg>")]


def _data_uri(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64," + base64.b64encode(data).decode("ascii")


def slides_html(laid: list[LaidSlide], settings: SiteSettings, title: str, subject: str) -> str:
    """The laid-out slides as one HTML document for the printer."""
    pictures = {s.number: _data_uri("image/svg+xml", bare_svg(s.slide.picture).encode()) for s in laid if s.picture_box is not None}
    codes = {s.number: qr_code(s.slide.address).svg_data_uri(border=4, dark="#000", light="#fff") for s in laid if s.qr_box is not None and s.slide.address}
    context: dict[str, Any] = {"slides": laid, "pictures": pictures, "codes": codes, "groups": groups, "settings": settings, "kind": "slides"}
    return TEMPLATES.get_template("slides.html").render(title=title, subject=subject, **context)


def pdf_job(html: str, site_dir: Path, target: Path, cache: PrintCache | None = None) -> RenderJob:
    """The slides' HTML (slides_html) as a document to print into target: in parts (some dozens of slides each), each laid
    out, painted and dropped before the next, so memory stays flat however long the deck; each part from the print
    cache when unchanged."""
    return RenderJob(target.name, html, str(site_dir), STYLESHEET.read_text(encoding="utf-8"), "", str(target.parent), pages_alone=True, **cache_fields(cache))


def finish_pdf(target: Path, printed: Printed, cache: PrintCache | None = None) -> list[str]:
    """Judge what WeasyPrint said while printing the slides and move their PDF into place: the keys of the parts' cache
    entries it used (this build's, kept when the cache is pruned). Raises ContentError on a warning or a refused file,
    MachineError on a missing library."""
    if cache is not None:
        cache.used.update(printed.entries)
    partial = target.parent / f".{target.name}.partial"
    lacks = [lack for lack in map(lack_in_warning, printed.messages) if lack is not None]
    if lacks:
        partial.unlink(missing_ok=True)
        raise MachineError(lacks)
    problems = [
        Problem("publish/pdf/slides.css", 1, f"WeasyPrint warned while printing {target.name}: {m}", "fix the rule or the markup it names.")
        for m in printed.messages
    ]
    problems += [
        Problem("publish/pdf/templates/slides.html", 1, f"the slides asked for {url}, which is not part of the site.", "draw it from a record.")
        for url in printed.refused
    ]
    if problems:
        partial.unlink(missing_ok=True)
        raise ContentError(problems)
    os.replace(partial, target)
    return printed.entries


def write_pdf(html: str, site_dir: Path, target: Path, cache: PrintCache | None = None) -> list[str]:
    """Print the slides' HTML in this process (`make site` prints them in a worker process: SlidesToWrite.send); returns
    the keys of the parts' cache entries it used. Raises ContentError on a WeasyPrint warning."""
    from publish.pdf.printer import print_job  # WeasyPrint, loaded in this process only for slides printed here

    # The tagging reads every page's reference, kept once per page count here as in the PDF workers (publish/pdf/speedup.py).
    speedup.install()
    return finish_pdf(target, print_job(pdf_job(html, site_dir, target, cache)), cache)
