"""python -m publish.serve: the live preview (make serve), on either engine; no PDFs, so it stays fast.

With MkDocs, MkDocs' own serve (as `mkdocs serve --strict --dirty`) runs in this process on mkdocs.yml read afresh
before each rebuild with the preview's choices in `extra` (the cohort, the edition), never the environment; each page
is rendered through our macros hook, and a save rebuilds only the saved page and the pages that show it
(publish/preview.py decides which, and rebuilds everything when in doubt).
Zensical never calls that hook, so here every page is rendered by our checker and sandbox into a staging folder
first (publish/engines.py), and re-rendered whenever a source changes; Zensical serves that folder and rebuilds
what changed. A page that fails the checks is reported and the preview keeps the last good version of the course.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

from macros.course import CourseModel, Settings, load_model, settings_with_choices, settings_yaml
from macros.errors import ContentError, format_problems
from publish import engines
from publish.__main__ import add_build_arguments

ROOT = engines.ROOT
# What a preview watches besides the docs folder and the config: cohort manifests and theme overrides.
WATCHED = ("cohorts", "overrides")
STAGE = ROOT / ".build" / "zensical-preview"
# What `mkdocs serve` watches besides docs/ and the config file, which it always watches.
MKDOCS_WATCHED = ("overrides", "cohorts")


def serve_command(python: str, config: Path, dev_addr: str) -> list[str]:
    """`make serve` (MkDocs) as a command line, for the tests and the bench to start as `make serve` does."""
    return [python, "-m", "publish.serve", "--config", str(config), "--dev-addr", dev_addr]


class ConfigWithChoices(io.BytesIO):
    """mkdocs.yml as MkDocs' serve loads it before every rebuild: read afresh from disk, with the preview's choices in
    `extra`. MkDocs' load_config takes an open file: it seeks to the start (the file is read again here), reads it, and
    closes it (a no-op here, so the next rebuild reads it again). Its name is mkdocs.yml's, so MkDocs resolves paths
    and watches the file as for mkdocs.yml itself."""

    def __init__(self, config_file: Path, settings: Settings) -> None:
        super().__init__()
        self.name = str(config_file)
        self.settings = settings

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if (offset, whence) == (0, io.SEEK_SET):
            text = settings_yaml(settings_with_choices(Path(self.name).read_text(encoding="utf-8"), self.settings))
            self.truncate(0)
            super().seek(0)
            self.write(text.encode("utf-8"))
        return super().seek(offset, whence)

    def close(self) -> None:
        """Kept open: MkDocs reads it again for the next rebuild."""


def serve_mkdocs(model: CourseModel, dev_addr: str) -> int:
    """MkDocs' own serve, strict and dirty (publish/preview.py picks the pages a save rebuilds), watching overrides and
    cohorts too, on the model's config with its choices (ConfigWithChoices); its messages as `mkdocs serve` prints them."""
    from mkdocs.__main__ import ColorFormatter
    from mkdocs.commands.serve import serve
    from mkdocs.exceptions import MkDocsException

    settings = model.settings
    watched = [str(settings.root / folder) for folder in MKDOCS_WATCHED if (settings.root / folder).is_dir()]
    log = logging.getLogger("mkdocs")
    log.setLevel(logging.INFO)
    log.propagate = False
    stream = logging.StreamHandler()
    stream.setFormatter(ColorFormatter())
    log.addHandler(stream)
    try:
        serve(ConfigWithChoices(settings.config_file, settings), build_type="dirty", watch=watched, strict=True, dev_addr=dev_addr)  # type: ignore[arg-type]
    except MkDocsException as error:
        log.error(str(error))
        return 1
    return 0


def restage(model: CourseModel) -> bool:
    """Render every page of the course into the staging folder; False, after printing what to fix, when the checks fail."""
    try:
        engines.stage(model, STAGE)
    except ContentError as error:
        print(format_problems(error.problems), file=sys.stderr, flush=True)
        return False
    return True


def _snapshot(settings: Settings) -> dict[Path, float]:
    found: dict[Path, float] = {}
    for path in [settings.docs_dir, settings.config_file, *(settings.root / name for name in WATCHED)]:
        for item in [path] if path.is_file() else path.rglob("*") if path.is_dir() else []:
            if item.is_file():
                found[item] = item.stat().st_mtime
    return found


def watch(settings: Settings, stop: threading.Event, interval: float = 0.3) -> None:
    """Re-render the course whenever a watched file is added, changed or removed."""
    seen = _snapshot(settings)
    while not stop.wait(interval):
        now = _snapshot(settings)
        if now != seen:
            seen = now
            if restage(load_model(settings.config_file, cohort=settings.cohort_id, edition=settings.edition, engine=settings.engine)):
                print("Re-rendered the course after a change.", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m publish.serve", description=__doc__.splitlines()[0])
    add_build_arguments(parser)
    parser.add_argument("--dev-addr", default="127.0.0.1:8000", help="where to serve (default: 127.0.0.1:8000)")
    args = parser.parse_args(argv)
    # Checked here, before a server starts; the server is then given the choices in the config it loads.
    config = args.config.resolve()
    model = load_model(config, cohort=args.cohort, edition=args.edition, engine=args.engine)
    if model.problems:
        print(format_problems(model.problems), file=sys.stderr)
        return 1
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    if args.engine == "mkdocs":
        return serve_mkdocs(model, args.dev_addr)
    program = engines.zensical_command()
    if not program.exists():
        print(f"Zensical is not installed at {program}. Fix: run `make serve ENGINE=zensical`, which installs it.", file=sys.stderr)
        return 1
    if not restage(model):
        return 1
    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(model.settings, stop), daemon=True)
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
