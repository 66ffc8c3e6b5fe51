"""python -m publish.serve: the live preview (make serve), on either engine; no PDFs, so it stays fast.

With MkDocs, `mkdocs serve --dirty` renders each page through our macros hook, and a save rebuilds only the saved
page and the pages that show it (publish/preview.py decides which, and rebuilds everything when in doubt).
Zensical never calls that hook, so here every page is rendered by our checker and sandbox into a staging folder
first (publish/engines.py), and re-rendered whenever a source changes; Zensical serves that folder and rebuilds
what changed. A page that fails the checks is reported and the preview keeps the last good version of the course.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from pathlib import Path

from macros.cohort import COHORT_VARIABLE, EDITION_VARIABLE
from macros.course import load_model
from macros.errors import ContentError, format_problems
from publish import engines
from publish.__main__ import add_build_arguments

ROOT = engines.ROOT
# What a preview watches: the pages and data, cohort manifests, theme overrides and the settings.
WATCHED = ("docs", "cohorts", "overrides", "mkdocs.yml")
STAGE = ROOT / ".build" / "zensical-preview"
# What `mkdocs serve` watches besides docs/ and the config file, which it always watches.
MKDOCS_WATCHED = ("overrides", "cohorts")


def mkdocs_command(python: str, config: Path, dev_addr: str, root: Path = ROOT) -> list[str]:
    """`mkdocs serve` as `make serve` runs it in root: strict, dirty (publish/preview.py picks the pages a save rebuilds), watching overrides and cohorts."""
    command = [python, "-m", "mkdocs", "serve", "--strict", "--dirty", "--config-file", str(config), "--dev-addr", dev_addr]
    for folder in MKDOCS_WATCHED:
        if (root / folder).is_dir():
            command += ["--watch", folder]
    return command


def restage(config: Path, cohort: str, edition: str) -> bool:
    """Load the course anew and render every page into the staging folder; False, after printing what to fix, when the checks fail."""
    model = load_model(config, cohort=cohort, edition=edition, engine="zensical")
    try:
        engines.stage(model, STAGE)
    except ContentError as error:
        print(format_problems(error.problems), file=sys.stderr, flush=True)
        return False
    return True


def _snapshot() -> dict[Path, float]:
    found: dict[Path, float] = {}
    for name in WATCHED:
        path = ROOT / name
        for item in [path] if path.is_file() else path.rglob("*") if path.is_dir() else []:
            if item.is_file():
                found[item] = item.stat().st_mtime
    return found


def watch(config: Path, cohort: str, edition: str, stop: threading.Event, interval: float = 0.3) -> None:
    """Re-render the course whenever a watched file is added, changed or removed."""
    seen = _snapshot()
    while not stop.wait(interval):
        now = _snapshot()
        if now != seen:
            seen = now
            if restage(config, cohort, edition):
                print("Re-rendered the course after a change.", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m publish.serve", description=__doc__.splitlines()[0])
    add_build_arguments(parser)
    parser.add_argument("--dev-addr", default="127.0.0.1:8000", help="where to serve (default: 127.0.0.1:8000)")
    args = parser.parse_args(argv)
    # Checked here, before a server starts; `mkdocs serve` is then told the choice the way mkdocs.yml reads it by hand.
    model = load_model(args.config, cohort=args.cohort, edition=args.edition, engine=args.engine)
    if model.problems:
        print(format_problems(model.problems), file=sys.stderr)
        return 1
    build = model.build
    os.environ.update({COHORT_VARIABLE: build.cohort_id, EDITION_VARIABLE: build.edition, "NO_MKDOCS_2_WARNING": "1"})
    if args.engine == "mkdocs":
        return subprocess.run(mkdocs_command(sys.executable, args.config, args.dev_addr), cwd=ROOT, check=False).returncode
    program = engines.zensical_command()
    if not program.exists():
        print(f"Zensical is not installed at {program}. Fix: run `make serve ENGINE=zensical`, which installs it.", file=sys.stderr)
        return 1
    if not restage(args.config, build.cohort_id, build.edition):
        return 1
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(args.config, build.cohort_id, build.edition, stop), daemon=True)
    watcher.start()
    server = subprocess.Popen([str(program), "serve", "--config-file", str(STAGE / engines.STAGED_CONFIG), "--dev-addr", args.dev_addr], cwd=STAGE)
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        return 0
    finally:
        stop.set()


if __name__ == "__main__":
    sys.exit(main())
