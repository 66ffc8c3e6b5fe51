"""A MkDocs hook for `bench.course`: saves each page's Markdown as our macros left it, for the floor and the peer.

It runs after every plugin (lowest priority), so the saved Markdown is exactly what
Python-Markdown would receive in our build; the page's front matter is put back on top.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority

# Set by bench.course to the folder the expanded pages go to.
OUT_VARIABLE = "BENCH_EXPANDED_DIR"


@event_priority(-100)
def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    """Write the page's final Markdown, with its original front matter, under $BENCH_EXPANDED_DIR."""
    source = Path(page.file.abs_src_path).read_text(encoding="utf-8")
    head = ""
    if source.startswith("---\n"):
        end = source.find("\n---\n", 4)
        head = source[: end + 5] + "\n" if end != -1 else ""
    out = Path(os.environ[OUT_VARIABLE]) / page.file.src_path
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(head + markdown, encoding="utf-8")
    return markdown
