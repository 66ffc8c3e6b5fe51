"""python -m publish.changes: what a change does to the course, in plain words, and where readers will see it.

Compares the course at a base revision (by default the merge base with the default branch) with the working
tree: records added, removed or changed in the data and the cohort manifests, shown item by item as word
diffs; pages whose prose changed, paragraph by paragraph; and for each, where it will be seen (pages, search,
handouts, the reader, the workbook, the facilitator guide). Quotations, citations and facilitator-only text are
flagged for a second look. Prints Markdown for a pull request's job summary (GITHUB_STEP_SUMMARY set, or
--format markdown), plain text otherwise, and nothing when nothing changed.

Each side is the course model a build at that revision makes (macros/course.py), so make changes compares two
models; "where" comes from rendering every macro call of every page with and without the change, so it follows the
macros, not a list kept here.

One job per file: the base revision is found and written out by macros/revision.py; side.py reads each side;
render.py renders its macro calls; seen.py says where a difference shows; diff.py finds the values that changed;
compare.py puts them into a report (report.py), which prints it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from macros.revision import RevisionError, export, resolve_base

from .compare import compare
from .report import Format, Report, render_report
from .side import CONFIG_FILE, load_side


def changes(root: Path, base: str | None, config: str = CONFIG_FILE) -> Report:
    """Compare the working tree under root with a base revision, each read from its config at root/config (make changes
    CONFIG=...: its docs_dir, nav and data); raises RevisionError."""
    commit, label = resolve_base(root, base)
    # A revision is written out by paths from the checkout: the config's too.
    config = Path(config).resolve().relative_to(root).as_posix() if Path(config).is_absolute() else Path(config).as_posix()
    head = load_side(root, config)
    with tempfile.TemporaryDirectory(prefix="changes-") as folder:
        export(root, commit, Path(folder), head.parts)
        return compare(load_side(Path(folder), config), head, label)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m publish.changes", description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="the revision to compare with (default: the merge base with the default branch)")
    parser.add_argument(
        "--format", choices=("text", "markdown"), help="text for a terminal, markdown for a job summary (default: markdown when GITHUB_STEP_SUMMARY is set)"
    )
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the checkout to compare (default: this folder)")
    parser.add_argument("--config", default=CONFIG_FILE, help=f"the MkDocs config, from the checkout (default: {CONFIG_FILE})")
    args = parser.parse_args(argv)
    style: Format = args.format or ("markdown" if os.environ.get("GITHUB_STEP_SUMMARY") else "text")
    try:
        report = changes(args.root.resolve(), args.base or None, args.config)
    except RevisionError as error:
        print(error, file=sys.stderr)
        return 1
    sys.stdout.write(render_report(report, style))
    return 0
