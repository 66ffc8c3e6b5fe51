"""What crosses between the build and its print workers (publish/pdf/build.py PrintPool): the jobs they are sent
(RenderJob), what they give back (Printed), the functions a worker runs, and the join of what they printed in parts.

This module and what it imports never load WeasyPrint: the build's own process composes the documents and joins the
parts, while the workers, which load WeasyPrint as they start (start_worker, while the site is built), check the machine
and print (publish/pdf/printer.py, imported only here, in the worker).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from publish.cache import PrintCache, machine_fingerprint

from .join import Joined
from .machine import Lack, MachineError, machine_lacks


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


@dataclass(frozen=True)
class Checked:
    """What a print worker found before any document is printed: what the machine lacks for printing, and what WeasyPrint
    says of print.css on its own (any message is a rule it will not apply)."""

    lacks: list[Lack]
    stylesheet: list[str]


def start_worker() -> None:
    """A print worker's start: the printer, and WeasyPrint with it, loaded, the faster page references installed
    (publish/pdf/speedup.py), and the print cache's fingerprint of the machine taken. A machine without WeasyPrint's
    libraries starts the worker all the same: check_printing, its first job, says what it lacks."""
    try:
        from . import printer, speedup  # noqa: F401
    except OSError:
        return
    speedup.install()
    # What every print cache key holds (the libraries, fonts and print code), worked out now rather than by the first job.
    machine_fingerprint()


def check_printing(stylesheet: str) -> Checked:
    """What the machine lacks for printing with the stylesheet (print.css's text: WeasyPrint's libraries, its fonts),
    and what WeasyPrint says of it."""
    try:
        lacks = machine_lacks(stylesheet)
    except MachineError as error:
        return Checked(error.lacks, [])
    from .printer import stylesheet_warnings

    return Checked(lacks, stylesheet_warnings(stylesheet))


def print_document(job: RenderJob) -> Printed:
    """Print one document in a worker (printer.print_pieces): its partial file, or the pieces of its join."""
    from .printer import print_pieces

    return print_pieces(job)


def write_joined(printed: Printed, job: RenderJob) -> Printed:
    """A document printed in parts (printer.print_pieces), its parts joined into its partial file (with pikepdf alone:
    what the join needs of WeasyPrint, and what WeasyPrint says of it, the worker made as it printed: Joined.mark)."""
    if printed.joined is None:
        return printed
    started = time.perf_counter()
    printed.joined.write(str(Path(job.folder) / f".{job.name}.partial"))
    return replace(printed, seconds=printed.seconds + time.perf_counter() - started, joined=None)
