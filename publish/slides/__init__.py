"""The session's slides (each session's, when the course has several), built with the site from the same records: a 16:9 PDF and a PowerPoint file (slides/).

deck.py reads the nav's pages into slides (each record through its slide form, beside its page form in
macros/render.py); layout.py places and measures every word once; pdf.py and pptx.py print the same layout.
"""

from __future__ import annotations

import datetime
import os
import time
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from macros.course import CourseModel
from macros.downloads import SLIDES_FOLDER, decks_of, slides_files
from macros.last_updated import build_moment
from macros.slide import Slide
from publish.cache import PrintCache
from publish.pdf.build import Printing, PrintPool
from publish.pdf.site import SiteSettings, settings_of

from .deck import build_deck, deck_title
from .layout import LaidSlide, lay_out
from .pdf import STYLESHEET, finish_pdf, pdf_job, slides_html
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
    """One deck: its two file names, its slides and its title (the course's one deck, or one session's of several)."""

    pdf: str
    pptx: str
    slides: list[Slide]
    title: str

    @cached_property
    def laid(self) -> list[LaidSlide]:
        """The slides laid out, when first asked: a deck the print cache finds by its slides is never laid out."""
        return lay_out(self.slides)


@dataclass(frozen=True)
class SlidesToWrite:
    """The decks and what their files say about themselves, ready to be written (in a thread, beside the PDFs)."""

    folder: Path
    settings: SiteSettings
    decks: list[Deck]
    subject: str
    made: datetime.datetime

    def send(self, pool: PrintPool, cache: PrintCache | None = None) -> SlidesSent:
        """Each deck's PDF and PowerPoint file, taken from the cache (publish/cache.py) into the folder when what makes
        them is unchanged; the PDF of any other sent to pool (the PDFs' worker processes, publish/pdf/build.py PrintPool)
        to print, so this process never lays out a slide's page."""
        cache = cache or PrintCache(None)
        self.folder.mkdir(parents=True, exist_ok=True)
        sent = SlidesSent(cache)
        # Where the project lies is not read (and a checkout elsewhere, another CI runner's, finds the same entries).
        settings = repr(replace(self.settings, config_path=Path(), docs_dir=Path()))
        for deck in self.decks:
            started = time.perf_counter()
            details = {"title": deck.title, "subject": self.subject, "author": self.settings.author, "language": self.settings.language, "moment": self.made}
            name = f"{SLIDES_FOLDER}/{deck.pdf}"
            files = {deck.pdf: self.folder / deck.pdf, deck.pptx: self.folder / deck.pptx}
            # Everything the deck's two files are made from before it is laid out: a deck whose inputs made an entry
            # before is taken from it without being laid out.
            noted = cache.key("slides-inputs", repr(deck.slides), settings, repr(sorted(details.items())))
            entry, note = cache.noted(noted, name)
            tried = str(note["key"]) if note is not None else None
            if entry is None:
                html = slides_html(deck.laid, self.settings, deck.title, self.subject)
                # The PowerPoint file is made from the laid-out slides and its details; the PDF from its HTML and stylesheet.
                key = cache.key("slides", html, STYLESHEET.read_text(encoding="utf-8"), repr(deck.laid), repr(sorted(details.items())))
                # An entry its note led to that could not be used is not looked up again (the build says why as that lookup found it).
                entry = cache.load(key, name) if key != tried else None
                if entry is None:
                    job = pdf_job(html, self.folder.parent, files[deck.pdf], cache)
                    printing = _Printing(deck, files, key, noted, details, pool.print(job), started)
                    sent.printing.append(printing)
                    continue
                cache.note_down(noted, name, key)
            cache.used.update(str(part) for part in entry.meta.get("parts", []))
            for file, path in files.items():
                partial = path.with_name(f".{path.name}.partial")
                partial.write_bytes(entry.files[file])
                os.replace(partial, path)
            sent.built.append(BuiltSlides(files[deck.pdf], files[deck.pptx], int(entry.meta["slides"]), time.perf_counter() - started))
        return sent


@dataclass(frozen=True)
class _Printing:
    """A deck whose PDF is printing: its files, its cache key, its PowerPoint file's details, and the PDF's printing."""

    deck: Deck
    files: dict[str, Path]
    key: str
    noted: str  # the key of its inputs' note
    details: dict[str, Any]
    printed: Printing
    started: float


@dataclass
class SlidesSent:
    """The decks sent to print (SlidesToWrite.send): their PowerPoint files are written here while their PDFs print
    (write_pptx), and the PDFs finished once no document is printing (finish)."""

    cache: PrintCache
    printing: list[_Printing] = field(default_factory=list)
    built: list[BuiltSlides] = field(default_factory=list)  # those taken from the cache

    def write_pptx(self) -> None:
        for printing in self.printing:
            write_pptx(printing.deck.laid, printing.files[printing.deck.pptx], **printing.details)

    def finish(self) -> list[BuiltSlides]:
        """Each printed deck's parts joined into its PDF, what WeasyPrint said judged, and both its files stored in the cache."""
        for printing in self.printing:
            deck, files = printing.deck, printing.files
            parts = finish_pdf(files[deck.pdf], printing.printed.result(), self.cache)
            # The PDF's parts are kept in the cache while the deck is reused whole.
            name = f"{SLIDES_FOLDER}/{deck.pdf}"
            self.cache.store(printing.key, name, {file: path.read_bytes() for file, path in files.items()}, {"parts": parts, "slides": len(deck.laid)})
            self.cache.note_down(printing.noted, name, printing.key)
            self.built.append(BuiltSlides(files[deck.pdf], files[deck.pptx], len(deck.laid), time.perf_counter() - printing.started))
        return self.built


def prepare_slides(site_dir: Path, model: CourseModel) -> SlidesToWrite:
    """The slides for site_dir/slides/, read from the build's course model (each laid out when first needed): the
    session's deck, or one deck per session when the course has several; raises ContentError."""
    settings = settings_of(model)
    data, build = model.require(), model.build
    cohort = f", {build.cohort.name}" if build.cohort is not None else ""
    decks = []
    for session in decks_of(model.sessions):
        title = f"{deck_title(data.course, session)}: Session slides{cohort}"
        decks.append(Deck(*slides_files(session), build_deck(settings, model, session), title))
    edition = " Facilitator edition, with speaker notes." if build.facilitator else ""
    subject = f"The slides of the session, in its order, from the course's pages and records.{edition}"
    return SlidesToWrite(site_dir / SLIDES_FOLDER, settings, decks, subject, build_moment(settings.config_path.parent))
