"""Cohorts: the manifest's fix-it messages, the cohort on its home page, and a schedule that adds up."""

from __future__ import annotations

import datetime
import re
import shutil
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import FIXTURES, ROOT, SAMPLE_COHORT, copy_project, run
from pypdf import PdfReader

from macros.cohort import read_manifest
from macros.downloads import PDF_FOLDER, READER_PDF

SAMPLE, _ = read_manifest(ROOT / "cohorts" / f"{SAMPLE_COHORT}.yml")
# Each segment page and its title, in course order.
SEGMENTS = {"what-to-expect.md": "What to expect", "how-to-make-progress.md": "How to make progress", "where-to-begin.md": "Where to begin"}


def soup_of(site: Path, src: str) -> BeautifulSoup:
    stem = src.removesuffix(".md")
    return BeautifulSoup((site / ("index.html" if stem == "index" else f"{stem}/index.html")).read_text(encoding="utf-8"), "lxml")


def text_of(element: object) -> str:
    return re.sub(r"\s+", " ", element.get_text()).strip() if element is not None else ""  # type: ignore[attr-defined]


def schedule_rows(site: Path) -> list[tuple[str, str, str, str]]:
    """The schedule table as a reader sees it: (starts, segment, part, minutes) per row."""
    table = soup_of(site, "schedule.md").select_one("table.cw-schedule-table")
    assert table is not None
    return [tuple(text_of(td) for td in row.select("td")) for row in table.select("tbody tr")]  # type: ignore[misc]


def test_the_sample_manifest_is_valid_and_claims_only_what_the_seed_gives() -> None:
    assert SAMPLE is not None
    assert SAMPLE.name == "Mayor's Academy – Summer Institute 2025"
    assert SAMPLE.hosts == ["Harlem Children's Zone", "EdRedesign Lab"]
    # The deck gives no dates, place, clock, facilitators besides the faculty, cities or groups.
    assert (SAMPLE.start_date, SAMPLE.place, SAMPLE.time_zone, SAMPLE.start_time) == (None, None, None, None)
    assert (SAMPLE.facilitators, SAMPLE.cities, SAMPLE.groups) == ([], [], [])


def test_the_cohort_is_named_on_its_home_page(cohort_site: Path) -> None:
    assert SAMPLE is not None
    home = soup_of(cohort_site, "index.md")
    banner = home.select_one("article .cw-cohort")
    assert banner is not None
    assert text_of(banner.select_one(".admonition-title")) == SAMPLE.name
    assert "With Harlem Children's Zone and EdRedesign Lab" in text_of(banner)
    assert home.select_one('meta[name="course-cohort"]')["content"] == SAMPLE_COHORT  # type: ignore[index]


def first_page_text(pdf: Path) -> str:
    return re.sub(r"\s+", " ", PdfReader(pdf).pages[0].extract_text() or "")


def test_the_cohort_is_named_on_its_pdf_cover_and_every_handout_head(cohort_site: Path) -> None:
    assert SAMPLE is not None
    folder = cohort_site / PDF_FOLDER
    assert f"Cohort: {SAMPLE.name}" in first_page_text(folder / READER_PDF)
    handouts = sorted(folder.glob("handout-*.pdf"))
    assert handouts
    for handout in handouts:
        assert f"Cohort: {SAMPLE.name}" in first_page_text(handout), handout.name


def test_the_generic_course_names_no_cohort(site: Path) -> None:
    home = soup_of(site, "index.md")
    assert home.select_one(".cw-cohort") is None
    assert home.select_one('meta[name="course-cohort"]')["content"] == "generic"  # type: ignore[index]
    assert "Cohort:" not in first_page_text(site / PDF_FOLDER / READER_PDF)


def test_without_durations_or_a_start_the_schedule_guesses_nothing(cohort_site: Path) -> None:
    rows = schedule_rows(cohort_site)
    # Three segments of three parts, then the end.
    assert [r[2] for r in rows[:3]] == ["Case", "Insights from research", "Small-group discussion"]
    assert len(rows) == 10
    assert rows[0][:2] == ("0:00", "1 · What to expect")
    assert all(r[0] == "not known yet" for r in rows[1:])
    assert [r[3] for r in rows[:-1]] == ["not set yet", "not set yet", "10"] * 3
    schedule = text_of(soup_of(cohort_site, "schedule.md").select_one(".cw-schedule"))
    assert "no start time is set" in schedule
    assert "Total so far: 30 minutes" in schedule
    assert "Not set yet: Case in segments 1, 2, 3; Insights from research in segments 1, 2, 3." in schedule


@pytest.fixture(scope="module")
def timed_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, int]]]:
    """A copy of the course with every duration set and the fixture cohort 'timed' (starts 09:00), facilitator edition, built once."""
    project = copy_project(tmp_path_factory.mktemp("timed"))
    shutil.copy2(FIXTURES / "cohorts" / "timed.yml", project / "cohorts" / "timed.yml")
    minutes = {
        "what-to-expect.md": {"case": 15, "insights": 20},
        "how-to-make-progress.md": {"case": 25, "insights": 35},
        "where-to-begin.md": {"case": 20, "insights": 45},
    }
    for src, parts in minutes.items():
        path = project / "docs" / src
        text = path.read_text(encoding="utf-8")
        assert "minutes:\n  discussion: 10\n" in text, src
        path.write_text(text.replace("minutes:\n", f"minutes:\n  case: {parts['case']}\n  insights: {parts['insights']}\n", 1), encoding="utf-8")
        parts["discussion"] = 10
    out = project / "out"
    result = run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)], cwd=project, COURSE_COHORT="timed", COURSE_EDITION="facilitator"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out, minutes


