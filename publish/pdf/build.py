"""Make the PDFs of one edition: compose each document (publish/pdf/compose.py), print them in worker processes
(publish/pdf/printer.py), then judge what WeasyPrint said and move each PDF into place."""

from __future__ import annotations

import multiprocessing
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

from macros.cohort import Edition
from macros.course import CourseModel
from macros.downloads import PDF_FOLDER
from macros.errors import ContentError, Problem
from publish.built import BuiltSite
from publish.cache import Entry, PrintCache

from . import content
from .compose import Document, PdfBuilder, check_downloads, page_css, print_setup, sessions_of
from .jobs import Printed, RenderJob, cache_fields, check_printing, print_document, start_worker, write_joined
from .machine import STYLESHEET, MachineError, lack_in_warning

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


class PrintPool:
    """The worker processes every document of a build is printed in, the slides' too: fresh interpreters, not forks (a
    fork would carry, and count, this process's memory again), each with the printer loaded and the faster page
    references (for the pinned pydyf; publish/pdf/speedup.py). The workers are started at once, so they load WeasyPrint
    while the site is built, and what an edit prints again waits for no worker to start; their first job checks the
    machine and print.css (check), so this process never loads WeasyPrint (publish/pdf/jobs.py).

    A document sent (print) that a worker prints in parts comes back as its pieces, joined here once every document
    sent is printed and the workers are let go (close): a join's memory is never added to a print worker's."""

    def __init__(self) -> None:
        self.pool = ProcessPoolExecutor(max_workers=PRINT_WORKERS, mp_context=multiprocessing.get_context("spawn"), initializer=start_worker)
        # print.css, read once for the build: checked by the first worker, and printed with by every document.
        self.stylesheet = STYLESHEET.read_text(encoding="utf-8")
        self.checked = self.pool.submit(check_printing, self.stylesheet)
        for _ in range(PRINT_WORKERS - 1):
            self.pool.submit(os.getpid)
        self.sent: list[Future[Printed]] = []

    def check(self) -> None:
        """Raise MachineError with what the machine lacks for printing, or ContentError with each rule of print.css
        WeasyPrint will not apply; nothing when it can print."""
        checked = self.checked.result()
        if checked.lacks:
            raise MachineError(checked.lacks)
        if checked.stylesheet:
            raise ContentError([stylesheet_problem(message) for message in checked.stylesheet])

    def print(self, job: RenderJob) -> Printing:
        """Send a document to be printed: its partial file written, or its pieces handed back to be joined."""
        printing = Printing(self, replace(job, html=""), self.pool.submit(print_document, job))
        self.sent.append(printing.printed)
        return printing

    def close(self) -> None:
        """Wait until every document sent is printed, then let the workers go: they exit while the build goes on."""
        wait(self.sent)
        self.pool.shutdown(wait=False)

    def shutdown(self, *, wait: bool = True, cancel_futures: bool = False) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def __enter__(self) -> PrintPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.shutdown()


@dataclass(frozen=True)
class Printing:
    """A document sent to a PrintPool: its result is what printing it gave back, joined into its partial file once the
    pool is closed (the first result asked for closes it)."""

    pool: PrintPool
    job: RenderJob  # without its HTML: what the join needs
    printed: Future[Printed]

    def result(self) -> Printed:
        self.pool.close()
        return write_joined(self.printed.result(), self.job)

    def cancel(self) -> None:
        self.printed.cancel()


def stylesheet_problem(message: str) -> Problem:
    """A WeasyPrint warning about print.css, at the line it names ('... at 130:15, unknown property.')."""
    where = re.search(r" at (\d+):\d+", message)
    return Problem("publish/pdf/print.css", int(where.group(1)) if where else 1, f"WeasyPrint will not apply a rule: {message}", "fix or remove that rule.")


def job(builder: PdfBuilder, document: Document, folder: Path, stylesheet: str, cache: PrintCache | None = None) -> RenderJob:
    """What a worker process needs to print one document: plain, picklable values only (the print cache by its folder)."""
    css = page_css(builder.settings, builder.running(document))
    return RenderJob(document.name, builder.html(document), str(builder.site_dir), stylesheet, css, str(folder), **cache_fields(cache))


def finish_pdf(document: Document, folder: Path, printed: Printed) -> BuiltPdf:
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
    from .printer import print_job  # WeasyPrint, loaded in this process only for a document printed here

    started = time.perf_counter()
    printed = print_job(job(builder, document, folder, STYLESHEET.read_text(encoding="utf-8")))
    return finish_pdf(document, folder, replace(printed, seconds=time.perf_counter() - started))


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
    course has several sessions) into the site's pdf/, printed in a pool of their own (send_pdfs); raises ContentError."""
    with PrintPool() as pool:
        return send_pdfs(site, model=model, cohort_name=cohort_name, cohort_dates=cohort_dates, edition=edition, cache=cache, pool=pool)()


