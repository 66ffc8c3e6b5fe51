"""The run of show: each segment's parts and minutes from its front matter, timed from the cohort's start.

A segment is a page in the nav whose front matter has `minutes:` (case, insights,
discussion). A part without minutes is shown as not yet set, and nothing after
it gets a time: the schedule never guesses a duration.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.utils.meta import get_data

from .errors import Problem

# The parts of a segment in teaching order, and how the schedule names them.
PARTS = {"case": "Case", "insights": "Insights from research", "discussion": "Small-group discussion"}


@dataclass(frozen=True)
class Segment:
    """One segment of the session: its page, title and the minutes its front matter gives each part."""

    number: int
    src: str
    title: str
    minutes: dict[str, int]


@dataclass(frozen=True)
class Slot:
    """One part of one segment: when it starts (minutes from the session's start, None if unknown) and how long it runs."""

    segment: Segment
    part: str
    start: int | None
    minutes: int | None


@dataclass(frozen=True)
class RunOfShow:
    """Every slot in order, the total minutes that are set, and the end (None while a duration is missing)."""

    slots: list[Slot]
    total: int
    end: int | None

    @property
    def missing(self) -> list[Slot]:
        """The slots whose minutes are not yet set."""
        return [slot for slot in self.slots if slot.minutes is None]


def load_segments(pages: Iterable[tuple[str, Path]]) -> list[Segment]:
    """The segments among (src, path) pages in reading order, numbered from 1; the page check validated their front matter."""
    segments: list[Segment] = []
    for src, path in pages:
        _, meta = get_data(path.read_text(encoding="utf-8"))
        minutes = meta.get("minutes")
        if isinstance(minutes, dict):
            parts = {part: value for part, value in minutes.items() if part in PARTS and isinstance(value, int)}
            segments.append(Segment(len(segments) + 1, src, str(meta.get("title", src)), parts))
    return segments


def run_of_show(segments: list[Segment]) -> RunOfShow:
    """Each part of each segment in order, timed from 0; times stop at the first part without minutes."""
    slots: list[Slot] = []
    clock: int | None = 0
    total = 0
    for segment in segments:
        for part in PARTS:
            minutes = segment.minutes.get(part)
            slots.append(Slot(segment, part, clock, minutes))
            if minutes is None:
                clock = None
            else:
                total += minutes
                clock = None if clock is None else clock + minutes
    return RunOfShow(slots, total, clock if slots else None)


def format_time(offset: int, start: datetime.time | None) -> str:
    """A time in the schedule: a clock time ('09:25') from a start time, or elapsed time ('0:25') without one."""
    if start is None:
        return f"{offset // 60}:{offset % 60:02d}"
    moment = datetime.datetime.combine(datetime.date(2000, 1, 1), start) + datetime.timedelta(minutes=offset)
    return f"{moment:%H:%M}"


def format_duration(minutes: int) -> str:
    """A length of time as people say it: '45 minutes', '1 hour 30 minutes'."""
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours > 1 else ""))
    if rest or not hours:
        parts.append(f"{rest} minute" + ("s" if rest != 1 else ""))
    return " ".join(parts)


def check_discussion_minutes(path: str, meta: dict[str, Any], front_matter: str | None, discussion_minutes: list[int]) -> list[Problem]:
    """A segment's `minutes: discussion:` must match the time boxes of the discussions it shows (one source of truth)."""
    minutes = meta.get("minutes")
    if not isinstance(minutes, dict) or not isinstance(minutes.get("discussion"), int) or not discussion_minutes:
        return []
    given, boxed = minutes["discussion"], sum(discussion_minutes)
    if given == boxed:
        return []
    lines = (front_matter or "").splitlines()
    line = next((n for n, text in enumerate(lines, 2) if text.strip().startswith("discussion:")), 2)
    return [
        Problem(
            path,
            line,
            f"the front matter gives the discussion {given} minutes, but the page's discussion prompts are time-boxed at {boxed} (docs/data/prompts.yml).",
            f"write `discussion: {boxed}`, or change the prompt's `minutes:` in docs/data/prompts.yml if the time box itself changed.",
        )
    ]
