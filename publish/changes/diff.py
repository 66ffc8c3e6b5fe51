"""The structural diff: two versions of a record, a list or a text, as the values that changed, each labelled as a reviewer reads it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Any, Literal

Op = Literal["=", "-", "+"]
# Unchanged words kept on each side of a change in a long text; longer unchanged runs are cut to "…".
CONTEXT = 6


# Words for a record's fields, as a reviewer reads them.
FIELD_WORDS = {
    "cited_as": "cited as",
    "facts_heading": "facts heading",
    "question": "research question",
    "minutes": "time box (minutes)",
    "numbered": "numbered list",
    "term": "bold lead-in",
    "by": "said by",
    "quote": "quotation",
    "resource_themes": "resource themes",
    "start_date": "start date",
    "end_date": "end date",
    "time_zone": "time zone",
    "start_time": "start time",
    "key_points": "key point",
    "objectives": "objective",
    "formerly": "former ids",
}


SINGULAR = {
    "items": "item",
    "facts": "fact",
    "methods": "method",
    "authors": "author",
    "epilogue": "epilogue paragraph",
    "faculty": "faculty member",
    "roles": "role",
    "reach": "reach figure",
    "hosts": "host",
    "organizations": "organization",
    "facilitators": "facilitator",
    "cities": "city",
    "groups": "group",
    "objectives": "objective",
    "key_points": "key point",
    "entries": "entry",
    "paragraphs": "paragraph",
    "formerly": "former id",
}


@dataclass
class Line:
    """One changed value: its label, and the old and new text (None when added or removed)."""

    label: str
    old: str | None
    new: str | None


def word_diff(old: str, new: str) -> list[tuple[Op, str]]:
    """The two texts as runs of unchanged, removed and added words."""
    a, b = old.split(), new.split()
    runs: list[tuple[Op, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            runs.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            runs.append(("+", " ".join(b[j1:j2])))
    return runs


def trim(runs: list[tuple[Op, str]]) -> list[tuple[Op, str]]:
    """Long unchanged runs cut to a few words either side of a change."""
    trimmed: list[tuple[Op, str]] = []
    for index, (op, text) in enumerate(runs):
        words = text.split()
        if op != "=" or len(words) <= 2 * CONTEXT + 2:
            trimmed.append((op, text))
            continue
        head = words[:CONTEXT] if index > 0 else []
        tail = words[-CONTEXT:] if index < len(runs) - 1 else []
        trimmed.append(("=", " ".join([*head, "…", *tail])))
    return trimmed


def _words(key: str) -> str:
    return FIELD_WORDS.get(key, key.replace("_", " "))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        # An item reads as its text, with anything else about it after it: "Agreeing on problem and solutions (group: Substance)".
        rest = "; ".join(f"{_words(str(k))}: {_text(v)}" for k, v in value.items() if k != "text")
        if "text" in value:
            return _text(value["text"]) + (f" ({rest})" if rest else "")
        return rest
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    return str(value)


def _key(value: Any) -> str:
    """What aligns two versions of a list entry: its text or name."""
    if isinstance(value, dict):
        for name in ("text", "name", "figure", "label"):
            if name in value:
                return str(value[name])
    return _text(value)


def field_lines(old: Any, new: Any, label: str = "", words_for: dict[str, str] | None = None) -> list[Line]:
    """Every changed value between two versions of a record (plain dicts and lists), labelled item by item."""
    if old == new:
        return []
    if isinstance(old, dict) or isinstance(new, dict):
        # A group of fields set or cleared whole (a quotation, a cohort's minutes) still reads field by field.
        old, new = old if old is not None else {}, new if new is not None else {}
    if isinstance(old, dict) and isinstance(new, dict):
        lines = []
        for key in [*old, *(k for k in new if k not in old)]:
            words = (words_for or {}).get(str(key)) or _words(str(key))
            # A part's text is the part itself: "item 3: old → new", not "item 3, text: old → new".
            inner = label if key == "text" and label else f"{label}, {words}" if label else words
            lines += field_lines(old.get(key), new.get(key), inner)
        return lines
    if (isinstance(old, str) and isinstance(new, list)) or (isinstance(old, list) and isinstance(new, str)):
        # One value or a list of them (a source's venue): one value reads as a list of one, so only what differs is shown.
        return field_lines([old] if isinstance(old, str) else old, [new] if isinstance(new, str) else new, label)
    if isinstance(old, list) and isinstance(new, list) and (old or new):
        return _list_lines(old, new, label)
    if old in (None, [], {}):
        return [Line(f"{label} (added)", None, _text(new))]
    if new in (None, [], {}):
        return [Line(f"{label} (removed)", _text(old), None)]
    return [Line(label, _text(old), _text(new))]


def new_record_lines(record: dict[str, Any], words_for: dict[str, str] | None = None) -> list[Line]:
    """The fields of a record that is new as a whole: each one is added, so none is marked so."""
    return [replace(line, label=line.label.removesuffix(" (added)")) for line in field_lines({}, record, words_for=words_for) if line.label != "id (added)"]


def aligned(tag: str, i1: int, i2: int, j1: int, j2: int) -> tuple[list[tuple[int, int]], range, range]:
    """A differing opcode of a diff: the replaced entries paired (old, new), then the old ones left removed and the new ones left added."""
    pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
    return [(i1 + k, j1 + k) for k in range(pairs)], range(i1 + pairs, i2), range(j1 + pairs, j2)


def _list_lines(old: list[Any], new: list[Any], label: str) -> list[Line]:
    parent, _, last = label.rpartition(", ")
    name = SINGULAR.get(last.replace(" ", "_"), SINGULAR.get(last, last))
    name = FIELD_WORDS.get(name, name)

    def at(number: int) -> str:
        return f"{parent}, {name} {number}" if parent else f"{name} {number}"

    lines: list[Line] = []
    matcher = difflib.SequenceMatcher(None, [_key(v) for v in old], [_key(v) for v in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                lines += field_lines(old[i], new[j], at(j + 1))
            continue
        paired, removed, added = aligned(tag, i1, i2, j1, j2)
        for i, j in paired:
            lines += field_lines(old[i], new[j], at(j + 1))
        for i in removed:
            lines.append(Line(at(i + 1) + " (removed)", _text(old[i]), None))
        for j in added:
            lines.append(Line(at(j + 1) + " (added)", None, _text(new[j])))
    return lines
