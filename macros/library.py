"""The macros a page may call. Each looks its record up and hands it to render.py.

The first line of each docstring is written for the author calling the macro;
it is what the macro reference shows.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from jinja2 import Environment, TemplateSyntaxError, nodes
from mkdocs.utils import get_relative_url

from . import diagrams, render
from .cohort import current_build
from .data import TRIANGLE, CourseData
from .models import Finding, Item, Session
from .schedule import RunOfShow, load_segments, run_of_show
from .slide import Slide

if TYPE_CHECKING:
    from .course import CourseModel, CoursePage

RESOURCES_PAGE = "resources.md"
IdKind = Literal[
    "finding", "source", "prompt", "reflection", "discussion", "case", "study", "quote", "epilogue", "theme", "stage", "cycle", "triangle", "session"
]


@dataclass
class PageContext:
    """What a macro may know about the page it is called from."""

    data: CourseData
    src_path: str = "index.md"
    url: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    resources_url: str = "resources/"
    # The nav's pages in reading order (the journal and the schedule gather them).
    pages: list[CoursePage] = field(default_factory=list)
    # The build's course model, whose checked pages give the journal their reflections (parsed from pages' texts without one).
    course: CourseModel | None = None
    # For the slides only (publish/slides): the heading the call sits under, and the page's address online when known.
    heading: str = ""
    address: str | None = None

    @property
    def sessions(self) -> list[Session]:
        """The course's sessions in nav order (none without a course model)."""
        return self.course.sessions if self.course is not None else []

    def session_groups(self, session: str | None = None) -> list[tuple[Session | None, list[CoursePage]]]:
        """The nav's pages of the session named, else of this page's session, else of each session in turn (CourseModel.session_groups)."""
        return self.course.session_groups(self.pages, here=self.src_path, session=session) if self.course is not None else [(None, self.pages)]

    def href(self, source_id: str) -> str:
        """A link from this page to a source's full reference."""
        return get_relative_url(self.resources_url, self.url or ".") + "#" + render.source_anchor(source_id)


current: ContextVar[PageContext] = ContextVar("current_page")


# What a macro reads of the other pages of the course, beyond the data, the build (cohort, edition) and the page that
# calls it: a function of another page's text whose value changes whenever what the macro shows of that page may
# change. The live preview (publish/preview.py) rebuilds a page that calls the macro when this value changed for a
# saved page; a macro that reads nothing of other pages declares OWN_PAGE. Every macro declares one (see macro()).
PageReads = Callable[[str], object]
OWN_PAGE = None


class _Undeclared:
    """The value of macro()'s `reads` when the macro does not declare what it reads."""


UNDECLARED = _Undeclared()


@dataclass(frozen=True)
class Macro:
    """A macro, what its first argument must name (checked before any page renders) and what it reads of other pages."""

    name: str
    function: Callable[..., str]
    takes: IdKind | None
    example: str
    # OWN_PAGE (None), or what the macro reads of each other page (PageReads).
    reads: PageReads | None

    @property
    def summary(self) -> str:
        """The docstring's first line: what the author gets."""
        return (self.function.__doc__ or "").strip().splitlines()[0]

    @cached_property
    def signature(self) -> inspect.Signature:
        """The arguments the macro takes, read once (the checker binds every call to it)."""
        return inspect.signature(self.function)


MACROS: dict[str, Macro] = {}
# Each macro's slide form, by the macro's name: what the session's slides show of the same record (publish/slides).
# A macro without one (a reflection, the downloads box, key points...) shows nothing on the slides.
SLIDE_FORMS: dict[str, Callable[..., list[Slide]]] = {}


