""" "Last updated" dates from one pass over git history: what a reader sees on a course with a known history."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import copy_project, run

from macros.last_updated import date_html, last_changes

# Author dates of the history below (UTC).
FIRST = "2024-01-02T10:00:00+00:00"
EDITED = "2024-02-03T04:05:06+00:00"
RENAMED = "2024-03-04T12:00:00+00:00"
LATER = "2024-05-06T12:00:00+00:00"


def git(repo: Path, *args: str, when: str = FIRST) -> None:
    env = dict(os.environ, GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    identity = ["-c", "user.name=Course Editor", "-c", "user.email=editor@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *identity, *args], cwd=repo, env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the course in its own repository: every page committed, one edited, one renamed, one never committed."""
    repo = copy_project(tmp_path_factory.mktemp("history"))
    git(repo, "init", "--quiet")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "The course")
    docs = repo / "docs"
    (docs / "what-to-expect.md").write_text((docs / "what-to-expect.md").read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", "Edit a page", when=EDITED)
    # A page moved (and the nav with it): the move is not an edit of the page.
    config = repo / "mkdocs.yml"
    git(repo, "mv", "docs/framing.md", "docs/learning-to-lead.md")
    config.write_text(config.read_text(encoding="utf-8").replace(": framing.md", ": learning-to-lead.md"), encoding="utf-8")
    for page in docs.glob("*.md"):
        page.write_text(page.read_text(encoding="utf-8").replace("(framing.md", "(learning-to-lead.md"), encoding="utf-8")
    git(repo, "commit", "--quiet", "-m", "Rename a page", "--", "docs/framing.md", "docs/learning-to-lead.md", when=RENAMED)
    git(repo, "commit", "--quiet", "-am", "Links and nav follow the rename", when=LATER)
    return repo


def test_one_pass_finds_each_page_s_last_change_and_follows_renames(history: Path) -> None:
    found = last_changes(history / "docs")
    docs = (history / "docs").resolve()
    stamp = {name: found.get(docs / name) for name in ("what-to-expect.md", "learning-to-lead.md", "resources.md", "index.md")}
    assert stamp["what-to-expect.md"] == 1706933106  # EDITED
    assert stamp["learning-to-lead.md"] == 1704189600  # FIRST: the rename does not count
    assert stamp["resources.md"] == 1704189600  # FIRST
    assert stamp["index.md"] == 1714996800  # LATER: its link was changed
    assert docs / "framing.md" not in found or not (docs / "framing.md").exists()


def test_no_history_gives_no_dates(tmp_path: Path) -> None:
    (tmp_path / "page.md").write_text("# A page\n", encoding="utf-8")
    assert last_changes(tmp_path) == {}


def test_the_date_reads_as_before(history: Path) -> None:
    assert date_html(1706933106, "en") == (
        '<span class="git-revision-date-localized-plugin git-revision-date-localized-plugin-date" title="February 3, 2024 04:05:06 UTC">February 3, 2024</span>'
    )


def test_pages_show_their_last_change_and_a_new_page_shows_none(history: Path) -> None:
    docs = history / "docs"
    (docs / "new-page.md").write_text("---\ntitle: A new page\ndescription: Not committed yet.\n---\n\n# A new page\n\nText.\n", encoding="utf-8")
    config = history / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("  - My reflections: my-reflections.md", "  - My reflections: my-reflections.md\n  - New: new-page.md")
    )
    out = history / "out"
    result = run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)], cwd=history)
    assert result.returncode == 0, result.stdout + result.stderr

    def shown(page: str) -> str | None:
        soup = BeautifulSoup((out / page / "index.html").read_text(encoding="utf-8"), "lxml")
        date = soup.select_one(".md-source-file .git-revision-date-localized-plugin")
        return date.get_text(strip=True) if date else None

    assert shown("what-to-expect") == "February 3, 2024"
    assert shown("learning-to-lead") == "January 2, 2024"
    assert shown("resources") == "January 2, 2024"
    assert shown("new-page") is None
    assert "git" not in result.stderr.lower()
