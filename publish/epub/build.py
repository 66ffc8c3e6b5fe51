"""Compose and write the EPUB 3 course reader: a cover, a navigation document, then one chapter per page of the nav.

Written with zipfile and our own templates rather than an e-book library: the pages are already parsed
(publish/built.py) and cleaned by the print path (publish/pdf/site.py and content.py), and what is left is a handful of small XML files. The library we
tried (EbookLib) re-parses each chapter as plain HTML, which puts inline SVG in the XHTML namespace: EPUBCheck refuses it.
Here each chapter goes through an HTML5 parser (tinyhtml5, already used by WeasyPrint) that keeps SVG and MathML in
their own namespaces, and is written out as XML.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import tinyhtml5
from bs4 import Tag
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from macros.cohort import Edition
from macros.course import CourseModel, NavEntry
from macros.downloads import EPUB_FOLDER, PDF_FOLDER, READER_EPUB, WORKBOOK_PDF
from macros.errors import ContentError, Problem
from macros.last_updated import build_moment
from macros.models import Course
from publish.built import BuiltSite
from publish.cache import PrintCache
from publish.pdf import content
from publish.pdf.compose import EDITION_LABELS, PrintedCohort, PrintedEdition, PrintedSessions, print_setup, sessions_of
from publish.pdf.site import SitePage, SiteSettings

HERE = Path(__file__).resolve().parent
PDF_TEMPLATES = HERE.parent / "pdf" / "templates"
STYLESHEET = HERE / "reader.css"
# The print templates come second, so the cover is written once, in publish/pdf/templates/base.html, for both.
TEMPLATES = Environment(
    loader=FileSystemLoader([HERE / "templates", PDF_TEMPLATES]), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
)

XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# The namespaces' prefixes in the XHTML written (to_xhtml).
PREFIXES = (("", XHTML), ("epub", OPS), ("svg", "http://www.w3.org/2000/svg"), ("math", "http://www.w3.org/1998/Math/MathML"))

# The image formats every EPUB 3 reading system shows (the core media types), by suffix.
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}
# Inside the book: text/ holds the XHTML documents, images/ the site's images under their site paths.
TEXT = "text"
IMAGES = "images"


@dataclass(frozen=True)
class BuiltEpub:
    """The EPUB written: where, how many chapters, how many of them were made (the others came from the print cache), and how long it took."""

    path: Path
    chapters: int
    made: int
    seconds: float


@dataclass
class _Chapter:
    """One page of the nav as a chapter: its file in text/ and its XHTML, with what assembling the book needs of it.

    The XHTML holds each link to a page of the book as a placeholder, `<token>-<n>` for the nth of `links`, so that a
    chapter is the same whatever the other pages hold: the book resolves them (resolved()) against every chapter's `ids`.
    """

    page: SitePage
    file: str
    xhtml: str
    token: str
    # (page key, fragment) of each link to a page of the book, in the order of their placeholders.
    links: list[tuple[str, str]]
    ids: list[str]
    # (path inside the book, file under the site, media type) of each image it shows.
    images: list[tuple[str, str, str]]
    svg: bool

    def files(self) -> dict[str, bytes]:
        """What the print cache keeps of the chapter: its XHTML, and what assembling the book needs of it (both checked by their hash)."""
        made = {"token": self.token, "links": self.links, "ids": self.ids, "images": self.images, "svg": self.svg}
        return {"xhtml": self.xhtml.encode("utf-8"), "chapter": json.dumps(made).encode("utf-8")}

    @classmethod
    def cached(cls, page: SitePage, files: dict[str, bytes]) -> _Chapter:
        """The chapter of page as files() kept it."""
        made = json.loads(files["chapter"])
        return cls(
            page,
            f"{page.key}.xhtml",
            files["xhtml"].decode("utf-8"),
            str(made["token"]),
            [(str(key), str(fragment)) for key, fragment in made["links"]],
            [str(anchor) for anchor in made["ids"]],
            [(str(inside), str(path), str(kind)) for inside, path, kind in made["images"]],
            bool(made["svg"]),
        )

    def resolved(self, owner: dict[str, tuple[str, str]]) -> str:
        """The XHTML with each placeholder a link to its chapter's file, and to the anchor there when the book has it."""

        def link(match: re.Match[str]) -> str:
            key, fragment = self.links[int(match.group(1))]
            anchor = f"{key}--{fragment}" if fragment else key
            page, anchor_id = owner.get(anchor) or owner[key]
            return 'href="' + _escaped_attribute(f"{page}.xhtml" + (f"#{anchor_id}" if anchor_id else "")) + '"'

        return re.sub(rf'href="{re.escape(self.token)}-(\d+)"', link, self.xhtml)


