"""The print cache (publish/cache.py): an edit (a page's prose, a record, the nav) reprints exactly what `make changes`
says it reaches, a change of the screen's or the print stylesheet or of a cohort's manifest reprints every document it
alters, and each result is the clean build's bytes; a change of settings, library or print code changes every key, and
a damaged, half-written or outgrown cache is never trusted."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import PNG, SAMPLE_COHORT, copy_project, nav_pages, run

from macros.downloads import EPUB_FOLDER, PDF_FOLDER, READER_EPUB, SLIDES_FOLDER, SLIDES_PDF, SLIDES_PPTX
from macros.nav import parse_config
from publish import cache as print_cache
from publish.cache import FOLDER, KEEP_BUILDS, PrintCache, last_build
from publish.changes import changes, render_report

# What a document is called in the report and the files it names, from what the cache records.
DOCUMENT = re.compile(r"[\w.-]+\.(?:pdf|epub|pptx)")
GIT_USER = ["-c", "user.name=Course Editor", "-c", "user.email=editor@example.org"]


def git(repo: Path, *args: str) -> None:
    result = subprocess.run(["git", *GIT_USER, *args], cwd=repo, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def build(project: Path, site: Path, *flags: str) -> set[str]:
    """Build the project's site like `make site`; the documents this build printed (not taken from the cache)."""
    result = run([sys.executable, "-m", "publish", "--site-dir", str(site), *flags], cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    printed: set[str] = set()
    for name in last_build(project / FOLDER)["printed"]:
        # An EPUB chapter is part of the book; the slides are one PDF and one PowerPoint file.
        base = name.split(":")[0].rsplit("/", 1)[-1]
        printed |= {SLIDES_PDF, SLIDES_PPTX} if base == SLIDES_PDF else {base}
    return printed


def contents(site: Path) -> dict[str, bytes]:
    return {str(path.relative_to(site)): path.read_bytes() for path in sorted(site.rglob("*")) if path.is_file()}


def chapters(site: Path) -> dict[str, bytes]:
    """The EPUB's chapters (its XHTML documents but the cover and the contents) by file name."""
    with zipfile.ZipFile(site / EPUB_FOLDER / READER_EPUB) as book:
        named = {Path(name).name: book.read(name) for name in book.namelist() if name.startswith("EPUB/text/")}
    return {name: data for name, data in named.items() if name not in ("cover.xhtml", "nav.xhtml")}


def edit(project: Path) -> dict[Path, str]:
    """An edit of three kinds: a sentence added to the last page's prose, a prompt (a record several pages show) reworded,
    and the page that asks it renamed in the nav."""
    pages = [src for _, src in nav_pages()]
    prose = project / "docs" / pages[-1]
    prompts = project / "docs" / "data" / "prompts.yml"
    config = project / "mkdocs.yml"
    first = yaml.safe_load(prompts.read_text(encoding="utf-8"))[0]
    asker = next(src for src in pages if f'("{first["id"]}")' in (project / "docs" / src).read_text(encoding="utf-8"))
    edited = {
        prose: prose.read_text(encoding="utf-8") + "\nA sentence added to this page's prose.\n",
        prompts: prompts.read_text(encoding="utf-8").replace(first["text"], first["text"] + " Say why.", 1),
        config: re.sub(rf"^(\s+- ).+(: {re.escape(asker)})$", r"\1Renamed in the nav\2", config.read_text(encoding="utf-8"), count=1, flags=re.M),
    }
    assert all(path.read_text(encoding="utf-8") != text for path, text in edited.items())
    return edited


def with_an_image(project: Path) -> None:
    """The first page shows a picture, which every build finds at its own scratch place (each build writes its site
    beside the target first): what is printed of that page must not depend on where."""
    first = project / "docs" / nav_pages()[0][1]
    (first.parent / "print-cache-square.png").write_bytes(PNG)
    first.write_text(first.read_text(encoding="utf-8") + "\n![A grey square](print-cache-square.png)\n", encoding="utf-8")


def test_an_edit_reprints_what_make_changes_names_and_gives_the_clean_builds_bytes(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "course")
    with_an_image(project)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "The course as it is")
    original = {path: path.read_text(encoding="utf-8") for path in edit(project)}
    # The edited course, built with nothing cached: the clean build.
    for path, text in edit(project).items():
        path.write_text(text, encoding="utf-8")
    build(project, tmp_path / "clean", "--fresh")
    report = render_report(changes(project, "HEAD"), "text")
    named = set(DOCUMENT.findall(report))
    assert named, report
    # Back to the committed course: what it reprints is what the edit reached, as make changes names it.
    for path, text in original.items():
        path.write_text(text, encoding="utf-8")
    assert build(project, tmp_path / "before") == named, report
    # Of the EPUB, only the chapters the edit changed were made again (it changes no page's ids, so every other chapter
    # of the two books is the same file); the rest came from the cache.
    made = {name.split(":", 1)[1] for name in last_build(project / FOLDER)["printed"] if name.startswith(f"{READER_EPUB}:")}
    clean, before = chapters(tmp_path / "clean"), chapters(tmp_path / "before")
    assert made == {name for name in clean if clean[name] != before.get(name)}
    assert made and len(made) < len(clean)
    # The edit again: every document from the cache (the clean build's entries, never the ones just printed for the
    # course before the edit) but one whose entry was damaged, and the whole site byte for byte the clean build's.
    for path, text in edit(project).items():
        path.write_text(text, encoding="utf-8")
    damaged = sorted(path.name for path in (tmp_path / "clean" / "pdf").glob("handout-*.pdf") if path.name not in named)[-1]
    for manifest in (project / FOLDER / "entries").glob("*/*/manifest.json"):
        if json.loads(manifest.read_text(encoding="utf-8"))["name"] == damaged:
            for stored in manifest.parent.iterdir():
                if stored != manifest:
                    stored.write_bytes(stored.read_bytes()[:-1])
    assert build(project, tmp_path / "after") == {damaged}
    assert last_build(project / FOLDER)["why"] == {damaged: "damaged entry"}
    # Every PDF (the reader and workbook as well as each handout, and the slides, not laid out) was found by its inputs,
    # by the note the clean build left, without being composed; the damaged one's note led to its damaged entry, so that
    # one alone was composed and printed again.
    noted = {name.removesuffix(":inputs") for name in last_build(project / FOLDER)["reused"] if name.endswith(":inputs")}
    clean = tmp_path / "clean"
    assert noted == {
        str(path.relative_to(clean)).removeprefix(f"{PDF_FOLDER}/") for path in [*(clean / PDF_FOLDER).glob("*.pdf"), *(clean / SLIDES_FOLDER).glob("*.pdf")]
    }
    assert contents(tmp_path / "after") == contents(tmp_path / "clean")


