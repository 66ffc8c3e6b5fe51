"""MkDocs hook: under `mkdocs serve --dirty` (make serve), a save rebuilds the saved page and the pages that show it, not the whole course.

MkDocs' dirty mode skips every page whose File.is_modified() is false. Here that answer is ours, made once per
rebuild from what changed since the last build that succeeded, comparing the files themselves:

- the saved pages are rebuilt, each through the same hook, checker and sandbox as any build;
- a page that gathers other pages (its source calls a macro that reads them: all_reflections(), schedule(), each macro
  declaring what it reads of other pages in macros/library.py, Macro.reads) is rebuilt too when what it reads of a
  saved page changed, and so is a page calling a name that is no macro;
- everything is rebuilt, from an emptied site folder as a plain `mkdocs serve` does, on the first build, after a page
  is added, removed or renamed, when a saved page's front matter or title changes (the nav, the schedule and the
  search show them on other pages), and when anything else changes: mkdocs.yml, docs/data/ or any other file in
  docs/ that is not a page, overrides/ or cohorts/.

Material's search index keeps every page: the entries of the pages not rebuilt are carried over from the last build.
The pages are compared as the build's course model read them (macros/course.py, made once per rebuild), and a page
a save left as it was keeps the check the last good build's model made of it, when nothing else changed.
Outside `mkdocs serve --dirty` (make site, mkdocs build, a plain mkdocs serve) the hook does nothing.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from mkdocs.plugins import event_priority

if TYPE_CHECKING:
    from macros.course import CourseModel
    from macros.library import PageReads

log = logging.getLogger("mkdocs.plugins.course_preview")
# MkDocs loads a hook by its path: the project's packages (macros) must be importable however mkdocs was started.
_PROJECT = str(Path(__file__).resolve().parent.parent)
if _PROJECT not in sys.path:
    sys.path.append(_PROJECT)

# The warning MkDocs logs on every dirty build; under --strict it would abort each one, and here it is not true.
DIRTY_WARNING = "A 'dirty' build is being performed"


@dataclass
class Built:
    """The sources the last successful build was made from."""

    pages: dict[str, str]  # src_uri -> text
    others: dict[str, tuple[int, int]]  # every other watched file -> (mtime_ns, size)
    config: bytes
    search: dict[str, list[Any]] = field(default_factory=dict)  # page url -> its search entries


@dataclass
class Plan:
    """What this rebuild does: everything, or only these pages."""

    pages: dict[str, str]
    others: dict[str, tuple[int, int]]
    config: bytes
    rebuild: set[str] | None  # None: every page
    why: str
    urls: set[str] = field(default_factory=set)  # the rebuilt pages' addresses


class _DropDirtyWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (_state.active and record.getMessage().startswith(DIRTY_WARNING))


@dataclass
class _State:
    active: bool = False
    built: Built | None = None
    plan: Plan | None = None
    # The course model of the last build that succeeded: its checked pages are taken over by the next build's model
    # for every page a save left as it was, when nothing else changed (a plan that rebuilds only some pages).
    model: CourseModel | None = None


_state = _State()
_filter = _DropDirtyWarning()


def _stats(folder: Path, skip: set[str], found: dict[str, tuple[int, int]], prefix: str) -> None:
    for top, folders, names in os.walk(folder, followlinks=True):
        folders.sort()
        for name in sorted(names):
            path = Path(top, name)
            key = prefix + path.relative_to(folder).as_posix()
            if key in skip:
                continue
            try:
                stat = path.stat()
            except OSError:
                continue
            found[key] = (stat.st_mtime_ns, stat.st_size)


def _inputs(config: Any, pages: set[str]) -> dict[str, tuple[int, int]]:
    """Every file a build reads besides the pages: the rest of docs/ (data, assets), the theme overrides and the cohorts."""
    found: dict[str, tuple[int, int]] = {}
    _stats(Path(config["docs_dir"]), {"docs/" + page for page in pages}, found, "docs/")
    root = Path(config.config_file_path or "mkdocs.yml").resolve().parent
    custom = config["theme"].custom_dir
    for folder, prefix in ((Path(custom) if custom else None, "overrides/"), (root / "cohorts", "cohorts/")):
        if folder is not None and folder.is_dir():
            _stats(folder, set(), found, prefix)
    return found


def gathered(text: str) -> list[PageReads] | None:
    """What the macros a page calls read of other pages, as each declares it (macros/library.py, Macro.reads); None when
    it calls a name that is no macro (the build reports it), which might read anything."""
    from macros import pages  # noqa: F401  (loads every module that registers a macro)
    from macros.library import MACROS, OWN_PAGE, macros_called

    called = sorted(macros_called(text))
    if any(name not in MACROS for name in called):
        return None
    return [reads for reads in (MACROS[name].reads for name in called) if reads is not OWN_PAGE]


def plan(built: Built | None, pages: dict[str, str], others: dict[str, tuple[int, int]], config: bytes) -> tuple[set[str] | None, str]:
    """Which pages to rebuild (None: all of them) and why, from the last good build and the sources now."""
    if built is None:
        return None, "first build"
    if built.config != config:
        return None, "mkdocs.yml changed"
    if set(built.pages) != set(pages):
        return None, "a page was added, removed or renamed"
    if built.others != others:
        changed = sorted(set(built.others.items()) ^ set(others.items()))
        return None, f"{changed[0][0]} changed"
    from macros.library import page_header

    saved = [src for src, text in pages.items() if built.pages[src] != text]
    for src in saved:
        if page_header(built.pages[src]) != page_header(pages[src]):
            return None, f"the front matter or title of {src} changed"
    rebuild = set(saved)
    for src, text in pages.items():
        if src in rebuild or not saved:
            continue
        reading = gathered(text)
        if reading is None or any(reads(built.pages[s]) != reads(pages[s]) for reads in reading for s in saved):
            rebuild.add(src)
    if not saved:
        return rebuild, "no page changed"
    gathering = sorted(rebuild - set(saved))
    return rebuild, "saved: " + ", ".join(sorted(saved)) + ("; showing it: " + ", ".join(gathering) if gathering else "")


def on_startup(command: str, dirty: bool, **kwargs: Any) -> None:
    """Steer rebuilds only in `mkdocs serve --dirty`."""
    _state.active = command == "serve" and dirty
    _state.built = None
    _state.model = None
    build_log = logging.getLogger("mkdocs.commands.build")
    if _filter not in build_log.filters:
        build_log.addFilter(_filter)


@event_priority(-100)
def on_files(files: Any, config: Any, **kwargs: Any) -> Any:
    """Decide what this rebuild makes, and tell MkDocs through each page's is_modified()."""
    if not _state.active:
        return files
    documents = [file for file in files.documentation_pages() if file.abs_src_path]
    # The pages as this build's course model read them (macros/__init__.py makes it once per build); an unreadable one
    # is '' here, and the build reports it.
    model: CourseModel = config.plugins["macros"].course_model
    pages = {src: page.text or "" for src, page in model.pages.items()}
    others = _inputs(config, set(pages))
    settings = model.config_text.encode("utf-8")
    rebuild, why = plan(_state.built, pages, others, settings)
    _state.plan = Plan(pages, others, settings, rebuild, why)
    if rebuild is not None and _state.model is not None and _state.built is not None:
        # Same settings, data and cohorts: a page whose text did not change was checked by the last build already.
        model.carry_checks(_state.model, [src for src, text in pages.items() if _state.built.pages.get(src) == text])
    if rebuild is None:
        # Everything, as a plain `mkdocs serve` builds it: an emptied folder, every file written.
        from mkdocs.utils import clean_directory

        clean_directory(config["site_dir"])
        for file in files:
            file.is_modified = _yes
    else:
        for file in documents:
            file.is_modified = _yes if file.src_uri in rebuild else _no
        _state.plan.urls = {file.url for file in documents if file.src_uri in rebuild}
    count = len(pages) if rebuild is None else len(rebuild)
    log.info(f"Rebuilding {count} of {len(pages)} pages ({why}).")
    return files


