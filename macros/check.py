"""python -m macros.check: validate the data and every page's macro calls, without building.

Reports every problem at once, each with file, line and fix; exits 1 if there
are any. Fast enough to run on every save.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .data import _display, load_course
from .errors import ContentError, Problem, format_problems
from .pages import check_source


def check_sources(docs_dir: Path) -> list[Problem]:
    """Every problem in the data files and the Markdown pages under docs_dir."""
    try:
        data = load_course(docs_dir)
    except ContentError as error:
        # Pages cannot be checked against broken data; report the data first.
        return list(error.problems)
    problems: list[Problem] = []
    for path in sorted(docs_dir.rglob("*.md")):
        if "data" in path.relative_to(docs_dir).parts[:1]:
            continue
        display = _display(path)
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            problems.append(Problem(display, line, "the page is not valid UTF-8 text.", "save it as UTF-8 (most editors offer this under 'Save with encoding')."))
            continue
        found, *_ = check_source(display, text, data)
        problems += found
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m macros.check", description=__doc__.splitlines()[0])
    parser.add_argument("--docs", default="docs", type=Path, help="the docs folder (default: docs)")
    args = parser.parse_args(argv)
    problems = check_sources(args.docs)
    if problems:
        print(format_problems(problems), file=sys.stderr)
        return 1
    print("Content check passed: data and every page are valid.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
