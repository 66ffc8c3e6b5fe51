"""Print one composed document with WeasyPrint: the only part of the print path that loads it (the EPUB never does).

A document goes to print_job as plain text (RenderJob), in this process or a worker; what WeasyPrint refused or warned
comes back (Printed) for the caller to judge (publish/pdf/build.py).
"""

from __future__ import annotations

import functools
import gc
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from macros.errors import Problem
from publish.cache import PrintCache

from . import speedup
from .fit import fitted
from .machine import release_memory
from .parts import Joined, PartCache, print_pages_parted, print_parted


class SiteFetcher(URLFetcher):
    """Lets WeasyPrint read files inside the built site and nothing else: no network, no other files."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols={"file", "data"})
        self.root = root.resolve()
        self.refused: list[str] = []
        # Every file read, so the print cache can tell when one changes (publish/cache.py).
        self.loaded: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            path = Path(url2pathname(unquote(urlsplit(url).path))).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                self.loaded.append(str(path))
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


def stylesheet_problem(message: str) -> Problem:
    """A WeasyPrint warning about print.css, at the line it names ('... at 130:15, unknown property.')."""
    where = re.search(r" at (\d+):\d+", message)
    return Problem("publish/pdf/print.css", int(where.group(1)) if where else 1, f"WeasyPrint will not apply a rule: {message}", "fix or remove that rule.")


@dataclass(frozen=True)
class RenderJob:
    """One document to print, as a worker process receives it: the HTML and the settings as text."""

    name: str
    html: str
    site_dir: str
    stylesheet: str
    page_css: str
    folder: str
    # The print cache a document printed in parts takes its unchanged parts from (publish/cache.py): its folder (None: no
    # cache), the build's settings, and whether the build reads nothing from it (--fresh).
    cache_folder: str | None = None
    cache_settings: tuple[tuple[str, str], ...] = ()
    fresh: bool = False
    # Pages that stand alone (the slides): printed in parts with no front or margin boxes (parts.print_pages_parted).
    pages_alone: bool = False


def cache_fields(cache: PrintCache | None) -> dict[str, Any]:
    """The print cache as a RenderJob names it (its folder, the build's settings, --fresh): plain values for a worker."""
    if cache is None or cache.folder is None:
        return {}
    return {"cache_folder": str(cache.folder), "cache_settings": tuple(sorted(cache.settings.items())), "fresh": cache.fresh}


@dataclass(frozen=True)
class Printed:
    """What printing one document gave back: its pages, the time it took, and what WeasyPrint refused or warned."""

    pages: int
    seconds: float
    refused: list[str]
    messages: list[str]
    # The files of the site it read (images), for the print cache.
    loaded: list[str] = field(default_factory=list)
    # A document printed in parts: how many parts (and front and margin documents) were printed and how many came from
    # the cache, and the cache entries it used, for the build to keep.
    parts_printed: int = 0
    parts_reused: int = 0
    entries: list[str] = field(default_factory=list)
    # A document printed in parts, until its parts are joined into its partial file (write_joined).
    joined: Joined | None = None


def start_worker() -> None:
    """A print worker's start (publish/pdf/build.py print_pool): this module, and WeasyPrint with it, loaded by importing
    it, and the faster page references installed."""
    speedup.install()


def print_job(job: RenderJob) -> Printed:
    """Print one document to its partial file in this process, its parts joined; the caller judges the warnings."""
    return write_joined(print_pieces(job), job)


def write_joined(printed: Printed, job: RenderJob) -> Printed:
    """A document printed in parts (print_pieces), its parts joined into its partial file; what the join says (a link to
    an anchor no part has) is added to what WeasyPrint said while printing."""
    if printed.joined is None:
        return printed
    started = time.perf_counter()
    with weasyprint_warnings() as messages:
        printed.joined.write(str(Path(job.folder) / f".{job.name}.partial"))
    return replace(printed, seconds=printed.seconds + time.perf_counter() - started, messages=[*printed.messages, *messages], joined=None)


def print_pieces(job: RenderJob) -> Printed:
    """Print one document (in this process or a worker): to its partial file, or, when it is printed in parts, to the
    parts that write_joined joins into it; the caller judges the warnings.

    A document with part marks (the reader, the guide, the slides) is laid out a part at a time (publish/pdf/parts.py),
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

    parted = print_pages_parted if job.pages_alone else print_parted
    with weasyprint_warnings() as messages:
        cache = PrintCache(Path(job.cache_folder) if job.cache_folder else None, dict(job.cache_settings), fresh=job.fresh)
        parts = PartCache(cache, job.name, site_dir.resolve(), fetcher.loaded, lambda: len(messages) + len(fetcher.refused))
        joined = parted(job.html, render, [job.stylesheet, job.page_css], _stylesheet, parts)
        if joined is not None:
            pages = len(joined.pages)
        else:
            rendered = render(job.html, [_stylesheet(job.stylesheet), _stylesheet(job.page_css)])
            pages = len(rendered.pages)
            rendered.write_pdf(partial, pdf_variant="pdf/ua-1")
            del rendered
    gc.collect()
    release_memory()
    return Printed(
        pages,
        time.perf_counter() - started,
        list(fetcher.refused),
        list(messages),
        sorted(set(fetcher.loaded)),
        parts.printed,
        parts.reused,
        parts.entries,
        joined,
    )


@functools.lru_cache(maxsize=1)
def _font_configuration() -> FontConfiguration:
    """One font configuration per process: a new one per document leaks a little of fontconfig's memory each time."""
    return FontConfiguration()


@functools.lru_cache(maxsize=8)
def _stylesheet(text: str) -> CSS:
    """A stylesheet parsed once per process: every document a worker prints shares it (their warnings are print.css's own, found before printing)."""
    return CSS(string=text)
