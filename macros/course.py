"""The course model: one per build, loaded once from the sources and handed to every step that needs them.

load_model() reads mkdocs.yml once (MkDocs' own load_config, without plugins, hooks or Markdown extensions: the
pages' macros are rendered by us, and the engine converts the Markdown from the staged config), every page MkDocs
would publish once, the data files and the cohort manifests once, and makes:

- Settings: what the build is for (cohort, edition, engine, offline) and what mkdocs.yml says the print and the
  links need (the docs folder, the page size, the site's address), typed and checked;
- the nav as one tree of NavEntry (sections and pages), and every page as one CoursePage (its URL by MkDocs' own
  rules, its nav title, its text and front matter; whether it prints is one rule, prints());
- the data (CourseData), the chosen cohort's manifest and the edition (Build).

Every step (the source checks, staging, the engines, the calendar, the PDFs, the EPUB, the slides, the offline
files, the built-site check) takes the model as an argument; nothing is read twice or kept between builds.
A page's checked template tree is made on first need and kept on the model (CourseModel.checked), so the page is
parsed and checked once per build whoever asks first.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

import yaml
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import ValidationError
from mkdocs.utils.meta import get_data

from .cohort import COHORTS_DIR, EDITION_VARIABLE, EDITIONS, GENERIC, Build, Cohort, Edition, read_manifest
from .data import CourseData, _display, load_course
from .errors import ContentError, Problem, closest, line_in
from .models import Session
from .schedule import minutes_in, page_key

if TYPE_CHECKING:
    from .templates import PageChecker

PageSize = Literal["letter", "a4"]
PAGE_SIZES: tuple[PageSize, ...] = get_args(PageSize)


@dataclass(frozen=True)
class Settings:
    """What one build is for and what it reads, checked once: the command line's choices over mkdocs.yml's."""

    config_file: Path  # absolute
    docs_dir: Path  # absolute
    cohort_id: str = GENERIC
    edition: Edition = "participant"
    engine: str = "mkdocs"
    offline: bool = False
    page_size: PageSize = "letter"
    site_url: str | None = None  # ends with "/" when set

    @property
    def root(self) -> Path:
        """The project: the folder mkdocs.yml is in."""
        return self.config_file.parent

    @property
    def docs_shown(self) -> str:
        """The docs folder as an author sees it, from the project: 'docs' unless mkdocs.yml's docs_dir says otherwise."""
        return self.docs_dir.relative_to(self.root).as_posix() if self.docs_dir.is_relative_to(self.root) else str(self.docs_dir)


@dataclass(frozen=True)
class NavEntry:
    """One entry of the nav: a page (src set) or a section (children set)."""

    title: str
    src: str | None = None
    children: tuple[NavEntry, ...] = ()
    # False for a page the nav lists without a title: its title is then the page's own (titled_entries).
    named: bool = True


def nav_entries(raw: Any) -> tuple[NavEntry, ...]:
    """The nav as written in mkdocs.yml (strings and one-key mappings), as entries; links outside the site are left out."""
    entries: list[NavEntry] = []
    for item in raw or []:
        if isinstance(item, str):
            if "://" not in item:
                entries.append(NavEntry(title=Path(item).stem, src=item, named=False))
            continue
        if not isinstance(item, dict) or len(item) != 1:
            continue
        ((title, value),) = item.items()
        if isinstance(value, str):
            if "://" not in value:
                entries.append(NavEntry(title=str(title), src=value))
        else:
            entries.append(NavEntry(title=str(title), children=nav_entries(value)))
    return tuple(entries)


def nav_sections(entries: tuple[NavEntry, ...], within: tuple[str, ...] = ()) -> Iterator[tuple[NavEntry, tuple[str, ...]]]:
    """Each page entry of the nav in reading order, with the titles of the sections it is in, outermost first."""
    for entry in entries:
        if entry.src is None:
            yield from nav_sections(entry.children, (*within, entry.title))
        else:
            yield entry, within


