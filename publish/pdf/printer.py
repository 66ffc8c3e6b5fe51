"""Print one composed document with WeasyPrint: the only part of the print path that loads it (the EPUB never does).

A document goes to print_job as plain text (RenderJob, publish/pdf/jobs.py), in this process or a worker; what WeasyPrint
refused or warned comes back (Printed) for the caller to judge (publish/pdf/build.py).
"""

from __future__ import annotations

import functools
import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from publish.cache import PrintCache

from .fit import fitted
from .jobs import Printed, RenderJob, write_joined
from .machine import release_memory
from .parts import PartCache, print_pages_parted, print_parted


class SiteFetcher(URLFetcher):
    """Lets WeasyPrint read files inside the built site and nothing else: no network, no other files."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols={"file", "data"})
        # The documents' base URL: a file the site's pages point at is named from the site's root, as they wrote it.
        self.base = root.as_uri() + "/"
        self.root = root.resolve()
        # What was refused: a file the site lacks by its address from the site's root, anything else by its URL.
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
        self.refused.append(url.removeprefix(self.base) or url)
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


def print_job(job: RenderJob) -> Printed:
    """Print one document to its partial file in this process, its parts joined; the caller judges the warnings."""
    return write_joined(print_pieces(job), job)


def print_pieces(job: RenderJob) -> Printed:
    """Print one document (in this process or a worker): to its partial file, or, when it is printed in parts, to the
    parts that jobs.write_joined joins into it; the caller judges the warnings.

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
            document = HTML(string=html, base_url=fetcher.base, url_fetcher=fetcher)
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
