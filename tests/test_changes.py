"""make changes: what a change does to the course, in plain words, on a git repository built from the real course."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, add_fixture_session, copy_project, move_docs, nav_pages, nav_titles, nav_tree, run

from macros.course import load_model, prints
from macros.downloads import READER_EPUB, SLIDES_FOLDER, decks_of, handout_pdf, printed_sessions, reader_pdf, slides_files, workbook_pdf
from macros.models import Session
from publish.changes import changes, main, render_report

GIT_USER = ["-c", "user.name=Course Editor", "-c", "user.email=editor@example.org"]


# What prints a page, from the course's model: the course reader and workbook and, in a course of several sessions, the
# page's session's own; the deck that shows it (publish/slides/deck.py). With one session, today's files.
MODEL = load_model(ROOT / "mkdocs.yml")
OWN = printed_sessions(MODEL.sessions)


def _sessions(srcs: tuple[str, ...]) -> list[Session]:
    return [session for session in OWN if any(MODEL.session_of(src) == session for src in srcs)]


def reader(*srcs: str) -> str:
    """Where pages' change shows in print: the course reader, and each of their sessions' own readers."""
    return f"the course reader ({reader_pdf()}, {READER_EPUB})" + "".join(f"; the {s.name} reader ({reader_pdf(s)})" for s in _sessions(srcs))


def workbook(*srcs: str) -> str:
    return f"the reflection workbook ({workbook_pdf()})" + "".join(f"; the {s.name} workbook ({workbook_pdf(s)})" for s in _sessions(srcs))


def _decks(srcs: tuple[str, ...]) -> list[tuple[Session | None, list[str]]]:
    """Each deck that shows some of the pages (every page of the one session; a session's own pages of several), with them."""
    found = [(deck, [src for src in srcs if deck is None or MODEL.session_of(src) == deck]) for deck in decks_of(MODEL.sessions)]
    return [(deck, on) for deck, on in found if on]


def slides(*srcs: str) -> str:
    """The slides of the pages, after "; ", for each deck that shows some of them (nothing when none does)."""
    titles = nav_titles()
    parts = []
    for deck, on in _decks(srcs):
        named = [f"“{titles[src]}”" for src in on]
        which = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
        pdf, pptx = slides_files(deck)
        parts.append(f"; the slides of {which} ({SLIDES_FOLDER}/{pdf}, {pptx})")
    return "".join(parts)


def notes(*srcs: str) -> str:
    return "".join(f"; the speaker notes of the facilitator edition's slides ({slides_files(deck)[1]})" for deck, _ in _decks(srcs))


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *GIT_USER, *args], cwd=repo, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture(scope="module")
def course_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course as the first commit of a fresh repository on `main`, tagged `base`."""
    repo = copy_project(tmp_path_factory.mktemp("course-repo"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "The course as it is")
    git(repo, "tag", "base")
    return repo


@pytest.fixture
def repo(course_repo: Path) -> Iterator[Path]:
    """The course repository on a fresh branch off `main`; every commit a test makes is dropped afterwards."""
    git(course_repo, "checkout", "-q", "-B", "change", "base")
    yield course_repo
    git(course_repo, "checkout", "-q", "-f", "main")
    git(course_repo, "reset", "-q", "--hard", "base")
    git(course_repo, "clean", "-qfd")


def edit(repo: Path, path: str, old: str, new: str) -> None:
    file = repo / path
    text = file.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    file.write_text(text.replace(old, new, 1), encoding="utf-8")


def commit(repo: Path, message: str) -> None:
    git(repo, "commit", "-qam", message)


def report(repo: Path, style: str = "text", base: str | None = None) -> list[str]:
    """The report's lines for the working tree against base (default: the merge base with main, as `make changes`)."""
    return render_report(changes(repo, base), style).splitlines()  # type: ignore[arg-type]


# The sample cohort's name line, after which the tests below add a field to its manifest.
NAME_LINE = 'name: "Mayor\'s Academy – Summer Institute 2025"'


def line_of(repo: Path, path: str, words: str) -> int:
    """The line of a file in the repository on which words first appear."""
    text = (repo / path).read_text(encoding="utf-8")
    return text[: text.index(words)].count("\n") + 1


