"""The benchmark's synthetic course: a small one must be a valid course that builds, so `make bench` measures real work."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

import bench.__main__ as bench_main
from bench.__main__ import Preview, Variant, edit_paragraph, edit_record, measure, report
from bench.course import CourseWriter, SyntheticCourse, visible_words, write_course
from bench.preview import PreviewResult, measure_preview
from macros.checks.sources import check_sources
from macros.course import load_model

MODULES = 3


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> SyntheticCourse:
    return write_course(MODULES, tmp_path_factory.mktemp("bench") / "course")


def test_the_synthetic_course_passes_the_content_check(course: SyntheticCourse) -> None:
    docs = course.ours / "docs"
    assert sorted(p.name for p in docs.glob("module-*.md")) == ["module-001.md", "module-002.md", "module-003.md"]
    assert check_sources(load_model(course.ours / "mkdocs.yml")) == []


def test_the_copied_project_is_compiled_like_the_floors_installed_packages(course: SyntheticCourse) -> None:
    for package in ("macros", "publish"):
        sources = {path.stem for path in (course.ours / package).glob("*.py")}
        compiled = {path.name.split(".")[0] for path in (course.ours / package / "__pycache__").glob("*.pyc")}
        assert sources and sources <= compiled, f"{package}: not compiled: {sorted(sources - compiled)}"


def test_each_module_has_findings_prompts_a_table_an_admonition_and_800_words(course: SyntheticCourse) -> None:
    expanded = course.floor.parent / "docs"
    for number in range(1, MODULES + 1):
        text = (expanded / f"module-{number:03d}.md").read_text(encoding="utf-8")
        assert visible_words(text) >= 800
        assert "{{" not in text, "the floor's Markdown still holds macro calls"
        assert 'class="admonition' in text and "\n| --- |" in text and '!!! tip "Carry forward"' in text
        assert re.search(r'data-(finding|prompt)="', text), f"module {number} shows no finding or prompt"


def test_later_rounds_get_their_own_records(tmp_path: Path) -> None:
    writer = CourseWriter(20, tmp_path)
    writer.write_data(tmp_path)
    records = (tmp_path / "prompts.yml").read_text(encoding="utf-8") + (tmp_path / "findings.yml").read_text(encoding="utf-8")
    # The first round shows the real records; every later module gets copies of its own.
    first_of_second_round = len(writer.templates) + 1
    assert f"-m{first_of_second_round:03d}" in records
    assert "-m020" in records
    assert "-m001" not in records


# A failed step is a row with its error, never a traceback that drops the table (issue 11).


def _variant(key: str, command: list[str], tmp_path: Path) -> Variant:
    return Variant(key, f"({key}) a {key} step", command, tmp_path)


def test_a_failed_run_is_a_row_with_its_error_and_the_others_are_measured(tmp_path: Path) -> None:
    found = [
        _variant("floor", [sys.executable, "-c", "pass"], tmp_path),
        _variant("site", [sys.executable, "-c", "raise SystemExit(3)"], tmp_path),
        _variant("peer", [str(tmp_path / "no-such-program")], tmp_path),
    ]
    results = measure(found, rounds=2, deadline=time.time() + 600, work=tmp_path)
    floor, site, peer = results
    assert len(floor.runs) == 2 and not floor.failed
    assert site.runs == [] and site.failed.startswith("exit 3, see `") and (tmp_path / "logs" / "site-1.log").is_file()
    assert peer.runs == [] and peer.failed.startswith("FileNotFoundError: ")
    previews = [
        Preview("preview", "(e) the real course", None, "RuntimeError: the server would not start"),
        Preview("large_preview", "(f) the large course", PreviewResult([0.8], [0.5], 90.0, "the preview did not serve edit 2 of module-001.md within 60 s")),
    ]
    table, numbers = report(3, None, results, previews, (1.0, 1.0))
    rows = table.splitlines()
    assert any(row.startswith("| (floor) a floor step |") and "| 2 |" in row for row in rows)
    assert f"| (site) a site step | failed: {site.failed} | 0 |" in table
    assert f"| (peer) a peer step | failed: {peer.failed} | 0 |" in table
    assert "| (e) the real course | failed: RuntimeError: the server would not start | 0 |" in table
    assert "| (f) the large course (then failed: the preview did not serve edit 2 of module-001.md within 60 s) | 0.80 s | 1 |" in table
    assert "| Peak memory ≤ 600 MB at 3 modules | n/a | no |" in table
    assert numbers["variants"]["site"]["failed"] == site.failed  # type: ignore[index]


def test_a_course_that_cannot_be_written_still_gives_every_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_course(modules: int, out: Path) -> None:
        raise RuntimeError("the synthetic course did not build")

    def broken_preview(*args: object) -> None:
        raise TimeoutError("the preview did not log the rebuild within 60 s")

    monkeypatch.setattr(bench_main, "write_course", broken_course)
    monkeypatch.setattr(bench_main, "measure_preview", broken_preview)
    table, _ = bench_main.run_bench(5, 1, time.time() + 600, tmp_path)
    labels = (
        "(a) Plain Material",
        "(b) Our site build",
        "(c) Our full build",
        "(h) One module's paragraph edited",
        "(i) The session record",
        "(d) mkdocs-to-pdf",
    )
    for label in (*labels, "(g) `make check`"):
        row = next(row for row in table.splitlines() if row.startswith(f"| {label}"))
        assert "| failed: the synthetic course could not be written: RuntimeError: the synthetic course did not build |" in row
    assert "failed: TimeoutError: the preview did not log the rebuild within 60 s" in table
    assert "| (f) Preview: `make serve` (`mkdocs serve --dirty`) on the synthetic course (5 modules), one module saved → page served changed | failed:" in table
    assert "| Target | Measured | Holds |" in table


def test_rows_named_by_their_letters_are_the_only_ones_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_course(modules: int, out: Path) -> None:
        raise RuntimeError("the synthetic course did not build")

    def no_preview(*args: object) -> None:
        raise AssertionError("no preview was asked for")

    monkeypatch.setattr(bench_main, "write_course", broken_course)
    monkeypatch.setattr(bench_main, "measure_preview", no_preview)
    table, numbers = bench_main.run_bench(5, 1, time.time() + 600, tmp_path, rows="bg")
    assert [row.split(" | ")[0] for row in table.splitlines() if row.startswith("| (")] == [
        "| (b) Our site build, `python -m publish --no-pdf`",
        "| (g) `make check` on the same course, `python -m macros.check`",
    ]
    assert set(numbers["variants"]) == {"site", "check"} and numbers["previews"] == {}  # type: ignore[arg-type]
    with pytest.raises(SystemExit):
        bench_main.main(["--rows", "abz"])


def test_a_preview_whose_server_exits_says_so_without_raising(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    (project / "mkdocs.yml").write_text("site_name: Broken\nnav: [\n", encoding="utf-8")
    result = measure_preview(sys.executable, project, "index.md", tmp_path / "preview", 2, dict(os.environ))
    assert result.seen == []
    assert result.error.startswith("`mkdocs serve` exited (status 1) before it would serve the page at first; see ")


def test_the_preview_times_an_edit_of_the_real_course_until_the_page_is_served(tmp_path: Path) -> None:
    result = measure_preview(sys.executable, ROOT, "what-to-expect.md", tmp_path / "preview", 1, dict(os.environ, NO_MKDOCS_2_WARNING="1"))
    assert result.error == ""
    assert len(result.seen) == 1 and result.seen[0] > 0
    assert result.rebuilds[0] >= 1 and len(result.rebuilt) == 1
    # The scratch copy was edited and put back; the real page never was.
    assert "Benchmark edit" not in (ROOT / "docs" / "what-to-expect.md").read_text(encoding="utf-8")


def test_the_edits_before_a_rebuild_change_the_course_anew_each_round_and_keep_it_valid(course: SyntheticCourse) -> None:
    module = course.ours / "docs" / "module-001.md"
    record = course.ours / "docs" / "data" / "sessions.yml"
    before = {path: path.read_text(encoding="utf-8") for path in (module, record)}
    try:
        seen = [tuple(path.read_text(encoding="utf-8") for path in before)]
        for number in (1, 2):
            edit_paragraph(course)(number)
            edit_record(course)(number)
            seen.append(tuple(path.read_text(encoding="utf-8") for path in before))
        assert len({texts[0] for texts in seen}) == len({texts[1] for texts in seen}) == 3
        assert "Edited in round 2." in module.read_text(encoding="utf-8")
        assert load_model(course.ours / "mkdocs.yml").sessions[0].title.endswith("(round 2)")
        assert not check_sources(load_model(course.ours / "mkdocs.yml"))
    finally:
        for path, text in before.items():
            path.write_text(text, encoding="utf-8")