def macro(takes: IdKind | None, example: str, *, reads: PageReads | _Undeclared | None = UNDECLARED) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register a macro a page may call. `reads` declares what it reads of other pages: OWN_PAGE, or a PageReads."""

    def register(function: Callable[..., str]) -> Callable[..., str]:
        if isinstance(reads, _Undeclared):
            raise TypeError(
                f"the macro {function.__name__}() ({function.__module__}) does not say what it reads of other pages. Fix: write "
                "@macro(..., reads=OWN_PAGE) when it shows only the data, the build and the page that calls it, or "
                "@macro(..., reads=f) where f(text) gives what it shows of another page's text (like reflections_in); "
                "the live preview rebuilds the pages that call it from this (macros/library.py, Macro.reads)."
            )
        MACROS[function.__name__] = Macro(function.__name__, function, takes, example, reads)
        return function

    return register


# A macro call as the checker allows it (templates.py: only calls, by name, inside {{ }}); over-matching only reads more.
_EXPRESSION = re.compile(r"\{[{%](.*?)[}%]\}", re.S)
_CALLED = re.compile(r"([A-Za-z_]\w*)\s*\(")
_H1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.M)


def macros_called(text: str) -> set[str]:
    """Every name called like a macro inside the page's {{ }} or {% %}."""
    return {name for expression in _EXPRESSION.findall(text) for name in _CALLED.findall(expression)}


def page_header(text: str) -> tuple[str | None, str | None]:
    """What other pages may show of a page (the nav, the schedule, the search): its front matter as written and its first level-one heading."""
    from .pages import split_source  # pages.py imports this module

    front, _, body, _ = split_source(text)
    heading = _H1.search(body)
    return front, heading.group(1) if heading else None


def works_called(text: str) -> list[str]:
    """Every macro call of a page but a prompt's, as written: a prompt shows no work, so a reflection added or moved
    changes no list of the works the pages show."""
    return [expression for expression in _EXPRESSION.findall(text) if not set(_CALLED.findall(expression)) & {"reflection", "discussion"}]


def slides_of(page_form: Callable[..., str]) -> Callable[[Callable[..., list[Slide]]], Callable[..., list[Slide]]]:
    """Register a macro's slide form: called with the macro's own arguments, under the same page context."""

    def register(function: Callable[..., list[Slide]]) -> Callable[..., list[Slide]]:
        SLIDE_FORMS[page_form.__name__] = function
        return function

    return register


@macro("finding", 'finding("five-key-actions")', reads=OWN_PAGE)
def finding(id: str) -> str:
    """A research finding or framework as a card, with its source."""
    page = current.get()
    record = page.data.findings[id]
    return render.render_finding(record, page.data.sources[record.source], page.href(record.source))


@slides_of(finding)
def finding_slides(id: str) -> list[Slide]:
    page = current.get()
    record = page.data.findings[id]
    return [render.slide_finding(record, page.data.sources[record.source])]


# The findings the shorthand drawing macros draw: key_actions() is cycle(KEY_ACTIONS), strategic_triangle(n) triangle(TRIANGLE, stage=n).
KEY_ACTIONS = "five-key-actions"
# Each drawing macro: the shape it draws and, for a shorthand, the one finding it draws (the checker fits the finding to the shape).
DRAWINGS: dict[str, tuple[Literal["cycle", "triangle"], str | None]] = {
    "cycle": ("cycle", None),
    "key_actions": ("cycle", KEY_ACTIONS),
    "triangle": ("triangle", None),
    "strategic_triangle": ("triangle", TRIANGLE),
}


@macro("cycle", 'cycle("five-key-actions")', reads=OWN_PAGE)
def cycle(id: str) -> str:
    """A finding drawn as a cycle above its list: each item in a box, an arrow from each into the cycle named by the finding's title."""
    page = current.get()
    record = page.data.findings[id]
    source = page.data.sources[record.source]
    return render.render_finding(record, source, page.href(record.source), picture=diagrams.learning_cycle(record))


@slides_of(cycle)
def cycle_slides(id: str) -> list[Slide]:
    page = current.get()
    record = page.data.findings[id]
    return [render.slide_finding(record, page.data.sources[record.source], picture=diagrams.learning_cycle(record))]


@macro(None, "key_actions()", reads=OWN_PAGE)
def key_actions() -> str:
    """The five key actions that feed a virtuous learning cycle (Pulido-Gomez et al.), drawn as a cycle above the list."""
    return cycle(KEY_ACTIONS)