def send_pdfs(
    site: BuiltSite,
    *,
    model: CourseModel,
    pool: PrintPool,
    cohort_name: str | None = None,
    cohort_dates: str | None = None,
    edition: Edition = "participant",
    cache: PrintCache | None = None,
    after_first: Callable[[], object] = lambda: None,
) -> Callable[[], list[BuiltPdf]]:
    """Compose every PDF of this edition and send each to pool (PrintPool) to print, longest first (after_first()
    called once the first, the reader, is sent: what the caller sends next, the slides); the returned function waits
    for them (closing the pool) and joins the documents printed in parts, judges what WeasyPrint said, moves each PDF
    into place (in document order), and stores what was printed in the cache. Raises ContentError, or MachineError when
    the pool's workers found the machine cannot print.

    A document whose key is in the cache (publish/cache.py) is taken from it instead of printed.

    The reader (the longest, printed in parts) goes first, then the workbook and guide, then the handouts, each taken by
    whichever worker is free. This process only composes the documents, one page's tree at a time (SitePage.parsed), so
    while they print the build's memory is the workers' own; it joins the parts once the workers are gone. Each
    document goes to a worker as text (its HTML and the settings) and the worker writes its own partial file (or hands
    back its parts); warnings and refusals come back here and fail the build exactly as before.
    """
    cache = cache or PrintCache(None)
    pool.check()
    settings, course, cohort = print_setup(model, cohort_name, cohort_dates)
    stylesheet = pool.stylesheet
    builder = PdfBuilder(site, settings, course, sessions_of(model), cohort, edition, cache)
    names = builder.document_names()
    problems = check_downloads(builder, set(names), model)
    if problems:
        raise ContentError(problems)
    folder = site.root / PDF_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    sent: list[tuple[Document, str, Future[Printed] | Printing, bool]] = []
    # The documents whose inputs were looked up before composing: what the inputs' note is, for the entry
    # the document composed to.
    notes: dict[str, str] = {}
    # Entries a note led to that could not be used (damaged, a loaded file changed): not looked up again, so the
    # build records why (PrintCache.why) as that lookup found it.
    tried: set[str] = set()
    root = builder.site_dir.resolve()
    try:
        followed = False
        for planned in builder.planned():
            if sent and not followed:
                # The first (the longest) is sent: what the caller sends next goes before the shorter ones.
                after_first()
                followed = True
            if planned.inputs is not None:
                noted = cache.key("pdf-inputs", planned.name, *planned.inputs)
                found = _from_note(cache, noted, planned.name, folder, root, tried)
                if found is not None:
                    sent.append(found)
                    continue
                notes[planned.name] = noted
            document = planned.make()
            render_job = job(builder, document, folder, stylesheet, cache)
            key = cache.key("pdf", render_job.html, render_job.stylesheet, render_job.page_css)
            cached = _from_cache(cache, key, render_job, root) if key not in tried else None
            # What the template needed is printed now; keep only what messages name.
            sent.append((replace(document, context={}), key, cached or pool.print(render_job), cached is None))
        if not followed:
            after_first()
    except BaseException:
        _discard(folder, [document for document, *_ in sent], [future for *_, future, _ in sent])
        raise

    def finish() -> list[BuiltPdf]:
        made = []
        try:
            for document, key, future, fresh in sent:
                result = future.result()
                # The parts a worker took from the cache or stored there are this build's too (kept when the cache is pruned).
                cache.used.update(result.entries)
                pdf = finish_pdf(document, folder, result)
                if fresh:
                    cache.store(
                        key, document.name, {"pdf": pdf.path.read_bytes()}, {"pages": pdf.pages, "parts": result.entries}, map(Path, result.loaded), root
                    )
                if document.name in notes:
                    # What these inputs composed to, for the next build with the same inputs to find without composing.
                    cache.note_down(notes[document.name], document.name, key, {"title": document.title})
                made.append(pdf)
        finally:
            _discard(folder, [document for document, *_ in sent], [future for *_, future, _ in sent])
        return made

    return finish


def _discard(folder: Path, documents: list[Document], futures: list[Future[Printed] | Printing]) -> None:
    """What an unfinished build leaves: the documents not yet printed are not printed, and no partial file stays."""
    for future in futures:
        future.cancel()
    for document in documents:
        (folder / f".{document.name}.partial").unlink(missing_ok=True)


def _from_note(
    cache: PrintCache, noted: str, name: str, folder: Path, root: Path, tried: set[str]
) -> tuple[Document, str, Future[Printed] | Printing, bool] | None:
    """A document found by its inputs (PdfBuilder.planned) without being composed: the entry its inputs composed to in an
    earlier build, written to its partial file, as send_pdfs keeps it; None to compose it (the entry's key added to
    tried when the entry could not be used)."""
    entry, note = cache.noted(noted, name, root)
    if note is None:
        return None
    key = str(note["key"])
    if entry is None:
        tried.add(key)
        return None
    return Document(name, "", str(note["title"]), "", {}, []), key, _written(entry, name, folder), False


def _from_cache(cache: PrintCache, key: str, render_job: RenderJob, root: Path) -> Future[Printed] | None:
    """The document from the cache, written to its partial file as a worker would have, or None to print it."""
    entry = cache.load(key, render_job.name, root)
    return None if entry is None else _written(entry, render_job.name, Path(render_job.folder))


def _written(entry: Entry, name: str, folder: Path) -> Future[Printed]:
    """A document's entry written to its partial file, as a worker would have printed it."""
    (folder / f".{name}.partial").write_bytes(entry.files["pdf"])
    done: Future[Printed] = Future()
    # A document printed in parts keeps its parts' entries: they stay in the cache while it is used whole.
    done.set_result(Printed(int(entry.meta["pages"]), 0.0, [], [], entries=[str(part) for part in entry.meta.get("parts", [])]))
    return done
