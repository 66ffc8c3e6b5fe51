"""Readers' answers survive a course change: a reflection prompt id that readers may have answered never just vanishes.

The journal (overrides/assets/journal.js) keeps each answer under its prompt's id. When a change removes or
renames a reflection prompt that the base revision had (the revision `make changes` compares with), the prompt
that replaces it lists the old id under `formerly:` (answers move to it), or the old id is listed in
docs/data/retired-prompts.yml (answers stay, shown as answers to prompts no longer in the course).
Without git history or a base there is nothing to compare with, and nothing is said.
"""

from __future__ import annotations

from typing import Any

import yaml

from .data import DATA_DIR, RETIRED_FILE, CourseData

PROMPTS_FILE = "prompts.yml"
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def reflections_in(text: str) -> dict[str, str]:
    """Each reflection's id and title in a prompts.yml text (as it was at another revision); {} if it does not read."""
    try:
        records = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError:
        return {}
    if not isinstance(records, list):
        return {}
    return {
        str(r["id"]): str(r.get("title") or r["id"]) for r in records if isinstance(r, dict) and isinstance(r.get("id"), str) and r.get("kind") == "reflection"
    }


def unaccounted(before: dict[str, str], data: CourseData) -> list[str]:
    """Ids of reflections that existed before and now are no record's id, no prompt's former id and not retired."""
    return [old for old in before if old not in data.where and old not in data.formerly and old not in data.retired]


def fix_for(old: str, instead: str | None) -> str:
    """What to add so the answers to old are kept: `formerly:` on the prompt that replaces it, or a retired line."""
    retire = f"if you removed it on purpose, add the line `- {old}` to docs/{DATA_DIR}/{RETIRED_FILE}"
    if instead:
        return f"if '{instead}' replaces it, add `formerly: [{old}]` to prompt '{instead}' (the record on this line); {retire}."
    return f"if you renamed it, add `formerly: [{old}]` to the prompt that replaces it; {retire}."


def likely_successor(title: str, data: CourseData) -> str | None:
    """A reflection that kept the old one's title, and so is probably the same prompt under a new id."""
    return next((p.id for p in data.prompts.values() if p.kind == "reflection" and p.title == title and p.id not in data.formerly.values()), None)