@slides_of(key_actions)
def key_actions_slides() -> list[Slide]:
    return cycle_slides(KEY_ACTIONS)


@macro(None, "entry_point_criteria()", reads=OWN_PAGE)
def entry_point_criteria() -> str:
    """What makes an entry point: meaningful, actionable, acceptable and provisional."""
    return finding("entry-point-criteria")


@slides_of(entry_point_criteria)
def entry_point_criteria_slides() -> list[Slide]:
    return finding_slides("entry-point-criteria")


def _triangle(id: str, stage: int | None, *, paper: bool = False) -> tuple[Finding, list[Item], str, str, int | None]:
    """A finding drawn as a triangle, built up to a stage (its last when none is given; all of it when it has no stages):
    its record, the items shown, its title (with the stage), its picture (with paper, holding the drawing the PDFs print
    too) and the stage shown."""
    record = current.get().data.findings[id]
    if stage is None and record.stages:
        stage = record.stages[-1]
    if stage is None:
        return record, list(record.items), record.title, diagrams.strategic_triangle(record, list(record.items), record.title, None, paper=paper), None
    items = [item for item in record.items if item.stage is None or item.stage <= stage]
    last = record.stages[-1] if record.stages else stage
    title = f"{record.title} (stage {stage} of {last})"
    return record, items, title, diagrams.strategic_triangle(record, items, title, stage if stage > 1 else None, paper=paper), stage


@macro("triangle", 'triangle("strategic-triangle", stage=3)', reads=OWN_PAGE)
def triangle(id: str, stage: int | None = None) -> str:
    """A finding drawn as a triangle above its list: three named groups at its corners, the rest at its centre; up to a stage if given."""
    page = current.get()
    record, items, title, picture, shown = _triangle(id, stage, paper=True)
    return render.render_finding(
        record,
        page.data.sources[record.source],
        page.href(record.source),
        items,
        new_stage=shown if shown is not None and shown > 1 else None,
        heading=str(render.escape(title)),
        anchor=f"finding-{id}-stage-{shown}" if shown is not None else None,
        picture=picture,
        unnamed=diagrams.TRIANGLE_CENTRE,
    )


@slides_of(triangle)
def triangle_slides(id: str, stage: int | None = None) -> list[Slide]:
    record, items, title, picture, shown = _triangle(id, stage)
    source = current.get().data.sources[record.source]
    fresh = shown if shown is not None and shown > 1 else None
    return [render.slide_finding(record, source, items, new_stage=fresh, heading=title, picture=picture, unnamed=diagrams.TRIANGLE_CENTRE)]


@macro("stage", "strategic_triangle(3)", reads=OWN_PAGE)
def strategic_triangle(stage: int = 3) -> str:
    """The key challenges for a collaborative team as built up to the given stage (1 to 3), drawn as a triangle above the list."""
    return triangle(TRIANGLE, stage)


@slides_of(strategic_triangle)
def strategic_triangle_slides(stage: int = 3) -> list[Slide]:
    return triangle_slides(TRIANGLE, stage)


@macro("reflection", 'reflection("your-top-challenge")', reads=OWN_PAGE)
def reflection(id: str) -> str:
    """A private reflection prompt; on the site it gets a writing box saved only in the reader's browser."""
    return render.render_prompt(current.get().data.prompts[id])


@macro("discussion", 'discussion("dealing-with-setbacks")', reads=OWN_PAGE)
def discussion(id: str) -> str:
    """A small-group discussion prompt with its time box."""
    return render.render_prompt(current.get().data.prompts[id])


@slides_of(discussion)
def discussion_slides(id: str) -> list[Slide]:
    page, build = current.get(), current_build.get()
    groups = [(g.name, list(g.cities)) for g in build.cohort.groups] if build.facilitator and build.cohort is not None else None
    return [render.slide_discussion(page.data.prompts[id], groups, page.address)]


