"""Course macros for mkdocs-macros: research findings, prompts and sources from validated data.

mkdocs-macros calls define_env() once to register the macros, and
on_pre_page_macros() for each page, where the page is checked and rendered by
our own safe renderer (see templates.py) instead of the plugin's Jinja.
"""

from __future__ import annotations

from typing import Any

from . import (
    downloads,  # noqa: F401  (registers the downloads() macro)
    reference,  # noqa: F401  (registers the macro_reference() macro)
)
from .library import MACROS
from .pages import render_page


def define_env(env: Any) -> None:
    """Register every course macro, so the plugin lists them and authors can call them."""
    for name, spec in MACROS.items():
        env.macro(spec.function, name)


def on_pre_page_macros(env: Any) -> None:
    """Check this page against the allow-list and render it safely; the plugin then leaves it alone."""
    env.markdown = render_page(env.markdown, env.page, env.conf, env.variables.get("files"))
    # The plugin must not render our output a second time: data text may hold braces.
    env.page.meta["render_macros"] = False
