"""Course macros for mkdocs-macros: research findings, prompts and sources from validated data.

mkdocs-macros calls define_env() once to register the macros, and
on_pre_page_macros() for each page, where the page is checked and rendered by
our own safe renderer (see templates.py) instead of the plugin's Jinja.

Safety fails closed: this module renders pages only through that hook. An engine
that loads the module but renders pages some other way (Zensical's macros
extension calls define_env() and then runs plain Jinja over the page) is stopped
in define_env(), before any page is rendered, and the plugin's own renderer is
replaced by one that refuses any page our hook has not checked. Nothing but the
standard library is imported before that check, so the refusal reads the same in
an environment that lacks our packages.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# The renderer that calls our hook: mkdocs-macros' plugin class, recognised by where it is defined.
SUPPORTED_PLUGIN = ("mkdocs_macros.plugin", "MacrosPlugin")
SUPPORTED_COMMANDS = (
    "Build the course with `make site` (or `make site ENGINE=zensical`), preview it with `make serve`"
    " (or `make serve ENGINE=zensical`), or run `mkdocs build` / `mkdocs serve` with the pinned packages."
)
# Marks a page our hook has checked and rendered (kept in the page's meta, which the plugin shares).
CHECKED = "course_checked"


def refusal(engine: str) -> str:
    """What an author reads when an engine would render the pages without our checks."""
    return (
        f"The course's pages hold macro calls that must be checked before they are rendered, and {engine} renders them"
        f" without those checks, so nothing was built. {SUPPORTED_COMMANDS}"
    )


def _engine_of(env: Any) -> str:
    kind = type(env)
    return f"{kind.__module__}.{kind.__qualname__}"


def define_env(env: Any) -> None:
    """Register every course macro, so the plugin lists them and authors can call them; refuse any other renderer."""
    kind = type(env)
    if (kind.__module__, kind.__qualname__) != SUPPORTED_PLUGIN:
        engine = "Zensical" if kind.__module__.startswith("zensical") else _engine_of(env)
        # An exception here is caught by the engine, which goes on to the next page (and prints our words once per
        # page, under a traceback): say why once, and end the process before any page is rendered.
        print(refusal(engine), file=sys.stderr, flush=True)
        os._exit(2)

    from . import pages  # noqa: F401  (loads every module that registers a macro)
    from .course import model_of_config, session_sections
    from .library import MACROS

    for name, spec in MACROS.items():
        env.macro(spec.function, name)
    _guard_plugin_renderer(env)
    # The plugin calls this once per build (each `mkdocs serve` rebuild included), with the config MkDocs loaded:
    # the build's course model is made from it here (mkdocs.yml is not read again) and held by the plugin for this
    # build's pages.
    env.course_model = model_of_config(env.conf)
    # The theme's templates group the home page's progress by session (python -m publish writes it into the staged config).
    env.conf["extra"]["sessions"] = session_sections(env.course_model)


def _guard_plugin_renderer(plugin: Any) -> None:
    """The plugin's own renderer may only see pages our hook has rendered (it then leaves them as they are)."""
    original = plugin.render

    def render(markdown: str, force_rendering: bool = False) -> str:
        page = getattr(plugin, "page", None)
        meta = getattr(page, "meta", None) or {}
        if meta.get(CHECKED):
            return original(markdown, force_rendering=force_rendering)
        from .errors import ContentError, Problem

        where = getattr(getattr(page, "file", None), "src_path", None)
        message = "mkdocs-macros tried to render this page without the course's checks, so nothing was built."
        raise ContentError([Problem(f"docs/{where}" if where else "mkdocs.yml", 1, message, SUPPORTED_COMMANDS)])

    plugin.render = render


def on_pre_page_macros(env: Any) -> None:
    """Check this page against the allow-list and render it safely; the plugin then leaves it alone."""
    from .pages import render_page

    env.markdown = render_page(env.markdown, env.page, env.course_model)
    # The plugin must not render our output a second time: data text may hold braces.
    env.page.meta["render_macros"] = False
    env.page.meta[CHECKED] = True