def reflections_called_on(tree: nodes.Template) -> list[str]:
    """The ids a page's template tree passes to reflection(), in the order a reader meets them."""
    ids = []
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "reflection":
            values = [*call.args, *(k.value for k in call.kwargs)]
            if values and isinstance(values[0], nodes.Const) and isinstance(values[0].value, str):
                ids.append(values[0].value)
    return ids


def reflections_in(source: str) -> list[str]:
    """The ids a page's source passes to reflection(), parsed (a build's pages are parsed once, by its course model)."""
    try:
        tree = Environment().parse(source)
    except TemplateSyntaxError:
        return []  # the content check reports the broken page itself
    return reflections_called_on(tree)


@macro(None, "all_reflections()", reads=reflections_in)
def all_reflections() -> str:
    """Every reflection prompt of the course in course order, under the page that asks it, each with the reader's saved answer."""
    page = current.get()
    reflections = {p.id: p for p in page.data.prompts.values() if p.kind == "reflection"}
    # With more than one session, each page's prompts sit under its session's heading (a page of none, under its nav section's).
    grouped = len(page.sessions) > 1
    groups: list[render.JournalGroup] = []
    for course_page in page.pages:
        if course_page.src_path == page.src_path:
            continue
        asked = page.course.reflections(course_page.src_path) if page.course is not None else reflections_in(course_page.text or "")
        ids = [i for i in asked if i in reflections]
        if ids:
            href = get_relative_url(course_page.url, page.url or ".")
            within = _part_of(course_page.src_path) if grouped else None
            groups.append(render.JournalGroup(course_page.title, href, [reflections.pop(i) for i in dict.fromkeys(ids)], within))
    if reflections:
        # Prompts that no page in the nav asks yet still belong in the journal.
        groups.append(render.JournalGroup("More reflections", None, list(reflections.values())))
    return render.render_reflection_journal(groups)


def _part_of(src: str) -> str:
    """The heading a page sits under when a list groups by session: its session's, else its nav section's, else the course's."""
    model = current.get().course
    assert model is not None
    session = model.session_of(src)
    if session is not None:
        return render.session_heading(session)
    section = model.section_of(src)
    return str(render.escape(section)) if section else "The course"


@macro("source", 'cite("entry-points-study")', reads=OWN_PAGE)
def cite(id: str) -> str:
    """A short citation inside a sentence, linked to the full reference on the Resources page."""
    page = current.get()
    return render.render_citation(page.data.sources[id], page.href(id))


@slides_of(cite)
def cite_slides(id: str) -> list[Slide]:
    return [render.slide_source(current.get().data.sources[id])]


@macro("case", 'case("hartford-case")', reads=OWN_PAGE)
def case(id: str) -> str:
    """A case card: its title and what the session gives of the case, in its order (its place only if the title lacks it)."""
    return render.render_case(current.get().data.sources[id])


@slides_of(case)
def case_slides(id: str) -> list[Slide]:
    page = current.get()
    return render.slide_case(page.data.sources[id], page.heading)


@macro("quote", 'quote("louisville-case")', reads=OWN_PAGE)
def quote(id: str) -> str:
    """The brief, attributed quotation that belongs to a case."""
    return render.render_quote(current.get().data.sources[id])


@slides_of(quote)
def quote_slides(id: str) -> list[Slide]:
    page = current.get()
    return [render.slide_quote(page.data.sources[id], page.heading)]


@macro("epilogue", 'epilogue("louisville-case")', reads=OWN_PAGE)
def epilogue(id: str) -> str:
    """What happened next in a case."""
    return render.render_epilogue(current.get().data.sources[id])


@slides_of(epilogue)
def epilogue_slides(id: str) -> list[Slide]:
    return [render.slide_epilogue(current.get().data.sources[id])]


@macro("study", 'study("learning-journey-or-blame-game")', reads=OWN_PAGE)
def study(id: str) -> str:
    """A study's research question and methods, with its citation."""
    page = current.get()
    return render.render_study(page.data.sources[id], page.href(id))