def printed_files(site: Path) -> dict[str, bytes]:
    """Every printed document of a built site (PDFs, the EPUB, the slides) by file name, as build() names them."""
    folders = (PDF_FOLDER, EPUB_FOLDER, SLIDES_FOLDER)
    return {path.name: path.read_bytes() for folder in folders for path in sorted((site / folder).glob("*.*"))}


@pytest.mark.parametrize("change", ["site CSS", "print CSS", "cohort"])
def test_a_css_or_cohort_change_reprints_what_it_reaches_and_gives_the_clean_builds_bytes(tmp_path: Path, change: str) -> None:
    project = copy_project(tmp_path / "course")
    flags = ("--cohort", SAMPLE_COHORT) if change == "cohort" else ()
    before = build(project, tmp_path / "before", *flags)
    assert before == set(printed_files(tmp_path / "before")), "the first build prints everything"
    if change == "cohort":
        manifest = project / "cohorts" / f"{SAMPLE_COHORT}.yml"
        text = manifest.read_text(encoding="utf-8")
        name = yaml.safe_load(text)["name"]
        assert name in text
        manifest.write_text(text.replace(name, f"{name} (renamed)", 1), encoding="utf-8")
    elif change == "print CSS":
        sheet = project / "publish" / "pdf" / "print.css"
        # A rule that changes what is printed: every heading one shade off black.
        sheet.write_text(sheet.read_text(encoding="utf-8") + "\nh1 { color: #010101; }\n", encoding="utf-8")
    else:
        # The screen's first stylesheet (mkdocs.yml's extra_css), in docs/ or in the theme's overrides.
        first = str(parse_config((project / "mkdocs.yml").read_text(encoding="utf-8"))[1]["extra_css"][0])  # type: ignore[index]
        sheet = next(path for path in (project / "docs" / first, project / "overrides" / first) if path.is_file())
        sheet.write_text(sheet.read_text(encoding="utf-8") + "\n.cw-never-used { color: #000; }\n", encoding="utf-8")
    printed = build(project, tmp_path / "after", *flags)
    build(project, tmp_path / "clean", "--fresh", *flags)
    # The site from the cache is the clean build's, byte for byte.
    assert contents(tmp_path / "after") == contents(tmp_path / "clean")
    # Every document the change altered was printed again; none was taken stale from the cache.
    old, new = printed_files(tmp_path / "before"), printed_files(tmp_path / "clean")
    altered = {name for name in new if new[name] != old.get(name)}
    assert altered <= printed
    if change == "print CSS":
        # print.css is part of every PDF's key (the slides have their own stylesheet).
        assert {name for name in new if name.endswith(".pdf") and name != SLIDES_PDF} <= printed
        assert altered, "the rule changes what is printed"
    elif change == "site CSS":
        # The screen's stylesheet is not part of anything printed.
        assert printed == set()
    else:
        # The cohort's name is on every cover and handout head.
        assert altered and all(name in altered for name in new if name.endswith(".pdf") and name != SLIDES_PDF)