def _yes() -> bool:
    return True


def _no() -> bool:
    return False


def on_nav(nav: Any, config: Any, files: Any, **kwargs: Any) -> Any:
    """Pages not rebuilt still get their front matter, which the nav on the rebuilt pages may show (titles, icons)."""
    current = _state.plan
    if _state.active and current is not None and current.rebuild is not None:
        for page in nav.pages:
            if page.file.src_uri not in current.rebuild and page.markdown is None:
                page.read_source(config)
    return nav


class _CompiledTemplates(BytecodeCache):
    """The theme's templates compiled once per preview: MkDocs makes a new Jinja environment for every rebuild, and
    compiling Material's templates again costs more than rebuilding a page. Keyed by Jinja on each template's source,
    so an edited template in overrides/ is compiled afresh."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self.compiled.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_compiled = _CompiledTemplates()


def on_env(env: Any, config: Any, files: Any, **kwargs: Any) -> Any:
    """Reuse the templates compiled in earlier rebuilds of this preview."""
    if _state.active:
        env.bytecode_cache = _compiled
    return env


def _search_plugin(config: Any) -> Any:
    return next((plugin for plugin in config.plugins.values() if hasattr(plugin, "search_index") and hasattr(plugin, "search_index_prev")), None)


def _page_of(location: str) -> str:
    return location.split("#", 1)[0]


@event_priority(100)  # before Material's search plugin writes its index
def on_post_build(config: Any, **kwargs: Any) -> None:
    """Keep the search index whole, and remember what this build was made from."""
    current = _state.plan
    if not _state.active or current is None:
        return
    search = _search_plugin(config)
    found: dict[str, list[Any]] = {}
    if search is not None and getattr(search, "search_index", None) is not None:
        for entry in search.search_index.entries:
            found.setdefault(_page_of(entry["location"]), []).append(entry)
        if current.rebuild is not None and _state.built is not None:
            # Pages not rebuilt keep their entries from the last build, in the order a full build lists them.
            merged = {url: entries for url, entries in _state.built.search.items() if url not in current.urls}
            merged.update(found)
            found = merged
            search.search_index.entries = [entry for entries in found.values() for entry in entries]
        # Material's own carry-over assumes a single page per rebuild; ours replaces it.
        search.search_index_prev = None
    _state.built = Built(current.pages, current.others, current.config, found)
    _state.model = config.plugins["macros"].course_model
    _state.plan = None


def on_build_error(error: Exception, **kwargs: Any) -> None:
    """A failed build changes nothing we rely on: the next one compares against the last build that succeeded."""
    _state.plan = None
