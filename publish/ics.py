"""The cohort's calendar: an iCalendar file (RFC 5545) that the home and Schedule pages offer as "Add to calendar".

Written into the built site by python -m publish (either engine) when the cohort's manifest has dates; a build
without dates has no calendar and pages offer none. The file holds:

- one event for each day from `start_date` to `end_date`, at `start_time` in `time_zone` (with the zone's VTIMEZONE)
  when the manifest gives both, else all day;
- for each session (docs/data/sessions.yml) whose parts all have a clock time (a start time, a time zone and every
  part's minutes), one event per part on the session's own day: its `day:` counted from `start_date`, or the date the
  manifest gives it under `sessions:`, at its own `start_time:` there or the cohort's;
- `place` as each event's LOCATION and, when the site's address is known (SITE_URL), the page's address as its
  DESCRIPTION (the home page for a day, the part's own page for a part).

Re-importing the file updates the events instead of adding them again: each event's UID is made from the cohort's id
and the event's place in the cohort (its day number, or its page and part), never from a date or time, so it stays the
same across rebuilds and moves with the event; and its SEQUENCE counts how often the event's time or place has changed.
That count comes from git, so the same tree always gives the same bytes: the history of the cohort's manifest and the
schedule's pages is read back commit by commit, each revision's events are made by this same code, and every revision
whose event differs from the one before adds one. The build's own tree counts as one more revision when it differs
from the last commit (changes not committed yet). DTSTAMP is when the event last changed: that commit's author time,
or SOURCE_DATE_EPOCH (else the last commit's time) for changes not committed yet; without git, SOURCE_DATE_EPOCH or
the Unix epoch, and every SEQUENCE is 0.
"""

from __future__ import annotations

import datetime
import os
import uuid
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from mkdocs.utils.meta import get_data
from pydantic import ValidationError

from macros.cohort import COHORTS_DIR, Cohort
from macros.course import CourseModel
from macros.models import Session
from macros.revision import git, git_text
from macros.schedule import PARTS, load_segments, minutes_in, run_of_show
from publish.pdf.site import page_url

# UIDs are name-based UUIDs (RFC 4122, version 5) in this namespace: the same cohort, day or part, the same UID.
UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:course-calendar")


@dataclass(frozen=True)
class Occasion:
    """One event of the calendar, before it is written: what it is, when and where."""

    key: str  # its place in the cohort ('day-1', 'part/what-to-expect.md/case'), from which the UID is made
    summary: str
    start: datetime.date | datetime.datetime
    end: datetime.datetime | None
    location: str | None
    address: str | None

    @property
    def uid(self) -> str:
        return str(uuid.uuid5(UID_NAMESPACE, self.key))

    @property
    def when_and_where(self) -> tuple[str, ...]:
        """What a change of makes a calendar move the event: its time (with its zone) and its place."""
        zone = str(getattr(self.start, "tzinfo", None) or "")
        return (self.start.isoformat(), zone, self.end.isoformat() if self.end else "", self.location or "")


def days(cohort: Cohort) -> list[datetime.date]:
    """Every day of the cohort, from its start date to its end date (one day when it gives only a start)."""
    if cohort.start_date is None:
        return []
    last = cohort.end_date or cohort.start_date
    return [cohort.start_date + datetime.timedelta(days=n) for n in range((last - cohort.start_date).days + 1)]


# Each session with its pages of the schedule, (src, front matter) in reading order; None for a course without sessions.
Sessions = list[tuple[Session | None, list[tuple[str, dict[str, Any]]]]]


def occasions(cohort: Cohort, sessions: Sessions, site_url: str | None) -> list[Occasion]:
    """The cohort's events: one per day, then each session's parts on its own day when each has a clock time."""
    dates = days(cohort)
    if not dates:
        return []
    zone = zoneinfo.ZoneInfo(cohort.time_zone) if cohort.time_zone else None
    home = site_url or None
    found = []
    for number, day in enumerate(dates, start=1):
        summary = cohort.name if len(dates) == 1 else f"{cohort.name}, day {number} of {len(dates)}"
        start: datetime.date | datetime.datetime = datetime.datetime.combine(day, cohort.clock, tzinfo=zone) if zone and cohort.clock else day
        found.append(Occasion(f"day-{number}", summary, start, None, cohort.place, home))
    for session, pages in sessions:
        clock = cohort.session_clock(session) if session is not None else cohort.clock
        on = cohort.session_date(session) if session is not None else dates[0]
        show = run_of_show(load_segments(pages, cohort.minutes_for()))
        if zone is None or clock is None or on is None or show.missing:
            continue
        opening = datetime.datetime.combine(on, clock, tzinfo=zone)
        # With more than one session, each part says whose it is: every session numbers its segments from 1.
        named = f"{session.name} · " if session is not None and len(sessions) > 1 else ""
        for slot in show.slots:
            assert slot.start is not None and slot.minutes is not None  # every part is timed (show.missing is empty)
            begins = opening + datetime.timedelta(minutes=slot.start)
            address = site_url + page_url(slot.segment.src) if site_url else None
            summary = f"{named}{slot.segment.label}: {PARTS[slot.part]}"
            ends = begins + datetime.timedelta(minutes=slot.minutes)
            found.append(Occasion(f"part/{slot.segment.src}/{slot.part}", summary, begins, ends, cohort.place, address))
    return found


def _cohort_of(text: str | None) -> Cohort | None:
    """A manifest as it was at some revision, if it was valid then (an invalid one gave no calendar)."""
    try:
        raw = yaml.safe_load(text) if text is not None else None
        return Cohort.model_validate(raw) if isinstance(raw, dict) else None
    except (yaml.YAMLError, ValidationError):
        return None