@pytest.fixture
def cache(tmp_path: Path) -> PrintCache:
    return PrintCache(tmp_path / "cache", {"cohort": "generic"})


def test_a_stored_entry_is_reused_whole(cache: PrintCache) -> None:
    key = cache.key("pdf", "<p>Hello</p>", "css")
    cache.store(key, "a.pdf", {"pdf": b"%PDF-1.7 a"}, {"pages": 1})
    entry = cache.load(key, "a.pdf")
    assert entry is not None
    assert (entry.files, entry.meta) == ({"pdf": b"%PDF-1.7 a"}, {"pages": 1})
    assert (cache.printed, cache.reused) == (["a.pdf"], ["a.pdf"])


@pytest.mark.parametrize("damage", ["flip a byte", "cut short", "no manifest", "garbled manifest", "another key's manifest"])
def test_a_damaged_entry_is_printed_again_never_used(cache: PrintCache, damage: str) -> None:
    key = cache.key("pdf", "<p>Hello</p>")
    cache.store(key, "a.pdf", {"pdf": b"%PDF-1.7 a whole file"})
    place = cache.folder / "entries" / key[:2] / key  # type: ignore[operator]
    manifest = place / "manifest.json"
    stored = place / json.loads(manifest.read_text(encoding="utf-8"))["files"]["pdf"][0]
    if damage == "flip a byte":
        stored.write_bytes(b"%PDF-1.7 a whole filf")
    elif damage == "cut short":
        stored.write_bytes(b"%PDF-1.7 a wh")
    elif damage == "no manifest":
        manifest.unlink()
    elif damage == "garbled manifest":
        manifest.write_text('{"key": ', encoding="utf-8")
    else:
        other = cache.key("pdf", "<p>Other</p>")
        manifest.write_text(manifest.read_text(encoding="utf-8").replace(key, other), encoding="utf-8")
    assert cache.load(key, "a.pdf") is None
    assert cache.why["a.pdf"] == ("new input" if damage == "no manifest" else "damaged entry")
    # Removed, so the reprint is stored whole in its place.
    assert not place.exists() or damage == "no manifest"
    cache.store(key, "a.pdf", {"pdf": b"%PDF-1.7 a whole file"})
    assert cache.load(key, "a.pdf") is not None


