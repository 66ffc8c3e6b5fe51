"""The real course passes every check; the macro reference, edit links and last-updated dates are what a reader sees."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from bs4 import BeautifulSoup
from conftest import ROOT, run
from lxml import etree

from macros.checks.built import check_built_site
from macros.course import load_model
from macros.data import load_course
from macros.library import MACROS
from macros.reference import END, START, refresh
from publish.built import read_site
from publish.csp import secure_site
from publish.pdf.site import load_pages, settings_of


def test_the_course_sources_pass_make_check() -> None:
    result = run([sys.executable, "-m", "macros.check"], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Content check passed: data and every page are valid."


def test_the_built_course_passes_the_site_check(site: Path) -> None:
    assert check_built_site(read_site(site), load_model(ROOT / "mkdocs.yml")) == []


def test_a_site_read_without_articles_differs_only_in_the_articles(site: Path) -> None:
    # python -m publish --no-pdf reads the site so: what the policy and the site check take from each page is the same.
    full, lean = read_site(site), read_site(site, articles=False)
    assert full.pages.keys() == lean.pages.keys()
    assert all(page.article is not None for address, page in full.pages.items() if page.data.strip())
    assert all(lean.pages[address] == replace(page, article=None, facts=None) for address, page in full.pages.items())


def test_each_built_page_is_read_and_parsed_once_for_the_policy_the_prints_and_the_site_check(built_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = load_model(ROOT / "mkdocs.yml")
    parsed: list[bytes] = []
    read: list[Path] = []
    parse, read_bytes = etree.fromstring, Path.read_bytes

    def counted_parse(html: bytes, *args: Any, **kwargs: Any) -> Any:
        parsed.append(html)
        return parse(html, *args, **kwargs)

    def counted_read(path: Path) -> bytes:
        read.append(path)
        return read_bytes(path)

    monkeypatch.setattr(etree, "fromstring", counted_parse)
    monkeypatch.setattr(Path, "read_bytes", counted_read)
    site = read_site(built_copy)
    assert secure_site(site) == []
    assert load_pages(site, settings_of(model))
    assert check_built_site(site, model, missing_ok=(".pdf", ".epub")) == []
    pages = sorted(built_copy.rglob("*.html"))
    assert len(parsed) == len(set(parsed)) == len(pages) > 2
    assert sorted(path for path in read if path.suffix == ".html") == pages
    # Each page was written once, with its policy, and its record holds what the file holds.
    assert all(site.pages[path.relative_to(built_copy).as_posix()].data == read_bytes(path) for path in pages)


def test_contributing_holds_the_current_macro_table() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert START in text and END in text
    assert refresh(text) == text, "the macro table is out of date: run .venv/bin/python -m macros.check --write-reference CONTRIBUTING.md"


def test_the_maintainers_page_lists_every_macro_and_every_id(page: Callable[[str], BeautifulSoup]) -> None:
    article = page("maintainers/macro-reference.md").select_one("article")
    assert article is not None
    codes = {code.get_text() for code in article.select("td code")}
    assert {spec.example for spec in MACROS.values()} <= codes
    data = load_course(ROOT / "docs")
    assert set(data.findings) | set(data.prompts) | set(data.sources) <= codes
    summaries = {td.get_text(" ", strip=True) for td in article.select("td")}
    assert MACROS["finding"].summary in summaries


def _last_commit(path: str) -> str:
    """The author date of the last commit that touched path, as the site shows it; '' without git history."""
    try:
        stamp = subprocess.run(["git", "log", "-1", "--format=%at", "--", path], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""
    if not stamp:
        return ""
    return format_date(datetime.datetime.fromtimestamp(int(stamp), tz=datetime.UTC), format="long", locale="en")


def test_each_page_shows_the_date_of_its_last_commit(page: Callable[[str], BeautifulSoup]) -> None:
    shown = page("index.md").select_one(".md-source-file .git-revision-date-localized-plugin")
    expected = _last_commit("docs/index.md")
    if expected:
        assert shown is not None and shown.get_text(strip=True) == expected
    else:
        assert shown is None, "without git history no date may be shown"


def test_the_edit_button_follows_the_repository_address(page: Callable[[str], BeautifulSoup]) -> None:
    edit = page("what-to-expect.md").select_one("a[rel=edit]")
    known = os.environ.get("COURSE_EDIT_URL", "")
    if known:
        assert edit is not None and edit["href"] == known.rstrip("/") + "/what-to-expect.md"
    else:
        assert edit is None, "with no repository address, no edit button may point anywhere"


def test_outside_git_pages_get_an_edit_link_when_told_and_no_invented_date(project: Path) -> None:
    out = project / "out"
    result = run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=project,
        COURSE_EDIT_URL="https://example.org/course/edit/main/docs/",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    soup = BeautifulSoup((out / "what-to-expect" / "index.html").read_text(encoding="utf-8"), "lxml")
    edit = soup.select_one("a[rel=edit]")
    assert edit is not None and edit["href"] == "https://example.org/course/edit/main/docs/what-to-expect.md"
    assert edit.get("title") == "Edit this page"
    # The copy has no git history: the build passes quietly and shows no date rather than the build time.
    assert soup.select_one(".md-source-file") is None
    assert "git" not in result.stderr.lower()
