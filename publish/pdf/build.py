"""Compose and render the PDFs: the course reader, a handout per page with prompts, and the reflection workbook."""

from __future__ import annotations

import functools
import gc
import logging
import multiprocessing
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from bs4 import Tag
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from macros.cohort import Edition
from macros.course import CourseModel
from macros.downloads import GUIDE_PDF, HOME_PAGE, PDF_FOLDER, READER_PDF, WORKBOOK_PDF, handout_pdf, slides_offered
from macros.errors import ContentError, Problem
from macros.models import Course

from . import content, speedup
from .fit import fitted
from .machine import MachineError, lack_in_warning, machine_lacks, release_memory
from .parts import PART_MARK, print_parted
from .qr import online
from .site import SitePage, SiteSettings, first_askers, load_pages, settings_of

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
STYLESHEET = HERE / "print.css"
EDITION_LABELS: dict[str, str] = {"participant": "", "facilitator": "Facilitator edition"}
# Worker processes that print: one per core of the machines the build is made for (2).
PRINT_WORKERS = 2
# Ruled lines under each prompt: a reflection wants room to write, a discussion room for notes.
REFLECTION_LINES = 8
DISCUSSION_LINES = 5
TEMPLATES = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
TEMPLATES.globals["part_mark"] = Markup(PART_MARK)


@dataclass(frozen=True)
class PrintedCohort:
    """The cohort a printed set is for, as covers and handout heads show it (its name and its dates)."""

    name: str
    dates: str | None = None


@dataclass(frozen=True)
class BuiltPdf:
    """One PDF written: where, its title, how many pages, and how long it took."""

    name: str
    path: Path
    title: str
    pages: int
    seconds: float


class SiteFetcher(URLFetcher):
    """Lets WeasyPrint read files inside the built site and nothing else: no network, no other files."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols={"file", "data"})
        self.root = root.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            path = Path(url2pathname(unquote(urlsplit(url).path))).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                return super().fetch(url, headers)
        self.refused.append(url)
        raise ValueError(f"{url} is outside the built site")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def weasyprint_warnings() -> Iterator[list[str]]:
    """Collect what WeasyPrint warns about (bad CSS, unreadable resources) while the block runs."""
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def stylesheet_warnings(css: str) -> list[str]:
    """What WeasyPrint says about a stylesheet on its own: any message means a rule it will not apply."""
    with weasyprint_warnings() as messages:
        CSS(string=css)
    return list(messages)


def _stylesheet_problem(message: str) -> Problem:
    """A WeasyPrint warning about print.css, at the line it names ('... at 130:15, unknown property.')."""
    where = re.search(r" at (\d+):\d+", message)
    return Problem("publish/pdf/print.css", int(where.group(1)) if where else 1, f"WeasyPrint will not apply a rule: {message}", "fix or remove that rule.")


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_css(settings: SiteSettings, running: str) -> str:
    """The rules that depend on settings: paper size and the course line of the running header."""
    size = "A4" if settings.page_size == "a4" else "letter"
    return f"@page {{ size: {size}; @top-left {{ content: {_css_string(running)}; }} }}\n@page :first {{ @top-left {{ content: none; }} }}\n"


def _mark_headings(article: Tag, page: SitePage, level: int, title: str) -> None:
    """Bookmark the page's title with its nav title (and its sections one level down); the title also feeds the running header."""
    heading = article.find("h1")
    if not isinstance(heading, Tag):
        heading = content.new_tag("h1", text=page.title)
        article.insert(0, heading)
    content.add_class(heading, "page-title", f"bm-{min(level, 4)}")
    heading["data-bookmark"] = title
    for section in article.find_all("h2"):
        content.add_class(section, f"bm-{min(level + 1, 4)}")
        section["data-bookmark"] = section.get_text(" ", strip=True)


def _unmarked(html: str) -> Markup:
    """Page content for a document printed in parts: a part mark written in a page would cut it where the page does not break."""
    return Markup(html.replace(PART_MARK, ""))


