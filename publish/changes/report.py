"""The report: what changed, section by section, and how it prints (plain text for a terminal, Markdown for a pull request's job summary)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from .diff import Line, trim, word_diff

Format = Literal["text", "markdown"]
# Texts of at most this many words are shown whole, "old → new"; longer ones as one text with the changes marked.
SHORT = 12


@dataclass
class Entry:
    """One record or page: what happened to it, its changed values, where it shows, and what deserves a second look."""

    action: str
    name: str
    lines: list[Line] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@dataclass
class Section:
    title: str
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Report:
    base: str
    notes: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(section.entries for section in self.sections)

    def second_look(self) -> list[str]:
        return [f"{entry.name}: {flag}" for section in self.sections for entry in section.entries for flag in entry.flags]


def quote(title: str) -> str:
    return f"“{title}”"


MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~])")


def _md(text: str) -> str:
    """Text shown as written: Markdown in it is escaped, so only the report's own marks format."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def format_change(line: Line, style: Format) -> str:
    """One changed value: 'old → new' when short, else one text with its removed and added words marked."""
    plain = style == "text"
    esc = (lambda t: t) if plain else _md
    if line.old is None:
        return f"{line.label}: {esc(line.new or '')}"
    if line.new is None:
        return f"{line.label}: {esc(line.old)}"
    if max(len(line.old.split()), len(line.new.split())) <= SHORT:
        if plain:
            return f"{line.label}: {line.old} → {line.new}"
        # On the Summary page the words that changed stand out on each side.
        runs = word_diff(line.old, line.new)
        before = " ".join(esc(t) if op == "=" else f"~~{esc(t)}~~" for op, t in runs if op != "+")
        after = " ".join(esc(t) if op == "=" else f"**{esc(t)}**" for op, t in runs if op != "-")
        return f"{line.label}: {before} → {after}"
    parts = []
    for op, text in trim(word_diff(line.old, line.new)):
        if op == "=":
            parts.append(esc(text))
        elif plain:
            parts.append(f"[-{text}-]" if op == "-" else f"{{+{text}+}}")
        else:
            parts.append(f"~~{esc(text)}~~" if op == "-" else f"**{esc(text)}**")
    return f"{line.label}: " + " ".join(parts)


def render_report(report: Report, style: Format) -> str:
    """The report as plain text (a terminal) or Markdown (a pull request's job summary); '' when nothing changed."""
    if report.empty:
        return ""
    out: list[str] = []
    count = sum(len(s.entries) for s in report.sections)
    plural = "change" if count == 1 else "changes"
    looks = report.second_look()
    if style == "markdown":
        out += ["## What this changes in the course", "", f"Compared with {_md(report.base)}: {count} {plural}.", ""]
        out += [f"> **Note:** {_md(note)}" for note in report.notes] + ([""] if report.notes else [])
        if looks:
            out += ["**For a second look:**", ""] + [f"- {_md(look)}" for look in looks] + [""]
        for section in report.sections:
            if not section.entries:
                continue
            out += [f"### {_md(section.title)}", ""]
            for entry in section.entries:
                out.append(f"- **{entry.action}:** {_md(entry.name)}")
                out += [f"  - {format_change(line, style)}" for line in entry.lines]
                if entry.seen:
                    out.append("  - *Seen in:* " + _md("; ".join(entry.seen)) + ".")
                out += [f"  - {_md(note)}" for note in entry.notes]
            out.append("")
        return "\n".join(out).rstrip() + "\n"
    out += [f"What this changes in the course, compared with {report.base}: {count} {plural}.", ""]
    out += [f"Note: {note}" for note in report.notes] + ([""] if report.notes else [])
    if looks:
        out += ["For a second look:"] + [f"  ! {look}" for look in looks] + [""]
    for section in report.sections:
        if not section.entries:
            continue
        out.append(section.title)
        for entry in section.entries:
            out.append(f"  {entry.action}: {entry.name}")
            out += [f"    {format_change(line, style)}" for line in entry.lines]
            if entry.seen:
                out.append("    Seen in: " + "; ".join(entry.seen) + ".")
            out += [f"    {note}" for note in entry.notes]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