def walk_nav(entries: tuple[NavEntry, ...]) -> Iterator[NavEntry]:
    """Each page entry of the nav in reading order; sections are walked into."""
    for entry, _ in nav_sections(entries):
        yield entry


def titled_entries(entries: tuple[NavEntry, ...], meta: dict[str, dict[str, Any]]) -> tuple[NavEntry, ...]:
    """The nav with each page it lists without a title (`- folder/index.md`, a section's overview) titled as MkDocs titles
    it: by the page's front matter `title:`, else its file name. The menu, the PDFs' outline and the EPUB's contents agree."""
    titled: list[NavEntry] = []
    for entry in entries:
        if entry.src is None:
            titled.append(replace(entry, children=titled_entries(entry.children, meta)))
        elif not entry.named and isinstance(title := meta.get(entry.src, {}).get("title"), str) and title.strip():
            titled.append(replace(entry, title=title.strip()))
        else:
            titled.append(entry)
    return tuple(titled)


def prints(meta: dict[str, Any]) -> bool:
    """Whether a page goes into the printed reader, its handouts and the slides: unless its front matter says `reader: false`."""
    return meta.get("reader") is not False


def printed_entries(entries: tuple[NavEntry, ...], meta: dict[str, dict[str, Any]]) -> tuple[NavEntry, ...]:
    """The nav as print follows it: pages that do not print (see prints) and sections left empty dropped."""
    kept: list[NavEntry] = []
    for entry in entries:
        if entry.src is None:
            children = printed_entries(entry.children, meta)
            if children:
                kept.append(NavEntry(title=entry.title, children=children))
        elif prints(meta.get(entry.src, {})):
            kept.append(entry)
    return tuple(kept)


@dataclass(frozen=True)
class CoursePage:
    """A source page MkDocs publishes: its path in docs/, URL and built file (MkDocs' own rules), text and front matter, and its place in the nav."""

    src_path: str
    title: str  # the nav's title for it (its path without .md when it is not in the nav)
    url: str
    dest_uri: str  # where MkDocs writes it in the built site ('what-to-expect/index.html')
    abs_src_path: str
    text: str | None  # None when the file is not UTF-8 (the source check reports it)
    meta: dict[str, Any] = field(compare=False)
    undecodable_at: int = 0  # the line of the first byte that is not UTF-8
    folder: str = "docs"  # the docs folder as an author sees it (Settings.docs_shown)

    @property
    def address(self) -> str:
        """Its URL from the site's root, as print and the slides write it: 'what-to-expect/', '' for the home page."""
        return self.url.removeprefix("./")

    @property
    def display(self) -> str:
        """The page's source as an author sees it in the repository: docs/what-to-expect.md."""
        return f"{self.folder}/{self.src_path}"


@dataclass(frozen=True)
class CheckedPage:
    """One page's source checked once: its problems, front matter, body and the checker (with its template tree and calls)."""

    problems: list[Problem]
    checker: PageChecker  # with the body's template tree (.tree) and its macro calls (.calls)
    meta: dict[str, Any]
    body: str
    body_line: int


