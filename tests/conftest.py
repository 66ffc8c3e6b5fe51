"""Shared fixtures: the real site is built once per test session, pages are parsed on demand, one Chromium for all."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import sync_playwright
from pypdf import PdfReader
from pypdf.generic import Destination

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# What a project copy needs to build; tests break one file of it at a time.
PROJECT_PARTS = ["docs", "macros", "publish", "overrides", "mkdocs.yml", "cohorts"]
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches Chromium calls Google's hosts on start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a command the way the Makefile does, capturing what an author would see."""
    environment = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONDONTWRITEBYTECODE="1", **env)
    return subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, check=False)


# The session's builds print every document (--fresh): what the tests read was printed by the code under test, never
# taken from the print cache an earlier run left (they still store it, so a `make site` after them is quick).


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real course, built once with the same command as `make site`, printing everything."""
    out = tmp_path_factory.mktemp("built") / "site"
    result = run([sys.executable, "-m", "publish", "--fresh", "--site-dir", str(out)], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


# The sample cohort (issue 6): its participant site and its facilitator edition, each built once.
SAMPLE_COHORT = "summer-institute-2025"


@pytest.fixture(scope="session")
def facilitator_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample cohort's facilitator edition, built once with `make site COHORT=... EDITION=facilitator`."""
    out = tmp_path_factory.mktemp("facilitator") / "site"
    result = run([sys.executable, "-m", "publish", "--fresh", "--cohort", SAMPLE_COHORT, "--edition", "facilitator", "--site-dir", str(out)], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


# The address the deploy workflow would give the site (issue 13): QR codes and links to the live pages need one.
SITE_URL = "https://course.example.org/leading-collaboration/"
# A small PNG (1×1, grey), written by hand so the test needs no image library.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b550000000a49444154789c6360000000020001e221bc330000000049454e44ae426082")


@pytest.fixture(scope="session")
def cohort_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample cohort's participant site as the deploy workflow builds it, with the site's address: built once.

    One build holds both what a cohort changes (its name, groups, schedule) and what the site's address adds (QR codes,
    links to the live pages); the generic `site` has neither, so each is compared with it.
    """
    out = tmp_path_factory.mktemp("cohort") / "site"
    result = run([sys.executable, "-m", "publish", "--fresh", "--cohort", SAMPLE_COHORT, "--site-dir", str(out)], cwd=ROOT, SITE_URL=SITE_URL)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="session")
def page(site: Path) -> Callable[[str], BeautifulSoup]:
    """Parse a built page of the real course by its path in docs/ ('what-to-expect.md', 'index.md', 'a-section/index.md')."""

    @cache
    def load(src: str) -> BeautifulSoup:
        return soup_of(site, src)

    return load


def copy_project(destination: Path) -> Path:
    """Copy what a build needs into destination, so a test can change it without touching the real sources."""
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / part)
    return destination


def move_docs(project: Path, folder: str = "content", config: str = "course.yml") -> Path:
    """Make a project copy another config's (make site|check|changes|new-session CONFIG=...): docs/ moved to folder, and
    mkdocs.yml to config naming it as its docs_dir. The config's path."""
    (project / "docs").rename(project / folder)
    text = (project / "mkdocs.yml").read_text(encoding="utf-8")
    assert "\ndocs_dir: docs\n" in text
    (project / config).write_text(text.replace("\ndocs_dir: docs\n", f"\ndocs_dir: {folder}\n"), encoding="utf-8")
    (project / "mkdocs.yml").unlink()
    return project / config


# The fictional second session (tests/fixtures/session): what faculty add for a session, kept out of the published course.
FIXTURE_SESSION = FIXTURES / "session"


def add_fixture_session(project: Path) -> Path:
    """Add the fictional second session to a project copy as faculty would: its pages, its records and its nav section."""
    shutil.copytree(FIXTURE_SESSION / "docs", project / "docs", dirs_exist_ok=True)
    for records in sorted((FIXTURE_SESSION / "data").glob("*.yml")):
        target = project / "docs" / "data" / records.name
        target.write_text(target.read_text(encoding="utf-8") + records.read_text(encoding="utf-8"), encoding="utf-8")
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    after = "  - After the session:\n"
    assert after in text, "mkdocs.yml has no 'After the session' section to put the fixture session before"
    config.write_text(text.replace(after, (FIXTURE_SESSION / "nav.yml").read_text(encoding="utf-8") + after, 1), encoding="utf-8")
    return project


