"""Cohorts: the manifest's fix-it messages, the cohort on its home page, and a schedule that adds up."""

from __future__ import annotations

import datetime
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import FIXTURES, ROOT, SAMPLE_COHORT, copy_project, nav_pages, nav_tree, run, soup_of, time_every_part
from mkdocs.utils.meta import get_data
from pypdf import PdfReader

from macros.cohort import read_manifest
from macros.course import load_model
from macros.downloads import PDF_FOLDER, READER_PDF, SCHEDULE_PAGE
from macros.render import render_schedule
from macros.schedule import SEGMENT_PARTS, RunOfShow, Segment, format_duration, page_key, parts_of, run_of_show, schedule_pages

SAMPLE, _ = read_manifest(ROOT / "cohorts" / f"{SAMPLE_COHORT}.yml")
OWN_MINUTES = schedule_pages(ROOT / "docs")
# The Schedule page shows its own session's schedule, whatever sessions the course has: each page of that session's schedule
# (a page whose front matter has `minutes:`) in the nav's order, as (its key in a cohort's manifest, its nav title, its parts, its own minutes).
((_, SCHEDULED),) = load_model(ROOT / "mkdocs.yml").session_groups(here=SCHEDULE_PAGE)
SESSION = [
    (page_key(page.src_path), page.title, parts_of(OWN_MINUTES[page_key(page.src_path)]), OWN_MINUTES[page_key(page.src_path)])
    for page in SCHEDULED
    if page_key(page.src_path) in OWN_MINUTES
]
# The nav section (a session) each page is in, by its title; a page outside any section is its own.
SECTION_OF = {src: title for title, value in nav_tree() for _, src in (nav_pages(value) if isinstance(value, list) else [(title, value)])}
PART_LABELS = {"opening": "Opening", "case": "Case", "insights": "Insights from research", "discussion": "Small-group discussion", "closing": "Closing"}


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
    # The deck names Harlem Children's Zone and EdRedesign Lab after the programme, and never as the cohort's hosts.
    assert SAMPLE.hosts == []
    # The deck gives no dates, place, clock, facilitators besides the faculty, cities or groups.
    assert (SAMPLE.start_date, SAMPLE.place, SAMPLE.time_zone, SAMPLE.start_time) == (None, None, None, None)
    assert (SAMPLE.facilitators, SAMPLE.cities, SAMPLE.groups) == ([], [], [])


def test_the_cohort_is_named_on_its_home_page(cohort_site: Path) -> None:
    assert SAMPLE is not None
    home = soup_of(cohort_site, "index.md")
    banner = home.select_one("article .cw-cohort")
    assert banner is not None
    assert text_of(banner.select_one(".admonition-title")) == SAMPLE.name
    # The manifest sets only the name: the banner claims nothing more (no hosts the deck never names).
    assert text_of(banner) == SAMPLE.name
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


def session_pages() -> list[tuple[str, str, dict[str, int | None]]]:
    """The schedule's pages in the deck's order, each with its title and minutes from its own front matter: (path in docs/, title, minutes)."""
    pages = []
    for key, _, _, _ in SESSION:
        meta = get_data((ROOT / "docs" / f"{key}.md").read_text(encoding="utf-8"))[1]
        pages.append((f"{key}.md", str(meta["title"]), meta["minutes"]))
    return pages


@pytest.mark.parametrize("which", ["generic", "cohort without times"])
def test_without_durations_or_a_start_the_schedule_shows_the_order_and_the_known_lengths(which: str, site: Path, cohort_site: Path) -> None:
    built = site if which == "generic" else cohort_site
    schedule = soup_of(built, "schedule.md").select_one("article .cw-schedule")
    assert schedule is not None
    assert schedule.select_one("table") is None, "no table of blank cells"
    items = schedule.select(".cw-schedule-order > li")
    expected, numbers = [], Counter[str]()
    for src, title, minutes in session_pages():
        parts = list(SEGMENT_PARTS) if set(minutes) & set(SEGMENT_PARTS) else list(minutes)
        if parts == list(SEGMENT_PARTS):
            # Segments are numbered from 1 in each session (each section of the nav).
            numbers[SECTION_OF[src]] += 1
            title = f"{numbers[SECTION_OF[src]]} · {title}"
        # Each part by name, with its length when the page or the cohort gives one (the discussions' time boxes).
        shown = [PART_LABELS[part] + (f": {format_duration(minutes[part])}" if isinstance(minutes.get(part), int) else "") for part in parts]
        expected.append((src, title, shown))
    assert [(li["data-page"], text_of(li.select_one("strong")), [text_of(p) for p in li.select(".cw-schedule-parts > li")]) for li in items] == expected
    assert numbers.total() == sum(1 for _, _, parts, _ in SESSION if parts == SEGMENT_PARTS) > 0
    for li in items:
        # Each part of the session leads to its page.
        href = str(li.select_one("strong a")["href"])  # type: ignore[index]
        assert (built / "schedule" / href / "index.html").resolve() == (built / str(li["data-page"]).removesuffix(".md") / "index.html").resolve()
    shown = text_of(soup_of(built, "schedule.md").select_one("article"))
    for word in ("not known", "not set", "front matter", "Total", "—"):
        assert word not in shown, word
    assert re.search(r"\b\d{1,2}:\d{2}\b", text_of(schedule)) is None, "a time the schedule cannot know"


