"""Every check that makes Problems, in one home, by the phase it runs in: a phase runs its list of checks in order
and gathers every problem (run), so an author reads them all at once, file by file (in_reading_order).

- sources.py   before anything is rendered, from the model alone: what the loaders met (data, manifests, settings),
               pages that are not UTF-8, links and images, page templates, the nav, renamed reflections (make check).
               SOURCES, run by check_sources(model): make check, python -m publish (first), the preview.
- rendered.py  one page's source as it is rendered: front matter, macro calls (templates.PageChecker), raw HTML and
               markup, facilitator notes, discussion minutes. check_source, run once per page per build
               (CourseModel.checked); make check runs it on every page (every_page).
- built.py     the built site, before it is swapped into place: links, anchors, files, ids, records no page shows,
               the allow-list on every HTML file, calendars no page offers. BUILT, run by check_built_site(site, model).
- machine      what the machine lacks (a library, a font): check_machine in publish/pdf/machine.py (Cairo), run by
               python -m publish before anything else, and what printing needs, checked by the print workers as they
               start (publish/pdf/jobs.py check_printing; PrintPool.check raises it before any document is sent); each
               raises MachineError, since nothing can be built without it.

A new check: a function of the model (or of the model and what its phase made) returning list[Problem], in its
phase's module and in that module's list; each Problem names the file, the line, what is wrong and the fix
(macros/errors.py), and tests/test_errors.py holds its words. Problems met while reading or printing (a YAML file
that does not parse, WeasyPrint's warnings) are made where they are met and reach the same report; so are the checks
that need the printed documents in hand (each page offers what CourseModel.offers says: publish/pdf/compose.py
check_downloads, publish/epub/build.py check_offered), which run as those documents are made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..errors import Problem

Check = Callable[..., list[Problem]]


def in_reading_order(problems: list[Problem]) -> list[Problem]:
    """Each problem once, file by file and line by line, the order an author fixes them in."""
    return sorted(set(problems), key=lambda p: (p.path, p.line, p.message))


def run(checks: Iterable[Check], *arguments: Any) -> list[Problem]:
    """Every problem the checks find, each given the same arguments, in reading order."""
    return in_reading_order([problem for check in checks for problem in check(*arguments)])
