"""The session's slides, built with the site from the same records: a 16:9 PDF and a PowerPoint file (slides/).

deck.py reads the nav's pages into slides (each record through its slide form, beside its page form in
macros/render.py); layout.py places and measures every word once; pdf.py and pptx.py print the same layout.
"""

from __future__ import annotations

import datetime
import os
import time
from dataclasses import dataclass
from pathlib import Path

from macros.course import CourseModel
from macros.downloads import SLIDES_FOLDER, SLIDES_PDF, SLIDES_PPTX
from macros.last_updated import build_moment
from publish.cache import PrintCache
from publish.pdf.site import SiteSettings, settings_of

from .deck import build_deck
from .layout import LaidSlide, lay_out
from .pdf import STYLESHEET, slides_html, write_pdf
from .pptx import write_pptx


@dataclass(frozen=True)
class BuiltSlides:
    """The slides written: the two files, how many slides, and how long it took."""

    pdf: Path
    pptx: Path
    slides: int
    seconds: float


@dataclass(frozen=True)
class SlidesToWrite:
    """The slides laid out and what their files say about themselves, ready to be written (in a thread, beside the PDFs)."""

    folder: Path
    settings: SiteSettings
    laid: list[LaidSlide]
    title: str
    subject: str
    made: datetime.datetime

    def write(self, cache: PrintCache | None = None) -> BuiltSlides:
        """Write the PDF and the PowerPoint file into the folder: from the cache (publish/cache.py) when what makes them is unchanged."""
        started = time.perf_counter()
        cache = cache or PrintCache(None)
        self.folder.mkdir(parents=True, exist_ok=True)
        html = slides_html(self.laid, self.settings, self.title, self.subject)
        details = {"title": self.title, "subject": self.subject, "author": self.settings.author, "language": self.settings.language, "moment": self.made}
        # The PowerPoint file is made from the laid-out slides and its details; the PDF from its HTML and stylesheet.
        key = cache.key("slides", html, STYLESHEET.read_text(encoding="utf-8"), repr(self.laid), repr(sorted(details.items())))
        name = f"{SLIDES_FOLDER}/{SLIDES_PDF}"
        files = {SLIDES_PDF: self.folder / SLIDES_PDF, SLIDES_PPTX: self.folder / SLIDES_PPTX}
        entry = cache.load(key, name)
        if entry is None:
            write_pdf(html, self.folder.parent, files[SLIDES_PDF])
            write_pptx(self.laid, files[SLIDES_PPTX], **details)
            cache.store(key, name, {file: path.read_bytes() for file, path in files.items()})
        else:
            for file, path in files.items():
                partial = path.with_name(f".{path.name}.partial")
                partial.write_bytes(entry.files[file])
                os.replace(partial, path)
        return BuiltSlides(files[SLIDES_PDF], files[SLIDES_PPTX], len(self.laid), time.perf_counter() - started)


def prepare_slides(site_dir: Path, model: CourseModel) -> SlidesToWrite:
    """The session's slides for site_dir/slides/, read from the build's course model and laid out; raises ContentError."""
    settings = settings_of(model)
    data, build = model.require(), model.build
    laid = lay_out(build_deck(settings, model))
    title = f"{data.course.title}: Session slides" + (f", {build.cohort.name}" if build.cohort is not None else "")
    edition = " Facilitator edition, with speaker notes." if build.facilitator else ""
    subject = f"The slides of the session, in its order, from the course's pages and records.{edition}"
    return SlidesToWrite(site_dir / SLIDES_FOLDER, settings, laid, title, subject, build_moment(settings.config_path.parent))