def test_the_facilitator_edition_says_which_lengths_are_missing_and_where_to_set_them(facilitator_site: Path, cohort_site: Path) -> None:
    assert SAMPLE is not None
    missing = soup_of(facilitator_site, "schedule.md").select_one(".cw-schedule .cw-schedule-missing")
    # What is unset, read from each page's own minutes and the cohort's: an opening or closing by its title, a segment's part by its number.
    unset: dict[str, list[str]] = {}
    number = 0
    for key, title, parts, own in SESSION:
        number += parts == SEGMENT_PARTS
        for part in parts:
            if not isinstance(own.get(part), int) and part not in SAMPLE.minutes_for().get(key, {}):
                if parts == SEGMENT_PARTS:
                    unset.setdefault(PART_LABELS[part], []).append(str(number))
                else:
                    unset[f"the {part} ({title})"] = []
    assert unset, "the sample cohort sets every length: this test needs one that does not"
    named = "; ".join(f"{what} in segment{'s' if len(numbers) > 1 else ''} {', '.join(numbers)}" if numbers else what for what, numbers in unset.items())
    assert text_of(missing) == (
        f"Not set yet: {named}. No start time is set. To show participants clock times, give every part its minutes "
        f"under minutes: and the session's start_time: in cohorts/{SAMPLE_COHORT}.yml."
    )
    assert soup_of(cohort_site, "schedule.md").select_one(".cw-schedule-missing") is None


