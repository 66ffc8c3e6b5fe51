"""The session's slides (each session's, when the course has several), built with the site from the same records: a 16:9 PDF and a PowerPoint file (slides/).

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
from macros.downloads import SLIDES_FOLDER, decks_of, slides_files
from macros.last_updated import build_moment
from publish.cache import PrintCache
from publish.pdf.site import SiteSettings, settings_of

from .deck import build_deck, deck_title
from .layout import LaidSlide, lay_out
from .pdf import STYLESHEET, slides_html, write_pdf
from .pptx import write_pptx


@dataclass(frozen=True)
class BuiltSlides:
    """One deck written: the two files, how many slides, and how long it took."""

    pdf: Path
    pptx: Path
    slides: int
    seconds: float


@dataclass(frozen=True)
class Deck:
    """One deck laid out: its two file names and its title (the course's one deck, or one session's of several)."""

    pdf: str
    pptx: str
    laid: list[LaidSlide]
    title: str


@dataclass(frozen=True)
class SlidesToWrite:
    """The decks laid out and what their files say about themselves, ready to be written (in a thread, beside the PDFs)."""

    folder: Path
    settings: SiteSettings
    decks: list[Deck]
    subject: str
    made: datetime.datetime

    def write(self, cache: PrintCache | None = None) -> list[BuiltSlides]:
        """Write each deck's PDF and PowerPoint file into the folder: from the cache (publish/cache.py) when what makes them is unchanged."""
        cache = cache or PrintCache(None)
        self.folder.mkdir(parents=True, exist_ok=True)
        built = []
        for deck in self.decks:
            started = time.perf_counter()
            html = slides_html(deck.laid, self.settings, deck.title, self.subject)
            details = {"title": deck.title, "subject": self.subject, "author": self.settings.author, "language": self.settings.language, "moment": self.made}
            # The PowerPoint file is made from the laid-out slides and its details; the PDF from its HTML and stylesheet.
            key = cache.key("slides", html, STYLESHEET.read_text(encoding="utf-8"), repr(deck.laid), repr(sorted(details.items())))
            name = f"{SLIDES_FOLDER}/{deck.pdf}"
            files = {deck.pdf: self.folder / deck.pdf, deck.pptx: self.folder / deck.pptx}
            entry = cache.load(key, name)
            if entry is None:
                parts = write_pdf(html, self.folder.parent, files[deck.pdf], cache)
                write_pptx(deck.laid, files[deck.pptx], **details)
                # The PDF's parts are kept in the cache while the deck is reused whole.
                cache.store(key, name, {file: path.read_bytes() for file, path in files.items()}, {"parts": parts})
            else:
                cache.used.update(str(part) for part in entry.meta.get("parts", []))
                for file, path in files.items():
                    partial = path.with_name(f".{path.name}.partial")
                    partial.write_bytes(entry.files[file])
                    os.replace(partial, path)
            built.append(BuiltSlides(files[deck.pdf], files[deck.pptx], len(deck.laid), time.perf_counter() - started))
        return built


def prepare_slides(site_dir: Path, model: CourseModel) -> SlidesToWrite:
    """The slides for site_dir/slides/, read from the build's course model and laid out: the session's deck, or one deck per
    session when the course has several; raises ContentError."""
    settings = settings_of(model)
    data, build = model.require(), model.build
    cohort = f", {build.cohort.name}" if build.cohort is not None else ""
    decks = []
    for session in decks_of(model.sessions):
        laid = lay_out(build_deck(settings, model, session))
        title = f"{deck_title(data.course, session)}: Session slides{cohort}"
        decks.append(Deck(*slides_files(session), laid, title))
    edition = " Facilitator edition, with speaker notes." if build.facilitator else ""
    subject = f"The slides of the session, in its order, from the course's pages and records.{edition}"
    return SlidesToWrite(site_dir / SLIDES_FOLDER, settings, decks, subject, build_moment(settings.config_path.parent))
