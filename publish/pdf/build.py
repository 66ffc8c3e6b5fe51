"""Make the PDFs of one edition: compose each document (publish/pdf/compose.py), print them in worker processes
(publish/pdf/printer.py), then judge what WeasyPrint said and move each PDF into place."""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from macros.cohort import Edition
from macros.course import CourseModel
from macros.downloads import PDF_FOLDER
from macros.errors import ContentError, Problem
from publish.built import BuiltSite
from publish.cache import PrintCache

from . import content, speedup
from .compose import Document, PdfBuilder, check_downloads, page_css, print_setup, sessions_of
from .machine import STYLESHEET, MachineError, lack_in_warning
from .printer import Printed, RenderJob, cache_fields, print_job, stylesheet_problem, stylesheet_warnings

# Worker processes that print: one per core of the machines the build is made for (2).
PRINT_WORKERS = 2


@dataclass(frozen=True)
class BuiltPdf:
    """One PDF written: where, its title, how many pages, and how long it took."""

    name: str
    path: Path
    title: str
    pages: int
    seconds: float
    # A document printed in parts (the reader, the guide): its parts printed now, and those from the print cache.
    parts_printed: int = 0
    parts_reused: int = 0


def job(builder: PdfBuilder, document: Document, folder: Path, stylesheet: str, cache: PrintCache | None = None) -> RenderJob:
    """What a worker process needs to print one document: plain, picklable values only (the print cache by its folder)."""
    css = page_css(builder.settings, builder.running(document))
    return RenderJob(document.name, builder.html(document), str(builder.site_dir), stylesheet, css, str(folder), **cache_fields(cache))


def finish(document: Document, folder: Path, printed: Printed) -> BuiltPdf:
    """Turn what WeasyPrint refused or warned about into problems; else move the PDF into place."""
    target = folder / document.name
    partial = folder / f".{document.name}.partial"
    problems = [content.refusal(url, document.sources, document.images) for url in printed.refused]
    messages = [m for m in printed.messages if not _is_refusal(m, printed.refused)]
    # A warning about the machine (a missing library) is not a rule in print.css: say what to install.
    lacks = [lack for lack in map(lack_in_warning, messages) if lack is not None]
    if lacks:
        partial.unlink(missing_ok=True)
        raise MachineError(lacks)
    problems += [
        Problem("publish/pdf/print.css", 1, f"WeasyPrint warned while printing {document.name}: {m}", "fix the rule or the markup it names.") for m in messages
    ]
    if problems:
        partial.unlink(missing_ok=True)
        raise ContentError(problems)
    os.replace(partial, target)
    return BuiltPdf(document.name, target, document.title, printed.pages, printed.seconds, printed.parts_printed, printed.parts_reused)


def render(builder: PdfBuilder, document: Document, folder: Path) -> BuiltPdf:
    """Write one PDF (tagged, PDF/UA-1) in this process, next to its final name, then move it into place.

    For a single document; `make site` prints every document in worker processes (build_pdfs).
    """
    started = time.perf_counter()
    printed = print_job(job(builder, document, folder, STYLESHEET.read_text(encoding="utf-8")))
    return finish(document, folder, replace(printed, seconds=time.perf_counter() - started))


def _is_refusal(message: str, refused: list[str]) -> bool:
    return any(url in message for url in refused)


def build_pdfs(
    site: BuiltSite,
    *,
    model: CourseModel,
    cohort_name: str | None = None,
    cohort_dates: str | None = None,
    edition: Edition = "participant",
    cache: PrintCache | None = None,
) -> list[BuiltPdf]:
    """Write the reader, a handout per page with prompts and the workbook (and each session's reader and workbook, when the
    course has several sessions) into the site's pdf/; raises ContentError.

    A document whose key is in the cache (publish/cache.py) is taken from it instead of printed."""
    settings, course, cohort = print_setup(model, cohort_name, cohort_dates)
    stylesheet = STYLESHEET.read_text(encoding="utf-8")
    stylesheet_problems = [stylesheet_problem(m) for m in stylesheet_warnings(stylesheet)]
    if stylesheet_problems:
        raise ContentError(stylesheet_problems)
    builder = PdfBuilder(site, settings, course, sessions_of(model), cohort, edition)
    names = builder.document_names()
    problems = check_downloads(builder, set(names), model)
    if problems:
        raise ContentError(problems)
    folder = site.root / PDF_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return _render_parallel(builder, folder, stylesheet, cache or PrintCache(None))


def _from_cache(cache: PrintCache, key: str, render_job: RenderJob, root: Path) -> Future[Printed] | None:
    """The document from the cache, written to its partial file as a worker would have, or None to print it."""
    entry = cache.load(key, render_job.name, root)
    if entry is None:
        return None
    (Path(render_job.folder) / f".{render_job.name}.partial").write_bytes(entry.files["pdf"])
    done: Future[Printed] = Future()
    # A document printed in parts keeps its parts' entries: they stay in the cache while it is used whole.
    done.set_result(Printed(int(entry.meta["pages"]), 0.0, [], [], entries=[str(part) for part in entry.meta.get("parts", [])]))
    return done


def _render_parallel(builder: PdfBuilder, folder: Path, stylesheet: str, cache: PrintCache) -> list[BuiltPdf]:
    """Print every document in two worker processes, longest first; PDFs move into place in document order.

    Two workers keep both cores busy to the end: the reader (the longest, printed in parts) goes first, then the
    workbook and guide, then the handouts, each taken by whichever worker is free. This process only composes the
    documents, then lets go of the parsed pages while the workers print, so the build's memory is the workers' own.
    Each document goes to a worker as text (its HTML and the settings) and the worker writes its own partial file;
    warnings and refusals come back here and fail the build exactly as before.
    """
    # A fresh interpreter, not a fork: a fork would carry (and count) this process's memory again.
    context = multiprocessing.get_context("spawn")
    documents: list[Document] = []
    futures = []
    # Each document's cache key, and whether it was printed here (then it is stored once it has passed).
    keys: list[tuple[str, bool]] = []
    root = builder.site_dir.resolve()
    try:
        # Only the workers use the faster page references (for the pinned pydyf; publish/pdf/speedup.py).
        with ProcessPoolExecutor(max_workers=PRINT_WORKERS, mp_context=context, initializer=speedup.install) as pool:
            try:
                for document in builder.compose():
                    render_job = job(builder, document, folder, stylesheet, cache)
                    key = cache.key("pdf", render_job.html, render_job.stylesheet, render_job.page_css)
                    # The pool starts its workers on the first document to print: none when every one is in the cache.
                    cached = _from_cache(cache, key, render_job, root)
                    futures.append(cached or pool.submit(print_job, render_job))
                    keys.append((key, cached is None))
                    # What the template needed is printed now; keep only what messages name.
                    documents.append(replace(document, context={}))
                builder.release()
                printed = [future.result() for future in futures]
            finally:
                for future in futures:
                    future.cancel()
        made = []
        for document, (key, fresh), result in zip(documents, keys, printed, strict=True):
            # The parts a worker took from the cache or stored there are this build's too (kept when the cache is pruned).
            cache.used.update(result.entries)
            pdf = finish(document, folder, result)
            if fresh:
                cache.store(key, document.name, {"pdf": pdf.path.read_bytes()}, {"pages": pdf.pages, "parts": result.entries}, map(Path, result.loaded), root)
            made.append(pdf)
        return made
    finally:
        for document in documents:
            (folder / f".{document.name}.partial").unlink(missing_ok=True)
