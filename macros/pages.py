"""One page, from source to safe Markdown: front matter checked, macro calls checked, then rendered."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

# Imported for what they register: the downloads() and macro_reference() macros, so every path that checks or
# renders a page (the MkDocs hook, python -m publish for Zensical, make check) knows every macro.
from . import downloads, reference  # noqa: F401
from .cohort import build_of, current_build
from .data import CourseData, _compose, _Reader, _schema_problems, _yaml_problem, load_course
from .errors import ContentError, Problem
from .library import RESOURCES_PAGE, PageContext, course_pages, note_reflections
from .markup import front_matter_code, front_matter_markup, unsafe_html
from .models import PageMeta
from .notes import check_notes, select_notes
from .schedule import check_discussion_minutes
from .templates import PageChecker, render_checked, tree_with_lines_emptied

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


def render_page(markdown: str, page: Any, config: Any, files: Any, source: str | None = None) -> str:
    """The page's Markdown with every macro call replaced by its output; raises ContentError.

    source is the page's file as read by the caller, when it has read it already (it is read here otherwise).
    """
    data = load_course(config["docs_dir"])
    path = "docs/" + page.file.src_path
    pages = course_pages(config["nav"], files)
    if source is None:
        # The nav's pages were read once, for this build; a page outside the nav is read here.
        known = next((p for p in pages if p.src_path == page.file.src_path), None)
        source = known.text if known is not None and known.text else Path(page.file.abs_src_path).read_text(encoding="utf-8")
    problems, checker, _, body, body_line = check_source(path, source, data)
    if checker.tree is not None:
        note_reflections(source, checker.tree)  # for the reflections journal (all_reflections)
    # Issue 6: the build's cohort and edition (read once per build); facilitator notes leave the participant edition here.
    build = build_of(config)
    current_build.set(build)
    selected = select_notes(markdown, keep=build.facilitator)
    checked = selected if markdown == body else select_notes(body, keep=build.facilitator)
    markdown = selected
    # The tree the checker already parsed is rendered when it is exactly what we are about to render.
    tree = checker.tree if markdown == body else None
    if checked.strip() != markdown.strip():
        # Another plugin changed the Markdown before us: check what we are about to render.
        checker = PageChecker(data, path)
        tree = checker.check(markdown)
        problems += checker.problems
    if problems:
        raise ContentError(problems)
    if tree is None and markdown == checked and checker.tree is not None:
        # The checked source less its facilitator notes: its tree, with the notes' lines emptied, when they are text in it.
        tree = tree_with_lines_emptied(checker.tree, body, markdown)
    if tree is None:
        # Otherwise the page as rendered is parsed, and checked, once more.
        again = PageChecker(data, path, line_offset=body_line - 1)
        tree = again.check(markdown)
        if tree is None:
            raise ContentError(again.problems)
    resources = files.get_file_from_path(RESOURCES_PAGE) if files is not None else None
    context = PageContext(
        data=data,
        src_path=page.file.src_path,
        url=page.url,
        meta=dict(page.meta),
        resources_url=resources.url if resources is not None else "resources/",
        pages=pages,
    )
    return render_checked(tree, context)