def _files_at(root: Path, revisions: list[str], paths: list[str]) -> list[dict[str, str]]:
    """For each revision, the text of each path that exists in it: every file read by one `git cat-file --batch`."""
    asked = "".join(f"{revision}:{path}\n" for revision in revisions for path in paths).encode()
    try:
        done = git(root, "cat-file", "--batch", stdin=asked)
    except OSError:
        return [{} for _ in revisions]
    if done.returncode != 0:
        return [{} for _ in revisions]
    out = done.stdout
    found: list[dict[str, str]] = []
    position = 0
    for _ in revisions:
        texts: dict[str, str] = {}
        for path in paths:
            end = out.index(b"\n", position)
            header = out[position:end].split()
            position = end + 1
            if header[-1] == b"missing":
                continue
            size = int(header[2])
            texts[path] = out[position : position + size].decode("utf-8", errors="replace")
            position += size + 1
        found.append(texts)
    return found


def history(
    root: Path, manifest: str, sessions: list[tuple[Session | None, list[str]]], site_url: str | None, docs: str = "docs"
) -> list[tuple[int, dict[str, tuple[str, ...]]]]:
    """Each commit that changed the manifest or a page of the schedule (in the docs folder docs), oldest first: (author time,
    each event's time and place then), each page in the session it is in now."""
    sources = [src for _, srcs in sessions for src in srcs]
    paths = [manifest, *(f"{docs}/{src}" for src in sources)]
    commits = [line.split() for line in reversed((git_text(root, "log", "--format=%H %at", "--", *paths) or "").splitlines())]
    revisions = []
    for (_, stamp), texts in zip(commits, _files_at(root, [commit for commit, _ in commits], paths), strict=True):
        cohort = _cohort_of(texts.get(manifest))
        if cohort is None:
            continue
        then = [(session, [(src, get_data(texts[f"{docs}/{src}"])[1]) for src in srcs if f"{docs}/{src}" in texts]) for session, srcs in sessions]
        try:
            events = occasions(cohort, then, site_url)
        except (ValueError, TypeError, KeyError):
            continue  # a revision make check would have refused (an unknown zone, minutes that are not numbers) made no calendar
        revisions.append((int(stamp), {o.uid: o.when_and_where for o in events}))
    return revisions


def revisions_of(now: list[Occasion], past: list[tuple[int, dict[str, tuple[str, ...]]]], uncommitted: int) -> dict[str, tuple[int, int]]:
    """Each event's (SEQUENCE, DTSTAMP): how many times its time or place changed along the history, and when it last did."""
    seen: dict[str, tuple[tuple[str, ...], int, int]] = {}  # uid -> (time and place, changes, when)
    for stamp, events in [*past, (uncommitted, {o.uid: o.when_and_where for o in now})]:
        for uid, value in events.items():
            if uid not in seen:
                seen[uid] = (value, 0, stamp)
            elif seen[uid][0] != value:
                seen[uid] = (value, seen[uid][1] + 1, stamp)
    return {o.uid: seen[o.uid][1:] for o in now}


def make_calendar(model: CourseModel) -> bytes | None:
    """The cohort's calendar file for the build's course model, or None when the build has no cohort or its manifest gives no dates."""
    build, root, site_url = model.build, model.settings.root, model.settings.site_url
    cohort = build.cohort
    if cohort is None or cohort.start_date is None:
        return None
    sessions: Sessions = [
        (session, [(page.src_path, page.meta) for page in pages if minutes_in(page.meta) is not None]) for session, pages in model.session_groups()
    ]
    now = occasions(cohort, sessions, site_url)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    head = git_text(root, "log", "-1", "--format=%at")
    uncommitted = int(epoch) if epoch else int(head) if head else 0
    sources = [(session, [src for src, _ in pages]) for session, pages in sessions]
    past = history(root, f"{COHORTS_DIR}/{build.cohort_id}.yml", sources, site_url, model.settings.docs_shown) if head else []
    changes = revisions_of(now, past, uncommitted)

    # Imported here: only a cohort with dates has a calendar, and icalendar takes longer to load than most builds use it.
    import icalendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{model.config['site_name'] or 'Course'}//Cohort calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", cohort.name)
    for occasion in now:
        event = icalendar.Event()
        sequence, stamp = changes[occasion.uid]
        event.add("uid", occasion.uid)
        event.add("sequence", sequence)
        event.add("dtstamp", datetime.datetime.fromtimestamp(stamp, tz=datetime.UTC))
        event.add("summary", occasion.summary)
        event.add("dtstart", occasion.start)
        # A part ends when the next begins; a day at its start time has no end the manifest gives; all day ends the next day.
        if occasion.end is not None:
            event.add("dtend", occasion.end)
        elif not isinstance(occasion.start, datetime.datetime):
            event.add("dtend", occasion.start + datetime.timedelta(days=1))
        if occasion.location:
            event.add("location", occasion.location)
        if occasion.address:
            event.add("description", occasion.address)
            event.add("url", occasion.address)
        calendar.add_component(event)
    dates = days(cohort)
    calendar.add_missing_timezones(first_date=datetime.date(dates[0].year - 1, 1, 1), last_date=datetime.date(dates[-1].year + 1, 12, 31))
    return calendar.to_ical()


def write_calendar(site: Path, model: CourseModel) -> str | None:
    """Write the cohort's calendar into the built site at the address pages link (Build.calendar); its path, or None."""
    build = model.build
    if build.calendar is None:
        return None
    found = make_calendar(model)
    if found is None:
        return None
    (site / build.calendar).parent.mkdir(parents=True, exist_ok=True)
    (site / build.calendar).write_bytes(found)
    return build.calendar
