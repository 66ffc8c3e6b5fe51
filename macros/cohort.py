"""Cohorts and editions: which cohort a build is for (cohorts/<id>.yml) and who reads it.

`python -m publish --cohort ID --edition facilitator` makes the choice part of the build's course model
(macros/course.py), and writes it into the staged config's `extra.cohort` and `extra.edition` for the theme's
templates. Run by hand, `mkdocs build` reads them from mkdocs.yml (`!ENV [COURSE_COHORT, ...]`).
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from .data import CourseData, _Reader, _schema_problems, read_yaml
from .errors import Problem, closest, line_in
from .models import Record, Session, Text
from .schedule import PARTS, parts_of, schedule_pages

COHORTS_DIR = "cohorts"
# The course without any cohort's details; also the journal's storage scope for it.
GENERIC = "generic"
EDITIONS = ("participant", "facilitator")
Edition = Literal["participant", "facilitator"]
# The environment variables mkdocs.yml reads (`!ENV`) when mkdocs is run by hand (make serve sets them).
COHORT_VARIABLE = "COURSE_COHORT"
EDITION_VARIABLE = "COURSE_EDITION"
# The manifest's two dates, and the most days they may span (a longer span is taken for a mistyped year or month).
DATES = ("start_date", "end_date")
LONGEST = 60
# The cohort's calendar (publish/ics.py) is written here in the site, named after the cohort.
CALENDAR_FOLDER = "calendar"
CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class Person(Record):
    """Someone who runs the session for a cohort, with an optional role."""

    name: Text
    role: Text | None = None


class Group(Record):
    """A small group for the discussions: a name and the cities in it."""

    name: Text
    cities: Annotated[list[Text], Field(min_length=1)]


def clock_of(value: Any) -> datetime.time | None:
    """A `start_time:` as a time of day ("09:30"), or None when it is not one."""
    match = CLOCK.match(value) if isinstance(value, str) else None
    return datetime.time(int(match.group(1)), int(match.group(2))) if match else None


class SessionStart(Record):
    """When one session starts for a cohort (the manifest's `sessions:`), where it differs from the session's own day and
    the cohort's `start_time:`."""

    # Text, not a time or a date: checked by hand, for the same clear messages as the cohort's own.
    start_time: Any = None
    date: Any = None


class Cohort(Record):
    """One cohort's manifest: only `name` is required; every other field is shown when set."""

    name: Text
    hosts: list[Text] = Field(default_factory=list)
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    place: Text | None = None
    time_zone: Text | None = None
    # Text, not a time: unquoted 9:30 is a base-60 number in YAML, so it is checked by hand.
    start_time: Any = None
    facilitators: list[Person] = Field(default_factory=list)
    cities: list[Text] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    # Minutes per part of each page of the schedule, e.g. {"what-to-expect": {"case": 20}}; checked by hand for clear messages.
    minutes: Any = None
    # Each session's own start, by session id (docs/data/sessions.yml), e.g. {"opening": {"start_time": "14:00"}}.
    sessions: dict[str, SessionStart] = Field(default_factory=dict)

    def minutes_for(self) -> dict[str, dict[str, int]]:
        """The minutes this cohort gives, page by page (empty when the manifest gives none)."""
        return {str(page): dict(parts) for page, parts in (self.minutes or {}).items()} if isinstance(self.minutes, dict) else {}

    @property
    def clock(self) -> datetime.time | None:
        """The cohort's start time, if the manifest sets one."""
        return clock_of(self.start_time)

    def session_clock(self, session: Session) -> datetime.time | None:
        """When a session starts: its own `start_time:` under `sessions:`, else the cohort's."""
        own = self.sessions.get(session.id)
        return clock_of(own.start_time) if own is not None and own.start_time is not None else self.clock

    def session_date(self, session: Session) -> datetime.date | None:
        """The day a session is on: its own `date:` under `sessions:`, else its `day:` counted from `start_date:`."""
        own = self.sessions.get(session.id)
        if own is not None and isinstance(own.date, datetime.date) and not isinstance(own.date, datetime.datetime):
            return own.date
        return self.start_date + datetime.timedelta(days=session.day - 1) if self.start_date is not None else None

    @property
    def dates(self) -> str:
        """The cohort's dates as a reader sees them ('14–18 July 2025'), or '' when not set."""
        start, end = self.start_date, self.end_date or self.start_date
        if start is None or end is None:
            return ""
        if start == end:
            return f"{start.day} {start:%B %Y}"
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}–{end.day} {end:%B %Y}"
        if start.year == end.year:
            return f"{start.day} {start:%B} – {end.day} {end:%B %Y}"
        return f"{start.day} {start:%B %Y} – {end.day} {end:%B %Y}"