@dataclass
class CourseModel:
    """The course as one build sees it (see the module's docstring). Made by load_model; never shared between builds."""

    settings: Settings
    config: Any  # MkDocs' MkDocsConfig, loaded without plugins or hooks
    files: Any  # MkDocs' Files
    _config_text: str | None  # mkdocs.yml as load_model read it; None when MkDocs loaded the config (see config_text)
    nav: tuple[NavEntry, ...]
    pages: dict[str, CoursePage]  # every published page, by src_path, in file order
    data: CourseData | None  # None when the data has problems (in problems)
    manifests: dict[str, tuple[Cohort | None, list[Problem]]]  # every cohort manifest, by id
    build: Build
    problems: list[Problem]  # what kept the data, the cohort or the settings from loading
    # Each nav page that is part of a session -> the session's id, and what keeps a session from its pages (tie_sessions).
    session_ids: dict[str, str] = field(default_factory=dict)
    session_problems: list[Problem] = field(default_factory=list)
    _checked: dict[str, CheckedPage] = field(default_factory=dict, repr=False)

    @property
    def config_text(self) -> str:
        """mkdocs.yml's text, for the nav check, the staged config and a problem's line: as load_model read it; when
        MkDocs loaded the config (mkdocs build or serve by hand, define_env), read on first need, which a build without
        problems never has (so mkdocs.yml is opened once per build there too)."""
        if self._config_text is None:
            self._config_text = self.settings.config_file.read_text(encoding="utf-8")
        return self._config_text

    @property
    def nav_pages(self) -> list[CoursePage]:
        """The nav's pages in reading order (course order)."""
        return [self.pages[entry.src] for entry in walk_nav(self.nav) if entry.src in self.pages]

    @property
    def printed_nav(self) -> tuple[NavEntry, ...]:
        """The nav as print follows it (printed_entries)."""
        return printed_entries(self.nav, {src: page.meta for src, page in self.pages.items()})

    @property
    def sessions(self) -> list[Session]:
        """The academy's sessions, in nav order (docs/data/sessions.yml, each tied to its nav section)."""
        if self.data is None:
            return []
        order = list(dict.fromkeys(self.session_ids.values()))
        return [self.data.sessions[session_id] for session_id in order]

    def session_of(self, src: str) -> Session | None:
        """The session a page belongs to (it is in that session's nav section), or None for a page of the whole course."""
        session_id = self.session_ids.get(src)
        return self.data.sessions[session_id] if self.data is not None and session_id is not None else None

    def session_pages(self, session: Session) -> list[CoursePage]:
        """A session's pages in reading order."""
        return [page for page in self.nav_pages if self.session_ids.get(page.src_path) == session.id]

    def section_of(self, src: str) -> str | None:
        """The title of the nav's outermost section that holds a page, or None for a page at the nav's top level."""
        return next((within[0] for entry, within in nav_sections(self.nav) if entry.src == src and within), None)

    def session_groups(
        self, pages: list[CoursePage] | None = None, *, here: str | None = None, session: str | None = None
    ) -> list[tuple[Session | None, list[CoursePage]]]:
        """Pages (the nav's, by default) grouped by session, in nav order: the session named; else the session of the page
        `here`; else every session in turn. A course without sessions is one group of every page, under None."""
        pages = self.nav_pages if pages is None else pages
        if not self.sessions or self.data is None:
            return [(None, pages)]
        own = self.session_of(here) if here is not None else None
        chosen = [self.data.sessions[session]] if session is not None else [own] if own is not None else self.sessions
        return [(record, [page for page in pages if self.session_ids.get(page.src_path) == record.id]) for record in chosen]

    def require(self) -> CourseData:
        """The data, or ContentError with every problem that kept the model from loading."""
        if self.problems or self.data is None:
            raise ContentError(self.problems)
        return self.data

    def checked(self, src: str) -> CheckedPage:
        """The page's source checked against the data: done once per model, on first need (render, slides, journal)."""
        found = self._checked.get(src)
        if found is None:
            from .checks.rendered import check_source

            page = self.pages[src]
            problems, checker, meta, body, body_line = check_source(page.display, page.text or "", self.require())
            found = self._checked[src] = CheckedPage(problems, checker, meta, body, body_line)
        return found

    def carry_checks(self, earlier: CourseModel, sources: list[str]) -> None:
        """Take over earlier's checked pages for these sources: the live preview, when a save changed only other pages
        (the same settings, data, cohorts and text give the same check)."""
        for src in sources:
            if src in earlier._checked and src in self.pages:
                self._checked[src] = earlier._checked[src]

    def offers(self, src: str) -> list[tuple[str, str]]:
        """(path in the site, link text) of each file the page offers in this build's edition: the one rule
        (macros/downloads.py, offered_on) that the downloads() macro writes and the PDFs' and the EPUB's checks hold."""
        from .downloads import offered_on

        return offered_on(src, self.build.facilitator, self.sessions, self.session_of(src))

    def reflections(self, src: str) -> list[str]:
        """The ids a page passes to reflection(), in reading order, from its checked tree."""
        from .library import reflections_called_on

        tree = self.checked(src).checker.tree
        return reflections_called_on(tree) if tree is not None else []


