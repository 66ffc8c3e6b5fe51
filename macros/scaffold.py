"""make new-session NAME=<id>: a new session's folder, record and nav section, with placeholders to replace.

`python -m macros.scaffold <id> [--config path/to/mkdocs.yml]` writes docs/<id>/index.md (the session's overview,
showing its schedule) and docs/<id>/first-segment.md (one segment), appends the session's record to
docs/data/sessions.yml, and adds its section to mkdocs.yml's nav (before "After the session" when the nav has it, else
at its end); docs/ is the config's docs_dir. Every text it cannot
know is a placeholder starting with PLACEHOLDER; `make check` and every build name each one left, with its file and
line (placeholder_problems), so a scaffolded session cannot be published until its own words replace them.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .course import nav_sections
from .data import DATA_DIR
from .errors import Problem

if TYPE_CHECKING:
    from .course import CourseModel

PLACEHOLDER = "REPLACE ME:"
SESSIONS_FILE = "sessions.yml"
# The nav section a new session goes before, when the nav has it.
BEFORE = "  - After the session:\n"

OVERVIEW = f"""---
title: "{PLACEHOLDER} the session's title"
description: "{PLACEHOLDER} one sentence on what the session is about."
---

# {PLACEHOLDER} the session's title

{PLACEHOLDER} a few sentences, in your own words, on what the session covers and in what order.

## Schedule

{{{{ schedule() }}}}
"""

SEGMENT = f"""---
title: "{PLACEHOLDER} the segment's title"
description: "{PLACEHOLDER} one sentence on what the segment covers."
question: "{PLACEHOLDER} the segment's guiding question"
objectives:
  - "{PLACEHOLDER} what a participant will be able to do after it"
# Each part's minutes, once decided (leave a part empty until then).
minutes:
  case:
  insights:
  discussion:
key_points:
  - "{PLACEHOLDER} a point to take away"
---

# {PLACEHOLDER} the segment's title

{{{{ objectives() }}}}

{PLACEHOLDER} the segment's text, in your own words, from the session's own material.
Show its case, findings and prompts with macros once their records are in docs/data/ (see CONTRIBUTING.md).

{{{{ key_points() }}}}
"""


def record(session_id: str) -> str:
    """The session's record, appended to docs/data/sessions.yml."""
    return f"""
- id: {session_id}
  section: "{PLACEHOLDER} the session's title in the nav"
  name: "{PLACEHOLDER} how the programme names the session"
  title: "{PLACEHOLDER} the session's title"
  faculty:
    - name: "{PLACEHOLDER} a faculty member's name"
  resource_themes: []
  day: 1
"""


def nav_section(session_id: str) -> str:
    """The session's section in mkdocs.yml's nav: its overview, then its segment."""
    return (
        f'  - "{PLACEHOLDER} the session\'s title in the nav":\n'
        f"      - {session_id}/index.md\n"
        f'      - "1 · {PLACEHOLDER} the segment\'s title": {session_id}/first-segment.md\n'
    )


def docs_folder(config_file: Path) -> Path:
    """The config's docs_dir as MkDocs reads it (beside the config; `docs` when it names none), without loading the rest."""
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.utils.yaml import yaml_load

    named = yaml_load(config_file.read_text(encoding="utf-8")).get("docs_dir") or MkDocsConfig.docs_dir.default
    return config_file.parent / named


def scaffold(config_file: Path, session_id: str) -> list[str]:
    """Write the new session into the project of config_file (its docs_dir, data and nav); the files written or changed,
    from the config's folder. Raises ValueError naming what to fix."""
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", session_id):
        raise ValueError(f"'{session_id}' cannot be a session id. Fix: use lower-case words joined by hyphens, e.g. make new-session NAME=second-session.")
    root = config_file.parent
    folder = docs_folder(config_file)
    shown = folder.relative_to(root).as_posix() if folder.is_relative_to(root) else folder.as_posix()
    docs, sessions = folder / session_id, folder / DATA_DIR / SESSIONS_FILE
    if docs.exists():
        raise ValueError(f"{shown}/{session_id}/ already exists. Fix: choose another NAME, or add pages to that folder by hand.")
    if re.search(rf"^- id: {re.escape(session_id)}\s*$", sessions.read_text(encoding="utf-8"), re.MULTILINE):
        raise ValueError(f"{shown}/{DATA_DIR}/{SESSIONS_FILE} already has a session '{session_id}'. Fix: choose another NAME.")
    text = config_file.read_text(encoding="utf-8")
    if "\nnav:\n" not in text:
        raise ValueError(f"{config_file.name} has no `nav:`. Fix: restore {config_file.name} from git.")
    if BEFORE in text:
        text = text.replace(BEFORE, nav_section(session_id) + BEFORE, 1)
    else:
        # At the end of the nav: before the next top-level setting, or at the end of the file.
        start = text.index("\nnav:\n") + len("\nnav:\n")
        after = re.search(r"^\S", text[start:], re.MULTILINE)
        at = start + after.start() if after else len(text)
        text = text[:at].rstrip("\n") + "\n" + nav_section(session_id) + text[at:]
    docs.mkdir(parents=True)
    (docs / "index.md").write_text(OVERVIEW, encoding="utf-8")
    (docs / "first-segment.md").write_text(SEGMENT, encoding="utf-8")
    sessions.write_text(sessions.read_text(encoding="utf-8").rstrip("\n") + "\n" + record(session_id), encoding="utf-8")
    config_file.write_text(text, encoding="utf-8")
    return [f"{shown}/{session_id}/index.md", f"{shown}/{session_id}/first-segment.md", f"{shown}/{DATA_DIR}/{SESSIONS_FILE}", config_file.name]


def placeholder_problems(model: CourseModel) -> list[Problem]:
    """Each placeholder `make new-session` wrote that is still in a page, in mkdocs.yml or in a session's record."""
    # mkdocs.yml's text is read for its lines only when the nav holds a placeholder (a build reads mkdocs.yml once).
    in_nav = any(PLACEHOLDER in title for entry, within in nav_sections(model.nav) for title in (entry.title, *within))
    found: list[tuple[str, str]] = [(model.settings.config_file.name, model.config_text)] if in_nav else []
    found += [(page.display, page.text or "") for page in model.pages.values()]
    if model.data is not None:
        found.append((f"{model.settings.docs_shown}/{DATA_DIR}/{SESSIONS_FILE}", model.data.sessions_text))
    problems = []
    for file, text in found:
        for number, line in enumerate(text.splitlines(), 1):
            for left in re.findall(re.escape(PLACEHOLDER) + r'[^"\n]*', line):
                problems.append(
                    Problem(
                        file,
                        number,
                        f"`make new-session` left the placeholder “{left.strip()}” here: the course cannot be published until it is replaced.",
                        "write the session's own words in its place, from the session's own material.",
                    )
                )
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m macros.scaffold", description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", default="", help="the new session's id")
    parser.add_argument("--config", default="mkdocs.yml", type=Path, help="the MkDocs config, with its docs_dir and nav (default: mkdocs.yml)")
    args = parser.parse_args(argv)
    if not args.name:
        print("Give the new session's id: make new-session NAME=<id> (lower-case words joined by hyphens).", file=sys.stderr)
        return 2
    try:
        written = scaffold(args.config, args.name)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"Added the session '{args.name}':", *(f"  {path}" for path in written), sep="\n")
    print(f"Replace every `{PLACEHOLDER}` with the session's own words; `make check` names each one left, with its line.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
