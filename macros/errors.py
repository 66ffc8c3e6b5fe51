"""Problems in course content, reported the way a faculty member can act on."""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from mkdocs.exceptions import PluginError


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file: where it is, what is wrong and how to fix it."""

    path: str
    line: int
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}: {self.message}"
        return f"{text}\n    Fix: {self.fix}" if self.fix else text

    def annotation(self) -> str:
        """The same problem as a GitHub Actions annotation, shown on the pull request."""
        text = f"{self.message} Fix: {self.fix}" if self.fix else self.message
        # Annotations are one line; GitHub decodes %0A back into a newline.
        text = text.replace("%", "%25").replace("\r", "").replace("\n", "%0A")
        return f"::error file={self.path},line={self.line}::{text}"


class ContentError(PluginError):
    """Raised with every problem found, so an author fixes them all in one pass."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (p.path, p.line, p.message))
        super().__init__(format_problems(self.problems))


def format_problems(problems: list[Problem]) -> str:
    """A report an author can read top to bottom, ending with what to do next."""
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    lines = [f"The course content has {count} {noun}:", ""]
    lines += [str(problem) for problem in problems]
    lines += ["", "Nothing was published. Fix the lines above, then run `make check` again."]
    if os.environ.get("GITHUB_ACTIONS") == "true":
        lines += [problem.annotation() for problem in problems]
    return "\n".join(lines)


def closest(word: str, choices: Collection[str]) -> str:
    """A 'did you mean' hint naming the nearest valid choices, or listing them all."""
    import difflib

    options = sorted(choices)
    near = difflib.get_close_matches(word, options, n=3, cutoff=0.6)
    if near:
        return "did you mean " + " or ".join(f"'{n}'" for n in near) + "?"
    shown = ", ".join(f"'{o}'" for o in options[:12])
    more = f" (and {len(options) - 12} more)" if len(options) > 12 else ""
    return f"use one of {shown}{more}."


def line_of(path: Path, key: str) -> int:
    """The first line of a YAML file that sets key (`key:` at the start of a line, indented or not), to point a message at it; 1 if none."""
    try:
        return line_in(path.read_text(encoding="utf-8"), key)
    except OSError:
        return 1


def line_in(text: str, key: str) -> int:
    """line_of for a file's text already read."""
    return next((number for number, line in enumerate(text.splitlines(), start=1) if line.strip().startswith(f"{key}:")), 1)