@dataclass
class _Document:
    """One PDF to write: its file name, template, title and what the template needs."""

    name: str
    template: str
    title: str
    subject: str
    context: dict[str, Any]
    sources: list[SitePage]
    # file URL -> what the page wrote, to name a refused image the way its author wrote it.
    images: dict[str, str] = field(default_factory=dict)


class PdfBuilder:
    """Builds every PDF of one edition from one built site."""

    def __init__(self, site_dir: Path, settings: SiteSettings, course: Course, cohort: PrintedCohort | None, edition: Edition) -> None:
        self.site_dir = site_dir
        self.settings = settings
        self.course = course
        self.cohort = cohort
        self.edition = edition
        self.pages = load_pages(site_dir, settings)
        self.stylesheet = STYLESHEET.read_text(encoding="utf-8")
        self._handout_pages: list[SitePage] | None = None

    def _common(self, kind: str) -> dict[str, Any]:
        return {"kind": kind, "settings": self.settings, "course": self.course, "cohort": self.cohort, "edition_label": EDITION_LABELS[self.edition]}

    def _prepared(self, pages: list[SitePage], *, lines: bool) -> Iterator[tuple[SitePage, Tag, dict[str, str]]]:
        """Printable copies of pages for one PDF, with ids prefixed and links resolved among them, made one at a time.

        Each comes with what its images were written as. For a PDF of several pages, every page's anchors are learnt
        first from a copy dropped at once: no more than one copy is held at a time (the reader's, all held together,
        were the largest part of the build's memory while it composes).
        """
        links = content.Links(site_url=self.settings.site_url, pages={p.url: p.key for p in pages})
        for page in pages:
            if len(pages) > 1:
                links.anchors |= content.prefix_ids(content.printable(page), page.key)
            links.anchors.add(page.key)
        for page in pages:
            article = content.printable(page)
            links.anchors |= content.prefix_ids(article, page.key)
            images = content.resolve_images(article, page, self.site_dir)
            content.pictures_after_text(article)
            if lines:
                content.add_writing_space(article, REFLECTION_LINES, DISCUSSION_LINES)
            content.rewrite_links(article, page, links)
            yield page, article, images

    def reader(self) -> _Document:
        """The whole course in nav order, with cover and contents."""
        prepared = self._prepared(self.pages, lines=False)
        images: dict[str, str] = {}
        parts: list[dict[str, Any]] = []
        contents: list[dict[str, Any]] = []

        def walk(entries: tuple[Any, ...], level: int) -> None:
            for entry in entries:
                if entry.src is None:
                    anchor = f"section-{len(parts)}"
                    parts.append({"html": None, "title": entry.title, "anchor": anchor, "level": min(level, 4)})
                    contents.append({"title": entry.title, "anchor": anchor, "level": min(level, 3)})
                    walk(entry.children, level + 1)
                    continue
                # The pages are the nav's, in its order (load_pages).
                page, article, page_images = next(prepared)
                images.update(page_images)
                _mark_headings(article, page, level, entry.title)
                here = online(self.settings.site_url, page.url)
                parts.append({"html": _unmarked(article.decode_contents()), "anchor": page.key, "level": level, "online": here})
                contents.append({"title": entry.title, "anchor": page.key, "level": min(level, 3)})

        walk(self.settings.nav, 1)
        context = {**self._common("reader"), "parts": parts, "contents": contents}
        title = f"{self.course.title}: Course reader"
        return _Document(READER_PDF, "reader.html", title, self.settings.description, context, self.pages, images)

    def handout_pages(self) -> list[SitePage]:
        """The pages that get a handout: those that first ask a reflection or discussion prompt (a page that only repeats them, like a journal, gets none)."""
        if self._handout_pages is not None:
            return list(self._handout_pages)
        chosen = first_askers((page.src, [str(block["data-prompt"]) for block in content.prompt_blocks(page.article)]) for page in self.pages)
        self._handout_pages = [page for page in self.pages if page.src in chosen]
        return list(self._handout_pages)

    def handout(self, page: SitePage) -> _Document:
        """One page's content and prompts, with writing space and a line for name, cohort and date."""
        _, article, images = next(self._prepared([page], lines=True))
        _mark_headings(article, page, 1, page.title)
        part = {"html": Markup(article.decode_contents()), "anchor": page.key, "online": online(self.settings.site_url, page.url)}
        title = f"{self.course.title}: Handout, {page.title}"
        subject = f"Handout for {page.title}, with its reflection and discussion prompts."
        return _Document(handout_pdf(page.src), "handout.html", title, subject, {**self._common("handout"), "part": part}, [page], images)

    def workbook(self) -> _Document:
        """Every prompt in course order, each with ruled writing space; discussions keep their time box."""
        pages = self.handout_pages()
        parts = []
        asked: set[str] = set()
        for page in pages:
            article = content.printable(page)
            content.prefix_ids(article, page.key)
            # Links inside a prompt lead nowhere on paper.
            for link in article.select("a[href]"):
                link.unwrap()
            content.add_writing_space(article, REFLECTION_LINES, DISCUSSION_LINES)
            entries = []
            for entry in article.select(".print-entry"):
                prompt = str(entry.select_one("[data-prompt]")["data-prompt"])  # type: ignore[index]
                if prompt not in asked:
                    asked.add(prompt)
                    entries.append(Markup(str(entry)))
            parts.append({"title": page.title, "anchor": page.key, "entries": entries})
        title = f"{self.course.title}: Reflection workbook"
        subject = "Every reflection prompt of the course in order, with space to write, and each discussion prompt with its time box."
        return _Document(WORKBOOK_PDF, "workbook.html", title, subject, {**self._common("workbook"), "parts": parts}, pages)

    def guide(self) -> _Document:
        """Facilitator edition (issue 6): the run of show and logistics, then every facilitator note under its page."""
        parts, images = [], {}
        for page, article, page_images in self._prepared(self.pages, lines=False):
            images.update(page_images)
            blocks = article.select(content.GUIDE_BLOCKS)
            if blocks:
                parts.append({"title": page.title, "anchor": page.key, "html": _unmarked("\n".join(str(block) for block in blocks))})
        title = f"{self.course.title}: Facilitator guide"
        subject = "The run of show, the discussion logistics and every facilitator note, in course order."
        # The slides this edition presents from: linked online when the site's address is known, named otherwise.
        site_url = self.settings.site_url
        slides = [{"path": path, "text": text, "href": site_url + path if site_url else None} for path, text in slides_offered(facilitator=True)]
        return _Document(GUIDE_PDF, "guide.html", title, subject, {**self._common("guide"), "parts": parts, "slides": slides}, self.pages, images)

    def document_names(self) -> list[str]:
        """The file name of every PDF of this edition, in the order compose() makes them."""
        guide = [GUIDE_PDF] if self.edition == "facilitator" else []
        return [READER_PDF, WORKBOOK_PDF, *guide, *(handout_pdf(page.src) for page in self.handout_pages())]

    def compose(self) -> Iterator[_Document]:
        """Every PDF of this edition, one at a time, longest first, so printing can start before the rest is composed."""
        yield self.reader()
        yield self.workbook()
        if self.edition == "facilitator":
            yield self.guide()
        for page in self.handout_pages():
            yield self.handout(page)

    def release(self) -> None:
        """Let go of the parsed pages once every document is composed (messages only need each page's text)."""
        for page in self.pages:
            page.release()
        gc.collect()
        release_memory()

    def job(self, document: _Document, folder: Path) -> RenderJob:
        """What a worker process needs to print one document: plain, picklable values only."""
        html = TEMPLATES.get_template(document.template).render(title=document.title, subject=document.subject, **document.context)
        running = self.course.title + (f" · {self.cohort.name}" if self.cohort else "")
        return RenderJob(document.name, html, str(self.site_dir), self.stylesheet, page_css(self.settings, running), str(folder))

    def finish(self, document: _Document, folder: Path, printed: Printed) -> BuiltPdf:
        """Turn what WeasyPrint refused or warned about into problems; else move the PDF into place."""
        target = folder / document.name
        partial = folder / f".{document.name}.partial"
        problems = [content.refusal(url, document.sources, document.images, ROOT) for url in printed.refused]
        messages = [m for m in printed.messages if not _is_refusal(m, printed.refused)]
        # A warning about the machine (a missing library) is not a rule in print.css: say what to install.
        lacks = [lack for lack in map(lack_in_warning, messages) if lack is not None]
        if lacks:
            partial.unlink(missing_ok=True)
            raise MachineError(lacks)
        problems += [
            Problem("publish/pdf/print.css", 1, f"WeasyPrint warned while printing {document.name}: {m}", "fix the rule or the markup it names.")
            for m in messages
        ]
        if problems:
            partial.unlink(missing_ok=True)
            raise ContentError(problems)
        os.replace(partial, target)
        return BuiltPdf(document.name, target, document.title, printed.pages, printed.seconds)

    def render(self, document: _Document, folder: Path) -> BuiltPdf:
        """Write one PDF (tagged, PDF/UA-1) in this process, next to its final name, then move it into place.

        For a single document; `make site` prints every document in worker processes (build_pdfs).
        """
        started = time.perf_counter()
        printed = print_job(self.job(document, folder))
        return self.finish(document, folder, replace(printed, seconds=time.perf_counter() - started))


