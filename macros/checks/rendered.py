"""Checks on one page's source as it is rendered (see macros/checks): its front matter, macro calls, raw HTML and
markup, facilitator notes and discussion minutes. check_source runs once per page per build, on first need
(CourseModel.checked), for whichever step renders the page; make check runs it on every page (every_page)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from ..allowlist import UNESCAPED_FIX, Refusal, refusals, unescaped_characters
from ..data import CourseData, _compose, _Reader, _schema_problems, _yaml_problem
from ..errors import Problem
from ..markup import INLINE_LINK, MARKDOWN_SWITCH, REFERENCE, _attribute_lists, _autolink, _line, html_tags, prose
from ..models import PageMeta
from ..notes import note_spans
from ..pages import split_source
from ..templates import PageChecker

if TYPE_CHECKING:
    from ..course import CourseModel


def every_page(model: CourseModel) -> list[Problem]:
    """Every page's check_source, as the pages would be rendered (make check); nothing when the data does not load."""
    if model.data is None:
        return []
    return [problem for page in model.pages.values() if page.text is not None for problem in model.checked(page.src_path).problems]


def check_front_matter(path: str, text: str | None, first_line: int) -> tuple[dict[str, Any], list[Problem]]:
    """Validate a page's front matter; a page without it gets told what to add."""
    if text is None:
        fix = "start the page with three lines: `---`, `title: ...` and `description: ...`, then `---`."
        return {}, [Problem(path, 1, "the page has no front matter (title and description).", fix)]
    reader = _Reader(path)
    try:
        node = _compose(text)
        raw = reader.value(node) if node is not None else {}
    except yaml.YAMLError as error:
        problem = _yaml_problem(path, error)
        return {}, [Problem(path, problem.line + first_line - 1, problem.message, problem.fix)]
    problems = [Problem(p.path, p.line + first_line - 1, p.message, p.fix) for p in reader.problems]
    if not isinstance(raw, dict):
        fix = "write `title: ...` and `description: ...` between the `---` lines."
        return {}, [Problem(path, first_line, "the front matter must be `field: value` lines.", fix)]
    try:
        PageMeta.model_validate(raw)
    except ValidationError as error:
        found = _schema_problems(error, PageMeta, reader, (), "the front matter")
        problems += [Problem(p.path, p.line + first_line - 1, p.message, p.fix) for p in found]
    return raw, problems


def check_source(path: str, text: str, data: CourseData) -> tuple[list[Problem], PageChecker, dict[str, Any], str, int]:
    """Every problem in one page's source, plus what rendering it needs (the checker keeps the body's tree in .tree)."""
    meta_text, meta_line, body, body_line = split_source(text)
    meta, problems = check_front_matter(path, meta_text, meta_line)
    checker = PageChecker(data, path, line_offset=body_line - 1)
    checker.tree = checker.check(body)
    # Refused in every build path, `mkdocs serve` included: raw HTML that runs code, template code or markup in front matter.
    problems += front_matter_code(path, meta_text, meta_line) + front_matter_markup(path, meta, meta_text, meta_line) + unsafe_html(path, body, body_line)
    # Issue 6: facilitator notes must be well formed; a segment's discussion minutes must match its prompts' time boxes.
    problems += check_notes(path, body, body_line)
    boxes = [data.prompts[args[0]].minutes or 0 for spec, args, _ in checker.calls if spec.name == "discussion" and args and args[0] in data.prompts]
    problems += check_discussion_minutes(path, meta, meta_text, boxes)
    return problems + checker.problems, checker, meta, body, body_line


def _problems(path: str, line: int, found: list[Refusal]) -> list[Problem]:
    return [Problem(path, line, refusal.message, refusal.fix) for refusal in found]


def unsafe_html(path: str, text: str, first_line: int = 1) -> list[Problem]:
    """What the allow-list refuses in a page's raw HTML, links, images and attribute lists, each on its line."""
    body = prose(text)
    problems: list[Problem] = []
    for tag in html_tags(text, first_line):
        address = _autolink(tag)
        if tag.name in ("!--", "!["):
            what = "an HTML comment with markup inside" if tag.name == "!--" else "a `<![...]>` section"
            problems.append(
                Problem(
                    path,
                    tag.line,
                    f"the page holds {what}, which a browser may read differently from this check and show as part of the page.",
                    "remove it; a comment for other authors may not hold < or > (write it as plain text).",
                )
            )
        elif address is not None:
            problems += _problems(path, tag.line, refusals("a", [("href", address)], what=f"the link `<{address}>`"))
        else:
            problems += _problems(path, tag.line, refusals(tag.name, [pair for pair in tag.attributes if pair[0] != MARKDOWN_SWITCH]))
    for match in INLINE_LINK.finditer(body):
        bang, label, target = match.groups()
        target = target.strip("<>")
        line = _line(body, match.start(), first_line)
        if bang:
            problems += _problems(path, line, refusals("img", [("src", target)], what=f"the image `{target}`"))
        else:
            problems += _problems(path, line, refusals("a", [("href", target)], what=f"the link [{label}]"))
    for match in REFERENCE.finditer(body):
        line = _line(body, match.start(), first_line)
        problems += _problems(path, line, refusals("a", [("href", match.group(2))], what=f"the link [{match.group(1)}]"))
    for line, written, pairs in _attribute_lists(body, first_line):
        # Which element an attribute list lands on is Markdown's choice: an attribute that is safe on some element
        # passes here, and the built-page check judges it on the element it reached.
        found = refusals(None, pairs, what=f"the attribute list `{written}`")
        problems += _problems(path, line, [refusal for refusal in found if "may not use" not in refusal.message])
    return sorted(problems, key=lambda problem: problem.line)


def front_matter_markup(path: str, meta: dict[str, object], meta_text: str | None, first_line: int) -> list[Problem]:
    """A title or description holding characters the theme would write into the page's HTML as markup."""
    problems = []
    lines = (meta_text or "").splitlines()
    for key in ("title", "description"):
        found = unescaped_characters(meta.get(key))
        if found:
            line = next((number for number, text in enumerate(lines, start=first_line) if text.startswith(f"{key}:")), first_line)
            shown = " ".join(f"`{ch}`" for ch in found)
            where = "which the theme writes into the page's HTML as it is, where it could add a tag or leave an attribute."
            message = f"the front matter's `{key}:` holds {shown}, {where}"
            problems.append(Problem(path, line, message, UNESCAPED_FIX))
    return problems


def front_matter_code(path: str, meta_text: str | None, first_line: int) -> list[Problem]:
    """Lines of front matter that hold template code, which is never run there and would show as typed."""
    return [
        Problem(
            path,
            number,
            "the front matter holds template code (`{{` or `{%`); front matter is never run as a template.",
            "write plain text here; macros belong in the page body.",
        )
        for number, line in enumerate((meta_text or "").splitlines(), start=first_line)
        if "{{" in line or "{%" in line
    ]


def check_notes(path: str, body: str, first_line: int) -> list[Problem]:
    """Every badly formed facilitator note in a page body that starts on first_line."""
    _, found = note_spans(body.splitlines())
    return [Problem(path, p.line + first_line, p.message, p.fix) for p in found]


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
