"""What each macro call of a side shows, with and without a change: rendered by the macros themselves, in each edition."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bs4 import BeautifulSoup
from mkdocs.utils.meta import get_data

from macros.cohort import Build, Cohort, current_build
from macros.course import CourseModel, CoursePage
from macros.data import CourseData
from macros.library import RESOURCES_PAGE, SLIDE_FORMS, PageContext, current
from publish.pdf.content import prompt_blocks
from publish.pdf.site import first_askers

if TYPE_CHECKING:
    from .side import Page, Side

# (page, index of the macro call on it, in the facilitator edition?) -> what the call shows there.
Rendered = dict[tuple[str, int, bool], str]


PARTICIPANT = Build()
FACILITATOR = Build(edition="facilitator")


def _as_was(page: CoursePage, earlier: dict[str, Page]) -> CoursePage:
    """A page as other pages' macros read it (the journal, the schedule): earlier holds pages as they were."""
    was = earlier.get(page.src_path)
    return replace(page, text=was.text, meta=get_data(was.text)[1]) if was is not None else page


def _nav(side: Side, earlier: dict[str, Page]) -> list[CoursePage]:
    """The nav's pages as other pages' macros read them: earlier holds pages as they were."""
    return [_as_was(page, earlier) for page in side.nav]


def _model(side: Side, earlier: dict[str, Page]) -> CourseModel | None:
    """The side's course model as the build hands it to macros (its sessions: each schedule is its own session's, numbered
    from 1), with the pages of earlier as they were: the journal reads their calls again, the others keep their checks."""
    model = side.model
    if model is None or not earlier:
        return model
    then = replace(model, pages={src: _as_was(page, earlier) for src, page in model.pages.items()}, _checked={})
    then.carry_checks(model, [src for src in model.pages if src not in earlier])
    return then


def _context(side: Side, page: Page, data: CourseData, earlier: dict[str, Page], nav: list[CoursePage], model: CourseModel | None) -> PageContext:
    """The page as macros see it, with the nav's pages (_nav) and the course model (_model): earlier holds pages as they were."""
    return PageContext(
        data=data,
        src_path=page.src,
        url=side.address(page.src),
        meta=dict(earlier.get(page.src, page).meta),
        resources_url=side.address(RESOURCES_PAGE) if RESOURCES_PAGE in side.pages else "resources/",
        pages=nav,
        course=model,
    )


def render_calls(
    side: Side,
    data: CourseData,
    *,
    cohort: tuple[str, Cohort | None] | None = None,
    earlier: dict[str, Page] | None = None,
) -> Rendered:
    """What every macro call of every page shows, in each edition that shows it: calls inside a note only in the facilitator edition.

    A call outside notes can show facilitators more (the schedule says what is not set yet), so it is rendered in both editions.
    """
    shown: Rendered = {}
    earlier = earlier or {}
    nav = _nav(side, earlier)
    model = _model(side, earlier)
    for page in side.pages.values():
        context = _context(side, page, data, earlier, nav, model)
        for index, (spec, args, line) in enumerate(page.calls):
            for build in (FACILITATOR,) if line in page.note_lines else (PARTICIPANT, FACILITATOR):
                if cohort is not None:
                    build = Build(cohort[0], cohort[1], build.edition)
                page_token, build_token = current.set(context), current_build.set(build)
                try:
                    shown[(page.src, index, build.facilitator)] = spec.function(*args) + _slides_mark(spec.name, args)
                except Exception as error:  # a call the other side's data cannot show (e.g. an id it lacks) shows something else
                    shown[(page.src, index, build.facilitator)] = f"\0{type(error).__name__}: {error}"
                finally:
                    current.reset(page_token)
                    current_build.reset(build_token)
    return shown


# What a call shows on the slides, as a mark after what it shows on the page: an HTML comment, which no question
# about the page's blocks sees, holding a digest of the call's slides (its slide form, macros/library.py).
SLIDES_MARK = "<!--slides:"


def _slides_mark(name: str, args: list[Any]) -> str:
    form = SLIDE_FORMS.get(name)
    return f"{SLIDES_MARK}{hashlib.sha256(repr(form(*args)).encode()).hexdigest()}-->" if form is not None else ""


def split_mark(html: str) -> tuple[str, str]:
    """(what a call shows on the page, its slides' mark)."""
    at = html.find(SLIDES_MARK)
    return (html, "") if at < 0 else (html[:at], html[at:])


def asked(side: Side, src: str) -> list[str]:
    """The ids of the prompts a page shows participants, in page order (worked out once per page)."""
    if src not in side.asked:
        page = side.pages[src]
        html = "".join(side.shown[(src, i, False)] for i, (_, _, line) in enumerate(page.calls) if line not in page.note_lines)
        side.asked[src] = [str(block["data-prompt"]) for block in prompt_blocks(BeautifulSoup(html, "lxml"))]
    return side.asked[src]


def handout_pages(side: Side) -> list[str]:
    """The pages that get a handout, by the print path's own rule, from the prompt blocks their calls show participants."""
    return first_askers((src, asked(side, src)) for src in side.order if src in side.printable)
