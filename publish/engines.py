"""The engines that turn the checked course into HTML: MkDocs + Material (the default) and Zensical.

MkDocs renders each page through our macros hook (macros/__init__.py), which checks it against the
allow-list and renders it in the sandbox. Zensical never calls that hook, so it is handed no template
code at all: every page is first rendered here by the very same function (macros.pages.render_page),
and Zensical gets plain Markdown and a copy of mkdocs.yml without the macros plugin. Whatever the engine,
a page reaches HTML only after our checks.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import yaml

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("mkdocs", "zensical")
DEFAULT_ENGINE = "mkdocs"
# Zensical lives in its own pinned environment (make site ENGINE=zensical makes it); ZENSICAL names another.
ZENSICAL = ROOT / ".venv-zensical" / "bin" / "zensical"
# What Zensical reads instead of mkdocs.yml: the same settings, pointing at the rendered pages.
STAGED_CONFIG = "mkdocs.yml"
# MkDocs-only parts of mkdocs.yml that Zensical would run or reject: our macros plugin (the pages arrive rendered)
# and our hooks (the "last updated" dates arrive in each rendered page's front matter).
ZENSICAL_PLUGINS = ("search",)


def _environment() -> dict[str, str]:
    return dict(os.environ, NO_MKDOCS_2_WARNING="1")


def build_with_mkdocs(out: Path, config: Path) -> int:
    """Run MkDocs (strict) into out; returns its exit status."""
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--config-file", str(config), "--site-dir", str(out)]
    return subprocess.run(command, cwd=ROOT, env=_environment(), check=False).returncode


def zensical_command() -> Path:
    return Path(os.environ.get("ZENSICAL", ZENSICAL))


def build_with_zensical(out: Path, config: Path) -> int:
    """Render every page ourselves into a staging folder beside out, then let Zensical build it into out."""
    program = zensical_command()
    if not program.exists():
        print(f"Zensical is not installed at {program}. Fix: run `make site ENGINE=zensical`, which installs it.", file=sys.stderr)
        return 1
    stage = out.parent / "zensical-source"
    stage_course(config, stage)
    command = [str(program), "build", "--strict", "--config-file", str(stage / STAGED_CONFIG)]
    result = subprocess.run(command, cwd=stage, env=_environment(), check=False)
    if result.returncode != 0:
        return result.returncode
    (stage / "site").rename(out)
    return 0


def build(engine: str, out: Path, config: Path) -> int:
    """Build the site into out with the chosen engine; returns the exit status."""
    return build_with_zensical(out, config) if engine == "zensical" else build_with_mkdocs(out, config)


def _file_relative_url(src_path: str) -> str:
    """The URL a link in a rendered page is written relative to, for Zensical: the source file's own folder.

    MkDocs leaves the HTML our macros write as it is, so links there are relative to the page's URL. Zensical
    rewrites every relative link as if it were written relative to the Markdown file, so here they are.
    """
    folder = Path(src_path).parent.as_posix()
    return "" if folder == "." else folder + "/"


def stage_course(config_file: Path, stage: Path) -> None:
    """Write every page, rendered to plain Markdown by our checker and sandbox, and a Zensical config into stage.

    Raises ContentError, with every problem, when a page does not pass the checks.
    """
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files
    from mkdocs.structure.pages import Page

    from macros.errors import ContentError, Problem
    from macros.last_updated import META_KEY, date_html, last_changes
    from macros.pages import render_page, split_source

    docs = stage / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    written: set[Path] = set()
    config = load_config(str(config_file if config_file.is_absolute() else ROOT / config_file))
    files = get_files(config)
    changed = last_changes(Path(config["docs_dir"]))
    language = str(config["theme"]["language"] or "en")
    problems: list[Problem] = []
    for file in files:
        if file.inclusion.is_excluded() or file.abs_src_path is None:
            continue
        source = Path(file.abs_src_path)
        target = docs / file.src_path
        written.add(target)
        if not file.is_documentation_page():
            _write_if_changed(target, source.read_bytes())
            continue
        page = Page(None, file, config)
        page.read_source(config)
        shown = SimpleNamespace(file=file, url=_file_relative_url(file.src_path), meta=page.meta)
        try:
            body = render_page(page.markdown or "", shown, config, files)
        except ContentError as error:
            problems += error.problems
            continue
        front, _, _, _ = split_source(source.read_text(encoding="utf-8"))
        # The "last updated" date MkDocs' hook puts in the page's meta goes into the rendered page's front matter.
        stamp = changed.get(source.resolve())
        if stamp is not None:
            front = (front or "") + yaml.safe_dump({META_KEY: date_html(stamp, language)}, allow_unicode=True, width=1000)
        _write_if_changed(target, ((f"---\n{front}---\n\n" if front else "") + body).encode("utf-8"))
    if problems:
        raise ContentError(problems)
    for stale in [p for p in docs.rglob("*") if p.is_file() and p not in written]:
        stale.unlink()
    _write_config(config_file, stage)


def _write_if_changed(target: Path, content: bytes) -> None:
    """Write only what changed, so a live preview rebuilds only the pages an edit touched."""
    if target.is_file() and target.read_bytes() == content:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)


def _write_config(config_file: Path, stage: Path) -> None:
    """mkdocs.yml for Zensical: our settings, its rendered pages, and no plugin or hook that would run page code."""
    from mkdocs.utils.yaml import get_yaml_loader

    source = config_file if config_file.is_absolute() else ROOT / config_file
    with source.open(encoding="utf-8") as handle:
        settings = yaml.load(handle, Loader=get_yaml_loader())  # MkDocs' own loader: !ENV and !relative
    settings["docs_dir"] = "docs"
    settings["site_dir"] = "site"
    theme = settings.setdefault("theme", {})
    if theme.get("custom_dir"):
        theme["custom_dir"] = str((source.parent / theme["custom_dir"]).resolve())
    plugins = []
    for entry in settings.get("plugins", []):
        name = next(iter(entry)) if isinstance(entry, dict) else entry
        if name in ZENSICAL_PLUGINS:
            plugins.append(entry)
    settings["plugins"] = plugins
    settings.pop("hooks", None)
    _write_if_changed(stage / STAGED_CONFIG, yaml.safe_dump(settings, sort_keys=False, allow_unicode=True).encode("utf-8"))