def test_an_interrupted_store_leaves_no_entry(cache: PrintCache) -> None:
    key = cache.key("pdf", "<p>Hello</p>")
    # What a build stopped mid-write leaves: a scratch folder, never renamed into place.
    scratch = cache.folder / "scratch" / f"{key}.1.x"  # type: ignore[operator]
    scratch.mkdir(parents=True)
    (scratch / "0").write_bytes(b"%PDF-1.7 half")
    assert cache.load(key, "a.pdf") is None


def test_an_entry_is_used_only_while_the_files_it_loaded_are_unchanged(cache: PrintCache, tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "images").mkdir(parents=True)
    picture = site / "images" / "a.png"
    picture.write_bytes(b"one picture")
    key = cache.key("pdf", '<img src="images/a.png">')
    cache.store(key, "a.pdf", {"pdf": b"%PDF"}, loads=[picture], root=site)
    assert cache.load(key, "a.pdf", site) is not None
    picture.write_bytes(b"another picture")
    assert cache.load(key, "a.pdf", site) is None
    assert cache.why["a.pdf"] == "images/a.png changed"


def test_fresh_reads_nothing_but_stores_what_it_prints(cache: PrintCache) -> None:
    key = cache.key("pdf", "x")
    cache.store(key, "a.pdf", {"pdf": b"old"})
    fresh = PrintCache(cache.folder, cache.settings, fresh=True)
    assert fresh.load(key, "a.pdf") is None
    fresh.store(key, "a.pdf", {"pdf": b"new"})
    entry = cache.load(key, "a.pdf")
    assert entry is not None and entry.files == {"pdf": b"new"}


def test_the_key_covers_the_settings_the_libraries_the_fonts_and_the_print_code(cache: PrintCache, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = cache.key("pdf", "<p>Hello</p>", "css")
    assert cache.key("pdf", "<p>Hello!</p>", "css") != before
    assert cache.key("pdf", "<p>Hello</p>", "css;") != before
    for setting in ({"cohort": "summer-institute-2025"}, {"cohort": "generic", "edition": "facilitator"}, {"cohort": "generic", "page_size": "a4"}):
        assert PrintCache(cache.folder, setting).key("pdf", "<p>Hello</p>", "css") != before
    # A new version of a library (simulated): every key changes, so everything is printed again.
    real = print_cache.metadata.version
    monkeypatch.setattr(print_cache.metadata, "version", lambda name: "999.0" if name == "weasyprint" else real(name))
    print_cache.machine_fingerprint.cache_clear()
    assert cache.key("pdf", "<p>Hello</p>", "css") != before
    monkeypatch.undo()
    print_cache.machine_fingerprint.cache_clear()
    assert cache.key("pdf", "<p>Hello</p>", "css") == before
    # Our print code (print.css, the templates, the printer) changed: every key changes too.
    code = tmp_path / "printer.py"
    code.write_text("one", encoding="utf-8")
    monkeypatch.setattr(print_cache, "PRINT_CODE", (code,))
    print_cache.machine_fingerprint.cache_clear()
    first = cache.key("pdf", "<p>Hello</p>", "css")
    code.write_text("two", encoding="utf-8")
    print_cache.machine_fingerprint.cache_clear()
    assert cache.key("pdf", "<p>Hello</p>", "css") != first
    monkeypatch.undo()
    print_cache.machine_fingerprint.cache_clear()


def test_entries_no_recent_build_used_are_pruned(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    first = PrintCache(folder)
    old = first.key("pdf", "old")
    first.store(old, "old.pdf", {"pdf": b"old"})
    first.close()
    for number in range(KEEP_BUILDS):
        build = PrintCache(folder)
        build.store(build.key("pdf", str(number)), f"{number}.pdf", {"pdf": b"new"})
        build.close()
        assert (PrintCache(folder).load(old, "old.pdf") is None) == (number == KEEP_BUILDS - 1)
    assert len(list((folder / "entries").glob("*/*"))) == KEEP_BUILDS
    assert len(json.loads((folder / "builds.json").read_text(encoding="utf-8"))) == KEEP_BUILDS
