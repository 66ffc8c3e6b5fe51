"""Compose the PDFs' documents from the built pages: the course reader, a handout per page with prompts, the reflection
workbook and the facilitator guide, each as one HTML document for the printer (publish/pdf/printer.py).

Nothing here prints, so the EPUB (publish/epub), which shares the cover, the cohort and the editions, never loads WeasyPrint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache, cached_property, partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bs4 import Tag
from jinja2 import Environment, FileSystemLoader, StrictUndefined, nodes
from markupsafe import Markup

from macros.cohort import Edition
from macros.course import CourseModel, NavEntry
from macros.downloads import GUIDE_PDF, PDF_FOLDER, decks_of, handout_pdf, printed_sessions, reader_pdf, slides_offered, workbook_pdf
from macros.errors import Problem
from macros.models import Course, Faculty, Session
from publish.built import BuiltSite
from publish.cache import PrintCache

from . import content
from .qr import online
from .site import SitePage, SiteSettings, first_askers, load_pages, settings_of

HERE = Path(__file__).resolve().parent
EDITION_LABELS: dict[str, str] = {"participant": "", "facilitator": "Facilitator edition"}
# Ruled lines under each prompt: a reflection wants room to write, a discussion room for notes.
REFLECTION_LINES = 8
DISCUSSION_LINES = 5
# Where the composed document may be cut: the reader's template writes one before each part (publish/pdf/templates),
# and the printer lays the document out a part at a time (publish/pdf/parts.py).
PART_MARK = "<!--cw-print-part-->"
TEMPLATES = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
TEMPLATES.globals["part_mark"] = Markup(PART_MARK)


@dataclass(frozen=True)
class PrintedCohort:
    """The cohort a printed set is for, as covers and handout heads show it (its name and its dates)."""

    name: str
    dates: str | None = None


@dataclass(frozen=True)
class PrintedHead:
    """What a cover and a handout head name: a session's title, subtitle, name and faculty, or the whole programme's
    (no name then: its line is the programme's alone)."""

    title: str
    subtitle: str | None
    name: str | None
    faculty: list[Faculty]


@dataclass(frozen=True)
class PrintedSessions:
    """The course's sessions as print groups by them, read from the build's course model: each in nav order, and the
    session of each page that has one."""

    model: CourseModel

    @property
    def sessions(self) -> list[Session]:
        return self.model.sessions

    def of(self, src: str) -> Session | None:
        """The session a page is in (CourseModel.session_of)."""
        return self.model.session_of(src)

    @property
    def own(self) -> list[Session]:
        """The sessions with a reader, a workbook and a deck of their own (every session of several; none of one)."""
        return printed_sessions(self.sessions)

    @property
    def documents(self) -> list[Session | None]:
        """Whose readers and workbooks print makes: the whole programme's (None), then each session's own. `make changes`
        names them by this map and the next three methods, the ones print composes them by."""
        return [None, *self.own]

    def holds(self, session: Session | None, src: str) -> bool:
        """Whether a page prints in a session's reader and workbook (every page in the whole programme's, None)."""
        return session is None or self.of(src) == session

    def nav_of(self, nav: tuple[NavEntry, ...], session: Session | None) -> tuple[NavEntry, ...]:
        """What a reader's contents follow: the whole nav for the programme's (None), a session's section for its own."""
        return nav if session is None else self.section(nav, session)

    def head(self, course: Course, session: Session | None) -> PrintedHead:
        """The head of a session's document; for what is the whole programme's (the course reader, a page of no session),
        the one session's own when there is one, else the course's title with every session's faculty."""
        if session is None and len(self.sessions) == 1:
            session = self.sessions[0]
        if session is not None:
            return PrintedHead(session.title, session.subtitle, session.name, session.faculty)
        faculty = list({person.name: person for each in self.sessions for person in each.faculty}.values())
        return PrintedHead(course.title, course.subtitle, None, faculty)

    def section(self, nav: tuple[NavEntry, ...], session: Session) -> tuple[NavEntry, ...]:
        """The entries of the nav section a session's pages are under (the outermost of that title), as print follows them."""
        for entry in nav:
            if entry.src is None:
                found = entry.children if entry.title == session.section else self.section(entry.children, session)
                if found:
                    return found
        return ()


@cache
def course_fields_printed() -> frozenset[str]:
    """The course record's fields the PDFs' templates print of `course` (covers and handout heads), read from the templates."""
    found: set[str] = set()
    for name in TEMPLATES.list_templates():
        tree = TEMPLATES.parse((HERE / "templates" / name).read_text(encoding="utf-8"))
        found |= {node.attr for node in tree.find_all(nodes.Getattr) if isinstance(node.node, nodes.Name) and node.node.name == "course"}
    return frozenset(found)


def guide_title(course: Course) -> str:
    """The facilitator guide's title."""
    return f"{course.title}: Facilitator guide"


def sessions_of(model: CourseModel) -> PrintedSessions:
    """The build's sessions, and each page's, from its course model."""
    return PrintedSessions(model)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_css(settings: SiteSettings, running: str) -> str:
    """The rules that depend on settings: paper size and the course line of the running header."""
    size = "A4" if settings.page_size == "a4" else "letter"
    return f"@page {{ size: {size}; @top-left {{ content: {_css_string(running)}; }} }}\n@page :first {{ @top-left {{ content: none; }} }}\n"


def _mark_headings(article: Tag, page: SitePage, level: int, title: str) -> None:
    """Bookmark the page's title with its nav title (and its sections one level down); the title also feeds the running header."""
    heading = article.find("h1")
    if not isinstance(heading, Tag):
        heading = content.new_tag("h1", text=page.title)
        article.insert(0, heading)
    content.add_class(heading, "page-title", f"bm-{min(level, 4)}")
    heading["data-bookmark"] = title
    for section in article.find_all("h2"):
        content.add_class(section, f"bm-{min(level + 1, 4)}")
        section["data-bookmark"] = section.get_text(" ", strip=True)


def _unmarked(html: str) -> str:
    """Page content for a document printed in parts: a part mark written in a page would cut it where the page does not break."""
    return html.replace(PART_MARK, "")


def _nothing_more(page: SitePage) -> str:
    """What a document reads of a page besides the page itself, when it reads nothing more."""
    return ""


def _nav_levels(entries: tuple[NavEntry, ...], level: int) -> Iterator[tuple[NavEntry, int]]:
    """Each entry of the nav with its depth (1 at the top), in reading order; sections are walked into."""
    for entry in entries:
        yield entry, level
        yield from _nav_levels(entry.children, level + 1)


def _workbook_entries(page: SitePage) -> list[tuple[str, str]]:
    """A page's prompts as the workbook prints them, each (its prompt id, its HTML) with ruled space to write, in page order."""
    article = content.printable(page)
    content.prefix_ids(article, page.key)
    # Links inside a prompt lead nowhere on paper.
    for link in [element for element in content.elements(article) if element.name == "a" and "href" in element.attrs]:
        link.unwrap()
    content.add_writing_space(article, REFLECTION_LINES, DISCUSSION_LINES)
    entries = [element for element in content.elements(article) if "print-entry" in content.classes(element)]
    return [(str(entry.select_one("[data-prompt]")["data-prompt"]), str(entry)) for entry in entries]  # type: ignore[index]


@dataclass(frozen=True)
class Planned:
    """One PDF to compose: its file name, how to compose it, and, when they are known beforehand, its inputs (everything
    composing it reads, for the print cache to find it by without composing it)."""

    name: str
    make: Callable[[], Document]
    inputs: tuple[str, ...] | None = None


@dataclass
class Document:
    """One PDF to write: its file name, template, title and what the template needs."""

    name: str
    template: str
    title: str
    subject: str
    context: dict[str, Any]
    sources: list[SitePage]
    # An image's address from the site's root -> what the page wrote, to name a refused image the way its author wrote it.
    images: dict[str, str] = field(default_factory=dict)


class PrintedEdition:
    """What every printed document of one edition starts from (the PDFs here, the EPUB in publish/epub): the built site's
    pages as print reads them, the site's settings, the course record, its sessions, the cohort and the edition."""

    def __init__(
        self, site: BuiltSite, settings: SiteSettings, course: Course, sessions: PrintedSessions, cohort: PrintedCohort | None, edition: Edition
    ) -> None:
        self.site_dir = site.root.resolve()
        self.settings = settings
        self.course = course
        self.sessions = sessions
        self.cohort = cohort
        self.edition = edition
        self.pages = load_pages(site, settings)


class PdfBuilder(PrintedEdition):
    """Builds every PDF of one edition from one built site; with a print cache, the pages as the reader, the workbooks
    and the guide show them are kept there, so an edit composes again only the pages it reaches (_kept)."""

    _handout_pages: list[SitePage] | None = None

    def __init__(
        self,
        site: BuiltSite,
        settings: SiteSettings,
        course: Course,
        sessions: PrintedSessions,
        cohort: PrintedCohort | None,
        edition: Edition,
        cache: PrintCache | None = None,
    ) -> None:
        super().__init__(site, settings, course, sessions, cohort, edition)
        self.cache = cache or PrintCache(None)

    def _common(self, kind: str, session: Session | None = None) -> dict[str, Any]:
        """What every template needs; the head names `session`, or the whole programme when it is None."""
        return {
            "kind": kind,
            "settings": self.settings,
            "course": self.course,
            "head": self.sessions.head(self.course, session),
            "cohort": self.cohort,
            "edition_label": EDITION_LABELS[self.edition],
        }

    def _prepared(
        self,
        document: str | None,
        pages: list[SitePage],
        finish: Callable[[SitePage, Tag], str],
        *,
        lines: bool,
        marks: Callable[[SitePage], str] = _nothing_more,
    ) -> Iterator[tuple[SitePage, str, dict[str, str]]]:
        """Each page as one PDF shows it, in order: a printable copy with ids prefixed and links resolved among the pages,
        made into HTML by finish(page, copy), with what its images were written as.

        A page's links are resolved against the anchors of the pages they name ('<key>--<id>'), learnt from a copy of
        each such page dropped at once, and its own: no more than one copy is held at a time (the reader's, all held
        together, were the largest part of the build's memory while it composes). A document named (the reader, the
        guide) takes each page from the print cache while what makes it is unchanged (_kept): the page, marks(page)
        (what finish reads besides it), the pages and addresses of the document, and the pages its links name anchors of.
        """
        links = content.Links(site_url=self.settings.site_url, pages={p.url: p.key for p in pages})
        links.anchors |= {page.key for page in pages}
        learnt: set[str] = set()
        held = repr((self.settings.site_url, sorted(links.pages.items())))
        for page in pages:
            asked = self._asked_of(page, pages, links) if len(pages) > 1 else []

            def make(page: SitePage = page, asked: list[SitePage] = asked) -> dict[str, Any]:
                for other in asked:
                    if other.key not in learnt:
                        learnt.add(other.key)
                        links.anchors |= content.prefixed_ids(content.printable(other), other.key)
                article = content.printable(page)
                links.anchors |= content.prefix_ids(article, page.key)
                learnt.add(page.key)
                images = content.resolve_images(article, page)
                content.pictures_after_text(article)
                if lines:
                    content.add_writing_space(article, REFLECTION_LINES, DISCUSSION_LINES)
                content.rewrite_links(article, page, links)
                return {"html": finish(page, article), "images": images}

            def inputs(page: SitePage = page, asked: list[SitePage] = asked) -> Iterator[str]:
                yield from (held, *self._page_inputs(page), marks(page))
                for other in asked:
                    yield from (other.key, other.html)

            made = self._kept(document, page, inputs, make) if document is not None else make()
            yield page, made["html"], made["images"]

    def _kept(self, document: str, page: SitePage, inputs: Callable[[], Iterable[str]], make: Callable[[], Any]) -> Any:
        """What make() composes of one page for one document (plain JSON values), from the print cache while inputs()
        are unchanged, else made now and kept there: an edit composes again only the pages it reaches."""
        if self.cache.folder is None:
            return make()
        key = self.cache.key("composed", document, *inputs())
        name = f"{document}:composed {page.key}"
        entry = self.cache.load(key, name)
        if entry is not None:
            return json.loads(entry.files["composed"])
        made = make()
        self.cache.remember(key, name, {}, {"composed": json.dumps(made).encode()})
        return made

    @staticmethod
    def _asked_of(page: SitePage, pages: list[SitePage], links: content.Links) -> list[SitePage]:
        """The other pages whose ids a link of page may ask for: those whose key and '--' begin an anchor that one of its
        links names ('<key>--<id>'; a key with '--' in it could begin another page's).

        Every other page, if a link has a url(#...) in it, which content.prefix_ids changes before the link is resolved."""
        keys = {each.key for each in pages}
        wanted: set[str] = set()
        for link in page.facts.hrefs:
            href = link.strip()
            if "url(" in href:
                return [each for each in pages if each.key != page.key]
            anchor = content.anchor_asked(page, href, links)
            if anchor is not None:
                wanted |= {key for key in (anchor[: found.start()] for found in re.finditer("(?=--)", anchor)) if key in keys and key != page.key}
        return [each for each in pages if each.key in wanted]

    def reader(self, session: Session | None = None) -> Document:
        """The whole course in nav order, with cover and contents; or one session's pages (its nav section) in a course of several."""
        pages = [page for page in self.pages if self.sessions.holds(session, page.src)]
        nav = self.sessions.nav_of(self.settings.nav, session)
        # Where each page sits in the contents (its level and nav title), which its bookmarks are made from.
        entries = [(level, entry.title) for entry, level in _nav_levels(nav, 1) if entry.src is not None]
        placed = {id(page): entry for page, entry in zip(pages, entries, strict=True)}

        def finish(page: SitePage, article: Tag) -> str:
            level, title = placed[id(page)]
            _mark_headings(article, page, level, title)
            return _unmarked(article.decode_contents())

        prepared = self._prepared(reader_pdf(session), pages, finish, lines=False, marks=lambda page: repr(placed[id(page)]))
        images: dict[str, str] = {}
        parts: list[dict[str, Any]] = []
        contents: list[dict[str, Any]] = []

        def walk(entries: tuple[Any, ...], level: int) -> None:
            for entry in entries:
                if entry.src is None:
                    anchor = f"section-{len(parts)}"
                    parts.append({"html": None, "title": entry.title, "anchor": anchor, "level": min(level, 4)})
                    contents.append({"title": entry.title, "anchor": anchor, "level": min(level, 3)})
                    walk(entry.children, level + 1)
                    continue
                # The pages are the nav's, in its order (load_pages).
                page, html, page_images = next(prepared)
                images.update(page_images)
                here = online(self.settings.site_url, page.url)
                parts.append({"html": Markup(html), "anchor": page.key, "level": level, "online": here})
                contents.append({"title": entry.title, "anchor": page.key, "level": min(level, 3)})

        walk(nav, 1)
        context = {**self._common("reader", session), "parts": parts, "contents": contents}
        title = f"{context['head'].title}: Course reader"
        return Document(reader_pdf(session), "reader.html", title, self.settings.description, context, pages, images)

    def handout_pages(self) -> list[SitePage]:
        """The pages that get a handout: those that first ask a reflection or discussion prompt (a page that only repeats them, like a journal, gets none)."""
        if self._handout_pages is not None:
            return list(self._handout_pages)
        chosen = first_askers((page.src, page.facts.prompts) for page in self.pages)
        self._handout_pages = [page for page in self.pages if page.src in chosen]
        return list(self._handout_pages)

    def handout(self, page: SitePage) -> Document:
        """One page's content and prompts, with writing space and a line for name, cohort and date."""

        def finish(page: SitePage, article: Tag) -> str:
            _mark_headings(article, page, 1, page.title)
            return article.decode_contents()

        # A handout is found whole by its inputs (handout_inputs): its page is not kept on its own.
        _, html, images = next(self._prepared(None, [page], finish, lines=True))
        part = {"html": Markup(html), "anchor": page.key, "online": online(self.settings.site_url, page.url)}
        context = {**self._common("handout", self.sessions.of(page.src)), "part": part}
        title = f"{context['head'].title}: Handout, {page.title}"
        subject = f"Handout for {page.title}, with its reflection and discussion prompts."
        return Document(handout_pdf(page.src), "handout.html", title, subject, context, [page], images)

    def workbook(self, session: Session | None = None) -> Document:
        """Every prompt in course order (or one session's, in a course of several), each with ruled writing space; discussions keep their time box."""
        pages = [page for page in self.handout_pages() if self.sessions.holds(session, page.src)]
        parts = []
        asked: set[str] = set()
        for page in pages:
            entries = []
            for prompt, html in self._kept(workbook_pdf(session), page, partial(self._page_inputs, page), partial(_workbook_entries, page)):
                if prompt not in asked:
                    asked.add(prompt)
                    entries.append(Markup(html))
            parts.append({"title": page.title, "anchor": page.key, "entries": entries})
        context = {**self._common("workbook", session), "parts": parts}
        title = f"{context['head'].title}: Reflection workbook"
        subject = "Every reflection prompt of the course in order, with space to write, and each discussion prompt with its time box."
        return Document(workbook_pdf(session), "workbook.html", title, subject, context, pages)

    def guide(self) -> Document:
        """Facilitator edition (issue 6): the run of show and logistics, then every facilitator note under its page; in a
        course of several sessions, each session's pages under its name."""
        # Only the pages with notes are in the guide: a link to another page leads online, or prints as text, as in a handout.
        noted = [page for page in self.pages if page.facts.guide]
        parts: list[dict[str, Any]] = []
        images: dict[str, str] = {}
        group: Session | None = None

        def finish(page: SitePage, article: Tag) -> str:
            return _unmarked("\n".join(str(block) for block in content.guide_blocks(article)))

        for page, html, page_images in self._prepared(GUIDE_PDF, noted, finish, lines=False):
            images.update(page_images)
            session = self.sessions.of(page.src) if self.sessions.own else None
            if session is not None and session != group:
                parts.append({"session": f"{session.name}: {session.title}", "anchor": f"session-{session.id}"})
            group = session
            parts.append({"session": None, "title": page.title, "anchor": page.key, "html": Markup(html), "level": 2 if session is not None else 1})
        title = guide_title(self.course)
        subject = "The run of show, the discussion logistics and every facilitator note, in course order."
        # The slides this edition presents from (each session's deck of several): linked online when the site's address is known, named otherwise.
        site_url = self.settings.site_url
        offered = [link for deck in decks_of(self.sessions.sessions) for link in slides_offered(True, deck)]
        slides = [{"path": path, "text": text, "href": site_url + path if site_url else None} for path, text in offered]
        return Document(GUIDE_PDF, "guide.html", title, subject, {**self._common("guide"), "parts": parts, "slides": slides}, noted, images)

    def document_names(self) -> list[str]:
        """The file name of every PDF of this edition, in the order compose() makes them."""
        documents = self.sessions.documents
        guide = [GUIDE_PDF] if self.edition == "facilitator" else []
        return [*map(reader_pdf, documents), *map(workbook_pdf, documents), *guide, *(handout_pdf(page.src) for page in self.handout_pages())]

    def compose(self) -> Iterator[Document]:
        """Every PDF of this edition, one at a time, in planned() order."""
        for planned in self.planned():
            yield planned.make()

    def planned(self) -> Iterator[Planned]:
        """Every PDF of this edition, to compose one at a time, longest first, so printing can start before the rest is
        composed: the course reader, each session's (in a course of several), the workbooks likewise, the guide, the
        handouts. Each one's inputs are known before it is composed (handout_inputs, course_inputs)."""
        for session in self.sessions.documents:
            yield Planned(reader_pdf(session), partial(self.reader, session), self.course_inputs(repr(session)))
        for session in self.sessions.documents:
            yield Planned(workbook_pdf(session), partial(self.workbook, session), self.course_inputs(repr(session)))
        if self.edition == "facilitator":
            yield Planned(GUIDE_PDF, self.guide, self.course_inputs())
        for page in self.handout_pages():
            yield Planned(handout_pdf(page.src), partial(self.handout, page), self.handout_inputs(page))

    @cached_property
    def _edition_inputs(self) -> str:
        """What every document of this edition is composed from besides its pages: the site's settings (its nav among
        them), the course record, the sessions (each page's among them), the cohort and the edition."""
        sessions = [(page.src, repr(self.sessions.of(page.src))) for page in self.pages]
        # Where the project lies is not read (and a checkout elsewhere, another CI runner's, finds the same entries).
        settings = replace(self.settings, config_path=Path(), docs_dir=Path())
        return repr((settings, self.course, self.sessions.sessions, sessions, self.cohort, self.edition))

    def handout_inputs(self, page: SitePage) -> tuple[str, ...]:
        """Everything composing page's handout reads (handout(), the templates and the code being the print cache's
        own), so a handout whose inputs are unchanged is taken from the print cache without being composed: the
        edition's inputs and the page (its article, where it is, its nav title)."""
        return (self._edition_inputs, *self._page_inputs(page))

    def course_inputs(self, *document: str) -> tuple[str, ...]:
        """Everything composing a document of many pages (the reader, a workbook, the guide) reads, as handout_inputs:
        the edition's inputs, which document (its session), and every page, since a link may lead to any of them and
        which pages a workbook holds follows from every page's prompts. An unchanged course is not composed again."""
        return (self._edition_inputs, *document, *(part for page in self.pages for part in self._page_inputs(page)))

    def _page_inputs(self, page: SitePage) -> tuple[str, ...]:
        """One page as a document reads it: its article, where it is, its nav title. Its images are named from the site's
        root (content.resolve_images), so where the site was built is not part of it."""
        return (page.src, page.url, page.title, page.key, page.html)

    def html(self, document: Document) -> str:
        """The document as one HTML page, for the printer."""
        return TEMPLATES.get_template(document.template).render(title=document.title, subject=document.subject, **document.context)

    def running(self, document: Document) -> str:
        """The course line of the running header: the document's head (its session's title, or the course's), and the
        cohort's name when there is one."""
        head = document.context.get("head")
        return (head.title if isinstance(head, PrintedHead) else self.course.title) + (f" · {self.cohort.name}" if self.cohort else "")


def check_downloads(builder: PdfBuilder, made: set[str], model: CourseModel) -> list[Problem]:
    """Every PDF a page offers exists, and each page whose own file is made offers every PDF of this build that
    model.offers gives it (the home page the readers and workbooks, a page with a handout its handout and its session's)."""
    problems = []
    for page in builder.pages:
        offered = set()
        # The EPUB's link is checked where the EPUB is made (publish/epub).
        for kind, href in page.facts.downloads:
            if kind != "application/pdf":
                continue
            path = urlsplit(href).path
            if path.rsplit("/", 2)[-2:-1] != [PDF_FOLDER]:
                continue  # the slides' PDF, checked with the slides (publish/slides)
            name = path.rsplit("/", 1)[-1]
            offered.add(name)
            if name not in made:
                fix = "remove {{ downloads() }} from this page, or add a reflection or discussion prompt so it gets a handout."
                problems.append(Problem(page.display, page.title_line(), f"the page offers {PDF_FOLDER}/{name}, but no such PDF is made.", fix))
        rule = [file for where, _, file in (path.rpartition("/") for path, _ in model.offers(page.src)) if where == PDF_FOLDER]
        # A page whose own file is made (its handout; the home page's reader) must offer all the rule gives it; a page
        # without one (no prompts, so no handout) need not have a downloads box at all.
        # What it lacks is one problem with one fix, whatever the number of files (a session's page offers its reader and workbook too).
        missing = [file for file in rule if file in made and file not in offered] if rule and rule[0] in made else []
        if missing:
            problems.append(
                Problem(
                    page.display,
                    page.title_line(),
                    "the page does not offer " + ", ".join(f"{PDF_FOLDER}/{name}" for name in missing) + ".",
                    "add the line {{ downloads() }} below the page's objectives (or its first paragraph).",
                )
            )
    return problems


def print_setup(model: CourseModel, cohort_name: str | None, cohort_dates: str | None) -> tuple[SiteSettings, Course, PrintedCohort | None]:
    """What every printed document needs (the PDFs, the EPUB): the site's settings, the course record and the cohort."""
    settings = settings_of(model)
    return settings, model.require().course, PrintedCohort(cohort_name, cohort_dates) if cohort_name else None