class _BookLinks(content.Links):
    """Links as one chapter makes them: a link to a page of the book becomes a placeholder, resolved when the book is assembled."""

    def __init__(self, site_url: str | None, pages: dict[str, str], token: str) -> None:
        super().__init__(site_url=site_url, pages=pages)
        self.token = token
        self.targets: list[tuple[str, str]] = []

    def inside(self, key: str, fragment: str) -> str:
        self.targets.append((key, fragment))
        return f"{self.token}-{len(self.targets) - 1}"


def _escaped_attribute(value: str) -> str:
    """A value as ElementTree writes it in an attribute (to_xhtml writes the rest of the chapter)."""
    written = ET.tostring(ET.Element("a", {"href": value}), encoding="unicode")
    return written[len('<a href="') : -len('" />')]


XMLNS_ATTRIBUTE = "{http://www.w3.org/2000/xmlns/}"
# Where a chapter's article goes in the page template, to render the template around it once for the chapter's key.
ARTICLE = "\x00article\x00"


def to_xhtml(html: str, language: str) -> str:
    """An HTML document as XHTML: parsed as a browser would, SVG and MathML kept in their namespaces, written as XML.

    `data-epub-type` attributes become `epub:type`, which HTML itself cannot spell.
    """
    root = tinyhtml5.parse(html)
    root.set(XML_LANG, language)
    for element in root.iter():
        # An inline SVG's own `xmlns="…"` arrives as an attribute in the xmlns namespace; XML writes namespaces itself.
        for name in [n for n in element.attrib if n == "xmlns" or n.startswith(XMLNS_ATTRIBUTE)]:
            del element.attrib[name]
        kind = element.attrib.pop("data-epub-type", None)
        if kind is not None:
            element.set(f"{{{OPS}}}type", kind)
    # The prefixes registered as each document is written: a module loaded since that registers '' for a namespace of
    # its own (WeasyPrint's metadata does) would take XHTML's away, and every element would be written ns0:.
    for prefix, uri in PREFIXES:
        ET.register_namespace(prefix, uri)
    return '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n' + ET.tostring(root, encoding="unicode") + "\n"


def workbook_pointer(block: Tag, site_url: str | None) -> Tag:
    """A line under a prompt that sends the reader to the workbook, where the prompt has space to write."""
    discussion = block.get("data-kind") == "discussion"
    line = content.new_tag("p", attrs={"class": "epub-workbook"})
    line.append("Take notes from your group in the " if discussion else "Write your answer in the ")
    name = "Reflection workbook (PDF)"
    if site_url:
        line.append(content.new_tag("a", attrs={"href": f"{site_url}{PDF_FOLDER}/{WORKBOOK_PDF}"}, text=name))
    else:
        line.append(name)
    line.append(", where this prompt has lines for them." if discussion else ", where this prompt has space to write.")
    return line