@dataclass(frozen=True)
class Build:
    """Which cohort and edition a build is for; cohort is None for the generic course."""

    cohort_id: str = GENERIC
    cohort: Cohort | None = None
    edition: Edition = "participant"

    @property
    def facilitator(self) -> bool:
        """True in the facilitator edition, which shows facilitator notes and logistics."""
        return self.edition == "facilitator"

    @property
    def calendar(self) -> str | None:
        """Where the cohort's calendar file is in the site ('calendar/<id>.ics'), or None when its manifest gives no dates."""
        return f"{CALENDAR_FOLDER}/{self.cohort_id}.ics" if self.cohort is not None and self.cohort.start_date is not None else None


# The build of the page being rendered; pages.render_page sets it before the macros run.
current_build: ContextVar[Build] = ContextVar("current_build", default=Build())  # noqa: B039 (Build is frozen)


def _check_minutes(cohort: Cohort, reader: _Reader, pages: dict[str, dict[str, Any]], docs: str) -> list[Problem]:
    """The manifest's `minutes:`: pages of the schedule (in the docs folder docs), their own parts, whole minutes that agree with what a page fixes."""
    if cohort.minutes is None:
        return []
    where = reader.display
    if not isinstance(cohort.minutes, dict):
        fix = "under `minutes:`, give each page of the schedule a line (e.g. `what-to-expect:`) and under it each part's minutes (e.g. `case: 20`)."
        return [Problem(where, reader.line_of(("minutes",)), "`minutes:` must list pages of the schedule, each with its parts' minutes.", fix)]
    problems: list[Problem] = []
    for page, parts in cohort.minutes.items():
        # The line of the page's own key (the reader knows where its value starts, which may be the line below).
        line = line_in(reader.text, str(page))
        if page not in pages:
            message = f"`minutes:` names '{page}', which is not a page of the schedule (a page in {docs}/ with `minutes:` in its front matter)."
            problems.append(Problem(where, line, message, closest(str(page), set(pages))))
            continue
        own = parts_of(pages[page])
        if not isinstance(parts, dict):
            example = f"`{own[0]}: 20`" if own else "`case: 20`"
            problems.append(
                Problem(
                    where, line, f"`{page}:` under `minutes:` must give each part its minutes.", f"write each part on its own line under it, e.g. {example}."
                )
            )
            continue
        for part, value in parts.items():
            line = reader.line_of(("minutes", page, part))
            fixed = pages[page].get(part)
            if part not in own:
                problems.append(Problem(where, line, f"the page '{page}' has no part `{part}:` in the schedule.", closest(str(part), set(own))))
            elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 240:
                problems.append(Problem(where, line, f"`{part}: {value}` is not a number of minutes.", "write a whole number from 1 to 240, e.g. `case: 20`."))
            elif isinstance(fixed, int) and fixed != value:
                message = f"`{part}: {value}` disagrees with {docs}/{page}.md, which gives the {PARTS[part].lower()} {fixed} minutes for every cohort."
                problems.append(Problem(where, line, message, f"write `{part}: {fixed}`, or leave the line out."))
    return problems


def _clock_problem(value: Any, where: str, line: int) -> Problem:
    """A `start_time:` that is not a time of day, with the quoted form to write."""
    # YAML reads an unquoted 9:30 as 570 (base 60): show the author the quoted form.
    if isinstance(value, int) and not isinstance(value, bool):
        written = f"{value // 60}:{value % 60:02d}"
        message = f"`start_time: {written}` without quotes is read by YAML as the number {value}, not a time of day."
        hint = f'start_time: "{value // 60:02d}:{value % 60:02d}"'
    else:
        message, hint = f"`start_time: {value}` is not a time of day.", 'start_time: "HH:MM"'
    return Problem(where, line, message, f"write it in quotes on the 24-hour clock: {hint}.")


