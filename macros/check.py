"""python -m macros.check: validate the data and every page without building (python -m publish checks the built site).

The checks are those of macros/checks (sources, and every page as it would be rendered).
Reports every problem at once, each with file, line and fix; exits 1 if there
are any. The source checks are fast enough to run on every save.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path

from .checks import in_reading_order, run
from .checks.sources import SOURCES, renames
from .course import CourseModel, load_model
from .errors import Problem, format_problems
from .reference import refresh


def write_reference(path: Path) -> int:
    """Refresh the generated macro table in path; 1 with a message if its markers are missing."""
    try:
        path.write_text(refresh(path.read_text(encoding="utf-8")), encoding="utf-8")
    except (OSError, ValueError) as error:
        print(f"{path}: {error}", file=sys.stderr)
        return 1
    print(f"Refreshed the macro reference in {path}")
    return 0


def pages_checked_meanwhile(model: CourseModel) -> Callable[[], list[Problem]]:
    """Start checking every page as it would be rendered (every_page): two pages in three in a copy of this process (a
    fork, on the machine's second core, sharing the loaded model; this process has the source checks to run meanwhile),
    the rest here when the returned function is called, which returns the problems of both. A copy that fails leaves
    its pages to be checked here."""
    if model.data is None:
        return list
    sources = [page.src_path for page in model.pages.values() if page.text is not None]
    here, there = sources[::3], [src for number, src in enumerate(sources) if number % 3]
    read, write = os.pipe()
    # Frozen while the copy is made, the collector leaves what is loaded alone in the copy, which shares its memory
    # instead of copying each page of it that a collection would touch; this process unfreezes it at once.
    gc.freeze()
    child = os.fork()
    if child == 0:  # the copy: check its pages, send their problems, and end without running anything of the parent's
        status = 1
        try:
            os.close(read)
            with os.fdopen(write, "wb") as out:
                pickle.dump([problem for src in there for problem in model.checked(src).problems], out)
            status = 0
        finally:
            os._exit(status)
    gc.unfreeze()
    os.close(write)

    def finish() -> list[Problem]:
        found = [problem for src in here for problem in model.checked(src).problems]
        with os.fdopen(read, "rb") as given:
            sent = given.read()
        _, status = os.waitpid(child, 0)
        if status == 0 and sent:
            return found + pickle.loads(sent)
        return found + [problem for src in there for problem in model.checked(src).problems]

    return finish


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m macros.check", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="mkdocs.yml", type=Path, help="the MkDocs config (default: mkdocs.yml)")
    parser.add_argument("--write-reference", type=Path, metavar="FILE", help="refresh the macro reference between its markers in FILE (CONTRIBUTING.md)")
    args = parser.parse_args(argv)
    if args.write_reference is not None:
        return write_reference(args.write_reference)
    model = load_model(args.config)
    # The sources' checks, every page's as it would be rendered, and (issue 18) the reflections against the revision
    # `make changes` compares with.
    pages = pages_checked_meanwhile(model)
    problems = in_reading_order(run((*SOURCES, renames), model) + pages())
    if problems:
        print(format_problems(problems), file=sys.stderr)
        return 1
    print("Content check passed: data and every page are valid.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
