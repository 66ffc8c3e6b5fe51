"""The engines that turn the checked course into HTML: MkDocs + Material (the default) and Zensical.

`python -m publish` renders every page once, itself, through the checker and the sandbox (the same
macros.pages.render_page the MkDocs hook calls), into a staging folder: plain Markdown with the page's own
front matter, and a copy of mkdocs.yml without the macros plugin or our hooks. The engine, whichever it is,
then only turns Markdown into HTML; it never sees template code. Zensical never calls our page hook at all, so
this is the only way it builds the course; for MkDocs it is also the single pass over the sources: each page
is read, checked and rendered once per build. MkDocs' command line runs in this process; Zensical runs as its
own program. (`mkdocs build` and `mkdocs serve` run by hand still render through the hook, which checks each
page the same way.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from macros.course import CourseModel

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("mkdocs", "zensical")
DEFAULT_ENGINE = "mkdocs"
# Zensical lives in its own pinned environment (make site ENGINE=zensical makes it); ZENSICAL names another.
ZENSICAL = ROOT / ".venv-zensical" / "bin" / "zensical"
# What the engine reads instead of mkdocs.yml: the same settings, pointing at the rendered pages.
STAGED_CONFIG = "mkdocs.yml"
# The only plugin the rendered pages still need. Our macros plugin is gone (the pages arrive rendered), and so are
# our hooks (the "last updated" dates arrive in each rendered page's front matter).
KEPT_PLUGINS = ("search",)


@dataclass(frozen=True)
class Engine:
    """How one engine builds a staged course: the command, and how links in our HTML must be written for it."""

    name: str
    # MkDocs leaves the HTML our macros write as it is, so links there are relative to the page's URL; Zensical
    # rewrites every relative link as if it were written relative to the Markdown file.
    links_relative_to_file: bool
    # Theme overrides that patch Material's own partials: another engine's partials differ, so it keeps its own.
    theme_leaves_out: tuple[str, ...] = ()

    def arguments(self, stage: Path, out: Path) -> list[str]:
        """The engine's command line, less the program, for building the staged course in stage into out."""
        config = str(stage / STAGED_CONFIG)
        if self.name == "zensical":
            return ["build", "--strict", "--config-file", config]
        return ["build", "--strict", "--quiet", "--config-file", config, "--site-dir", str(out)]


ENGINE = {
    "mkdocs": Engine("mkdocs", links_relative_to_file=False),
    # overrides/partials/search.html is Material's search partial with an accessible name added; Zensical's search differs.
    "zensical": Engine("zensical", links_relative_to_file=True, theme_leaves_out=("partials/search.html",)),
}


def zensical_command() -> Path:
    return Path(os.environ.get("ZENSICAL", ZENSICAL))


def stage(model: CourseModel, folder: Path) -> None:
    """Render every page for the model's engine into folder (see stage_course); raises ContentError."""
    chosen = ENGINE[model.settings.engine]
    stage_course(model, folder, links_relative_to_file=chosen.links_relative_to_file, theme_leaves_out=chosen.theme_leaves_out)


def run(engine: str, folder: Path, out: Path) -> int:
    """Let the engine build the staged course in folder into out; its exit status."""
    chosen = ENGINE[engine]
    if chosen.name == "zensical" and not zensical_command().exists():
        print(f"Zensical is not installed at {zensical_command()}. Fix: run `make site ENGINE=zensical`, which installs it.", file=sys.stderr)
        return 1
    arguments = chosen.arguments(folder, out)
    if chosen.name == "mkdocs":
        status = _run_mkdocs(arguments, folder)
    else:
        environment = dict(os.environ, NO_MKDOCS_2_WARNING="1")
        status = subprocess.run([str(zensical_command()), *arguments], cwd=folder, env=environment, check=False).returncode
    if status == 0 and not out.exists():
        (folder / "site").rename(out)
    return status


def _run_mkdocs(arguments: list[str], folder: Path) -> int:
    """`mkdocs <arguments>` run in folder, in this process; its exit status.

    MkDocs' own command line, so the build, its messages and its exit status are those of `python -m mkdocs`, without
    starting Python and loading MkDocs a second time. The staged config runs no code of ours (see _write_config), and
    every path in it and in the arguments is absolute or relative to the staged config, so no folder is entered.
    """
    from mkdocs.__main__ import cli

    from publish.search import indexed_in_worker

    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    try:
        # Material's search index is made in a second process while MkDocs writes the pages (publish/search.py).
        with indexed_in_worker():
            cli.main(arguments, prog_name="mkdocs")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    except Exception:  # a crash inside the engine fails the build, as the engine's own process would
        traceback.print_exc()
        return 1
    return 0