@dataclass(frozen=True)
class RenderJob:
    """One document to print, as a worker process receives it: the HTML and the settings as text."""

    name: str
    html: str
    site_dir: str
    stylesheet: str
    page_css: str
    folder: str


@dataclass(frozen=True)
class Printed:
    """What printing one document gave back: its pages, the time it took, and what WeasyPrint refused or warned."""

    pages: int
    seconds: float
    refused: list[str]
    messages: list[str]


def print_job(job: RenderJob) -> Printed:
    """Print one document to its partial file (in this process or a worker); the caller judges the warnings.

    A document with part marks (the reader, the guide) is laid out a part at a time and joined (publish/pdf/parts.py),
    so its memory does not grow with the course; any other, or one the parts cannot print exactly, is laid out whole.
    """
    started = time.perf_counter()
    site_dir = Path(job.site_dir)
    fetcher = SiteFetcher(site_dir)
    partial = Path(job.folder) / f".{job.name}.partial"
    fonts = _font_configuration()

    def render(html: str, stylesheets: list[CSS]) -> Any:
        def lay_out(sheets: list[CSS]) -> Any:
            document = HTML(string=html, base_url=site_dir.as_uri() + "/", url_fetcher=fetcher)
            return document.render(stylesheets=sheets, font_config=fonts, pdf_variant="pdf/ua-1")

        # A picture that would leave the page before it a third empty is narrowed to fit there (publish/pdf/fit.py).
        return fitted(lay_out, stylesheets)

    with weasyprint_warnings() as messages:
        pages = print_parted(job.html, render, [job.stylesheet, job.page_css], _stylesheet, str(partial))
        if pages is None:
            rendered = render(job.html, [_stylesheet(job.stylesheet), _stylesheet(job.page_css)])
            pages = len(rendered.pages)
            rendered.write_pdf(partial, pdf_variant="pdf/ua-1")
            del rendered
    gc.collect()
    release_memory()
    return Printed(pages, time.perf_counter() - started, list(fetcher.refused), list(messages))


