"""The run of show: the session's parts in the deck's order, their minutes, and clock times when they are all known.

A page is part of the session's schedule when its front matter has `minutes:`.
A segment lists some of `case`, `insights` and `discussion` and is numbered; the
opening and the closing list `opening:` or `closing:`, with no value while their
length is not decided. A cohort's manifest may give minutes for every part of
every page (cohorts/<id>.yml, `minutes:`). The schedule never guesses a length:
clock times appear only when the cohort gives a start time and every part's minutes.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.utils.meta import get_data

# The parts of a segment in teaching order.
SEGMENT_PARTS = ("case", "insights", "discussion")
# Every part a page of the session can have, and how the schedule names it.
PARTS = {"opening": "Opening", "case": "Case", "insights": "Insights from research", "discussion": "Small-group discussion", "closing": "Closing"}


def parts_of(minutes: Mapping[str, Any]) -> tuple[str, ...]:
    """The parts a page's `minutes:` gives it: a segment's three, or the opening or the closing alone."""
    if any(part in minutes for part in SEGMENT_PARTS):
        return SEGMENT_PARTS
    return tuple(part for part in ("opening", "closing") if part in minutes)


@dataclass(frozen=True)
class Segment:
    """One page of the session: its place (segments are numbered, the opening and closing are not), title, parts and known minutes."""

    number: int | None
    src: str
    title: str
    parts: tuple[str, ...]
    minutes: dict[str, int]

    @property
    def label(self) -> str:
        """How the schedule names it: '1 · What to expect', or the title alone for the opening and the closing."""
        return f"{self.number} · {self.title}" if self.number is not None else self.title


@dataclass(frozen=True)
class Slot:
    """One part of one page: when it starts (minutes from the session's start, None if unknown) and how long it runs."""

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


def page_key(src: str) -> str:
    """How a cohort manifest names a page under `minutes:`: its path in docs/ without `.md`."""
    return src.removesuffix(".md")


def minutes_in(meta: Mapping[str, Any]) -> dict[str, Any] | None:
    """A page's `minutes:` from its front matter, or None when the page is not part of the schedule."""
    minutes = meta.get("minutes")
    return minutes if isinstance(minutes, dict) else None


def schedule_pages(docs_dir: Path) -> dict[str, dict[str, Any]]:
    """Every page of the schedule under docs_dir, keyed as a manifest names it, with its front matter's `minutes:`."""
    found = {}
    for path in sorted(docs_dir.rglob("*.md")):
        minutes = minutes_in(get_data(path.read_text(encoding="utf-8"))[1])
        if minutes is not None:
            found[page_key(path.relative_to(docs_dir).as_posix())] = minutes
    return found


def load_segments(pages: Iterable[tuple[str, Mapping[str, Any]]], cohort_minutes: Mapping[str, Mapping[str, int]] | None = None) -> list[Segment]:
    """The schedule's pages among (src, front matter) pages in reading order, with the cohort's minutes over the page's own."""
    segments: list[Segment] = []
    for src, meta in pages:
        minutes = minutes_in(meta)
        if minutes is None:
            continue
        parts = parts_of(minutes)
        known = {part: value for part, value in minutes.items() if part in parts and isinstance(value, int)}
        known.update((cohort_minutes or {}).get(page_key(src), {}))
        number = sum(1 for s in segments if s.number is not None) + 1 if parts == SEGMENT_PARTS else None
        segments.append(Segment(number, src, str(meta.get("title", src)), parts, known))
    return segments


def run_of_show(segments: list[Segment]) -> RunOfShow:
    """Each part of each page in order, timed from 0; times stop at the first part without minutes."""
    slots: list[Slot] = []
    clock: int | None = 0
    total = 0
    for segment in segments:
        for part in segment.parts:
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
