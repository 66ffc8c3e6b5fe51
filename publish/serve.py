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

from macros.cohort import COHORT_VARIABLE, EDITION_VARIABLE, load_build
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


def restage(config: Path) -> bool:
    """Render every page into the staging folder; False, after printing what to fix, when the checks fail."""
    try:
        engines.stage("zensical", config, STAGE)
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


def watch(config: Path, stop: threading.Event, interval: float = 0.3) -> None:
    """Re-render the course whenever a watched file is added, changed or removed."""
    seen = _snapshot()
    while not stop.wait(interval):
        now = _snapshot()
        if now != seen:
            seen = now
            if restage(config):
                print("Re-rendered the course after a change.", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m publish.serve", description=__doc__.splitlines()[0])
    add_build_arguments(parser)
    parser.add_argument("--dev-addr", default="127.0.0.1:8000", help="where to serve (default: 127.0.0.1:8000)")
    args = parser.parse_args(argv)
    try:
        build = load_build(ROOT, args.cohort, args.edition)
    except ContentError as error:
        print(format_problems(error.problems), file=sys.stderr)
        return 1
    os.environ.update({COHORT_VARIABLE: build.cohort_id, EDITION_VARIABLE: build.edition, "NO_MKDOCS_2_WARNING": "1"})
    if args.engine == "mkdocs":
        return subprocess.run(mkdocs_command(sys.executable, args.config, args.dev_addr), cwd=ROOT, check=False).returncode
    program = engines.zensical_command()
    if not program.exists():
        print(f"Zensical is not installed at {program}. Fix: run `make serve ENGINE=zensical`, which installs it.", file=sys.stderr)
        return 1
    if not restage(args.config):
        return 1
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(args.config, stop), daemon=True)
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
