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


def test_a_session_tied_to_no_nav_section_or_an_unknown_theme_and_a_scheduled_page_outside_every_session_are_named(project: Path) -> None:
    sessions = project / "docs" / "data" / "sessions.yml"
    text = sessions.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert 'section: "The session"' in text and "    - innovation-and-change" in lines
    section_line = next(n for n, line in enumerate(lines, 1) if 'section: "The session"' in line)
    theme_line = lines.index("    - innovation-and-change") + 1

    sessions.write_text(text.replace("    - innovation-and-change\n", "    - innovation-and-chang\n"), encoding="utf-8")
    check = run([sys.executable, "-m", "macros.check"], cwd=project)
    out = check.stdout + check.stderr
    assert check.returncode == 1, out
    assert f"docs/data/sessions.yml:{theme_line}: session 'opening' lists the resource theme 'innovation-and-chang'" in out
    assert "did you mean 'innovation-and-change'?" in out

    sessions.write_text(text.replace('section: "The session"', 'section: "The sesion"'), encoding="utf-8")
    check = run([sys.executable, "-m", "macros.check"], cwd=project)
    out = check.stdout + check.stderr
    assert check.returncode == 1, out
    assert f"docs/data/sessions.yml:{section_line}: session 'opening' names the nav section 'The sesion', which mkdocs.yml's nav does not have." in out
    assert "Fix: did you mean 'The session'" in out and "`section:` is the section's title in the nav, written exactly as there." in out
    # Its pages are in no session now, but that one mistake is not reported again for each of them.
    assert "no session's section" not in out and "Traceback" not in out

    # A page of a schedule outside every session's section is named at its `minutes:` line.
    sessions.write_text(text, encoding="utf-8")
    (project / "docs" / "extra.md").write_text('---\ntitle: "Extra"\ndescription: "An extra part."\nminutes:\n  closing: 5\n---\n\n# Extra\n', encoding="utf-8")
    config = project / "mkdocs.yml"
    nav = config.read_text(encoding="utf-8")
    assert "      - Resources: resources.md\n" in nav
    config.write_text(nav.replace("      - Resources: resources.md\n", "      - Resources: resources.md\n      - Extra: extra.md\n"), encoding="utf-8")
    check = run([sys.executable, "-m", "macros.check"], cwd=project)
    out = check.stdout + check.stderr
    assert check.returncode == 1, out
    assert "docs/extra.md:4: this page is part of a session's schedule (it has `minutes:`), but it is in no session's section of the nav." in out
    assert "Fix: move it in mkdocs.yml's nav under a session's section ('The session'), or remove `minutes:` from its front matter." in out