def time_every_part(manifest: Path) -> Path:
    """Give a fixture cohort's manifest in a project copy 10 minutes for each part its page leaves unset, on each page of the
    schedule the manifest does not name (a page or a session added since the fixture was written), so the fixture keeps its
    clock whatever pages the course holds. `minutes:` must be the manifest's last block."""
    from macros.cohort import read_manifest
    from macros.schedule import parts_of, schedule_pages

    cohort, problems = read_manifest(manifest)
    assert cohort is not None, problems
    text = manifest.read_text(encoding="utf-8")
    assert text.rstrip().splitlines()[-1].startswith("    "), f"`minutes:` must be the last block of {manifest.name}"
    for key, minutes in schedule_pages(manifest.parent.parent / "docs").items():
        unset = [part for part in parts_of(minutes) if not isinstance(minutes.get(part), int)]
        if key not in cohort.minutes_for() and unset:
            text += f"  {key}:\n" + "".join(f"    {part}: 10\n" for part in unset)
    manifest.write_text(text, encoding="utf-8")
    return manifest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the project to break, so the real sources are never touched."""
    return copy_project(tmp_path)


def pages_in_docs() -> list[str]:
    """Every Markdown page of the course, as a path relative to docs/."""
    return sorted(str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md") if "data" not in p.parts)


def built_file(site: Path, src: str) -> Path:
    """Where a page of docs/ is in a built site ('what-to-expect.md' -> what-to-expect/index.html, a folder's index.md -> the folder's)."""
    from mkdocs.structure.files import File

    return site / File(src, "", "", True).dest_uri


def soup_of(site: Path, src: str) -> BeautifulSoup:
    """A built page of any built site, parsed, by its path in docs/."""
    return BeautifulSoup(built_file(site, src).read_text(encoding="utf-8"), "lxml")


def page_title(src: str) -> str:
    """A page's own title, as MkDocs gives one to a nav entry without a title: its front matter's `title:`, else its first heading."""
    from mkdocs.utils.meta import get_data

    text = (ROOT / "docs" / src).read_text(encoding="utf-8")
    body, meta = get_data(text)
    if meta.get("title"):
        return str(meta["title"])
    return next(line[2:].strip() for line in body.splitlines() if line.startswith("# "))


NavEntry = tuple[str, "str | list[NavEntry]"]


@cache
def nav_tree() -> list[NavEntry]:
    """The nav of mkdocs.yml as (title, page) and (section title, entries), in order; a section's bare `index.md` gets its page's title."""
    from mkdocs.config import load_config

    def walk(entries: Any) -> list[NavEntry]:
        tree: list[NavEntry] = []
        for entry in entries:
            if isinstance(entry, str):
                tree.append((page_title(entry), entry))
                continue
            ((title, value),) = entry.items()
            tree.append((title, value if isinstance(value, str) else walk(value)))
        return tree

    return walk(load_config(str(ROOT / "mkdocs.yml"))["nav"])


def nav_pages(tree: list[NavEntry] | None = None) -> list[tuple[str, str]]:
    """(title, src) of every page in the nav, in nav order."""
    found: list[tuple[str, str]] = []
    for title, value in nav_tree() if tree is None else tree:
        found += [(title, value)] if isinstance(value, str) else nav_pages(value)
    return found


@cache
def nav_titles() -> dict[str, str]:
    """Each page's title in the nav of mkdocs.yml (src -> title), so tests follow the nav instead of copying its words."""
    return {src: title for title, src in nav_pages()}


@pytest.fixture
def built_copy(site: Path, tmp_path: Path) -> Path:
    """A copy of the built site (without its PDFs, EPUB, search index and assets) to inject faults into, with no second build."""
    copy = tmp_path / "site"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("pdf", "epub", "search", "assets"))
    return copy


def edit_page(site: Path, src: str, change: Callable[[BeautifulSoup], object]) -> None:
    """Change a built page's HTML in place, e.g. to remove a link or plant a file."""
    path = built_file(site, src)
    soup = soup_of(site, src)
    change(soup)
    path.write_text(str(soup), encoding="utf-8")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, shared by every browser test (Playwright's own browser download is not used)."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install -y chromium).")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def in_reader(settings: Any, src: str) -> bool:
    """What the tests expect of print, read independently of the print path: a page is in the reader unless its
    front matter says `reader: false`."""
    import yaml

    text = (settings.config_path.parent / settings.docs_dir / src).read_text(encoding="utf-8")
    meta = yaml.safe_load(text.split("---", 2)[1]) if text.startswith("---") else None
    return not (isinstance(meta, dict) and meta.get("reader") is False)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def part_starts(pdf: Path) -> dict[str, int]:
    """Each bookmarked part of the reader and the page (from 1) it starts on."""
    reader = PdfReader(pdf)
    starts: dict[str, int] = {}

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            elif isinstance(item, Destination):
                starts.setdefault(str(item.title), reader.get_destination_page_number(item) + 1)

    walk(reader.outline)
    return starts


def assert_holds_every_finding_and_prompt(text: str) -> None:
    """The text (a reader's, whitespace collapsed) holds every finding's title and items and every prompt's title and text."""
    from macros.data import load_course

    data = load_course(ROOT / "docs")
    for finding in data.findings.values():
        assert squash(finding.title) in text, finding.id
        for item in finding.items:
            assert squash(item.text) in text, f"{finding.id}: {item.text!r}"
    for prompt in data.prompts.values():
        assert squash(prompt.title) in text and squash(prompt.text) in text, prompt.id
