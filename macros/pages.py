"""One page, from source to safe Markdown: its source checked once (macros/checks/rendered.py), then rendered."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

# Imported for what they register: the downloads() and macro_reference() macros, so every path that checks or
# renders a page (the MkDocs hook, python -m publish for Zensical, make check) knows every macro.
from . import downloads, reference  # noqa: F401
from .cohort import current_build
from .errors import ContentError
from .library import RESOURCES_PAGE, PageContext
from .notes import select_notes
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


def render_page(markdown: str, page: Any, model: CourseModel) -> str:
    """The page's Markdown with every macro call replaced by its output; raises ContentError.

    page is MkDocs' page (or its stand-in: file.src_path, url, meta); its source and checked tree come from the model.
    """
    data = model.require()
    src = page.file.src_path
    path = model.pages[src].display
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
