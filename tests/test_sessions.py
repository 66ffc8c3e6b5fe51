"""A second session, added as faculty would (Markdown, YAML and the nav alone), passes the content checks and builds.

The fixture session (tests/fixtures/session) goes into a copy of the project only; it never reaches the published course.
"""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import FIXTURE_SESSION, ROOT, add_fixture_session, copy_project, run, soup_of


def test_a_fictional_second_session_passes_the_content_checks_and_builds(tmp_path: Path) -> None:
    project = add_fixture_session(copy_project(tmp_path / "course"))
    pages = sorted(p.relative_to(FIXTURE_SESSION / "docs").as_posix() for p in (FIXTURE_SESSION / "docs").rglob("*.md"))
    assert pages and not any((ROOT / "docs" / src).exists() for src in pages), "the fixture session must never be in the real course"
    check = run([sys.executable, "-m", "macros.check"], cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr
    out = tmp_path / "site"
    built = run([sys.executable, "-m", "publish", "--no-pdf", "--site-dir", str(out)], cwd=project)
    assert built.returncode == 0, built.stdout + built.stderr
    # Each of its pages is built, and each of its records is shown on them.
    shown = "".join(str(soup_of(out, src).select_one("article")) for src in pages)
    expected = [
        'data-source="fictional-test-case"',
        'data-finding="fictional-test-finding"',
        'data-prompt="fictional-test-reflection"',
        'data-prompt="fictional-test-discussion"',
    ]
    assert [record for record in expected if record not in shown] == []
