"""python -m macros.check: validate the data and every page without building (python -m publish checks the built site).

The checks are those of macros/checks (sources, and every page as it would be rendered).
Reports every problem at once, each with file, line and fix; exits 1 if there
are any. The source checks are fast enough to run on every save.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .checks import run
from .checks.rendered import every_page
from .checks.sources import SOURCES, renames
from .course import load_model
from .errors import format_problems
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
    problems = run((*SOURCES, every_page, renames), model)
    if problems:
        print(format_problems(problems), file=sys.stderr)
        return 1
    print("Content check passed: data and every page are valid.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
