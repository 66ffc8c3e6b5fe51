"""A second session, added as faculty would (Markdown, YAML and the nav alone), passes the content checks and builds.

The fixture session (tests/fixtures/session) goes into a copy of the project only; it never reaches the published course.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURE_SESSION, FIXTURES, ROOT, add_fixture_session, copy_project, move_docs, run, soup_of, squash, time_every_part
from ical.calendar_stream import IcsCalendarStream

from macros.cohort import read_manifest
from macros.course import load_model
from macros.models import Session
from macros.scaffold import placeholder_problems
from publish.pdf.site import page_url

# A two-day cohort for the fixture session's build: the opening on day 1 at the cohort's start time, the fixture session
# on day 2 (its `day:`) at its own start time (the manifest's `sessions:`).
COHORT = "two-days"
SESSION_START = 'sessions:\n  fictional-test-session:\n    start_time: "14:00"\n'


@pytest.fixture(scope="module")
def session_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy with the fixture session and a two-day cohort, checked and built once (no PDFs) for every test here."""
    project = add_fixture_session(copy_project(tmp_path_factory.mktemp("sessions") / "course"))
    text = (FIXTURES / "cohorts" / "dated.yml").read_text(encoding="utf-8")
    manifest = project / "cohorts" / f"{COHORT}.yml"
    manifest.write_text(text.replace("minutes:\n", SESSION_START + "minutes:\n", 1), encoding="utf-8")
    time_every_part(manifest)
    check = run([sys.executable, "-m", "macros.check"], cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr
    out = project / "site"
    built = run([sys.executable, "-m", "publish", "--no-pdf", "--cohort", COHORT, "--site-dir", str(out)], cwd=project)
    assert built.returncode == 0, built.stdout + built.stderr
    return out


def fixture_pages() -> list[str]:
    return sorted(p.relative_to(FIXTURE_SESSION / "docs").as_posix() for p in (FIXTURE_SESSION / "docs").rglob("*.md"))


def test_a_fictional_second_session_passes_the_content_checks_and_builds(session_site: Path) -> None:
    pages = fixture_pages()
    assert pages and not any((ROOT / "docs" / src).exists() for src in pages), "the fixture session must never be in the real course"
    # Each of its pages is built, and each of its records is shown on them.
    shown = "".join(str(soup_of(session_site, src).select_one("article")) for src in pages)
    expected = [
        'data-source="fictional-test-case"',
        'data-finding="fictional-test-finding"',
        'data-prompt="fictional-test-reflection"',
        'data-prompt="fictional-test-discussion"',
    ]
    assert [record for record in expected if record not in shown] == []


def sessions_of(project: Path) -> list[tuple[Session, list[str]]]:
    """Each session of a project as the data and the nav give it, with its pages in nav order."""
    model = load_model(project / "mkdocs.yml")
    return [(session, [page.src_path for page in model.session_pages(session)]) for session in model.sessions]


def heading_of(session: Session) -> str:
    return session.title if session.name == session.title else f"{session.name}: {session.title}"


def test_each_session_has_its_own_schedule_numbered_from_1_on_its_own_day_and_start(session_site: Path) -> None:
    project = session_site.parent
    sessions = sessions_of(project)
    assert len(sessions) > 1
    cohort, problems = read_manifest(project / "cohorts" / f"{COHORT}.yml")
    assert cohort is not None and cohort.start_date is not None and cohort.time_zone is not None, problems
    calendar = IcsCalendarStream.calendar_from_ics((session_site / "calendar" / f"{COHORT}.ics").read_text(encoding="utf-8"))
    for session, pages in sessions:
        shown_on = [src for src in pages if soup_of(session_site, src).select_one("article .cw-schedule") is not None]
        assert shown_on, f"no page of session {session.id} shows its schedule"
        schedule = soup_of(session_site, shown_on[0]).select_one("article .cw-schedule")
        assert schedule is not None
        # Its own pages only, its segments numbered 1, 2, ... in its own nav order.
        rows = schedule.select("table.cw-schedule-table tr[data-page]")
        assert rows and {str(row["data-page"]) for row in rows} <= set(pages), session.id
        labels = list(dict.fromkeys(row.select("td")[1].get_text() for row in rows))
        numbers = [int(label.split(" · ")[0]) for label in labels if " · " in label]
        assert numbers and numbers == list(range(1, len(numbers) + 1)), (session.id, labels)
        # On its own day of the cohort, at its own start (the manifest's `sessions:`, else the cohort's).
        date = cohort.start_date + datetime.timedelta(days=session.day - 1)
        start = cohort.sessions[session.id].start_time if session.id in cohort.sessions else cohort.start_time
        assert f"On {date.day} {date:%B %Y}" in schedule.get_text(" "), session.id
        assert schedule.select_one("table.cw-schedule-table")["data-start"] == start, session.id  # type: ignore[index]
        # The calendar holds its parts on that day from that start, each named with the session.
        hours, minutes = map(int, str(start).split(":"))
        parts = sorted(str(e.dtstart.isoformat()) for e in calendar.events if e.dtend is not None and str(e.summary).startswith(f"{session.name} · "))
        assert len(parts) == len(schedule.select("table.cw-schedule-table tr[data-part]:not(.cw-end)")), session.id
        first = datetime.datetime(date.year, date.month, date.day, hours, minutes, tzinfo=zoneinfo.ZoneInfo(cohort.time_zone))
        assert parts[0] == first.isoformat(), session.id


def test_my_reflections_and_resources_group_by_session_and_keep_every_prompt_and_work(session_site: Path) -> None:
    project = session_site.parent
    sessions = sessions_of(project)
    journal = soup_of(session_site, "my-reflections.md").select_one("article")
    assert journal is not None
    headings = [squash(h.get_text()).rstrip("¶") for h in journal.select("h2")]
    for session, pages in sessions:
        asked = [block["data-prompt"] for src in pages for block in soup_of(session_site, src).select("article .cw-reflection[data-prompt]")]
        if not asked:
            continue
        # The session's heading, then each of its pages' prompts, every one kept with its id (the journal's key).
        assert squash(heading_of(session)) in headings, session.id
        grouped = [block["data-prompt"] for block in journal.select(f'.cw-journal-page[data-session="{heading_of(session)}"] .cw-reflection[data-prompt]')]
        assert grouped == list(dict.fromkeys(asked)), session.id
    every = {p.id for p in load_model(project / "mkdocs.yml").require().prompts.values() if p.kind == "reflection"}
    assert sorted(str(b["data-prompt"]) for b in journal.select(".cw-reflection[data-prompt]")) == sorted(every)
    # Resources: the works each session shows sit under that session's heading, each work listed once.
    resources = soup_of(session_site, "resources.md").select_one("article")
    assert resources is not None
    listed = [str(li["id"]) for li in resources.select(".cw-references li[id]")]
    assert len(listed) == len(set(listed))
    fixture = next(session for session, _ in sessions if session.id == "fictional-test-session")
    under = next(h for h in resources.select("h3") if squash(h.get_text()).rstrip("¶") == squash(heading_of(fixture)))
    following = under.find_next("ul", class_="cw-references")
    assert following is not None and following.select_one("li#source-fictional-test-case") is not None


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
    data = load_model(config).data
    assert data is not None
    # Every session's section, as docs/data/sessions.yml lists the sessions.
    named = ", ".join(f"'{session.section}'" for session in data.sessions.values())
    assert f"Fix: move it in mkdocs.yml's nav under a session's section ({named}), or remove `minutes:` from its front matter." in out


def test_a_cohorts_session_starts_and_a_session_beyond_its_dates_are_named_with_file_line_and_fix(project: Path) -> None:
    (project / "cohorts" / "two-days.yml").write_text(
        'name: "Two days"\nstart_date: 2030-07-15\nend_date: 2030-07-16\nstart_time: "09:00"\nsessions:\n'
        '  openin:\n    start_time: "14:00"\n  opening:\n    start_time: 9:30\n    date: 2030-07-20\n',
        encoding="utf-8",
    )
    (project / "cohorts" / "one-day.yml").write_text('name: "One day"\nstart_date: 2030-07-15\n', encoding="utf-8")
    (project / "cohorts" / "no-dates.yml").write_text('name: "No dates"\nsessions:\n  opening:\n    date: 2030-07-15\n', encoding="utf-8")
    bad_date = 'name: "Bad date"\nstart_date: 2030-02-27\nend_date: 2030-03-02\nsessions:\n  opening:\n    date: 2030-02-30\n'
    (project / "cohorts" / "bad-date.yml").write_text(bad_date, encoding="utf-8")
    sessions = project / "docs" / "data" / "sessions.yml"
    text = sessions.read_text(encoding="utf-8")
    assert "- id: opening\n" in text
    sessions.write_text(text.replace("- id: opening\n", "- id: opening\n  day: 2\n", 1), encoding="utf-8")
    day_line = sessions.read_text(encoding="utf-8").splitlines().index("  day: 2") + 1
    check = run([sys.executable, "-m", "macros.check"], cwd=project)
    out = check.stdout + check.stderr
    assert check.returncode == 1, out
    expected = [
        f"cohorts/one-day.yml:2: session 'opening' is on day 2 of every cohort (`day:` at docs/data/sessions.yml:{day_line}), "
        "but this cohort's dates, 2030-07-15 to 2030-07-15, span 1 day.\n"
        "    Fix: set `end_date: 2030-07-16` (or later), or give the session its date here: `sessions:`, then `opening:`, then `date: YYYY-MM-DD`.",
        "cohorts/two-days.yml:6: `sessions:` names 'openin', which is not a session in docs/data/sessions.yml.\n    Fix: did you mean 'opening'?",
        "cohorts/two-days.yml:9: `start_time: 9:30` without quotes is read by YAML as the number 570, not a time of day.\n"
        '    Fix: write it in quotes on the 24-hour clock: start_time: "09:30".',
        "cohorts/two-days.yml:10: `date: 2030-07-20` (session 'opening') is outside the cohort's dates, 2030-07-15 to 2030-07-16.\n"
        "    Fix: give a date from `start_date:` to `end_date:`, or change those dates.",
        "cohorts/no-dates.yml:4: session 'opening' has a `date:`, but the cohort has no `start_date:`.\n"
        "    Fix: add the cohort's `start_date:` (and `end_date:`) first.",
        "cohorts/bad-date.yml:6: `date: 2030-02-30` (session 'opening') is not a day of the calendar.\n"
        "    Fix: write the day as year-month-day, e.g. `date: 2030-03-04`, with no time and no quotes.",
    ]
    assert [message for message in expected if message not in out] == [], out
    assert "Traceback" not in out


def test_make_new_session_scaffolds_a_session_that_check_refuses_until_each_placeholder_is_replaced(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from macros.scaffold import PLACEHOLDER, main

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert 'new-session: $(STAMP)\n\t@$(PY) -m macros.scaffold "$(NAME)" $(WITH_CONFIG)\n' in makefile
    made = run([sys.executable, "-m", "macros.scaffold", "second-test-session"], cwd=project)
    assert made.returncode == 0, made.stdout + made.stderr
    written = [project / "docs" / "second-test-session" / "index.md", project / "docs" / "second-test-session" / "first-segment.md"]
    changed = [*written, project / "docs" / "data" / "sessions.yml", project / "mkdocs.yml"]
    assert all(path.is_file() for path in written)
    check = run([sys.executable, "-m", "macros.check"], cwd=project)
    out = check.stdout + check.stderr
    assert check.returncode == 1, out
    # Each placeholder is named at its own line, and nothing else is wrong with the scaffold.
    left = [
        f"{path.relative_to(project).as_posix()}:{number}: `make new-session` left the placeholder “{PLACEHOLDER}"
        for path in changed
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PLACEHOLDER in line
    ]
    assert left and [where for where in left if where not in out] == [], out
    assert f"The course content has {len(left)} problems" in out, out
    assert "Fix: write the session's own words in its place, from the session's own material." in out
    for path in changed:
        path.write_text(path.read_text(encoding="utf-8").replace(PLACEHOLDER, "Test"), encoding="utf-8")
    check = run([sys.executable, "-m", "macros.check"], cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr
    # A folder or an id already taken, an id that cannot be one, or none at all is refused, with the fix.
    refused = {
        "Second Session": "'Second Session' cannot be a session id. Fix: use lower-case words joined by hyphens, e.g. make new-session NAME=second-session.",
        "": "Give the new session's id: make new-session NAME=<id> (lower-case words joined by hyphens).",
    }
    (project / "docs" / "moved").mkdir()
    refused["moved"] = "docs/moved/ already exists. Fix: choose another NAME, or add pages to that folder by hand."
    (project / "docs" / "second-test-session").rename(project / "docs" / "second-test-session-moved")
    refused["second-test-session"] = "docs/data/sessions.yml already has a session 'second-test-session'. Fix: choose another NAME."
    monkeypatch.chdir(project)
    for name, said in refused.items():
        assert main([name]) == 2, name
        assert capsys.readouterr().err.strip() == said, name


def test_the_parts_a_reader_marks_as_done_name_their_session_for_the_home_pages_progress(session_site: Path) -> None:
    project = session_site.parent
    sessions = sessions_of(project)
    data = soup_of(session_site, "index.md").select_one("script#course-parts")
    assert data is not None
    parts = {part["url"]: part for part in json.loads(data.get_text())}
    for session, pages in sessions:
        for src in pages:
            assert parts[page_url(src)]["group"] == session.heading, src
    # Every part still counts, grouped or not: a reader's marks are kept by address, as before.
    assert all("url" in part and "title" in part for part in parts.values())


def test_in_a_browser_progress_and_the_download_group_by_session_and_the_download_imports_back(session_site: Path, browser: Any, tmp_path: Path) -> None:
    from test_browser import journal_box, serve

    sessions = sessions_of(session_site.parent)
    fixture, pages = next((session, pages) for session, pages in sessions if session.id == "fictional-test-session")
    asked = next(str(b["data-prompt"]) for src in pages for b in soup_of(session_site, src).select("article .cw-reflection[data-prompt]"))
    with serve(session_site) as address:
        context = browser.new_context(accept_downloads=True)
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(address)
            page.wait_for_selector(".cw-progress-list li[data-part]")
            # The home page's progress: each session's parts under its heading, every part once.
            groups = page.eval_on_selector_all(".cw-progress h3.cw-progress-group", "hs => hs.map(h => h.textContent)")
            assert [session.heading for session, _ in sessions] == [g for g in groups if g in {s.heading for s, _ in sessions}]
            listed = page.eval_on_selector_all(".cw-progress-list li[data-part]", "items => items.map(i => i.dataset.part)")
            assert sorted(listed) == sorted(part["url"] for part in json.loads(page.inner_text("script#course-parts")))
            # An answer on My reflections is downloaded under its session's heading and imports back into a fresh browser.
            page.goto(address + "my-reflections/")
            journal_box(page, asked).fill("An answer to a fictional prompt.")
            with page.expect_download() as download:
                page.get_by_role("button", name="Download as Markdown").click()
            exported = Path(download.value.path()).read_text(encoding="utf-8")
            assert f"### {fixture.heading}\n" in exported
            assert re.search(
                rf"^## {re.escape(fixture.heading)} · .+\n\n### .+\n\n> .+\n\n<!-- answer: {asked} -->\nAn answer to a fictional prompt\.\n", exported, re.M
            )
            saved = tmp_path / "my-reflections.md"
            saved.write_text(exported, encoding="utf-8")
            fresh = browser.new_context().new_page()
            fresh.goto(address + "my-reflections/")
            with fresh.expect_file_chooser() as chooser:
                fresh.get_by_role("button", name="Import from a file").click()
            chooser.value.set_files(str(saved))
            fresh.get_by_role("region", name=re.compile("Importing")).get_by_role("button", name="Import").click()
            assert journal_box(fresh, asked).input_value() == "An answer to a fictional prompt."
            fresh.context.close()
            assert not errors, errors
        finally:
            context.close()


def test_a_new_session_goes_at_the_end_of_a_nav_without_after_the_session_and_a_config_without_nav_is_refused(tmp_path: Path) -> None:
    from macros.scaffold import scaffold

    (tmp_path / "docs" / "data").mkdir(parents=True)
    (tmp_path / "docs" / "data" / "sessions.yml").write_text("- id: opening\n", encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: A\nnav:\n  - Home: index.md\ntheme:\n  name: material\n", encoding="utf-8")
    scaffold(config, "second")
    text = config.read_text(encoding="utf-8")
    assert text.index("  - Home: index.md\n") < text.index("      - second/index.md\n") < text.index("theme:\n")
    assert (tmp_path / "docs" / "data" / "sessions.yml").read_text(encoding="utf-8").startswith("- id: opening\n\n- id: second\n")
    config.write_text("site_name: A\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"mkdocs.yml has no `nav:`. Fix: restore mkdocs.yml from git."):
        scaffold(config, "third")
    assert not (tmp_path / "docs" / "third").exists()


def test_make_new_session_config_puts_the_session_in_that_configs_docs_folder_nav_and_data(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from macros.scaffold import PLACEHOLDER, main

    config = move_docs(project)
    monkeypatch.chdir(project)
    assert main(["second-test-session", "--config", config.name]) == 0
    assert capsys.readouterr().out.splitlines()[1:5] == [
        "  content/second-test-session/index.md",
        "  content/second-test-session/first-segment.md",
        "  content/data/sessions.yml",
        f"  {config.name}",
    ]
    model = load_model(config)
    assert {"second-test-session/index.md", "second-test-session/first-segment.md"} <= set(model.pages)
    assert model.data is not None and "second-test-session" in model.data.sessions
    # make check names each placeholder in that config's files, and only there.
    named = {problem.path for problem in placeholder_problems(model)}
    assert named == {"content/second-test-session/index.md", "content/second-test-session/first-segment.md", "content/data/sessions.yml", config.name}
    assert all(PLACEHOLDER in problem.message for problem in placeholder_problems(model))
    assert not (project / "docs").exists()
    assert main(["second-test-session", "--config", config.name]) == 2
    assert capsys.readouterr().err.strip() == "content/second-test-session/ already exists. Fix: choose another NAME, or add pages to that folder by hand."