@slides_of(study)
def study_slides(id: str) -> list[Slide]:
    return [render.slide_study(current.get().data.sources[id])]


@macro("theme", 'resource_list("collaborative-governance")', reads=works_called)
def resource_list(theme: str) -> str:
    """Full references of the works the course cites under one resource theme (on a page of no session, by session when there are several)."""
    page = current.get()
    works = [s for s in page.data.sources.values() if s.theme == theme]
    if len(page.sessions) < 2 or page.course is None or page.course.session_of(page.src_path) is not None:
        return render.render_reference_list(works)
    # Each work under the first session that lists the theme and shows it; works no such session shows come last.
    out, left = [], works
    for session in page.sessions:
        if theme not in session.resource_themes:
            continue
        shown = _sources_shown(session)
        mine = [work for work in left if work.id in shown]
        left = [work for work in left if work.id not in shown]
        if mine:
            out.append(f"### {render.session_heading(session)}\n\n{render.render_reference_list(mine)}")
    if left:
        out.append(render.render_reference_list(left))
    return "\n\n".join(out)


def _sources_shown(session: Session) -> set[str]:
    """The sources a session's pages show: named by a macro call, or the source of a finding one shows."""
    page = current.get()
    assert page.course is not None
    found: set[str] = set()
    for course_page in page.course.session_pages(session):
        for spec, args, _ in page.course.checked(course_page.src_path).checker.calls:
            named = DRAWINGS[spec.name][1] if spec.name in DRAWINGS and DRAWINGS[spec.name][1] else args[0] if args else None
            if isinstance(named, str) and named in page.data.findings:
                found.add(page.data.findings[named].source)
            elif isinstance(named, str) and named in page.data.sources:
                found.add(named)
    return found


@slides_of(resource_list)
def resource_list_slides(theme: str) -> list[Slide]:
    page = current.get()
    return [render.slide_reference_list([s for s in page.data.sources.values() if s.theme == theme], page.heading or theme)]


@macro(None, "objectives()", reads=OWN_PAGE)
def objectives() -> str:
    """The guiding question and learning objectives from this page's front matter."""
    meta = current.get().meta
    return render.render_objectives(meta.get("question"), list(meta.get("objectives", [])))


@macro(None, "key_points()", reads=OWN_PAGE)
def key_points() -> str:
    """The key points from this page's front matter, under a 'Key points' heading."""
    return render.render_key_points(list(current.get().meta.get("key_points", [])))


@macro(None, "faculty()", reads=OWN_PAGE)
def faculty() -> str:
    """The session's faculty with their roles (on a page of no session, every session's faculty)."""
    context = current.get()
    session = context.course.session_of(context.src_path) if context.course is not None else None
    sessions = [session] if session is not None else list(context.data.sessions.values())
    people = {person.name: person for each in sessions for person in each.faculty}
    return render.render_faculty(list(people.values()))


@macro(None, "reach()", reads=OWN_PAGE)
def reach() -> str:
    """The session's figures (mayors, officials, countries), each number with what it counts, as the session gives them."""
    return render.render_reach(current.get().data.course)


@macro(None, "closing_credit()", reads=OWN_PAGE)
def closing_credit() -> str:
    """The name the session closes with, from `closing_credit:` in docs/data/course.yml."""
    return render.render_closing_credit(current.get().data.course)


@slides_of(reach)
def reach_slides() -> list[Slide]:
    page = current.get()
    return [render.slide_reach(page.data.course, page.heading)]


def valid_ids(data: CourseData, takes: IdKind) -> frozenset[str]:
    """The ids a macro argument of this kind may name (worked out once per kind for this data)."""
    known = data.ids_by_kind.get(takes)
    if known is None:
        known = data.ids_by_kind[takes] = frozenset(_valid_ids(data, takes))
    return known