def _check_sessions(cohort: Cohort, reader: _Reader, data: CourseData) -> list[Problem]:
    """The manifest's `sessions:` (sessions of docs/data/sessions.yml, a time of day, a date within the cohort's dates),
    and each session's day within the cohort's dates."""
    problems: list[Problem] = []
    where = reader.display
    first, last = cohort.start_date, cohort.end_date or cohort.start_date
    for session_id, start in cohort.sessions.items():
        if session_id not in data.sessions:
            message = f"`sessions:` names '{session_id}', which is not a session in docs/data/sessions.yml."
            problems.append(Problem(where, line_in(reader.text, session_id), message, closest(session_id, set(data.sessions))))
            continue
        if start.start_time is not None and clock_of(start.start_time) is None:
            problems.append(_clock_problem(start.start_time, where, reader.line_of(("sessions", session_id, "start_time"))))
        if start.date is None:
            continue
        line = reader.line_of(("sessions", session_id, "date"))
        if not isinstance(start.date, datetime.date) or isinstance(start.date, datetime.datetime):
            message = f"`date: {start.date}` (session '{session_id}') is not a day of the calendar."
            problems.append(Problem(where, line, message, "write the day as year-month-day, e.g. `date: 2030-03-04`, with no time and no quotes."))
        elif first is None or last is None:
            message = f"session '{session_id}' has a `date:`, but the cohort has no `start_date:`."
            problems.append(Problem(where, line, message, "add the cohort's `start_date:` (and `end_date:`) first."))
        elif not first <= start.date <= last:
            message = f"`date: {start.date}` (session '{session_id}') is outside the cohort's dates, {first} to {last}."
            problems.append(Problem(where, line, message, "give a date from `start_date:` to `end_date:`, or change those dates."))
    if first is None or last is None:
        return problems
    for session in data.sessions.values():
        own = cohort.sessions.get(session.id)
        if (own is not None and own.date is not None) or session.day <= (last - first).days + 1:
            continue
        file, _ = data.where[session.id]
        day_line = data.session_lines.get((session.id, "day"), 1)
        span = (last - first).days + 1
        message = (
            f"session '{session.id}' is on day {session.day} of every cohort (`day:` at {file}:{day_line}), "
            f"but this cohort's dates, {first} to {last}, span {span} day{'s' if span > 1 else ''}."
        )
        fix = (
            f"set `end_date: {first + datetime.timedelta(days=session.day - 1)}` (or later), "
            f"or give the session its date here: `sessions:`, then `{session.id}:`, then `date: YYYY-MM-DD`."
        )
        problems.append(Problem(where, reader.line_of(("end_date" if cohort.end_date else "start_date",)), message, fix))
    return problems


def _check_dates(raw: dict[str, Any], reader: _Reader) -> list[Problem]:
    """`start_date:` and `end_date:` must each be a day that exists, written YYYY-MM-DD (YAML reads that as a date)."""
    problems = []
    for key in DATES:
        value = raw.get(key)
        if value is None or (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)):
            continue
        problems.append(
            Problem(
                reader.display,
                reader.line_of((key,)),
                f"`{key}: {value}` is not a day of the calendar.",
                f"write the day as year-month-day, e.g. `{key}: 2030-03-04`, with no time and no quotes, and check that the day exists in that month.",
            )
        )
    return problems


