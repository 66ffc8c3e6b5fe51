"""Facilitator notes: `/// facilitator` blocks in a page, kept only in the facilitator edition.

A note is written in the page where it applies:

    /// facilitator | Running the discussion
    Short, logistical text for whoever runs the session.
    ///

The participant edition drops every note from the Markdown before it is
rendered, so no note can reach its HTML, its search index or its PDFs; the
facilitator edition hands the block to pymdownx.blocks.admonition, which draws it.
"""

from __future__ import annotations

import re

from .errors import Problem

# The opening line of a note: three or more slashes, the block name, an optional title.
OPENING = re.compile(r"^[ \t]*(?P<fence>/{3,})[ \t]*facilitator\b", re.I)
# Forms that look like a note but that pymdownx would not treat as one, so they would reach participants.
EXACT = re.compile(r"^[ \t]*/{3,}[ \t]*facilitator\b")
LOOKALIKE = re.compile(r"^[ \t]*(?:!!!|\?\?\?\+?)[ \t]*facilitator\b", re.I)


def note_spans(lines: list[str]) -> tuple[list[tuple[int, int]], list[Problem]]:
    """(first, last) 0-based line indexes of each note, and its problems (path left empty, line 0-based)."""
    spans: list[tuple[int, int]] = []
    problems: list[Problem] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = OPENING.match(line)
        if LOOKALIKE.match(line):
            problems.append(
                Problem(
                    "",
                    index,
                    "a facilitator note must be a `/// facilitator` block; this admonition would be shown to participants.",
                    "write `/// facilitator` on this line and end the note with a line holding only `///`.",
                )
            )
        elif opening:
            if not EXACT.match(line):
                problems.append(
                    Problem(
                        "",
                        index,
                        "the facilitator note's name must be written `facilitator`, in lower case.",
                        "write the line as `/// facilitator` (add ` | Title` for a title).",
                    )
                )
            fence = opening.group("fence")
            end = next((j for j in range(index + 1, len(lines)) if lines[j].strip() == fence), None)
            if end is None:
                problems.append(
                    Problem(
                        "",
                        index,
                        "this facilitator note is never closed, so the rest of the page would be a note.",
                        f"end the note with a line holding only `{fence}`.",
                    )
                )
                spans.append((index, len(lines) - 1))
                break
            spans.append((index, end))
            index = end
        index += 1
    return spans, problems


def select_notes(markdown: str, keep: bool) -> str:
    """The page's Markdown with its facilitator notes kept (facilitator edition) or removed (participant edition)."""
    if keep:
        return markdown
    lines = markdown.splitlines(keepends=True)
    spans, _ = note_spans([line.rstrip("\r\n") for line in lines])
    dropped = {i for first, last in spans for i in range(first, last + 1)}
    # Removed lines become blank lines, so line numbers in later messages still match the source.
    return "".join("\n" if i in dropped else line for i, line in enumerate(lines))