@pytest.fixture(scope="module")
def timed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the course for the fixture cohort 'timed' (starts 09:00, minutes for every part), facilitator edition, built once."""
    project = copy_project(tmp_path_factory.mktemp("timed"))
    shutil.copy2(FIXTURES / "cohorts" / "timed.yml", project / "cohorts" / "timed.yml")
    time_every_part(project / "cohorts" / "timed.yml")
    out = project / "out"
    result = run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)], cwd=project, COURSE_COHORT="timed", COURSE_EDITION="facilitator"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_the_schedule_adds_up_from_the_cohort_start_time_and_minutes(timed_site: Path) -> None:
    timed, _ = read_manifest(timed_site.parent / "cohorts" / "timed.yml")
    assert timed is not None
    minutes = timed.minutes_for()
    rows = schedule_rows(timed_site)
    clock = datetime.datetime(2030, 3, 4, 9, 0)
    expected = []
    total = 0
    for key, label, parts, own in SESSION:
        for part in parts:
            length = minutes.get(key, {}).get(part, own.get(part))  # the cohort's minutes, else the page's own (the discussions' time boxes)
            assert isinstance(length, int), f"the fixture cohort 'timed' gives no minutes for the {part} of {key}"
            expected.append((f"{clock:%H:%M}", label, PART_LABELS[part], str(length)))
            clock += datetime.timedelta(minutes=length)
            total += length
    expected.append((f"{clock:%H:%M}", "End", str(total)))
    assert rows == expected
    assert rows[0][0] == "09:00"
    schedule = soup_of(timed_site, "schedule.md").select_one(".cw-schedule")
    assert "Clock times from the session's start at 09:00 (Europe/London)" in text_of(schedule)
    assert f"Total: {format_duration(total)}, ending at {clock:%H:%M}." in text_of(schedule)
    assert schedule.select_one(".cw-schedule-missing") is None  # type: ignore[union-attr]


def test_a_cohort_with_details_shows_them_and_its_groups(timed_site: Path) -> None:
    site = timed_site
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
        "cohorts/no-such-day.yml:3: `start_date: 2030-02-30` is not a day of the calendar.\n"
        "    Fix: write the day as year-month-day, e.g. `start_date: 2030-03-04`, with no time and no quotes, and check that the day exists in that month.",
        "cohorts/no-such-day.yml:4: `end_date: 6 March 2030` is not a day of the calendar.\n    Fix: write the day as year-month-day, e.g. `end_date: 2030-03-04`",
        "cohorts/date-with-time.yml:2: `start_date: 2030-03-04 09:00:00` is not a day of the calendar.",
        "cohorts/too-long.yml:4: `start_date: 2030-03-04` to `end_date: 2031-03-06` is 368 days; the cohort's calendar would hold an event for each.\n"
        "    Fix: check the year and the month of both dates; a cohort's dates span at most 60 days.",
        "cohorts/stray-city.yml:5: group 'Group 1' names the city 'City Bee', which is not under `cities:`.\n    Fix: did you mean 'City B'",
        "cohorts/twice.yml:7: 'City A' is in group 'Group 1' and again in group 'Group 2'.\n    Fix: keep each city in one group.",
        "cohorts/Bad_Name.yml:1: 'Bad_Name' cannot be a cohort id.\n    Fix: rename the file to lower-case words joined by hyphens",
        "cohorts/a-list.yml:1: a cohort manifest must be `field: value` lines.\n    Fix: start with `name: ...`",
        "cohorts/bad-minutes.yml:3: `minutes:` names 'what-to-expct', which is not a page of the schedule "
        "(a page in docs/ with `minutes:` in its front matter).\n    Fix: did you mean 'what-to-expect'?",
        "cohorts/bad-minutes.yml:6: the page 'how-to-make-progress' has no part `casee:` in the schedule.\n    Fix: did you mean 'case'?",
        "cohorts/bad-minutes.yml:7: `insights: twenty` is not a number of minutes.\n    Fix: write a whole number from 1 to 240, e.g. `case: 20`.",
        "cohorts/bad-minutes.yml:8: `discussion: 15` disagrees with docs/how-to-make-progress.md, which gives the small-group discussion "
        "10 minutes for every cohort.\n    Fix: write `discussion: 10`, or leave the line out.",
        "cohorts/bad-minutes.yml:9: `framing:` under `minutes:` must give each part its minutes.\n"
        "    Fix: write each part on its own line under it, e.g. `opening: 20`.",
        "cohorts/minutes-list.yml:2: `minutes:` must list pages of the schedule, each with its parts' minutes.\n"
        "    Fix: under `minutes:`, give each page of the schedule a line (e.g. `what-to-expect:`) and under it each part's minutes (e.g. `case: 20`).",
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


def test_a_page_that_is_both_a_segment_and_the_opening_is_refused(project: Path) -> None:
    path = project / "docs" / "framing.md"
    path.write_text(path.read_text(encoding="utf-8").replace("  opening:\n", "  opening:\n  case: 20\n", 1), encoding="utf-8")
    # The line of the first part under `minutes:`, where the mapping the message is about starts.
    line = path.read_text(encoding="utf-8").splitlines().index("  opening:") + 1
    result = run([sys.executable, "-m", "macros.check"], cwd=project)
    assert result.returncode == 1
    assert (
        f"docs/framing.md:{line}: the front matter: `minutes:` makes the page both a segment and the opening; a segment lists `case:`, "
        "`insights:` and `discussion:`, the opening `opening:` alone and the closing `closing:` alone. Keep the parts of one kind."
    ) in result.stderr
    assert "Traceback" not in result.stderr


def _show(minutes: dict[str, int]) -> RunOfShow:
    """A run of show with one segment of three parts, given the minutes that are known."""
    return run_of_show([Segment(1, "what-to-expect.md", "What to expect", ("case", "insights", "discussion"), minutes)])


@pytest.mark.parametrize(
    ("minutes", "start", "clock_times"),
    [
        ({"case": 20, "insights": 25, "discussion": 10}, datetime.time(9, 0), True),
        ({"case": 20, "insights": 25, "discussion": 10}, None, False),  # every minute, but no start time
        ({"discussion": 10}, datetime.time(9, 0), False),  # a start time, but minutes missing
        ({}, None, False),
    ],
)
def test_clock_times_appear_only_with_a_start_time_and_every_part_timed(minutes: dict[str, int], start: datetime.time | None, clock_times: bool) -> None:
    soup = BeautifulSoup(render_schedule(_show(minutes), start, None), "lxml")
    assert (soup.select_one("table.cw-schedule-table") is not None) == clock_times
    shown = text_of(soup)
    assert ("09:00" in shown) == clock_times
    assert "not known" not in shown and "not set" not in shown
    if not clock_times:
        # The order of the parts, with the lengths that are known and nothing for the others.
        parts = [text_of(span) for span in soup.select(".cw-schedule-order [data-part]")]
        assert parts == [f"{label}: {minutes[part]} minutes" if part in minutes else label for part, label in PART_LABELS.items() if part in SEGMENT_PARTS]
    assert ("Total: 55 minutes" in shown) == (len(minutes) == 3)