@functools.lru_cache(maxsize=1)
def _font_configuration() -> FontConfiguration:
    """One font configuration per process: a new one per document leaks a little of fontconfig's memory each time."""
    return FontConfiguration()


@functools.lru_cache(maxsize=8)
def _stylesheet(text: str) -> CSS:
    """A stylesheet parsed once per process: every document a worker prints shares it (their warnings are print.css's own, found before printing)."""
    return CSS(string=text)


def _is_refusal(message: str, refused: list[str]) -> bool:
    return any(url in message for url in refused)


def check_downloads(builder: PdfBuilder, made: set[str]) -> list[Problem]:
    """Every PDF a page offers exists, each page with a handout offers it, and the home page offers the reader and workbook."""
    problems = []
    handouts = {page.src: handout_pdf(page.src) for page in builder.handout_pages()}
    for page in builder.pages:
        offered = set()
        # The EPUB's link is checked where the EPUB is made (publish/epub).
        for link in page.article.select('.cw-downloads a[href][type="application/pdf"]'):
            path = urlsplit(str(link["href"])).path
            if path.rsplit("/", 2)[-2:-1] != [PDF_FOLDER]:
                continue  # the slides' PDF, checked with the slides (publish/slides)
            name = path.rsplit("/", 1)[-1]
            offered.add(name)
            if name not in made:
                fix = "remove {{ downloads() }} from this page, or add a reflection or discussion prompt so it gets a handout."
                problems.append(Problem(page.display, page.title_line(ROOT), f"the page offers {PDF_FOLDER}/{name}, but no such PDF is made.", fix))
        wanted = {handouts[page.src]} if page.src in handouts else set()
        if page.src == HOME_PAGE:
            wanted |= {READER_PDF, WORKBOOK_PDF}
        for name in sorted(wanted - offered):
            problems.append(
                Problem(
                    page.display,
                    page.title_line(ROOT),
                    f"the page does not offer {PDF_FOLDER}/{name}.",
                    "add the line {{ downloads() }} below the page's objectives (or its first paragraph).",
                )
            )
    return problems