def test_the_schedule_adds_up_from_the_cohort_start_time(timed_site: tuple[Path, dict[str, dict[str, int]]]) -> None:
    site, minutes = timed_site
    rows = schedule_rows(site)
    clock = datetime.datetime(2030, 3, 4, 9, 0)
    expected = []
    for number, (src, title) in enumerate(SEGMENTS.items(), 1):
        for part, label in (("case", "Case"), ("insights", "Insights from research"), ("discussion", "Small-group discussion")):
            expected.append((f"{clock:%H:%M}", f"{number} · {title}", label, str(minutes[src][part])))
            clock += datetime.timedelta(minutes=minutes[src][part])
    total = sum(sum(parts.values()) for parts in minutes.values())
    expected.append((f"{clock:%H:%M}", "End", str(total)))
    assert rows == expected
    assert (rows[0][0], rows[-1][0], total) == ("09:00", "12:10", 190)
    schedule = soup_of(site, "schedule.md").select_one(".cw-schedule")
    assert "Clock times from the session's start at 09:00 (Europe/London)" in text_of(schedule)
    assert "Total: 3 hours 10 minutes, ending at 12:10." in text_of(schedule)


def test_a_cohort_with_details_shows_them_and_its_groups(timed_site: tuple[Path, dict[str, dict[str, int]]]) -> None:
    site, _ = timed_site
    banner = text_of(soup_of(site, "index.md").select_one(".cw-cohort"))
    assert "Test Cohort With A Clock" in banner
    assert "4–6 March 2030" in banner and "Testville" in banner
    assert "Facilitators: Facilitator One, Test role" in banner
    assert "Participating cities: City A, City B, City C, City D" in banner
    groups = [text_of(li) for li in soup_of(site, "schedule.md").select(".cw-facilitator .cw-groups-list li")]
    assert groups == ["Group 1: City A, City B", "Group 2: City C, City D"]


def test_every_broken_manifest_is_reported_with_file_line_and_fix(project: Path) -> None:
    shutil.copytree(FIXTURES / "cohorts" / "broken", project / "cohorts", dirs_exist_ok=True)
    result = run([sys.executable, "-m", "macros.check"], cwd=project)
    assert result.returncode == 1
    report = result.stderr
    expected = [
        "cohorts/typo.yml:1: the cohort manifest has an unknown field `nmae:`.\n    Fix: did you mean `name:`?",
        "cohorts/unnamed.yml:1: the cohort manifest is missing `name:`.\n    Fix: add a line `name: ...` to this record.",
        "cohorts/unquoted-time.yml:2: `start_time: 9:30` without quotes is read by YAML as the number 570, not a time of day.\n"
        '    Fix: write it in quotes on the 24-hour clock: start_time: "09:30".',
        "cohorts/bad-zone.yml:2: `time_zone: Europe/Londn` is not a known time zone.\n    Fix: did you mean 'Europe/London'",
        "cohorts/backwards.yml:3: `end_date: 2030-03-04` is before `start_date: 2030-03-06`.\n    Fix: swap the two dates, or correct the one that is wrong.",
        "cohorts/end-only.yml:2: the manifest has an `end_date:` but no `start_date:`.\n    Fix: add `start_date: YYYY-MM-DD`",
        "cohorts/stray-city.yml:5: group 'Group 1' names the city 'City Bee', which is not under `cities:`.\n    Fix: did you mean 'City B'",
        "cohorts/twice.yml:7: 'City A' is in group 'Group 1' and again in group 'Group 2'.\n    Fix: keep each city in one group.",
        "cohorts/Bad_Name.yml:1: 'Bad_Name' cannot be a cohort id.\n    Fix: rename the file to lower-case words joined by hyphens",
        "cohorts/a-list.yml:1: a cohort manifest must be `field: value` lines.\n    Fix: start with `name: ...`",
    ]
    for message in expected:
        assert message in report, f"{message!r} not in:\n{report}"
    assert "Traceback" not in report


def test_an_unknown_cohort_stops_the_build_and_keeps_the_old_site(project: Path) -> None:
    out = project / "out"
    out.mkdir()
    (out / "marker.html").write_text("previous site", encoding="utf-8")
    result = run([sys.executable, "-m", "publish", "--cohort", "summer-institute-2052", "--site-dir", str(out)], cwd=project)
    assert result.returncode == 1
    assert "cohorts/summer-institute-2052.yml:1: there is no cohort 'summer-institute-2052'.\n    Fix: did you mean 'summer-institute-2025'?" in result.stderr
    assert (out / "marker.html").read_text(encoding="utf-8") == "previous site"


def test_an_unknown_edition_fails_a_plain_mkdocs_build_cleanly(project: Path) -> None:
    result = run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(project / "out")], cwd=project, COURSE_EDITION="facilitators")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "there is no edition 'facilitators', given by --edition or COURSE_EDITION." in output
    assert "did you mean 'facilitator'?" in output
    assert "Traceback" not in output


def test_a_discussion_time_that_disagrees_with_its_prompt_is_refused(project: Path) -> None:
    path = project / "docs" / "what-to-expect.md"
    path.write_text(path.read_text(encoding="utf-8").replace("  discussion: 10\n", "  discussion: 15\n", 1), encoding="utf-8")
    line = path.read_text(encoding="utf-8").splitlines().index("  discussion: 15") + 1
    result = run([sys.executable, "-m", "macros.check"], cwd=project)
    assert result.returncode == 1
    assert (
        f"docs/what-to-expect.md:{line}: the front matter gives the discussion 15 minutes, but the page's discussion prompts "
        "are time-boxed at 10 (docs/data/prompts.yml).\n"
        "    Fix: write `discussion: 10`, or change the prompt's `minutes:`"
    ) in result.stderr
