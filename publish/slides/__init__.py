"""The session's slides, built with the site from the same records: a 16:9 PDF and a PowerPoint file (slides/).

deck.py reads the nav's pages into slides (each record through its slide form, beside its page form in
macros/render.py); layout.py places and measures every word once; pdf.py and pptx.py print the same layout.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from macros.cohort import Build
from macros.data import load_course
from macros.downloads import SLIDES_FOLDER, SLIDES_PDF, SLIDES_PPTX
from publish.pdf.site import load_settings

from .deck import build_deck
from .layout import lay_out
from .pdf import write_pdf
from .pptx import write_pptx


@dataclass(frozen=True)
class BuiltSlides:
    """The slides written: the two files, how many slides, and how long it took."""

    pdf: Path
    pptx: Path
    slides: int
    seconds: float


def moment(root: Path) -> datetime.datetime:
    """When the slides were made, as the files record it: SOURCE_DATE_EPOCH, else the last commit, never the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch.isdigit():
        try:
            epoch = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=root, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            epoch = ""
    # Without either (a copy of the sources outside git), the earliest moment a zip file can record.
    return datetime.datetime.fromtimestamp(int(epoch) if epoch.isdigit() else 315532800, datetime.UTC)


def build_slides(site_dir: Path, *, config_file: Path, build: Build) -> BuiltSlides:
    """Write site_dir/slides/: the PDF and the PowerPoint file of the session's slides; raises ContentError."""
    started = time.perf_counter()
    settings = load_settings(config_file)
    data = load_course(config_file.parent / settings.docs_dir)
    laid = lay_out(build_deck(settings, data, build))
    folder = site_dir / SLIDES_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    title = f"{data.course.title}: Session slides" + (f", {build.cohort.name}" if build.cohort is not None else "")
    edition = " Facilitator edition, with speaker notes." if build.facilitator else ""
    subject = f"The slides of the session, in its order, from the course's pages and records.{edition}"
    write_pdf(laid, settings, site_dir, folder / SLIDES_PDF, title, subject)
    details = {"title": title, "subject": subject, "author": settings.author, "language": settings.language, "moment": moment(config_file.parent)}
    write_pptx(laid, folder / SLIDES_PPTX, **details)
    return BuiltSlides(folder / SLIDES_PDF, folder / SLIDES_PPTX, len(laid), time.perf_counter() - started)
