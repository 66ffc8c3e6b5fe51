"""The benchmark's synthetic course: a small one must be a valid course that builds, so `make bench` measures real work."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.course import CourseWriter, SyntheticCourse, visible_words, write_course
from macros.check import check_sources

MODULES = 3


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> SyntheticCourse:
    return write_course(MODULES, tmp_path_factory.mktemp("bench") / "course")


def test_the_synthetic_course_passes_the_content_check(course: SyntheticCourse) -> None:
    docs = course.ours / "docs"
    assert sorted(p.name for p in docs.glob("module-*.md")) == ["module-001.md", "module-002.md", "module-003.md"]
    assert check_sources(docs, course.ours / "mkdocs.yml") == []


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