def _valid_ids(data: CourseData, takes: IdKind) -> set[str]:
    if takes in ("finding", "cycle", "triangle"):
        # A drawing names any finding; the checker then says whether it fits the shape.
        return set(data.findings)
    if takes == "source":
        return set(data.sources)
    if takes in ("reflection", "discussion"):
        return {p.id for p in data.prompts.values() if p.kind == takes}
    if takes == "prompt":
        return set(data.prompts)
    if takes == "case":
        return {s.id for s in data.sources.values() if s.kind == "case"}
    if takes == "quote":
        return {s.id for s in data.sources.values() if s.quote is not None}
    if takes == "epilogue":
        return {s.id for s in data.sources.values() if s.epilogue}
    if takes == "study":
        return {s.id for s in data.sources.values() if s.kind == "study"}
    if takes == "theme":
        return set(data.course.resource_themes)
    if takes == "session":
        return set(data.sessions)
    if takes == "stage":
        return {str(n) for n in data.findings[TRIANGLE].stages} if TRIANGLE in data.findings else set()
    return set()


# Cohorts and editions (issue 6): the cohort banner, the run of show and, for facilitators, the discussion logistics.


@macro(None, "cohort()", reads=OWN_PAGE)
def cohort() -> str:
    """The cohort this site is for: its name, and the dates (with "Add to calendar"), place, facilitators and cities it sets (nothing in the generic course)."""
    build = current_build.get()
    if build.cohort is None:
        return ""
    return render.render_cohort(build.cohort_id, build.cohort, get_relative_url(build.calendar, current.get().url or ".") if build.calendar else None)


@macro("session", 'schedule("opening")', reads=page_header)
def schedule(session: str | None = None) -> str:
    """A session's parts with their minutes, clock times once the cohort gives them and "Add to calendar"; no id: this page's session, or all."""
    # On a page of no session, every session is shown, each under a heading of its name and title.
    build = current_build.get()
    cohort = build.cohort
    here = current.get()
    manifest = f"cohorts/{build.cohort_id}.yml" if cohort is not None else None
    links = {p.src_path: get_relative_url(p.url, here.url or ".") for p in here.pages}
    calendar = get_relative_url(build.calendar, here.url or ".") if build.calendar else None
    runs = _runs_of_show(session)
    shown = []
    for record, show in runs:
        start = (cohort.session_clock(record) if record is not None else cohort.clock) if cohort is not None else None
        # With more than one session, each says which day of the cohort it is on.
        day = cohort.session_date(record) if cohort is not None and record is not None and len(here.sessions) > 1 else None
        zone = cohort.time_zone if cohort else None
        table = render.render_schedule(show, start, zone, manifest, build.facilitator, links, day=day)
        shown.append(f"## {render.session_heading(record)}\n\n{table}" if record is not None and len(runs) > 1 else table)
    # The calendar's link follows the schedule on the next line, as one block of HTML.
    return "\n".join(part for part in ("\n\n".join(shown), render.render_calendar(calendar) if calendar else "") if part)


def _runs_of_show(session: str | None) -> list[tuple[Session | None, RunOfShow]]:
    """The run of show of the session named, else of this page's session, else of every session (each with its pages and
    the build's cohort's minutes; segments numbered from 1 in each)."""
    cohort = current_build.get().cohort
    here = current.get()
    minutes = cohort.minutes_for() if cohort is not None else None
    return [(record, run_of_show(load_segments(((p.src_path, p.meta) for p in pages), minutes))) for record, pages in here.session_groups(session)]


@slides_of(schedule)
def schedule_slides(session: str | None = None) -> list[Slide]:
    return [render.slide_plan(show, current.get().heading) for _, show in _runs_of_show(session)]


@macro(None, "discussion_logistics()", reads=OWN_PAGE)
def discussion_logistics() -> str:
    """Facilitator edition only (empty for participants): each discussion's time box and format, and the cohort's small groups."""
    build = current_build.get()
    if not build.facilitator:
        return ""  # a second wall: logistics stay out of the participant edition even outside a note
    discussions = [p for p in current.get().data.prompts.values() if p.kind == "discussion"]
    return render.render_logistics(discussions, build.cohort)
