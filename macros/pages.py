"""One page, from source to safe Markdown: front matter checked, macro calls checked, then rendered."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

# Imported for what they register: the downloads() and macro_reference() macros, so every path that checks or
# renders a page (the MkDocs hook, python -m publish for Zensical, make check) knows every macro.
from . import downloads, reference  # noqa: F401
from .cohort import current_build
from .data import CourseData, _compose, _Reader, _schema_problems, _yaml_problem
from .errors import ContentError, Problem
from .library import RESOURCES_PAGE, PageContext
from .markup import front_matter_code, front_matter_markup, unsafe_html
from .models import PageMeta
from .notes import check_notes, select_notes
from .schedule import check_discussion_minutes
from .templates import PageChecker, render_checked, tree_with_lines_emptied

if TYPE_CHECKING:
    from .course import CourseModel

# The same rule MkDocs uses to find front matter, so line numbers agree with it.
FRONT_MATTER = re.compile(r"^-{3}[ \t]*\n(.*?\n)(?:\.{3}|-{3})[ \t]*\n", re.S | re.M)


def split_source(text: str) -> tuple[str | None, int, str, int]:
    """(front matter text or None, its first line, body, the line the body starts on)."""
    match = FRONT_MATTER.match(text)
    if not match:
        return None, 0, text, 1
    body = text[match.end() :].lstrip("\n")
    return match.group(1), 2, body, text[: len(text) - len(body)].count("\n") + 1


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


def render_page(markdown: str, page: Any, model: CourseModel) -> str:
    """The page's Markdown with every macro call replaced by its output; raises ContentError.

    page is MkDocs' page (or its stand-in: file.src_path, url, meta); its source and checked tree come from the model.
    """
    data = model.require()
    src = page.file.src_path
    path = "docs/" + src
    checked = model.checked(src)
    problems, checker, body, body_line = list(checked.problems), checked.checker, checked.body, checked.body_line
    # Issue 6: the build's cohort and edition; facilitator notes leave the participant edition here.
    build = model.build
    current_build.set(build)
    selected = select_notes(markdown, keep=build.facilitator)
    checked_body = selected if markdown == body else select_notes(body, keep=build.facilitator)
    markdown = selected
    # The tree the checker already parsed is rendered when it is exactly what we are about to render.
    tree = checker.tree if markdown == body else None
    if checked_body.strip() != markdown.strip():
        # Another plugin changed the Markdown before us: check what we are about to render.
        again = PageChecker(data, path)
        tree = again.check(markdown)
        problems += again.problems
    if problems:
        raise ContentError(problems)
    if tree is None and markdown == checked_body and checker.tree is not None:
        # The checked source less its facilitator notes: its tree, with the notes' lines emptied, when they are text in it.
        tree = tree_with_lines_emptied(checker.tree, body, markdown)
    if tree is None:
        # Otherwise the page as rendered is parsed, and checked, once more.
        again = PageChecker(data, path, line_offset=body_line - 1)
        tree = again.check(markdown)
        if tree is None:
            raise ContentError(again.problems)
    resources = model.pages.get(RESOURCES_PAGE)
    context = PageContext(
        data=data,
        src_path=src,
        url=page.url,
        meta=dict(page.meta),
        resources_url=resources.url if resources is not None else "resources/",
        pages=model.nav_pages,
        course=model,
    )
    return render_checked(tree, context)