def header(repo: Path, count: int) -> str:
    noun = "change" if count == 1 else "changes"
    return f"What this changes in the course, compared with main ({git(repo, 'rev-parse', '--short=7', 'base')}): {count} {noun}."


def test_changing_one_key_action_names_the_item_and_where_it_shows(repo: Path) -> None:
    edit(repo, "docs/data/findings.yml", "Engage the community in all stages", "Engage the wider community at every stage")
    commit(repo, "Reword the third key action")
    assert report(repo) == [
        header(repo, 1),
        "",
        "Findings (docs/data/findings.yml)",
        "  Changed: finding “Five key actions that contribute to a virtuous learning cycle” (five-key-actions)",
        "    item 3: Engage the community in all stages → Engage the wider community at every stage",
        "    Seen in: the page “2 · How to make progress”; the search; the handout handout-how-to-make-progress.pdf; "
        f"{reader('how-to-make-progress.md')}{slides('how-to-make-progress.md')}.",
    ]


def test_rewording_a_paragraph_shows_the_words_that_changed(repo: Path) -> None:
    edit(repo, "docs/what-to-expect.md", "struggling to collaborate on", "struggling to work together on")
    commit(repo, "Reword the Hartford introduction")
    assert report(repo) == [
        header(repo, 1),
        "",
        "Pages (docs/)",
        "  Changed: the page “1 · What to expect” (docs/what-to-expect.md)",
        "    line 30, under “The case: Hartford, Connecticut”: The first case is Hartford, CT: struggling to"
        " [-collaborate-] {+work together+} on opportunities for youth. As you …",
        "    Seen in: the page “1 · What to expect”; the search; the handout handout-what-to-expect.pdf; "
        f"{reader('what-to-expect.md')}{notes('what-to-expect.md')}.",
    ]


def test_adding_a_prompt_shows_it_on_its_page_the_journal_the_handout_and_the_workbook(repo: Path) -> None:
    prompts = repo / "docs/data/prompts.yml"
    prompts.write_text(
        prompts.read_text(encoding="utf-8")
        + '\n- id: first-step-back-home\n  kind: reflection\n  title: "Your first step"\n'
        + '  text: "Which entry point will you raise first with your partners back home?"\n',
        encoding="utf-8",
    )
    edit(
        repo,
        "docs/where-to-begin.md",
        '{{ reflection("sketch-an-entry-point") }}',
        '{{ reflection("sketch-an-entry-point") }}\n\n{{ reflection("first-step-back-home") }}',
    )
    commit(repo, "Add a reflection on the first step")
    where_to_begin = f"{reader('where-to-begin.md')}; {workbook('where-to-begin.md')}"
    assert report(repo) == [
        header(repo, 2),
        "",
        "Prompts (docs/data/prompts.yml)",
        "  Added: prompt “Your first step” (first-step-back-home)",
        "    kind: reflection",
        "    title: Your first step",
        "    text: Which entry point will you raise first with your partners back home?",
        "    Seen in: the pages “3 · Where to begin”, “My reflections” and “Macro reference”; the search; the handout handout-where-to-begin.pdf;"
        f" {where_to_begin}.",
        "",
        "Pages (docs/)",
        "  Changed: the page “3 · Where to begin” (docs/where-to-begin.md)",
        '    line 69, under “The Entry Points study” (added): {{ reflection("first-step-back-home") }}',
        f"    Seen in: the pages “3 · Where to begin” and “My reflections”; the search; the handout handout-where-to-begin.pdf; {where_to_begin}.",
    ]