def print_setup(model: CourseModel, cohort_name: str | None, cohort_dates: str | None) -> tuple[SiteSettings, Course, PrintedCohort | None]:
    """What every printed document needs (the PDFs, the EPUB): the site's settings, the course record and the cohort."""
    settings = settings_of(model)
    return settings, model.require().course, PrintedCohort(cohort_name, cohort_dates) if cohort_name else None


def build_pdfs(
    site_dir: Path,
    *,
    model: CourseModel,
    cohort_name: str | None = None,
    cohort_dates: str | None = None,
    edition: Edition = "participant",
) -> list[BuiltPdf]:
    """Write the reader, a handout per page with prompts and the workbook into site_dir/pdf/; raises ContentError."""
    settings, course, cohort = print_setup(model, cohort_name, cohort_dates)
    lacks = machine_lacks(STYLESHEET)
    if lacks:
        raise MachineError(lacks)
    stylesheet_problems = [_stylesheet_problem(m) for m in stylesheet_warnings(STYLESHEET.read_text(encoding="utf-8"))]
    if stylesheet_problems:
        raise ContentError(stylesheet_problems)
    builder = PdfBuilder(site_dir, settings, course, cohort, edition)
    names = builder.document_names()
    problems = check_downloads(builder, set(names))
    if problems:
        raise ContentError(problems)
    folder = site_dir / PDF_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return _render_parallel(builder, folder)


def _render_parallel(builder: PdfBuilder, folder: Path) -> list[BuiltPdf]:
    """Print every document in two worker processes, longest first; PDFs move into place in document order.

    Two workers keep both cores busy to the end: the reader (the longest, printed in parts) goes first, then the
    workbook and guide, then the handouts, each taken by whichever worker is free. This process only composes the
    documents, then lets go of the parsed pages while the workers print, so the build's memory is the workers' own.
    Each document goes to a worker as text (its HTML and the settings) and the worker writes its own partial file;
    warnings and refusals come back here and fail the build exactly as before.
    """
    # A fresh interpreter, not a fork: a fork would carry (and count) this process's memory again.
    context = multiprocessing.get_context("spawn")
    documents: list[_Document] = []
    futures = []
    try:
        # Only the workers use the faster page references (for the pinned pydyf; publish/pdf/speedup.py).
        with ProcessPoolExecutor(max_workers=PRINT_WORKERS, mp_context=context, initializer=speedup.install) as pool:
            try:
                for document in builder.compose():
                    futures.append(pool.submit(print_job, builder.job(document, folder)))
                    # What the template needed is printed now; keep only what messages name.
                    documents.append(replace(document, context={}))
                builder.release()
                printed = [future.result() for future in futures]
            finally:
                for future in futures:
                    future.cancel()
        return [builder.finish(document, folder, result) for document, result in zip(documents, printed, strict=True)]
    finally:
        for document in documents:
            (folder / f".{document.name}.partial").unlink(missing_ok=True)
