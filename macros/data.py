"""YAML files -> validated models, with every problem collected and located by file and line."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .errors import ContentError, Problem, closest
from .models import Course, Finding, Prompt, Session, Source

DATA_DIR = "data"
# File name -> the model each record in it must match; course.yml holds one record.
LIST_FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "sources.yml": ("source", Source),
    "findings.yml": ("finding", Finding),
    "prompts.yml": ("prompt", Prompt),
    "sessions.yml": ("session", Session),
}
COURSE_FILE = "course.yml"
# Reflection prompt ids removed on purpose (optional): readers' answers to them stay in their journal, and `make check`
# stops asking for a `formerly:` (macros/renames.py).
RETIRED_FILE = "retired-prompts.yml"
ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# The finding drawn as the strategic triangle (macros/diagrams.py); its groups must fit the drawing.
TRIANGLE = "strategic-triangle"

Loc = tuple[int | str, ...]
PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}


@dataclass
class CourseData:
    """Everything the macros show, loaded once and looked up by id."""

    course: Course
    sources: dict[str, Source] = field(default_factory=dict)
    findings: dict[str, Finding] = field(default_factory=dict)
    prompts: dict[str, Prompt] = field(default_factory=dict)
    # The sessions in file order (docs/data/sessions.yml); the course model ties each to its nav section.
    sessions: dict[str, Session] = field(default_factory=dict)
    # id -> (file relative to the project, line) for messages about a record.
    where: dict[str, tuple[str, int]] = field(default_factory=dict)
    # (session id, field) -> its line in sessions.yml, for messages about one field of a session.
    session_lines: dict[tuple[str, str], int] = field(default_factory=dict)
    # sessions.yml as read, for the placeholders `make new-session` leaves in it (macros/scaffold.py).
    sessions_text: str = ""
    # A reflection's former id -> its id now (from each prompt's `formerly:`).
    formerly: dict[str, str] = field(default_factory=dict)
    # Reflection ids removed on purpose (docs/data/retired-prompts.yml).
    retired: list[str] = field(default_factory=list)
    # The ids a macro argument of each kind may name, worked out on first need (macros/library.py valid_ids).
    ids_by_kind: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)

    def kind_of(self, record_id: str) -> str | None:
        """Which kind of record an id names ('finding', 'source', 'prompt'), if any."""
        for kind, table in (("finding", self.findings), ("source", self.sources), ("prompt", self.prompts)):
            if record_id in table:
                return kind
        return None


def _display(path: Path) -> str:
    """A path as an author sees it in the repository: docs/data/findings.yml."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _yaml_problem(display: str, error: yaml.YAMLError) -> Problem:
    """Turn a YAML parser error into a located problem with a hint that fits its usual cause."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    what = getattr(error, "problem", None) or str(error)
    fix = "check the indentation and quoting on this line and the one above it."
    if "\\t" in what or "tab" in what:
        fix = "indent with spaces, not tabs."
    elif "mapping values are not allowed" in what:
        fix = 'text that contains ": " must be in quotes, e.g. text: "Entry point: a start".'
    elif "expected <block end>" in what or "did not find expected" in what:
        fix = "line this entry up with the ones around it (same number of spaces), and close any open quote."
    elif "found unknown escape character" in what:
        fix = 'inside "double quotes" a backslash starts an escape; use single quotes or remove the backslash.'
    return Problem(display, line, f"the YAML could not be read: {what}.", fix)


class _Reader:
    """Build plain Python values from a YAML node tree, remembering each value's line."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.text = ""  # the file's text, once read
        self.lines: dict[Loc, int] = {}
        self.problems: list[Problem] = []
        self._scalars = yaml.SafeLoader("")

    def value(self, node: yaml.Node, loc: Loc = ()) -> Any:
        self.lines[loc] = node.start_mark.line + 1
        if node.tag not in PLAIN_TAGS:
            # A tag such as !!python/object could build objects; data is text, numbers and lists only.
            self.problems.append(
                Problem(
                    self.display,
                    node.start_mark.line + 1,
                    f"the YAML tag `{node.tag.replace('tag:yaml.org,2002:', '!!')}` is not allowed.",
                    "remove the tag; write plain text, numbers and lists.",
                )
            )
            return None
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = str(self._scalars.construct_object(key_node))
                if key in result:
                    self.problems.append(
                        Problem(
                            self.display,
                            key_node.start_mark.line + 1,
                            f"`{key}:` appears twice in the same record.",
                            "keep one of them; YAML would silently drop the first.",
                        )
                    )
                result[key] = self.value(value_node, (*loc, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.value(child, (*loc, i)) for i, child in enumerate(node.value)]
        try:
            return self._scalars.construct_object(node)
        except ValueError:
            # A date-like value that is no date (2030-02-30): kept as the text written, for the schema to reject by its line.
            return str(node.value)

    def line_of(self, loc: Loc) -> int:
        """The line of the deepest part of loc that exists in the file."""
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)