def test_removing_a_cited_source_says_where_it_was_and_the_check_still_fails(repo: Path) -> None:
    sources = repo / "docs/data/sources.yml"
    text = sources.read_text(encoding="utf-8")
    start = text.index("- id: kotter-leading-change")
    end = text.find("\n- id:", start + 1)
    sources.write_text(text[:start] + (text[end + 1 :] if end > 0 else ""), encoding="utf-8")
    commit(repo, "Remove the Kotter source")
    framing = (repo / "docs/framing.md").read_text(encoding="utf-8")
    line = framing[: framing.index('cite("kotter-leading-change")')].count("\n") + 1
    assert report(repo) == [
        header(repo, 1),
        "",
        "For a second look:",
        "  ! source “Leading Change” (kotter-leading-change): a citation was removed",
        "",
        "Sources (docs/data/sources.yml)",
        "  Removed: source “Leading Change” (kotter-leading-change)",
        f"    It was seen in: the pages “{nav_titles()['framing.md']}”, “Resources” and “Macro reference”; the search; the handout handout-framing.pdf;"
        f" {reader('framing.md', 'resources.md')}{slides('framing.md', 'resources.md')}.",
        f'    docs/framing.md:{line} still calls cite("kotter-leading-change"): make check fails until that line is changed.',
    ]
    check = run([sys.executable, "-m", "macros.check"], cwd=repo)
    assert check.returncode == 1
    assert f'docs/framing.md:{line}: `cite("kotter-leading-change")`: there is no source in docs/data/sources.yml' in check.stderr


def test_editing_a_facilitator_note_is_flagged_and_seen_only_by_facilitators(repo: Path) -> None:
    edit(repo, "docs/how-to-make-progress.md", "in view of the room while", "in view of the whole room while")
    commit(repo, "Firmer timing in the facilitator note")
    note = (repo / "docs/how-to-make-progress.md").read_text(encoding="utf-8")
    # The report names the first line of the paragraph that changed.
    line = note[: note.rindex("\n\n", 0, note.index("in view of the whole room")) + 2].count("\n") + 1
    assert report(repo) == [
        header(repo, 1),
        "",
        "For a second look:",
        "  ! the page “2 · How to make progress” (docs/how-to-make-progress.md): facilitator-only text changed; participants never see it",
        "",
        "Pages (docs/)",
        "  Changed: the page “2 · How to make progress” (docs/how-to-make-progress.md)",
        f"    line {line}, facilitator note “Running the setbacks discussion”: … key actions in view of the {{+whole+}} room while it answers. Then ask …",
        f"    Seen in: the facilitator edition of “2 · How to make progress”; the facilitator guide (facilitator-guide.pdf){notes('how-to-make-progress.md')}.",
    ]


def test_changing_a_quotation_is_flagged_for_a_second_look(repo: Path) -> None:
    edit(repo, "docs/data/sources.yml", "Are we not moving fast enough or is it just me?", "Are we not moving fast enough, or is it just me?")
    commit(repo, "Punctuate the Fischer quotation")
    louisville = (
        "source “Change at the Speed of Trust: Advancing Educational Opportunity through Cross-Sector Collaboration in Louisville, KY” (louisville-case)"
    )
    assert report(repo) == [
        header(repo, 1),
        "",
        "For a second look:",
        f"  ! {louisville}: a quotation changed; check it against the session's own words",
        "",
        "Sources (docs/data/sources.yml)",
        f"  Changed: {louisville}",
        "    quotation, paragraph 4: ‘Are we not moving fast enough or is it just me?’ → ‘Are we not moving fast enough, or is it just me?’",
        "    Seen in: the page “2 · How to make progress”; the search; the handout handout-how-to-make-progress.pdf; "
        f"{reader('how-to-make-progress.md')}{slides('how-to-make-progress.md')}.",
    ]


def test_an_affiliation_and_one_of_several_venues_are_citation_changes(repo: Path) -> None:
    edit(repo, "docs/data/sources.yml", 'affiliation: "Associate Professor,', 'affiliation: "Professor,')
    edit(
        repo,
        "docs/data/sources.yml",
        'venue: ["Journal of Applied Behavioral Science", "Stanford Social Innovation Review"]',
        'venue: "Journal of Applied Behavioral Science"',
    )
    commit(repo, "The author's current title; the journal alone")
    bologna = "source “Trust the People: One Engagement and Collaborative Imagination in Bologna, Italy” (bologna-case)"
    entry_points = "source “Entry Points: Gaining Momentum in Early-Stage Cross-Boundary Collaborations” (entry-points-study)"
    assert report(repo) == [
        header(repo, 2),
        "",
        "For a second look:",
        f"  ! {bologna}: a citation changed; check it against the work it cites",
        f"  ! {entry_points}: a citation changed; check it against the work it cites",
        "",
        "Sources (docs/data/sources.yml)",
        f"  Changed: {bologna}",
        "    affiliation: [-Associate-] Professor, University Medical School & Harvard T.H. Chan School of Public Health",
        f"    Seen in: the page “Resources”; the search; {reader('resources.md')}{slides('framing.md')}.",
        f"  Changed: {entry_points}",
        "    venue 2 (removed): Stanford Social Innovation Review",
        "    Seen in: the pages “3 · Where to begin” and “Resources”; the search; the handout handout-where-to-begin.pdf; "
        f"{reader('where-to-begin.md', 'resources.md')}{slides('where-to-begin.md')}.",
    ]


