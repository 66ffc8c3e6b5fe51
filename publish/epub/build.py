"""Compose and write the EPUB 3 course reader: a cover, a navigation document, then one chapter per page of the nav.

Written with zipfile and our own templates rather than an e-book library: the pages are already parsed
(publish/built.py) and cleaned by the print path (publish/pdf/site.py and content.py), and what is left is a handful of small XML files. The library we
tried (EbookLib) re-parses each chapter as plain HTML, which puts inline SVG in the XHTML namespace: EPUBCheck refuses it.
Here each chapter goes through an HTML5 parser (tinyhtml5, already used by WeasyPrint) that keeps SVG and MathML in
their own namespaces, and is written out as XML.
"""

from __future__ import annotations

import os
import time
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit
from urllib.request import url2pathname

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
for _prefix, _uri in (("", XHTML), ("epub", OPS), ("svg", "http://www.w3.org/2000/svg"), ("math", "http://www.w3.org/1998/Math/MathML")):
    ET.register_namespace(_prefix, _uri)

# The image formats every EPUB 3 reading system shows (the core media types), by suffix.
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}
# Inside the book: text/ holds the XHTML documents, images/ the site's images under their site paths.
TEXT = "text"
IMAGES = "images"


@dataclass(frozen=True)
class BuiltEpub:
    """The EPUB written: where, how many chapters, and how long it took."""

    path: Path
    chapters: int
    seconds: float


@dataclass
class _Chapter:
    """One page of the nav as a chapter: its file in text/, its title and its cleaned article."""

    page: SitePage
    file: str
    article: Tag
    svg: bool = False


XMLNS_ATTRIBUTE = "{http://www.w3.org/2000/xmlns/}"


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
    return '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _has_svg(article: Tag) -> bool:
    return article.find("svg") is not None


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

    def check_offered(self, model: CourseModel) -> list[Problem]:
        """Each page offers the EPUB where model.offers says it does (the home page), at its place in the site, and no page offers another EPUB."""
        problems = []
        made = f"{EPUB_FOLDER}/{READER_EPUB}"
        for page in self.pages:
            offered = set()
            for link in page.article.select('.cw-downloads a[href][type="application/epub+zip"]'):
                target = urlsplit(urljoin(content.FAKE_ORIGIN + page.url, str(link["href"]))).path.lstrip("/")
                offered.add(target)
                if target != made:
                    problems.append(Problem(page.display, page.title_line(), f"the page offers {target}, but no such EPUB is made.", f"link to {made}."))
            for wanted in [path for path, _ in model.offers(page.src) if path == made and path not in offered]:
                fix = "add the line {{ downloads() }} below the page's first paragraph."
                problems.append(Problem(page.display, page.title_line(), f"the page does not offer {wanted}.", fix))
        return problems

    def chapters(self) -> list[_Chapter]:
        """Every page of the nav, cleaned as for print, with links and images pointing inside the book."""
        links = content.Links(site_url=self.settings.site_url, pages={p.url: p.key for p in self.pages})
        # Each page has a file of its own, so its ids stay as they are (references to them inside the page, like an
        # SVG's aria-labelledby, keep working); links between pages name them as the PDFs do, '<page key>--<id>'.
        owner: dict[str, tuple[str, str]] = {}
        chapters, problems = [], []
        for page in self.pages:
            article = content.printable(page, paper=False)
            owner[page.key] = (page.key, "")
            for element in article.select("[id]"):
                owner[f"{page.key}--{element['id']}"] = (page.key, str(element["id"]))
            problems += self._images(article, page)
            for block in content.prompt_blocks(article):
                block.append(workbook_pointer(block, self.settings.site_url))
            chapters.append(_Chapter(page, f"{page.key}.xhtml", article, _has_svg(article)))
        if problems:
            raise ContentError(problems)
        links.anchors = set(owner)
        for chapter in chapters:
            content.rewrite_links(chapter.article, chapter.page, links)
            # In the PDF every page shares one document; here each has its own file.
            for link in chapter.article.select('a[href^="#"]'):
                found = owner.get(str(link["href"])[1:])
                if found is not None:
                    key, anchor = found
                    link["href"] = f"{key}.xhtml" + (f"#{anchor}" if anchor else "")
        return chapters

    def _images(self, article: Tag, page: SitePage) -> list[Problem]:
        """Point each image at its copy inside the book; an image from outside the site, or of a kind e-readers cannot show, is a problem."""
        written = content.resolve_images(article, page, self.site_dir)
        problems = []
        for image in article.select("img[src]"):
            url = str(image["src"])
            parts = urlsplit(url)
            path = Path(url2pathname(unquote(parts.path))).resolve() if parts.scheme == "file" else None
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
            self.images[inside] = (path, media_type)
            image["src"] = f"../{inside}"
        return problems

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

        Each chapter's XHTML is taken from the cache (publish/cache.py) when the HTML it is made from is unchanged."""
        started = time.perf_counter()
        cache = cache or PrintCache(None)
        chapters = self.chapters()
        title = f"{self.course.title}: Course reader" + (f" · {EDITION_LABELS[self.edition]}" if EDITION_LABELS[self.edition] else "")
        context = self._context(title)
        language = self.settings.language
        documents: dict[str, str] = {
            "cover.xhtml": to_xhtml(TEMPLATES.get_template("cover.html").render(**context), language),
            "nav.xhtml": to_xhtml(
                TEMPLATES.get_template("nav.html").render(**context, toc=self._toc(self.settings.nav, chapters), first=chapters[0].file), language
            ),
        }
        page_template = TEMPLATES.get_template("page.html")
        for chapter in chapters:
            online = self.settings.site_url + chapter.page.url if self.settings.site_url else None
            html = page_template.render(**context, page_title=chapter.page.title, html=Markup(chapter.article.decode_contents()), online=online)
            documents[chapter.file] = _chapter_xhtml(cache, f"{READER_EPUB}:{chapter.file}", html, language)
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
        return BuiltEpub(target, len(chapters), time.perf_counter() - started)

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


def _chapter_xhtml(cache: PrintCache, name: str, html: str, language: str) -> str:
    """A chapter's XHTML, from the cache when its HTML and language are unchanged, else made and stored."""
    key = cache.key("epub-chapter", html, language)
    entry = cache.load(key, name)
    if entry is not None:
        return entry.files["xhtml"].decode("utf-8")
    xhtml = to_xhtml(html, language)
    cache.store(key, name, {"xhtml": xhtml.encode("utf-8")})
    return xhtml


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