class EpubBuilder(PrintedEdition):
    """Builds the EPUB course reader of one edition from one built site."""

    def __init__(
        self, site: BuiltSite, settings: SiteSettings, course: Course, sessions: PrintedSessions, cohort: PrintedCohort | None, edition: Edition
    ) -> None:
        super().__init__(site, settings, course, sessions, cohort, edition)
        # image path inside the book -> (file on disk, media type)
        self.images: dict[str, tuple[Path, str]] = {}
        # How many chapters were made rather than taken from the print cache.
        self.made = 0

    def check_offered(self, model: CourseModel) -> list[Problem]:
        """Each page offers the EPUB where model.offers says it does (the home page), at its place in the site, and no page offers another EPUB."""
        problems = []
        made = f"{EPUB_FOLDER}/{READER_EPUB}"
        for page in self.pages:
            wanted = [path for path, _ in model.offers(page.src) if path == made]
            if not wanted and "application/epub+zip" not in page.html:
                # No link to an EPUB on the page (its HTML would name the type), and none wanted: nothing to parse.
                continue
            offered = set()
            for href in [href for kind, href in page.facts.downloads if kind == "application/epub+zip"]:
                target = urlsplit(urljoin(content.FAKE_ORIGIN + page.url, href)).path.lstrip("/")
                offered.add(target)
                if target != made:
                    problems.append(Problem(page.display, page.title_line(), f"the page offers {target}, but no such EPUB is made.", f"link to {made}."))
            for missing in [path for path in wanted if path not in offered]:
                fix = "add the line {{ downloads() }} below the page's first paragraph."
                problems.append(Problem(page.display, page.title_line(), f"the page does not offer {missing}.", fix))
        return problems

    def chapters(self, cache: PrintCache, context: dict[str, Any]) -> list[_Chapter]:
        """Every page of the nav as a chapter: cleaned as for print, with links and images pointing inside the book.

        Each is taken from the print cache (publish/cache.py) when what makes it is unchanged: the page's article, its
        place and title, the page template around it, the pages the book holds and the images it shows; the others are
        made here and stored once every chapter has passed its checks."""
        pages = {p.url: p.key for p in self.pages}
        book = json.dumps(pages, sort_keys=True)
        page_template = TEMPLATES.get_template("page.html")
        language = self.settings.language
        chapters, made, problems = [], [], []
        for page in self.pages:
            online = self.settings.site_url + page.url if self.settings.site_url else None
            # The page template around the article, which the key covers: its title, the book's language, its address online.
            before, after = page_template.render(**context, page_title=page.title, html=Markup(ARTICLE), online=online).split(ARTICLE)
            key = cache.key("epub-chapter", page.html, page.src, page.url, before, after, book, self.settings.site_url or "", language)
            name = f"{READER_EPUB}:{page.key}.xhtml"
            entry = cache.load(key, name, self.site_dir)
            if entry is not None:
                chapter = _Chapter.cached(page, entry.files)
            else:
                chapter, found = self._chapter(page, pages, f"epub-link-{key[:16]}", before, after)
                problems += found
                made.append((key, name, chapter))
            for inside, path, media_type in chapter.images:
                self.images[inside] = (self.site_dir / path, media_type)
            chapters.append(chapter)
        if problems:
            raise ContentError(problems)
        for key, name, chapter in made:
            cache.store(key, name, chapter.files(), loads=[self.site_dir / path for _, path, _ in chapter.images], root=self.site_dir)
        self.made = len(made)
        return chapters

    def _chapter(self, page: SitePage, pages: dict[str, str], token: str, before: str, after: str) -> tuple[_Chapter, list[Problem]]:
        """One page made into a chapter, and the problems of its images."""
        article = content.printable(page, paper=False)
        # Each page has a file of its own, so its ids stay as they are (references to them inside the page, like an
        # SVG's aria-labelledby, keep working); links between pages name them as the PDFs do, '<page key>--<id>'.
        ids = [str(element["id"]) for element in article.select("[id]")]
        problems, images = self._images(article, page)
        for block in content.prompt_blocks(article):
            block.append(workbook_pointer(block, self.settings.site_url))
        links = _BookLinks(self.settings.site_url, pages, token)
        content.rewrite_links(article, page, links)
        xhtml = to_xhtml(before + article.decode_contents() + after, self.settings.language)
        svg = article.find("svg") is not None
        return _Chapter(page, f"{page.key}.xhtml", xhtml, token, links.targets, ids, images, svg), problems

    def _images(self, article: Tag, page: SitePage) -> tuple[list[Problem], list[tuple[str, str, str]]]:
        """Point each image at its copy inside the book: (path inside, file under the site, media type) of each; an
        image from outside the site, or of a kind e-readers cannot show, is a problem."""
        written = content.resolve_images(article, page)
        problems, images = [], []
        for image in article.select("img[src]"):
            url = str(image["src"])
            # resolve_images names the site's files from its root; what it left (with a scheme or a host) is not one.
            path = (self.site_dir / unquote(url)).resolve() if url in written else None
            if path is None or not path.is_relative_to(self.site_dir) or not path.is_file():
                problems.append(content.refusal(url, [page], written, made="the EPUB"))
                continue
            media_type = IMAGE_TYPES.get(path.suffix.lower())
            if media_type is None:
                problems.append(
                    Problem(
                        page.display,
                        content.refusal(url, [page], written).line,
                        f"the image {written.get(url, url)} is a {path.suffix} file, which e-readers cannot show.",
                        "save it as PNG, JPEG, GIF, WebP or SVG and refer to that file.",
                    )
                )
                continue
            inside = quote(f"{IMAGES}/{path.relative_to(self.site_dir).as_posix()}")
            images.append((inside, path.relative_to(self.site_dir).as_posix(), media_type))
            image["src"] = f"../{inside}"
        return problems, images

    def _context(self, title: str) -> dict[str, Any]:
        # What the print templates' cover macro needs, and what every document of the book shows.
        return {
            "settings": self.settings,
            "course": self.course,
            # The whole programme's book: the one session's head, or the course's with every session's faculty.
            "head": self.sessions.head(self.course, None),
            "cohort": self.cohort,
            "edition_label": EDITION_LABELS[self.edition],
            "title": title,
            "subject": self.settings.description,
            "kind": "epub",
        }

    def write(self, target: Path, cache: PrintCache | None = None) -> BuiltEpub:
        """Write the book to target (through a partial file beside it, so a failure leaves nothing half-written).

        Each chapter is taken from the print cache (publish/cache.py) when what makes it is unchanged (chapters())."""
        started = time.perf_counter()
        cache = cache or PrintCache(None)
        title = f"{self.course.title}: Course reader" + (f" · {EDITION_LABELS[self.edition]}" if EDITION_LABELS[self.edition] else "")
        context = self._context(title)
        language = self.settings.language
        chapters = self.chapters(cache, context)
        documents: dict[str, str] = {
            "cover.xhtml": to_xhtml(TEMPLATES.get_template("cover.html").render(**context), language),
            "nav.xhtml": to_xhtml(
                TEMPLATES.get_template("nav.html").render(**context, toc=self._toc(self.settings.nav, chapters), first=chapters[0].file), language
            ),
        }
        # Links between chapters go to the anchor where the book has it, else to the top of its page, as in the PDFs.
        owner: dict[str, tuple[str, str]] = {}
        for chapter in chapters:
            owner[chapter.page.key] = (chapter.page.key, "")
            owner.update({f"{chapter.page.key}--{anchor}": (chapter.page.key, anchor) for anchor in chapter.ids})
        for chapter in chapters:
            documents[chapter.file] = chapter.resolved(owner)
        # When the book says it was made, and the time of every file in it: the same sources give the same bytes.
        made = build_moment(self.settings.config_path.parent)
        package = TEMPLATES.get_template("package.opf").render(
            **context,
            identifier=self._identifier(),
            modified=made.strftime("%Y-%m-%dT%H:%M:%SZ"),
            chapters=chapters,
            images=sorted((name, media_type) for name, (_, media_type) in self.images.items()),
            summary=_summary(bool(self.images)),
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        try:
            with zipfile.ZipFile(partial, "w") as book:

                def add(name: str, data: str | bytes, kind: int = zipfile.ZIP_DEFLATED) -> None:
                    entry = zipfile.ZipInfo(name, date_time=made.timetuple()[:6])
                    entry.external_attr = 0o644 << 16
                    book.writestr(entry, data, compress_type=kind)

                # The mimetype comes first and uncompressed, so a reader knows the file by its first bytes.
                add("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
                add("META-INF/container.xml", TEMPLATES.get_template("container.xml").render())
                add("EPUB/package.opf", package)
                add("EPUB/css/reader.css", STYLESHEET.read_text(encoding="utf-8"))
                for name, text in documents.items():
                    add(f"EPUB/{TEXT}/{name}", text)
                for name, (path, _) in sorted(self.images.items()):
                    add(f"EPUB/{name}", path.read_bytes())
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return BuiltEpub(target, len(chapters), self.made, time.perf_counter() - started)

    def _toc(self, entries: tuple[NavEntry, ...], chapters: list[_Chapter]) -> list[dict[str, Any]]:
        """The nav as the book's table of contents: a page links to its chapter, a section holds its pages."""
        files = {chapter.page.src: chapter.file for chapter in chapters}
        toc = []
        for entry in entries:
            if entry.src is None:
                toc.append({"title": entry.title, "file": None, "children": self._toc(entry.children, chapters)})
            elif entry.src in files:
                toc.append({"title": entry.title, "file": files[entry.src], "children": []})
        return toc

    def _identifier(self) -> str:
        """A stable identifier: the same course, cohort and edition give the same book, so a reader's copy is updated, not duplicated."""
        cohort = self.cohort.name if self.cohort is not None else ""
        return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join([self.settings.site_url or self.settings.site_name, cohort, self.edition])))


def _summary(images: bool) -> str:
    """The accessibility summary: what the book offers a reader who cannot see it, or needs to change how it looks."""
    parts = [
        "The course reader as reflowable text: the reader's own font, size and colours apply.",
        "A table of contents follows the course's navigation, headings mark every part, and the reading order is the course order.",
    ]
    if images:
        parts.append("Every image has a text description.")
    parts.append("Nothing flashes, moves or plays sound.")
    return " ".join(parts)


def build_epub(
    site: BuiltSite,
    *,
    model: CourseModel,
    cohort_name: str | None = None,
    cohort_dates: str | None = None,
    edition: Edition = "participant",
    cache: PrintCache | None = None,
) -> BuiltEpub:
    """Write the EPUB course reader into the site's epub/ from the built pages; raises ContentError naming what to fix."""
    settings, course, cohort = print_setup(model, cohort_name, cohort_dates)
    builder = EpubBuilder(site, settings, course, sessions_of(model), cohort, edition)
    problems = builder.check_offered(model)
    if problems:
        raise ContentError(problems)
    return builder.write(site.root / EPUB_FOLDER / READER_EPUB, cache)