def test_a_discussion_shows_in_the_facilitator_logistics_and_minutes_in_the_schedule(repo: Path) -> None:
    edit(repo, "docs/data/prompts.yml", 'title: "What barriers is your collaboration facing?"', 'title: "Which barriers is your collaboration facing?"')
    edit(repo, "docs/what-to-expect.md", "  discussion: 10\n", "  discussion: 10\n  case: 15\n")
    commit(repo, "Retitle a discussion; time the Hartford case")
    lines = report(repo)
    assert (
        "    Seen in: the pages “1 · What to expect” and “Macro reference”; the search; the handout handout-what-to-expect.pdf; "
        f"{reader('what-to-expect.md', 'macro-reference.md')}; {workbook('what-to-expect.md')}{slides('what-to-expect.md')};"
        f" the facilitator edition of “Schedule”; the facilitator guide (facilitator-guide.pdf){notes('what-to-expect.md')}."
    ) in lines
    assert lines[-3:] == [
        "  Changed: the page “1 · What to expect” (docs/what-to-expect.md)",
        "    front matter, minutes, case (added): 15",
        f"    Seen in: the page “Schedule”; the search; {reader('schedule.md')}{slides('schedule.md')}; the facilitator guide (facilitator-guide.pdf).",
    ]


def test_a_cohort_manifest_change_is_seen_in_that_cohorts_site(repo: Path) -> None:
    manifest = repo / "cohorts/summer-institute-2025.yml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "minutes:\n  what-to-expect:\n    case: 15\n    insights: 20\n", encoding="utf-8")
    commit(repo, "Time the first segment's case and insights for this cohort")
    assert report(repo)[2:] == [
        "Cohort manifests (cohorts/)",
        "  Changed: the cohort manifest cohorts/summer-institute-2025.yml",
        "    minutes, “1 · What to expect”, case (added): 15",
        "    minutes, “1 · What to expect”, insights (added): 20",
        "    Seen in: the summer-institute-2025 cohort's site (make site COHORT=summer-institute-2025): the page “Schedule”; the search;"
        f" {reader('schedule.md')}{slides('schedule.md')}; the facilitator guide (facilitator-guide.pdf).",
    ]


def test_a_start_time_alone_is_seen_only_in_the_facilitator_schedule(repo: Path) -> None:
    # Participants see clock times only once every part has its minutes; facilitators are told the start time is missing,
    # on every page that shows a session's schedule.
    model = load_model(ROOT / "mkdocs.yml")
    shown = [page.title for page in model.nav_pages if "schedule" in [spec.name for spec, _, _ in model.checked(page.src_path).checker.calls]]
    assert shown
    titles = ", ".join(f"“{title}”" for title in shown[:-1]) + " and " * (len(shown) > 1) + f"“{shown[-1]}”"
    edit(repo, "cohorts/summer-institute-2025.yml", NAME_LINE, NAME_LINE + '\nstart_time: "09:00"')
    commit(repo, "Set the cohort's start time")
    assert report(repo)[2:] == [
        "Cohort manifests (cohorts/)",
        "  Changed: the cohort manifest cohorts/summer-institute-2025.yml",
        "    start time (added): 09:00",
        f"    Seen in: the summer-institute-2025 cohort's site (make site COHORT=summer-institute-2025): the facilitator edition of {titles};"
        " the facilitator guide (facilitator-guide.pdf).",
    ]