def _check_manifest(cohort: Cohort, reader: _Reader, schedule: dict[str, dict[str, Any]], data: CourseData | None, docs: str) -> list[Problem]:
    """What the schema alone cannot see: the clock, the time zone, the dates' order, the groups' cities, the minutes."""
    problems: list[Problem] = []
    where = reader.display
    if cohort.start_time is not None and cohort.clock is None:
        problems.append(_clock_problem(cohort.start_time, where, reader.line_of(("start_time",))))
    if cohort.time_zone is not None:
        try:
            zoneinfo.ZoneInfo(cohort.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            near = closest(cohort.time_zone, zoneinfo.available_timezones())
            fix = near if near.startswith("did you mean") else "use an IANA time zone name such as `Europe/London` or `America/Chicago`."
            problems.append(Problem(where, reader.line_of(("time_zone",)), f"`time_zone: {cohort.time_zone}` is not a known time zone.", fix))
    if cohort.end_date is not None and cohort.start_date is None:
        problems.append(
            Problem(
                where,
                reader.line_of(("end_date",)),
                "the manifest has an `end_date:` but no `start_date:`.",
                "add `start_date: YYYY-MM-DD` (the same date for a one-day cohort).",
            )
        )
    if cohort.start_date and cohort.end_date and cohort.end_date < cohort.start_date:
        problems.append(
            Problem(
                where,
                reader.line_of(("end_date",)),
                f"`end_date: {cohort.end_date}` is before `start_date: {cohort.start_date}`.",
                "swap the two dates, or correct the one that is wrong.",
            )
        )
    elif cohort.start_date and cohort.end_date and (cohort.end_date - cohort.start_date).days >= LONGEST:
        span = (cohort.end_date - cohort.start_date).days + 1
        problems.append(
            Problem(
                where,
                reader.line_of(("end_date",)),
                f"`start_date: {cohort.start_date}` to `end_date: {cohort.end_date}` is {span} days; the cohort's calendar would hold an event for each.",
                f"check the year and the month of both dates; a cohort's dates span at most {LONGEST} days.",
            )
        )
    seen: dict[str, str] = {}
    for g, group in enumerate(cohort.groups):
        for c, city in enumerate(group.cities):
            line = reader.line_of(("groups", g, "cities", c))
            if city not in cohort.cities:
                fix = closest(city, set(cohort.cities)) if cohort.cities else "list the cohort's cities under `cities:` first."
                problems.append(Problem(where, line, f"group '{group.name}' names the city '{city}', which is not under `cities:`.", fix))
            elif city in seen:
                problems.append(Problem(where, line, f"'{city}' is in group '{seen[city]}' and again in group '{group.name}'.", "keep each city in one group."))
            else:
                seen[city] = group.name
    sessions = _check_sessions(cohort, reader, data) if data is not None else []
    return problems + sessions + _check_minutes(cohort, reader, schedule, docs)


def read_manifest(
    path: Path, schedule: dict[str, dict[str, Any]] | None = None, data: CourseData | None = None, docs: str = "docs"
) -> tuple[Cohort | None, list[Problem]]:
    """One cohort manifest, validated against the schedule's pages (their `minutes:`, keyed as a manifest names them;
    read from the docs folder beside cohorts/ when not given) and, given the course's data, its sessions; never raises,
    returns every problem instead. docs: the docs folder as the messages name it."""
    raw, reader, problems = read_yaml(path)
    if problems:
        return None, problems
    cohort_id = path.stem
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", cohort_id) or cohort_id == GENERIC:
        fix = "rename the file to lower-case words joined by hyphens, e.g. cohorts/summer-institute-2025.yml."
        if cohort_id == GENERIC:
            fix = f"'{GENERIC}' means the course without a cohort; rename the file."
        return None, [Problem(reader.display, 1, f"'{cohort_id}' cannot be a cohort id.", fix)]
    if not isinstance(raw, dict):
        return None, [
            Problem(reader.display, 1, "a cohort manifest must be `field: value` lines.", "start with `name: ...`; see cohorts/summer-institute-2025.yml.")
        ]
    # Dates first, in words an author can act on; the rest of the manifest is still checked, so every problem shows at once.
    problems = _check_dates(raw, reader)
    try:
        cohort = Cohort.model_validate({key: value for key, value in raw.items() if key not in DATES or not problems})
    except ValidationError as error:
        return None, problems + _schema_problems(error, Cohort, reader, (), "the cohort manifest")
    if schedule is None:
        schedule = schedule_pages(path.parent.parent / docs)
    problems += _check_manifest(cohort, reader, schedule, data, docs)
    return (None, problems) if problems else (cohort, [])
