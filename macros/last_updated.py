"""MkDocs hook: show "last updated" only when git knows the page's last commit.

The git-revision-date plugin falls back to the build time for a page without
history (a copy outside git, a new uncommitted page); a reader would take that
for an edit date, so such pages show no date at all.
"""

from __future__ import annotations

from typing import Any

from mkdocs.plugins import event_priority

DATE_KEYS = ("git_revision_date_localized", "git_site_revision_date_localized", "git_creation_date_localized")


@event_priority(-100)  # after the plugin has set the dates
def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    """The Markdown unchanged; the page's dates removed from its meta when no commit backs them."""
    if not page.meta.get("git_revision_date_localized_hash"):
        for key in list(page.meta):
            if key.startswith(DATE_KEYS):
                del page.meta[key]
    return markdown