def test_markdown_for_the_job_summary_marks_removed_and_added_words(repo: Path) -> None:
    edit(repo, "docs/what-to-expect.md", "struggling to collaborate on", "struggling to work together on")
    edit(repo, "docs/data/findings.yml", "Engage the community in all stages", "Engage the wider community at every stage")
    commit(repo, "Two rewordings")
    base = git(repo, "rev-parse", "--short=7", "base")
    assert report(repo, "markdown") == [
        "## What this changes in the course",
        "",
        f"Compared with main ({base}): 2 changes.",
        "",
        "### Findings (docs/data/findings.yml)",
        "",
        "- **Changed:** finding “Five key actions that contribute to a virtuous learning cycle” (five-key-actions)",
        "  - item 3: Engage the community ~~in all stages~~ → Engage the **wider** community **at every stage**",
        "  - *Seen in:* the page “2 · How to make progress”; the search; the handout handout-how-to-make-progress.pdf; "
        f"{reader('how-to-make-progress.md')}{slides('how-to-make-progress.md')}.",
        "",
        "### Pages (docs/)",
        "",
        "- **Changed:** the page “1 · What to expect” (docs/what-to-expect.md)",
        "  - line 30, under “The case: Hartford, Connecticut”: The first case is Hartford, CT: struggling to"
        " ~~collaborate~~ **work together** on opportunities for youth. As you …",
        "  - *Seen in:* the page “1 · What to expect”; the search; the handout handout-what-to-expect.pdf; "
        f"{reader('what-to-expect.md')}{notes('what-to-expect.md')}.",
    ]


def test_nothing_changed_prints_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(repo)]) == 0
    assert capsys.readouterr() == ("", "")


def test_a_base_whose_data_does_not_load_is_compared_as_text_with_a_note(repo: Path) -> None:
    edit(
        repo,
        "docs/data/findings.yml",
        '  title: "Five key actions that contribute to a virtuous learning cycle"',
        "  title: Five key actions: a virtuous learning cycle",
    )
    commit(repo, "A broken title")
    broken = git(repo, "rev-parse", "--short=7", "HEAD")
    line = line_of(repo, "docs/data/findings.yml", "  title: Five key actions: a virtuous learning cycle")
    edit(
        repo,
        "docs/data/findings.yml",
        "  title: Five key actions: a virtuous learning cycle",
        '  title: "Five key actions that contribute to a virtuous learning cycle"',
    )
    assert report(repo, base="HEAD") == [
        f"What this changes in the course, compared with HEAD ({broken}): 1 change.",
        "",
        f"Note: The course data at HEAD ({broken}) does not load (docs/data/findings.yml:{line}: the YAML could not be read: mapping values are not allowed here),"
        " so the data files are compared as text, without where they show. Fix: nothing to do for this report; that revision's data was already invalid.",
        "",
        "Findings (docs/data/findings.yml)",
        "  Changed: docs/data/findings.yml",
        f'    line {line}: title: Five key actions: a virtuous learning cycle → title: "Five key actions that contribute to a virtuous learning cycle"',
    ]


def test_an_unknown_revision_is_one_line_with_the_fix(repo: Path) -> None:
    result = run([sys.executable, "-m", "publish.changes", "--root", str(repo), "--base", "no-such-branch"], cwd=ROOT)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == (
        "make changes: there is no revision 'no-such-branch' in this repository."
        " Fix: give a branch, tag or commit that exists (`git branch -a` lists the branches), e.g. make changes BASE=main.\n"
    )


def test_a_shallow_clone_without_the_base_says_to_unshallow(repo: Path, tmp_path: Path) -> None:
    edit(repo, "docs/what-to-expect.md", "how could this happen?", "how could this possibly happen?")
    commit(repo, "A second commit, so a clone of depth 1 lacks the first")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "change", repo.as_uri(), str(shallow))
    # As in a pull request's checkout of depth 1: no origin/HEAD, and no other branch fetched.
    git(shallow, "remote", "set-head", "origin", "--delete")
    base = git(repo, "rev-parse", "base")
    fix = "Fix: run `git fetch --unshallow` (in a workflow, give actions/checkout `fetch-depth: 0`), then run `make changes` again.\n"
    result = run([sys.executable, "-m", "publish.changes", "--root", str(shallow), "--base", base], cwd=ROOT)
    assert (result.returncode, result.stderr) == (1, f"make changes: the revision '{base}' is not in this shallow clone. {fix}")
    result = run([sys.executable, "-m", "publish.changes", "--root", str(shallow)], cwd=ROOT)
    assert (result.returncode, result.stderr) == (1, f"make changes: this shallow clone has no default branch to compare with. {fix}")


