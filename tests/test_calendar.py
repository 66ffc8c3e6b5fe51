"""The cohort's calendar (issue 22): offered on the home and Schedule pages when the manifest has dates, read back by a
second iCalendar implementation (`ical`), times checked in the cohort's zone and in UTC, UIDs and SEQUENCE across changes."""

from __future__ import annotations

import dataclasses
import datetime
import os
import shutil
import subprocess
import sys
import zoneinfo
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import FIXTURES, ROOT, SAMPLE_COHORT, copy_project, run, soup_of, time_every_part
from ical.calendar import Calendar
from ical.calendar_stream import IcsCalendarStream
from test_offline import worker_list

from macros.checks.built import check_built_site
from macros.cohort import Build, read_manifest
from macros.course import load_model
from macros.schedule import PARTS, load_segments, run_of_show
from publish.built import read_site
from publish.ics import make_calendar

COHORT = "dated"
SITE_URL = "https://course.example.org/leading-collaboration/"


def git(project: Path, *args: str, when: str = "2030-01-01T00:00:00Z") -> None:
    """A git command in a project copy, with a fixed author and date."""
    env = dict(os.environ, GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when, GIT_AUTHOR_NAME="Test", GIT_AUTHOR_EMAIL="test@example.org")
    env.update(GIT_COMMITTER_NAME="Test", GIT_COMMITTER_EMAIL="test@example.org")
    subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)


def dated_project(project: Path, manifest: Path = FIXTURES / "cohorts" / "dated.yml") -> Path:
    """A project copy under git with the fixture cohort that has dates, committed once."""
    time_every_part(Path(shutil.copy2(manifest, project / "cohorts" / f"{COHORT}.yml")))
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "first")
    return project


def calendar_of(project: Path, site_url: str | None = SITE_URL) -> bytes:
    """The calendar the build would write for the project's cohort, made in this process (no site build)."""
    model = load_model(project / "mkdocs.yml", cohort=COHORT)
    assert model.build.cohort is not None, model.problems
    found = make_calendar(dataclasses.replace(model, settings=dataclasses.replace(model.settings, site_url=site_url)))
    assert found is not None
    return found


def parsed(ics: bytes) -> Calendar:
    """The file as a second implementation reads it (it refuses what RFC 5545 does not allow)."""
    return IcsCalendarStream.calendar_from_ics(ics.decode("utf-8"))


