"""MkDocs hook: each page's "last updated" date, from one `git log` over docs/ per build (not one per page).

A page shows the author date of the last commit that changed it, as "November 26, 2026" (the theme's language, UTC),
where Material shows it. A commit that only renames a page does not count, and the history follows the rename.
A page git has no history for (a copy outside git, a new page not yet committed) shows no date: the build time
would read as an edit date. Without git, or outside a repository, no page shows a date and the build goes on quietly.
"""

from __future__ import annotations

import datetime
import os
import subprocess
from pathlib import Path
from typing import Any

from babel.dates import format_date

# The page meta key Material's source-file partial shows, and the markup it has always held.
META_KEY = "git_revision_date_localized"
SPAN = '<span class="git-revision-date-localized-plugin git-revision-date-localized-plugin-date" title="{long} {time} UTC">{long}</span>'

# Resolved source path -> author time (Unix seconds) of its last change; filled once per build (and per `mkdocs serve` rebuild).
_last_changed: dict[Path, int] = {}


def _git(args: list[str], cwd: Path) -> str | None:
    """What a git command prints, or None when git is missing or fails (not a repository, no history).

    Its own, not macros/revision.py's git_text: MkDocs loads this file by its path, as a hook, outside the package.
    """
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8", errors="replace", check=False)
    except OSError:
        return None
    return result.stdout if result.returncode == 0 else None


def last_changes(folder: Path) -> dict[Path, int]:
    """Every file under folder that git has history for -> the author time of the last commit that changed it, not counting renames."""
    top = _git(["rev-parse", "--show-toplevel"], folder)
    log = _git(["log", "--format=%x01%H %at", "--name-status", "-M", "-z", "--no-show-signature", "--", "."], folder)
    if top is None or not log:
        return {}
    root = Path(top.strip())
    found: dict[str, int] = {}
    # An older name -> the name the file has now, learnt from renames while walking back in time.
    now_called: dict[str, str] = {}
    for record in log.split("\x01")[1:]:
        header, _, changes = record.partition("\0")
        stamp = int(header.split()[1])
        fields = changes.lstrip("\n").split("\0")
        index = 0
        while index + 1 < len(fields):
            status = fields[index]
            if status.startswith(("R", "C")):
                old, new = fields[index + 1], fields[index + 2]
                index += 3
                current = now_called.get(new, new)
                if status.startswith("R"):
                    # A rename is not an edit: the file's earlier history, under its old name, decides.
                    if current not in found:
                        now_called[old] = current
                    continue
                found.setdefault(current, stamp)
                continue
            path = fields[index + 1]
            index += 2
            found.setdefault(now_called.get(path, path), stamp)
    return {(root / name).resolve(): stamp for name, stamp in found.items()}


def date_html(stamp: int, locale: str) -> str:
    """The date as the page shows it: the long date in the given language, with the full time (UTC) as its tooltip."""
    moment = datetime.datetime.fromtimestamp(stamp, tz=datetime.UTC)
    return SPAN.format(long=format_date(moment, format="long", locale=locale.replace("-", "_")), time=f"{moment:%H:%M:%S}")


def on_pre_build(config: Any, **kwargs: Any) -> None:
    """Read the history of docs/ once for the whole build."""
    _last_changed.clear()
    _last_changed.update(last_changes(Path(config["docs_dir"])))


def on_page_markdown(markdown: str, page: Any, config: Any, **kwargs: Any) -> str:
    """The Markdown unchanged; the page's date set in its meta when git knows its last change."""
    path = page.file.abs_src_path
    stamp = _last_changed.get(Path(path).resolve()) if path else None
    if stamp is not None:
        page.meta[META_KEY] = date_html(stamp, str(config["theme"]["language"] or "en"))
    return markdown


def build_moment(root: Path) -> datetime.datetime:
    """When a build's files say they were made (the EPUB, the slides): SOURCE_DATE_EPOCH, else the last commit, never the clock.

    So the same sources give the same bytes. Without either (a copy of the sources outside git), the earliest moment a
    zip file can record.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch.isdigit():
        epoch = (_git(["log", "-1", "--format=%ct"], root) or "").strip()
    return datetime.datetime.fromtimestamp(int(epoch) if epoch.isdigit() else 315532800, datetime.UTC)