def test_markdown_is_the_default_under_github_actions(repo: Path) -> None:
    edit(repo, "docs/what-to-expect.md", "how could this happen?", "how could this possibly happen?")
    summary = {"GITHUB_STEP_SUMMARY": os.devnull}
    result = run([sys.executable, "-m", "publish.changes", "--root", str(repo)], cwd=ROOT, **summary)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("## What this changes in the course\n")
    assert ": … question in mind: how could this **possibly** happen?\n" in result.stdout


def test_no_repository_no_default_branch_and_no_common_ancestor_are_one_line_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    course = copy_project(tmp_path / "not-a-repository")
    assert main(["--root", str(course)]) == 1
    assert (
        capsys.readouterr().err
        == f"make changes: {course} is not a git repository, so there is nothing to compare with. Fix: run it in a clone of the course.\n"
    )
    git(course, "init", "-q", "-b", "draft")
    git(course, "add", "-A")
    git(course, "commit", "-qm", "A course on a branch of its own")
    assert main(["--root", str(course)]) == 1
    assert (
        capsys.readouterr().err
        == "make changes: there is no default branch (origin/HEAD or main) to compare with. Fix: name one, e.g. make changes BASE=main.\n"
    )
    git(course, "checkout", "-q", "--orphan", "main")
    git(course, "commit", "-qm", "An unrelated history")
    git(course, "checkout", "-q", "draft")
    assert main(["--root", str(course)]) == 1
    assert (
        capsys.readouterr().err == "make changes: HEAD and main have no common ancestor. Fix: name the revision to compare with, e.g. make changes BASE=main.\n"
    )


def test_renaming_a_page_in_the_navigation_is_reported(repo: Path) -> None:
    edit(repo, "mkdocs.yml", '"1 · What to expect": what-to-expect.md', '"1 · What you can expect": what-to-expect.md')
    commit(repo, "Rename the first segment in the menu")
    assert report(repo)[2:] == [
        "Navigation (mkdocs.yml)",
        "  Changed: the navigation",
        "    entry 5: The session › 1 · What to expect (what-to-expect.md) → The session › 1 · What you can expect (what-to-expect.md)",
        "    Seen in: the menu of every page; the course reader's contents and bookmarks (course-reader.pdf) and its e-book contents (course-reader.epub);"
        " the title of the handout handout-what-to-expect.pdf; the headings of the reflection workbook (reflection-workbook.pdf).",
    ]


def test_a_page_in_a_nested_section_is_named_with_every_section_it_is_in(repo: Path) -> None:
    # "After the session" moves, where it stands in the nav, into the end of the section before it (the last session's).
    tree = nav_tree()
    before, within = tree[[title for title, _ in tree].index("After the session") - 1]
    assert isinstance(within, list), "the entry before “After the session” is a section"
    last = nav_pages(within)[-1][1]
    entry = [src for _, src in nav_pages()].index("resources.md") + 1
    edit(repo, "mkdocs.yml", "  - After the session:\n      - Resources: resources.md\n", "")
    edit(repo, "mkdocs.yml", f"{last}\n", f"{last}\n      - After the session:\n          - Resources: resources.md\n")
    commit(repo, "Resources in a section of the session")
    assert report(repo)[2:] == [
        "Navigation (mkdocs.yml)",
        "  Changed: the navigation",
        f"    entry {entry}: After the session › Resources (resources.md) → {before} › After the session › Resources (resources.md)",
        "    Seen in: the menu of every page; the course reader's contents and bookmarks (course-reader.pdf) and its e-book contents (course-reader.epub).",
    ]