@pytest.fixture(scope="module")
def dated_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the course under git for the fixture cohort 'dated', built once as `make site COHORT=dated` would (no PDFs), with SITE_URL."""
    project = dated_project(copy_project(tmp_path_factory.mktemp("dated")))
    out = project / "out"
    result = run([sys.executable, "-m", "publish", "--no-pdf", "--cohort", COHORT, "--site-dir", str(out)], cwd=project, SITE_URL=SITE_URL)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def expected_parts(project: Path) -> list[tuple[str, str, datetime.datetime, int]]:
    """Each part of each session as the schedule times it for the fixture cohort, on the session's own day (its `day:`,
    counted from the cohort's start date) from the cohort's start time: (page, part, when it starts, minutes)."""
    cohort, _ = read_manifest(project / "cohorts" / f"{COHORT}.yml")
    assert cohort is not None and cohort.start_date is not None and cohort.clock is not None and cohort.time_zone is not None
    assert not cohort.sessions, "the fixture cohort gives no session its own date or start time"
    model = load_model(project / "mkdocs.yml")
    parts = []
    for session, pages in model.session_groups():
        day = cohort.start_date + datetime.timedelta(days=(session.day if session is not None else 1) - 1)
        opening = datetime.datetime.combine(day, cohort.clock, tzinfo=zoneinfo.ZoneInfo(cohort.time_zone))
        # Each session's own schedule: its segments numbered from 1, timed from its own start.
        show = run_of_show(load_segments([(page.src_path, page.meta) for page in pages], cohort.minutes_for()))
        assert not show.missing
        parts += [(slot.segment.src, slot.part, opening + datetime.timedelta(minutes=slot.start or 0), slot.minutes or 0) for slot in show.slots]
    return parts


def test_the_home_and_schedule_pages_offer_the_calendar_the_build_wrote(dated_site: Path) -> None:
    ics = dated_site / "calendar" / f"{COHORT}.ics"
    assert ics.is_file()
    for src, page_dir in (("index.md", dated_site), ("schedule.md", dated_site / "schedule")):
        links = soup_of(dated_site, src).select("article .cw-calendar a[href]")
        assert [link.get_text(strip=True) for link in links] == ["Add to calendar"], src
        assert links[0]["type"] == "text/calendar"
        assert (page_dir / str(links[0]["href"])).resolve() == ics.resolve(), src
    # Offline, as every other file of the site.
    assert f"calendar/{COHORT}.ics" in [address for address, _ in worker_list(dated_site)["files"]]


def test_the_calendar_reads_back_with_a_day_each_and_every_part_in_the_cohorts_zone_and_in_utc(dated_site: Path) -> None:
    project = dated_site.parent
    calendar = parsed((dated_site / "calendar" / f"{COHORT}.ics").read_bytes())
    zone = zoneinfo.ZoneInfo("America/Chicago")
    days = [event for event in calendar.events if event.dtend is None]
    parts = [event for event in calendar.events if event.dtend is not None]
    # One event for each day of the cohort, at its start time in its zone, where it meets, with the site's address.
    assert [event.dtstart for event in days] == [datetime.datetime(2030, 7, 15, 9, 30, tzinfo=zone), datetime.datetime(2030, 7, 16, 9, 30, tzinfo=zone)]
    assert [event.dtstart.astimezone(datetime.UTC) for event in days] == [  # type: ignore[union-attr]
        datetime.datetime(2030, 7, 15, 14, 30, tzinfo=datetime.UTC),
        datetime.datetime(2030, 7, 16, 14, 30, tzinfo=datetime.UTC),
    ]
    assert [event.summary for event in days] == ["Test Cohort With Dates, day 1 of 2", "Test Cohort With Dates, day 2 of 2"]
    assert {event.location for event in calendar.events} == {"Testville Hall"}
    assert {event.description for event in days} == {SITE_URL}
    # Each session's parts on its own day, each from its clock time to the next's, leading to its page.
    expected = expected_parts(project)
    assert [(event.dtstart, event.dtend) for event in parts] == [(start, start + datetime.timedelta(minutes=length)) for _, _, start, length in expected]
    assert parts[0].dtstart == datetime.datetime(2030, 7, 15, 9, 30, tzinfo=zone)
    assert [event.description for event in parts] == [SITE_URL + src.removesuffix(".md") + "/" for src, _, _, _ in expected]
    assert [str(event.summary).rsplit(": ", 1)[1] for event in parts] == [PARTS[part] for _, part, _, _ in expected]
    assert len({event.uid for event in calendar.events}) == len(calendar.events)
    # The VTIMEZONE the file carries gives the same UTC time as the zone's own rules, read without the zone database.
    (vtimezone,) = calendar.timezones
    assert vtimezone.tz_id == "America/Chicago"
    onsets = [
        (onset, observance.tz_offset_to.offset)
        for observance in [*vtimezone.standard, *vtimezone.daylight]
        for onset in [observance.dtstart, *observance.rdate]
    ]
    for event in calendar.events:
        local = event.dtstart.replace(tzinfo=None)  # type: ignore[union-attr]
        offset = max((onset, offset) for onset, offset in onsets if onset <= local)[1]
        assert local - offset == event.dtstart.astimezone(datetime.UTC).replace(tzinfo=None)  # type: ignore[union-attr]


def test_without_dates_no_page_offers_a_calendar_and_none_is_written(site: Path, cohort_site: Path) -> None:
    for built in (site, cohort_site):
        assert not (built / "calendar").exists()
        for src in ("index.md", "schedule.md"):
            page = soup_of(built, src)
            assert page.select_one(".cw-calendar") is None
            assert "calendar" not in page.select_one("article").get_text().lower(), f"{src} speaks of a calendar it cannot offer"  # type: ignore[union-attr]
    sample, _ = read_manifest(ROOT / "cohorts" / f"{SAMPLE_COHORT}.yml")
    assert sample is not None and Build(SAMPLE_COHORT, sample).calendar is None


def test_a_calendar_without_a_start_time_is_all_day_and_has_no_parts(project: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "all-day.yml"
    text = (FIXTURES / "cohorts" / "dated.yml").read_text(encoding="utf-8")
    manifest.write_text(text.replace('start_time: "09:30"\n', ""), encoding="utf-8")
    calendar = parsed(calendar_of(dated_project(project, manifest), site_url=None))
    assert [(event.dtstart, event.dtend) for event in calendar.events] == [
        (datetime.date(2030, 7, 15), datetime.date(2030, 7, 16)),
        (datetime.date(2030, 7, 16), datetime.date(2030, 7, 17)),
    ]
    assert {event.description for event in calendar.events} == {None}, "no address without the site's address"


def test_uids_stay_and_sequence_rises_only_for_the_events_that_change(project: Path) -> None:
    dated_project(project)
    first = {event.uid: event for event in parsed(calendar_of(project)).events}
    assert {event.sequence for event in first.values()} == {0}
    assert calendar_of(project) == calendar_of(project), "the same tree gives the same bytes"
    # A revision make check would have refused, since mended, neither stops the build nor counts.
    manifest = project / "cohorts" / f"{COHORT}.yml"
    good = manifest.read_text(encoding="utf-8")
    manifest.write_text(good.replace("America/Chicago", "America/Chicgo").replace("closing: 20", "closing: twenty"), encoding="utf-8")
    git(project, "commit", "-q", "-am", "typos", when="2030-01-15T00:00:00Z")
    manifest.write_text(good, encoding="utf-8")
    git(project, "commit", "-q", "-am", "typos mended", when="2030-01-16T00:00:00Z")
    assert {event.sequence for event in parsed(calendar_of(project)).events} == {0}
    # The closing's length changes in a commit: the closing moves (its end), nothing else does.
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("closing: 20", "closing: 25"), encoding="utf-8")
    git(project, "commit", "-q", "-am", "longer closing", when="2030-02-01T00:00:00Z")
    second = {event.uid: event for event in parsed(calendar_of(project)).events}
    assert second.keys() == first.keys()
    changed = {uid for uid in second if (second[uid].dtstart, second[uid].dtend) != (first[uid].dtstart, first[uid].dtend)}
    assert len(changed) == 1 and str(second[changed.pop()].summary).endswith(": Closing")
    assert sorted(event.sequence for event in second.values()) == [0] * (len(second) - 1) + [1]
    assert {event.dtstamp for event in second.values() if event.sequence == 1} == {datetime.datetime(2030, 2, 1, tzinfo=datetime.UTC)}
    # The cohort moves a day and starts later, not yet committed: every event moves, keeps its UID, and rises once more.
    text = manifest.read_text(encoding="utf-8").replace("2030-07-15", "2030-07-14").replace("2030-07-16", "2030-07-15")
    manifest.write_text(text.replace('"09:30"', '"10:00"'), encoding="utf-8")
    third = {event.uid: event for event in parsed(calendar_of(project)).events}
    assert third.keys() == first.keys()
    assert {uid: event.sequence for uid, event in third.items()} == {uid: event.sequence + 1 for uid, event in second.items()}
    assert min(event.dtstart for event in third.values() if isinstance(event.dtstart, datetime.datetime)) == datetime.datetime(
        2030, 7, 14, 10, 0, tzinfo=zoneinfo.ZoneInfo("America/Chicago")
    )


def test_a_calendar_no_page_offers_stops_the_build(dated_site: Path, tmp_path: Path) -> None:
    copy = tmp_path / "site"
    shutil.copytree(dated_site, copy, ignore=shutil.ignore_patterns("assets", "search"))
    # Every page that offers the calendar (the home page, each session's schedule) stops offering it.
    for page in copy.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")
        offers = soup.select(".cw-calendar")
        for link in offers:
            link.decompose()
        if offers:
            page.write_text(str(soup), encoding="utf-8")
    problems = [str(p) for p in check_built_site(read_site(copy), load_model(dated_site.parent / "mkdocs.yml", cohort=COHORT))]
    assert f"docs/index.md:8: the cohort's calendar `calendar/{COHORT}.ics` is in the built site, but no page offers it." in "\n".join(problems)