def read_page(file: Any, title: str, folder: str = "docs") -> CoursePage:
    """One published page read from its file (MkDocs' File): its text and front matter, or where it stops being UTF-8."""
    raw = Path(file.abs_src_path).read_bytes()
    try:
        decoded = raw.decode("utf-8")
        text: str | None = decoded
        meta = get_data(decoded)[1]
        bad = 0
    except UnicodeDecodeError as error:
        text, meta, bad = None, {}, raw[: error.start].count(b"\n") + 1
    return CoursePage(file.src_path, title, file.url, file.dest_uri, file.abs_src_path, text, meta, bad, folder)


class _PaperSize(c.Choice):
    """A paper size, written in any case (`A4`, `a4`)."""

    def run_validation(self, value: object) -> Any:
        return super().run_validation(str(value).lower())


class PrintOptions(base.Config):
    """`extra.pdf:` in mkdocs.yml: how the PDFs are printed."""

    page_size = _PaperSize(PAGE_SIZES, default="letter")


class CourseOptions(base.Config):
    """What mkdocs.yml's `extra:` (or the command line, over it) says a build is for, in MkDocs' own config schema."""

    cohort = c.Type(str, default=GENERIC)
    edition = c.Choice(EDITIONS, default="participant")
    offline = c.Type(bool, default=False)
    pdf = c.Type(dict, default={})  # checked as PrintOptions


def _options_problem(key: str, given: dict[str, Any], config_file: Path, text: str) -> Problem:
    """A CourseOptions error in our words: the line of mkdocs.yml to change and how."""
    shown = config_file.name
    if key == "edition":
        edition = str(given.get("edition"))
        where = f"{edition!r}, given by --edition or {EDITION_VARIABLE}"
        return Problem(shown, line_in(text, "edition"), f"there is no edition {where}.", closest(edition, set(EDITIONS)))
    if key == "pdf":
        pdf = given.get("pdf")
        message = f"`page_size: {pdf.get('page_size') if isinstance(pdf, dict) else pdf}` is not a paper size the PDFs know."
        return Problem(shown, line_in(text, "page_size"), message, "use `page_size: letter` or `page_size: a4`.")
    if key == "offline":
        message = f"`offline: {given.get('offline')}` is not true or false."
        return Problem(shown, line_in(text, "offline"), message, "write `offline: true` or `offline: false`.")
    message = f"`cohort: {given.get('cohort')}` is not a cohort's id."
    return Problem(shown, line_in(text, "cohort"), message, "write the id of a manifest in cohorts/, or `generic`.")