def test_a_revision_git_cannot_read_is_one_line_with_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    course = copy_project(tmp_path / "damaged")
    git(course, "init", "-q", "-b", "main")
    git(course, "add", "-A")
    git(course, "commit", "-qm", "The course")
    # A missing object, as a damaged or partly fetched clone has: the commit is there, one of its files is not.
    blob = git(course, "rev-parse", "HEAD:docs/index.md")
    (course / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    assert main(["--root", str(course), "--base", "HEAD"]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"make changes: git could not read {git(course, 'rev-parse', '--short=7', 'HEAD')} (")
    assert error.endswith("). Fix: run `git fetch` (or clone the repository again), then try again.\n")
    assert error.count("\n") == 1


def test_a_cohort_manifest_that_did_not_load_is_compared_as_text(repo: Path) -> None:
    edit(repo, "cohorts/summer-institute-2025.yml", NAME_LINE, NAME_LINE + "\nstart_time: 9:30")
    commit(repo, "An unquoted start time")
    line = (repo / "cohorts" / "summer-institute-2025.yml").read_text(encoding="utf-8").splitlines().index("start_time: 9:30") + 1
    edit(repo, "cohorts/summer-institute-2025.yml", "start_time: 9:30", 'start_time: "09:30"')
    assert report(repo, base="HEAD")[2:] == [
        "Cohort manifests (cohorts/)",
        "  Changed: the cohort manifest cohorts/summer-institute-2025.yml",
        f'    line {line}: start_time: 9:30 → start_time: "09:30"',
        "    One version of this manifest does not load (see make check), so it is compared as text.",
    ]


def test_a_reflection_renamed_retired_or_dropped_is_listed_first_with_what_happens_to_answers(repo: Path) -> None:
    from macros.data import load_course

    reflections = [p for p in load_course(repo / "docs").prompts.values() if p.kind == "reflection"]
    renamed, dropped = reflections[0], reflections[1]
    edit(repo, "docs/data/prompts.yml", f"- id: {renamed.id}\n", f"- id: {renamed.id}-now\n  formerly: [{renamed.id}]\n")
    edit(repo, "docs/data/prompts.yml", f"- id: {dropped.id}\n", f"- id: {dropped.id}-now\n")
    for page in (repo / "docs").rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        for prompt in (renamed, dropped):
            text = text.replace(f'reflection("{prompt.id}")', f'reflection("{prompt.id}-now")')
        page.write_text(text, encoding="utf-8")
    lines = report(repo)
    sections = [line for line in lines if line and not line.startswith((" ", "What this", "For a second"))]
    assert sections[0] == "Readers' answers (reflection prompts renamed or removed)", lines
    start = lines.index(sections[0])
    assert lines[start + 1] == f"  Renamed: reflection “{renamed.title}” ({renamed.id})"
    assert lines[start + 2] == (f"    Readers' answers move to reflection “{renamed.title}” ({renamed.id}-now) the next time they open it or My reflections.")
    assert lines[start + 3] == f"  Removed without a word: reflection “{dropped.title}” ({dropped.id})"
    assert f"add `formerly: [{dropped.id}]` to prompt '{dropped.id}-now'" in lines[start + 4]
    assert any(f"({dropped.id}): readers who answered it would find their answer only" in line for line in lines[:start])


def test_a_change_to_a_page_of_the_last_session_names_that_sessions_reader_workbook_and_slides(repo: Path) -> None:
    # Any course: with several sessions, a session's page is printed in its session's own reader, workbook and deck
    # (and the course reader and workbook); with one, in the course's, under today's names.
    model = load_model(repo / "mkdocs.yml")
    session = model.sessions[-1]
    own = printed_sessions(model.sessions)
    mine = session if own else None
    page = [p for p in model.session_pages(session) if '{{ reflection("' in (p.text or "") and prints(p.meta) and p.meta.get("slides") is not False][-1]
    prompts = repo / "docs/data/prompts.yml"
    prompts.write_text(
        prompts.read_text(encoding="utf-8") + '\n- id: added-for-the-test\n  kind: reflection\n  title: "Added"\n  text: "What will you try first?"\n',
        encoding="utf-8",
    )
    path = repo / "docs" / page.src_path
    path.write_text(
        path.read_text(encoding="utf-8") + '\n## A heading added\n\nA sentence added under it.\n\n{{ reflection("added-for-the-test") }}\n', encoding="utf-8"
    )
    commit(repo, "Add a section to a page of the last session")
    lines = report(repo)
    at = lines.index(f"  Changed: the page “{page.title}” (docs/{page.src_path})")
    seen = next(line for line in lines[at:] if line.startswith("    Seen in: "))
    pdf, pptx = slides_files(mine)
    expected = [
        f"({reader_pdf()}, {READER_EPUB})",
        f"({workbook_pdf()})",
        f"({reader_pdf(mine)}",
        f"({workbook_pdf(mine)})",
        f"({SLIDES_FOLDER}/{pdf}, {pptx})",
    ]
    assert all(name in seen for name in expected), seen
    assert f"the speaker notes of the facilitator edition's slides ({pptx})" in seen, seen
    others = [name for other in own if other != session for name in (reader_pdf(other), workbook_pdf(other), *slides_files(other))]
    assert not any(name in seen for name in others), seen


def test_make_changes_config_compares_that_configs_docs_folder_and_names_its_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert '\t@$(PY) -m publish.changes $(if $(BASE),--base "$(BASE)") $(WITH_CONFIG)\n' in (ROOT / "Makefile").read_text(encoding="utf-8")
    course = copy_project(tmp_path / "course")
    config = move_docs(course)
    git(course, "init", "-q", "-b", "main")
    git(course, "add", "-A")
    git(course, "commit", "-qm", "The course, from another config")
    title, src = nav_pages()[-1]
    page = course / "content" / src
    page.write_text(page.read_text(encoding="utf-8") + "\nA sentence added to this page.\n", encoding="utf-8")
    prompts = course / "content" / "data" / "prompts.yml"
    text = prompts.read_text(encoding="utf-8")
    prompts.write_text(text.replace('  text: "', '  text: "Reworded. ', 1), encoding="utf-8")
    assert main(["--root", str(course), "--base", "HEAD", "--config", config.name, "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "Prompts (content/data/prompts.yml)\n  Changed: prompt " in out, out
    assert f"  Changed: the page “{title}” (content/{src})" in out, out
    assert "docs/" not in out, out


def test_with_two_sessions_a_renamed_page_and_the_course_title_reach_the_documents_that_print_them(tmp_path: Path) -> None:
    """With a second session (tests/fixtures/session): a page renamed in the nav reaches its session's reader and workbook
    as well as the course's; the course's title reaches only what shows the whole programme's head, since each
    session's reader, workbook, handouts and deck show that session's title."""
    course = add_fixture_session(copy_project(tmp_path / "course"))
    git(course, "init", "-q", "-b", "main")
    git(course, "add", "-A")
    git(course, "commit", "-qm", "The course with a second session")
    model = load_model(course / "mkdocs.yml")
    assert model.data is not None
    session = next(each for each in model.sessions if each.id == "fictional-test-session")
    edit(course, "mkdocs.yml", '"1 · Fictional first segment"', '"1 · Fictional first segment, renamed"')
    title = model.data.course.title
    edit(course, "docs/data/course.yml", f'title: "{title}"', f'title: "{title}, renamed"')
    lines = report(course, base="HEAD")

    def seen(entry: str) -> str:
        return next(line for line in lines[lines.index(entry) :] if line.startswith("    Seen in: "))

    nav = seen("  Changed: the navigation")
    assert all(name in nav for name in (f"({reader_pdf()})", f"({reader_pdf(session)})", f"({workbook_pdf()})", f"({workbook_pdf(session)})")), nav
    others = [each for each in model.sessions if each != session]
    assert not any(name in nav for each in others for name in (reader_pdf(each), workbook_pdf(each))), nav
    record = seen("  Changed: the course record")
    assert f"the cover of the course reader ({reader_pdf()})" in record and f"the cover of the reflection workbook ({workbook_pdf()})" in record, record
    assert not any(name in record for each in model.sessions for name in (reader_pdf(each), workbook_pdf(each))), record
    assert "the title slide" not in record, record
    # The handouts of pages of no session alone show the programme's head.
    handouts = {handout_pdf(src): src for src in model.pages}
    assert all(model.session_of(handouts[name]) is None for name in re.findall(r"handout-[\w-]+\.pdf", record)), record