# libyaml's parser when PyYAML has it: the same nodes, with the same line marks, several times faster.
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None)


def _compose(text: str) -> yaml.Node | None:
    """A YAML text's node tree; a syntax error is always PyYAML's own, so its message and line never change."""
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass  # reported below, in the pure-Python parser's words
    return yaml.compose(text, Loader=yaml.SafeLoader)


def read_yaml(path: Path) -> tuple[Any, _Reader, list[Problem]]:
    """Parse one YAML file; never raises, returns problems instead."""
    display = _display(path)
    reader = _Reader(display)
    try:
        raw = path.read_bytes()
    except OSError as error:
        return None, reader, [Problem(display, 1, f"the file could not be read ({error.strerror}).", "restore it from git.")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return (
            None,
            reader,
            [Problem(display, line, "the file is not valid UTF-8 text.", "save it as UTF-8 (most editors offer this under 'Save with encoding').")],
        )
    reader.text = text
    try:
        node = _compose(text)
    except yaml.YAMLError as error:
        return None, reader, [_yaml_problem(display, error)]
    if node is None:
        return None, reader, []
    try:
        value = reader.value(node)
    except yaml.YAMLError as error:
        return None, reader, [_yaml_problem(display, error)]
    return value, reader, list(reader.problems)


def _label(kind: str, raw: Any, index: int) -> str:
    """How a message names a record: finding 'five-key-actions', or finding #3 without an id."""
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        return f"{kind} '{raw['id']}'"
    return f"{kind} #{index + 1}"


def _schema_problems(error: ValidationError, model: type[BaseModel], reader: _Reader, base: Loc, label: str) -> list[Problem]:
    """Translate pydantic's errors into sentences that name the field and the fix."""
    problems = []
    for detail in error.errors():
        loc: Loc = tuple(detail["loc"])
        line = reader.line_of((*base, *loc))
        name = str(loc[-1]) if loc else ""
        kind = detail["type"]
        if name == "[key]" and len(loc) > 2:
            # A key of a mapping such as `resource_themes:` is itself an id.
            problems.append(
                Problem(
                    reader.display,
                    line,
                    f"{label}: `{loc[-2]}:` under `{loc[-3]}:` is not a valid id.",
                    "ids are lower-case words joined by hyphens, e.g. `urban-problem-solving`.",
                )
            )
        elif kind == "extra_forbidden":
            allowed = _fields_at(model, loc[:-1])
            hint = difflib.get_close_matches(name, allowed, n=1)
            fix = f"did you mean `{hint[0]}:`?" if hint else "remove it; allowed fields are " + ", ".join(f"`{a}`" for a in allowed) + "."
            problems.append(Problem(reader.display, line, f"{label} has an unknown field `{name}:`.", fix))
        elif kind == "missing":
            problems.append(Problem(reader.display, line, f"{label} is missing `{name}:`.", f"add a line `{name}: ...` to this record."))
        elif kind == "string_pattern_mismatch":
            problems.append(
                Problem(
                    reader.display,
                    line,
                    f"{label}: `{name}: {detail['input']}` is not a valid id.",
                    "ids are lower-case words joined by hyphens, e.g. `five-key-actions`.",
                )
            )
        elif kind == "literal_error":
            expected = detail.get("ctx", {}).get("expected", "")
            problems.append(Problem(reader.display, line, f"{label}: `{name}: {detail['input']}` is not allowed.", f"use one of {expected}."))
        elif kind == "value_error":
            problems.append(Problem(reader.display, line, f"{label}: {detail['msg'].removeprefix('Value error, ')}.", ""))
        else:
            where = ".".join(str(part) for part in loc) or "record"
            problems.append(
                Problem(
                    reader.display,
                    line,
                    f"{label}: `{where}` {detail['msg'][0].lower()}{detail['msg'][1:]} (found {detail['input']!r}).",
                    "correct the value on this line.",
                )
            )
    return problems


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names allowed at a nested location of a model, for did-you-mean hints."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if info is None:
            break
        annotation = info.annotation
        for candidate in getattr(annotation, "__args__", ()) or (annotation,):
            inner = getattr(candidate, "__args__", (candidate,))
            found = next((c for c in inner if isinstance(c, type) and issubclass(c, BaseModel)), None)
            if found is not None:
                current = found
                break
    return sorted(current.model_fields) if hasattr(current, "model_fields") else []


def _load(data_dir: Path) -> CourseData:
    problems: list[Problem] = []
    course_path = data_dir / COURSE_FILE
    course: Course | None = None
    if not course_path.is_file():
        problems.append(Problem(_display(course_path), 1, "the course record is missing.", "restore docs/data/course.yml from git."))
    else:
        raw, reader, found = read_yaml(course_path)
        problems += found
        if not found:
            try:
                course = Course.model_validate(raw if raw is not None else {})
            except ValidationError as error:
                problems += _schema_problems(error, Course, reader, (), "the course record")

    tables: dict[str, dict[str, Any]] = {"source": {}, "finding": {}, "prompt": {}, "session": {}}
    where: dict[str, tuple[str, int]] = {}
    # (former id, file, line, the prompt that lists it), in file order.
    former: list[tuple[str, str, int, str]] = []
    # Kinds whose file could not be read at all: references to them are not checked, to avoid a cascade.
    broken: set[str] = set()
    # Where each source names its resource theme (file, line), to point at it when course.yml has no such theme.
    theme_at: dict[str, tuple[str, int]] = {}
    # (session, theme, file, line) for each theme a session lists.
    session_themes: list[tuple[str, str, str, int]] = []
    sessions_text = ""
    session_lines: dict[tuple[str, str], int] = {}
    for name, (kind, model) in LIST_FILES.items():
        path = data_dir / name
        if not path.is_file():
            problems.append(Problem(_display(path), 1, f"the {kind} file is missing.", f"restore docs/data/{name} from git."))
            broken.add(kind)
            continue
        raw, reader, found = read_yaml(path)
        problems += found
        if kind == "session":
            sessions_text = reader.text
        if raw is None and found:
            broken.add(kind)
            continue
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            problems.append(
                Problem(reader.display, 1, f"this file must be a list of {kind}s, each starting with `- id:`.", "start each record with a dash: `- id: my-id`.")
            )
            continue
        for index, entry in enumerate(raw):
            label = _label(kind, entry, index)
            if not isinstance(entry, dict):
                problems.append(
                    Problem(
                        reader.display,
                        reader.line_of((index,)),
                        f"{label} is not a record of `field: value` lines.",
                        "start it with `- id: my-id` and indent its fields under it.",
                    )
                )
                continue
            try:
                record = model.model_validate(entry)
            except ValidationError as error:
                problems += _schema_problems(error, model, reader, (index,), label)
                continue
            record_id = record.id  # type: ignore[attr-defined]
            line = reader.line_of((index, "id"))
            if record_id in where:
                first_file, first_line = where[record_id]
                problems.append(
                    Problem(
                        reader.display,
                        line,
                        f"the id '{record_id}' is already used at {first_file}:{first_line}.",
                        "ids must be unique: rename one of the two (ids are permanent, so rename the new one).",
                    )
                )
                continue
            where[record_id] = (reader.display, line)
            if kind == "source":
                theme_at[record_id] = (reader.display, reader.line_of((index, "theme")))
            if kind == "session":
                session_lines.update(((record_id, key), reader.line_of((index, key))) for key in ("section", "day"))
                for number, theme in enumerate(record.resource_themes):  # type: ignore[attr-defined]
                    session_themes.append((record_id, theme, reader.display, reader.line_of((index, "resource_themes", number))))
            tables[kind][record_id] = record
            for number, old in enumerate(getattr(record, "formerly", [])):
                former.append((old, reader.display, reader.line_of((index, "formerly", number)), record_id))

    for finding in tables["finding"].values():
        if "source" not in broken and finding.source not in tables["source"]:
            file, line = where[finding.id]
            problems.append(
                Problem(
                    file,
                    line,
                    f"finding '{finding.id}' names source '{finding.source}', which is not in sources.yml.",
                    closest(finding.source, set(tables["source"])),
                )
            )
    themes = course.resource_themes if course is not None else {}
    for source in tables["source"].values():
        if themes and source.theme not in themes:
            file, line = theme_at[source.id]
            known = ", ".join(f"'{theme}'" for theme in themes)
            problems.append(
                Problem(
                    file,
                    line,
                    f"source '{source.id}' is listed under the resource theme '{source.theme}', which is not one of the themes "
                    f"under `resource_themes:` in docs/data/{COURSE_FILE} ({known}).",
                    f'{closest(source.theme, themes)} For a new theme, add a line `{source.theme}: "Its title"` under `resource_themes:` '
                    f"in docs/data/{COURSE_FILE}, in the place the Resources page should list it.",
                )
            )
    for session_id, theme, file, line in session_themes:
        if themes and theme not in themes:
            known = ", ".join(f"'{known_theme}'" for known_theme in themes)
            problems.append(
                Problem(
                    file,
                    line,
                    f"session '{session_id}' lists the resource theme '{theme}', which is not one of the themes under "
                    f"`resource_themes:` in docs/data/{COURSE_FILE} ({known}).",
                    f'{closest(theme, themes)} For a new theme, add a line `{theme}: "Its title"` under `resource_themes:` in docs/data/{COURSE_FILE}.',
                )
            )
    if "session" not in broken and not tables["session"]:
        problems.append(
            Problem(
                _display(data_dir / "sessions.yml"),
                1,
                "the course has no session.",
                "add one record starting with `- id:` with its `section:` (the title of its section in mkdocs.yml's nav), `name:`, `title:` and `faculty:`.",
            )
        )
    for prompt in tables["prompt"].values():
        if "source" not in broken and prompt.source is not None and prompt.source not in tables["source"]:
            file, line = where[prompt.id]
            problems.append(
                Problem(
                    file,
                    line,
                    f"prompt '{prompt.id}' names source '{prompt.source}', which is not in sources.yml.",
                    closest(prompt.source, set(tables["source"])),
                )
            )

    formerly, retired, found = _renames(data_dir, former, where)
    problems += found
    if problems or course is None:
        raise ContentError(problems)
    return CourseData(
        course=course,
        sources=tables["source"],
        findings=tables["finding"],
        prompts=tables["prompt"],
        sessions=tables["session"],
        where=where,
        session_lines=session_lines,
        sessions_text=sessions_text,
        formerly=formerly,
        retired=retired,
    )


def _renames(data_dir: Path, former: list[tuple[str, str, int, str]], where: dict[str, tuple[str, int]]) -> tuple[dict[str, str], list[str], list[Problem]]:
    """The former-id map and the retired ids, each former or retired id checked to name one answer store only."""
    problems: list[Problem] = []
    formerly: dict[str, str] = {}
    listed: dict[str, tuple[str, int]] = {}
    for old, file, line, record_id in former:
        if old in where:
            first_file, first_line = where[old]
            problems.append(
                Problem(
                    file,
                    line,
                    f"prompt '{record_id}' lists '{old}' under `formerly:`, but '{old}' is the id of a record now ({first_file}:{first_line}).",
                    "`formerly:` lists only ids no record has any more; remove it from the list (or, if you renamed that record, give it back its new id).",
                )
            )
        elif old in listed:
            first_file, first_line = listed[old]
            problems.append(
                Problem(
                    file,
                    line,
                    f"the former id '{old}' is listed again (first at {first_file}:{first_line}), "
                    "so the journal could not tell which prompt its answers move to.",
                    "keep it under the one prompt that replaced it and remove it here.",
                )
            )
        else:
            listed[old] = (file, line)
            formerly[old] = record_id
    retired: list[str] = []
    path = data_dir / RETIRED_FILE
    if not path.is_file():
        return formerly, retired, problems
    raw, reader, found = read_yaml(path)
    problems += found
    if found or raw is None:
        return formerly, retired, problems
    if not isinstance(raw, list):
        fix = "write one retired id per line, each after a dash: `- old-prompt-id`."
        return formerly, retired, [*problems, Problem(reader.display, 1, "this file must be a list of retired prompt ids.", fix)]
    for index, old in enumerate(raw):
        line = reader.line_of((index,))
        if not isinstance(old, str) or not ID_PATTERN.match(old):
            fix = "write the id exactly as it was in docs/data/prompts.yml, after a dash: `- old-prompt-id`."
            problems.append(Problem(reader.display, line, f"`{old}` is not a prompt id.", fix))
        elif old in where:
            first_file, first_line = where[old]
            fix = "remove it from this file; only ids no record has any more can be retired."
            problems.append(Problem(reader.display, line, f"'{old}' is retired, but it is the id of a record now ({first_file}:{first_line}).", fix))
        elif old in listed:
            first_file, first_line = listed[old]
            fix = "keep one: `formerly:` if that prompt replaced it (answers move there), or this line if it was removed."
            problems.append(Problem(reader.display, line, f"'{old}' is retired here and also listed as a former id at {first_file}:{first_line}.", fix))
        else:
            listed[old] = (reader.display, line)
            retired.append(old)
    return formerly, retired, problems


def load_course(docs_dir: str | Path) -> CourseData:
    """The validated course data under docs_dir/data, each file read once; raises ContentError listing every problem."""
    return _load(Path(docs_dir) / DATA_DIR)