def _validated(schema: type[base.Config], given: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Each of the schema's options checked on its own, so every wrong one is named at once (a Config's own validate()
    stops at the first); unknown keys (the theme's own under `extra:`) are left alone. (values, the keys that failed)"""
    values: dict[str, Any] = {}
    failed: list[str] = []
    for key, option in schema._schema:
        try:
            values[key] = option.validate(given.get(key))
        except ValidationError:
            failed.append(key)
    return values, failed


def make_settings(
    config: Any, config_text: str | None, *, cohort: str | None, edition: str | None, engine: str, offline: bool | None
) -> tuple[Settings, list[Problem]]:
    """The build's settings: the command line's choices over mkdocs.yml's `extra:`, checked by CourseOptions; every problem in our words."""
    extra = config["extra"] or {}
    given = {key: extra[key] for key in ("cohort", "edition", "offline", "pdf") if extra.get(key) not in (None, "")}
    given.update({key: value for key, value in (("cohort", cohort), ("edition", edition), ("offline", offline)) if value not in (None, "")})
    pdf = given.get("pdf")
    options, failed = _validated(CourseOptions, given)
    paper, failed_paper = _validated(PrintOptions, pdf if isinstance(pdf, dict) else {})
    bad = failed + (["pdf"] if failed_paper else [])
    config_file = Path(config.config_file_path).resolve()
    if bad and config_text is None:
        config_text = config_file.read_text(encoding="utf-8")  # for the lines to name
    problems = [_options_problem(key, given, config_file, config_text or "") for key in bad]
    site_url = config["site_url"] or None
    settings = Settings(
        config_file=config_file,
        docs_dir=Path(config["docs_dir"]).resolve(),
        cohort_id=options.get("cohort", GENERIC),
        edition=options.get("edition", "participant"),
        engine=engine,
        offline=options.get("offline", False),
        page_size=paper.get("page_size", "letter"),
        site_url=site_url if site_url is None or site_url.endswith("/") else site_url + "/",
    )
    return settings, problems


def model_of_config(
    config: Any, config_text: str | None = None, *, cohort: str | None = None, edition: str | None = None, engine: str = "mkdocs", offline: bool | None = None
) -> CourseModel:
    """The model of a loaded MkDocs config: the choices given here, else the config's `extra.cohort`, `extra.edition`, `extra.offline`.
    config_text is mkdocs.yml as the caller read it; None when MkDocs loaded the config (read again only if needed: config_text)."""
    from mkdocs.structure.files import get_files

    settings, problems = make_settings(config, config_text, cohort=cohort, edition=edition, engine=engine, offline=offline)
    docs, cohort_id = settings.docs_dir, settings.cohort_id

    files = get_files(config)
    nav = nav_entries(config["nav"])
    titles = {entry.src: entry.title for entry in walk_nav(nav)}
    pages: dict[str, CoursePage] = {}
    for file in files:
        if file.is_documentation_page() and file.abs_src_path and not file.inclusion.is_excluded():
            pages[file.src_path] = read_page(file, titles.get(file.src_path) or file.src_path.removesuffix(".md"), settings.docs_shown)
    nav = titled_entries(nav, {src: page.meta for src, page in pages.items()})
    for entry in walk_nav(nav):
        if entry.src in pages and not entry.named:
            pages[entry.src] = replace(pages[entry.src], title=entry.title)

    data: CourseData | None = None
    try:
        data = load_course(docs)
    except ContentError as error:
        problems += error.problems
    # Every manifest is data too (checked by make check and every build); the chosen one is the build's cohort.
    schedule = {page_key(src): minutes for src, page in pages.items() if (minutes := minutes_in(page.meta)) is not None}
    folder = settings.root / COHORTS_DIR
    manifests = {path.stem: read_manifest(path, schedule, data, settings.docs_shown) for path in sorted(folder.glob("*.yml"))} if folder.is_dir() else {}
    chosen_cohort: Cohort | None = None
    if cohort_id != GENERIC:
        if cohort_id not in manifests:
            path = folder / f"{cohort_id}.yml"
            fix = closest(cohort_id, set(manifests)) if manifests else f"add a manifest {COHORTS_DIR}/{cohort_id}.yml with at least `name: ...`."
            problems.append(Problem(_display(path), 1, f"there is no cohort '{cohort_id}'.", fix))
        else:
            chosen_cohort, found = manifests[cohort_id]
            problems += found
    build = Build(cohort_id, chosen_cohort, settings.edition)
    session_ids, session_problems = tie_sessions(data, nav, pages) if data is not None else ({}, [])
    return CourseModel(settings, config, files, config_text, nav, pages, data, manifests, build, problems, session_ids, session_problems)


def tie_sessions(data: CourseData, nav: tuple[NavEntry, ...], pages: dict[str, CoursePage]) -> tuple[dict[str, str], list[Problem]]:
    """Each session's pages: the nav's pages under the section its record names (the outermost such section when
    sections nest). Every session must name a section of the nav, each section one session at most, and every page of
    the schedule (`minutes:`) must be in a session. (page -> session id, problems)"""
    problems: list[Problem] = []
    by_section: dict[str, str] = {}
    for session in data.sessions.values():
        file, _ = data.where[session.id]
        line = data.session_lines.get((session.id, "section"), data.where[session.id][1])
        if session.section in by_section:
            message = f"sessions '{by_section[session.section]}' and '{session.id}' both name the nav section '{session.section}'."
            problems.append(Problem(file, line, message, "give each session its own section of the nav in mkdocs.yml."))
            continue
        by_section[session.section] = session.id
    sections = {title for _, within in nav_sections(nav) for title in within}
    for title, session_id in by_section.items():
        if title not in sections:
            file, _ = data.where[session_id]
            line = data.session_lines.get((session_id, "section"), data.where[session_id][1])
            message = f"session '{session_id}' names the nav section '{title}', which mkdocs.yml's nav does not have."
            fix = closest(title, sections) if sections else "add a section to the nav in mkdocs.yml with the session's pages under it."
            problems.append(Problem(file, line, message, f"{fix} `section:` is the section's title in the nav, written exactly as there."))
    session_ids: dict[str, str] = {}
    # A section named wrong leaves its pages in no session: that one mistake is reported, not each page again.
    untied = bool(problems)
    for entry, within in nav_sections(nav):
        owner = next((by_section[title] for title in within if title in by_section), None)
        if entry.src is None or entry.src not in pages:
            continue
        page = pages[entry.src]
        if owner is not None:
            session_ids[entry.src] = owner
        elif minutes_in(page.meta) is not None and not untied:
            message = "this page is part of a session's schedule (it has `minutes:`), but it is in no session's section of the nav."
            named = ", ".join(f"'{title}'" for title in by_section)
            fix = f"move it in mkdocs.yml's nav under a session's section ({named}), or remove `minutes:` from its front matter."
            problems.append(Problem(page.display, line_in(page.text or "", "minutes"), message, fix))
    return session_ids, problems


def load_model(config_file: Path, *, cohort: str | None = None, edition: str | None = None, engine: str = "mkdocs", offline: bool | None = None) -> CourseModel:
    """Read mkdocs.yml once and make the build's model from it (see model_of_config); content problems are in .problems."""
    from mkdocs.config import load_config

    config_file = config_file.resolve()
    raw = config_file.read_bytes()
    # MkDocs logs its own config chatter; the engine shows it when it builds.
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    # Without plugins, hooks or Markdown extensions: our steps render the pages' macros themselves and never convert
    # Markdown with MkDocs' settings (the engine loads the staged config, with every extension, to build).
    config = load_config(io.BytesIO(raw), config_file_path=str(config_file), plugins=[], hooks=[], markdown_extensions=[])
    return model_of_config(config, raw.decode("utf-8"), cohort=cohort, edition=edition, engine=engine, offline=offline)


def staged_settings(model: CourseModel) -> dict[str, Any]:
    """mkdocs.yml's settings as the model read them, with the build's choices in `extra` (settings_with_choices) and the
    sessions the theme's templates group by (session_sections)."""
    settings = settings_with_choices(model.config_text, model.settings)
    settings["extra"]["sessions"] = session_sections(model)
    return settings


def settings_with_choices(config_text: str, settings: Settings) -> dict[str, Any]:
    """mkdocs.yml's settings as written (MkDocs' own loader: !ENV, !relative), with the build's choices in `extra`."""
    from mkdocs.utils.yaml import get_yaml_loader

    loaded: dict[str, Any] = yaml.load(config_text, Loader=get_yaml_loader(getattr(yaml, "CLoader", yaml.Loader)))
    extra = loaded.setdefault("extra", {})
    extra.update(cohort=settings.cohort_id, edition=settings.edition, offline=settings.offline)
    return loaded


def session_sections(model: CourseModel) -> dict[str, str]:
    """For the theme's templates (`extra.sessions`): each session's nav section title -> its heading, when there is more than
    one session (the home page's progress list then groups by session); empty otherwise."""
    return {session.section: session.heading for session in model.sessions} if len(model.sessions) > 1 else {}


def settings_yaml(settings: dict[str, Any]) -> str:
    """Settings written back as an mkdocs.yml (for the engine's staged config, and the preview's)."""
    return yaml.dump(settings, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False, allow_unicode=True)