def _link_base(src_path: str, url: str, relative_to_file: bool) -> str:
    """The URL the links in a rendered page are written relative to (see Engine.links_relative_to_file)."""
    if not relative_to_file:
        return url
    folder = Path(src_path).parent.as_posix()
    return "" if folder == "." else folder + "/"


def stage_course(model: CourseModel, stage: Path, *, links_relative_to_file: bool = False, theme_leaves_out: tuple[str, ...] = ()) -> None:
    """Write every page, rendered to plain Markdown by our checker and sandbox, and the engine's config into stage.

    Only what changed is written, so a live preview rebuilds only what an edit touched. Raises ContentError, with
    every problem of every page, when a page does not pass the checks; a page that is not UTF-8 is left to the
    source check, which reports it.
    """
    from macros.errors import ContentError, Problem
    from macros.last_updated import META_KEY, date_html, last_changes
    from macros.pages import render_page, split_source

    docs = stage / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    written: set[Path] = set()
    config = model.config
    changed = last_changes(model.settings.docs_dir)
    language = str(config["theme"]["language"] or "en")
    problems: list[Problem] = []
    for file in model.files:
        if file.inclusion.is_excluded() or file.abs_src_path is None:
            continue
        source = Path(file.abs_src_path)
        target = docs / file.src_path
        written.add(target)
        page = model.pages.get(file.src_path)
        if page is None:
            _write_if_changed(target, source.read_bytes())
            continue
        if page.text is None:
            continue  # the source check reports it
        front, _, markdown, _ = split_source(page.text)
        shown = SimpleNamespace(file=file, url=_link_base(file.src_path, file.url, links_relative_to_file), meta=page.meta)
        try:
            rendered = render_page(markdown, shown, model)
        except ContentError as error:
            problems += error.problems
            continue
        # The "last updated" date MkDocs' hook puts in the page's meta goes into the rendered page's front matter.
        stamp = changed.get(source.resolve())
        if stamp is not None:
            front = (front or "") + yaml.safe_dump({META_KEY: date_html(stamp, language)}, allow_unicode=True, width=1000)
        _write_if_changed(target, ((f"---\n{front}---\n\n" if front else "") + rendered).encode("utf-8"))
    if problems:
        raise ContentError(problems)
    for stale in [p for p in docs.rglob("*") if p.is_file() and p not in written]:
        stale.unlink()
    _write_config(model, stage, theme_leaves_out)


def _write_if_changed(target: Path, content: bytes) -> None:
    if target.is_file() and target.read_bytes() == content:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)


def _write_config(model: CourseModel, stage: Path, theme_leaves_out: tuple[str, ...] = ()) -> None:
    """mkdocs.yml for the engine: our settings with the build's cohort, edition and offline choice, the rendered pages,
    and no plugin or hook that would run page code."""
    from macros.course import settings_yaml, staged_settings

    source = model.settings.config_file
    settings = staged_settings(model)
    settings["docs_dir"] = "docs"
    settings["site_dir"] = "site"
    theme = settings.setdefault("theme", {})
    if isinstance(theme, dict) and theme.get("custom_dir"):
        custom = (source.parent / theme["custom_dir"]).resolve()
        if any((custom / name).is_file() for name in theme_leaves_out):
            # A copy of the overrides without the partials this engine keeps its own of.
            for item in custom.rglob("*"):
                if item.is_file() and item.relative_to(custom).as_posix() not in theme_leaves_out:
                    _write_if_changed(stage / "overrides" / item.relative_to(custom), item.read_bytes())
            custom = stage / "overrides"
        theme["custom_dir"] = str(custom)
    settings["plugins"] = [entry for entry in settings.get("plugins", []) if (next(iter(entry)) if isinstance(entry, dict) else entry) in KEPT_PLUGINS]
    settings.pop("hooks", None)
    _write_if_changed(stage / STAGED_CONFIG, settings_yaml(settings).encode("utf-8"))
