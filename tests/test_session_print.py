"""Print per session, for any course of several sessions: a copy of the project with the fictional fixture session added
(tests/fixtures/session) is built once, and its covers, handout heads, readers, workbooks, facilitator guide, EPUB and
decks are checked against its own sessions, nav and pages.

One build serves every test here: the site without print (the facilitator edition, which holds everything the
participant edition prints, and the guide), then in this process every document composed, and printed (PDF) where a
reader's eye is needed: the last session's reader and workbook, each handout of no session or of the last session, and
the guide. The documents of the first session are the real course's, which tests/test_pdf.py prints and checks.
"""

from __future__ import annotations

import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import FIXTURE_SESSION, add_fixture_session, copy_project, run, squash
from pypdf import PdfReader
from pypdf.generic import Destination

from macros.course import CourseModel, load_model, prints
from macros.downloads import (
    EPUB_FOLDER,
    GUIDE_PDF,
    HOME_PAGE,
    PDF_FOLDER,
    READER_EPUB,
    READER_PDF,
    SLIDES_FOLDER,
    WORKBOOK_PDF,
    handout_pdf,
    reader_pdf,
    workbook_pdf,
)
from macros.models import Session
from publish.built import read_site
from publish.epub import build_epub
from publish.pdf.build import render
from publish.pdf.compose import Document, PdfBuilder, check_downloads, print_setup, sessions_of
from publish.pdf.site import page_url
from publish.slides import SlidesToWrite, prepare_slides


@dataclass
class Printed:
    """The fixture course built once: its model, the built site, every composed document, the PDFs printed and its slides."""

    project: Path
    site: Path
    model: CourseModel
    documents: dict[str, Document]
    html: dict[str, str]
    pdfs: dict[str, Path]
    slides: SlidesToWrite

    @property
    def sessions(self) -> list[Session]:
        return self.model.sessions

    @property
    def srcs(self) -> list[str]:
        """Every page of the nav, in order."""
        return [page.src_path for page in self.model.nav_pages]

    def pages_of(self, session: Session) -> list[str]:
        """A session's printed pages (src), in nav order."""
        return [page.src_path for page in self.model.session_pages(session) if prints(page.meta)]

    def prompts_on(self, src: str) -> list[str]:
        """The prompt ids a built page shows, in order."""
        html = (self.site / page_url(src) / "index.html").read_text(encoding="utf-8")
        return [str(block["data-prompt"]) for block in BeautifulSoup(html, "lxml").select("article [data-prompt]")]

    def text(self, name: str) -> list[str]:
        """Each page's text of a printed PDF, whitespace collapsed."""
        return [squash(page.extract_text() or "") for page in PdfReader(self.pdfs[name]).pages]


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Printed:
    root = tmp_path_factory.mktemp("sessions")
    project = add_fixture_session(copy_project(root / "course"))
    site = root / "site"
    built = run([sys.executable, "-m", "publish", "--no-pdf", "--edition", "facilitator", "--site-dir", str(site)], cwd=project)
    assert built.returncode == 0, built.stdout + built.stderr
    model = load_model(project / "mkdocs.yml", edition="facilitator", offline=True)
    assert len(model.sessions) > 1, "the fixture adds a session"
    settings, course, _ = print_setup(model, None, None)
    builder = PdfBuilder(read_site(site), settings, course, sessions_of(model), None, "facilitator")
    documents = {document.name: document for document in builder.compose()}
    assert list(documents) == builder.document_names()
    # What the build itself checks: every PDF a page offers is made, and the home page offers every reader and workbook.
    assert check_downloads(builder, set(documents), model) == []
    html = {name: builder.html(document) for name, document in documents.items()}
    last = model.sessions[-1]
    wanted = [reader_pdf(last), workbook_pdf(last), GUIDE_PDF]
    wanted += [handout_pdf(page.src) for page in builder.handout_pages() if model.session_of(page.src) in (None, last)]
    folder = site / PDF_FOLDER
    folder.mkdir(exist_ok=True)
    pdfs = {name: render(builder, documents[name], folder).path for name in wanted}
    build_epub(read_site(site), model=model, edition="facilitator")
    return Printed(project, site, model, documents, html, pdfs, prepare_slides(site, model))


def body_text(html: str) -> str:
    return squash(BeautifulSoup(html, "lxml").get_text(" "))


def test_each_session_has_its_own_reader_and_workbook_holding_exactly_its_pages_and_prompts(printed: Printed) -> None:
    everything = printed.documents[READER_PDF]
    assert [page.src for page in everything.sources] == [src for src in printed.srcs if prints(printed.model.pages[src].meta)]
    for session in printed.sessions:
        pages = printed.pages_of(session)
        assert pages, session.id
        reader = printed.documents[reader_pdf(session)]
        assert [page.src for page in reader.sources] == pages, session.id
        # Its workbook asks exactly the prompts its pages ask, each once, in order.
        asked = list(dict.fromkeys(prompt for src in pages for prompt in printed.prompts_on(src)))
        shown = [str(block["data-prompt"]) for block in BeautifulSoup(printed.html[workbook_pdf(session)], "lxml").select("[data-prompt]")]
        assert shown == asked, session.id
    # The programme's workbook asks every prompt of every page.
    every = list(dict.fromkeys(prompt for src in printed.srcs for prompt in printed.prompts_on(src)))
    assert [str(b["data-prompt"]) for b in BeautifulSoup(printed.html[WORKBOOK_PDF], "lxml").select("[data-prompt]")] == every
    # On paper: the last session's reader is its pages' titles, in order, and its workbook its prompts' words and no other.
    last = printed.sessions[-1]
    outline = [str(item.title) for item in PdfReader(printed.pdfs[reader_pdf(last)]).outline if isinstance(item, Destination)]
    assert outline == [printed.model.pages[src].title for src in printed.pages_of(last)]
    workbook = " ".join(printed.text(workbook_pdf(last)))
    data = printed.model.require()
    mine = {prompt for src in printed.pages_of(last) for prompt in printed.prompts_on(src)}
    # Another session's prompt may be worded as one of these (a session copied from another): only its own words tell it.
    words = {squash(data.prompts[prompt].text) for prompt in mine}
    for prompt in data.prompts.values():
        if prompt.id in mine:
            assert squash(prompt.text) in workbook, prompt.id
        elif squash(prompt.text) not in words:
            assert squash(prompt.text) not in workbook, prompt.id


def test_covers_and_handout_heads_name_their_own_session(printed: Printed) -> None:
    data = printed.model.require()
    faculty = {person.name for session in printed.sessions for person in session.faculty}
    for session in printed.sessions:
        own = {person.name for person in session.faculty}
        for name in (reader_pdf(session), workbook_pdf(session)):
            cover = body_text(printed.html[name]).split("Contents")[0].split("How to use")[0]
            for words in (session.title, session.subtitle or "", session.name, *own):
                assert squash(words) in cover, (name, words)
            assert not [other for other in faculty - own if other in cover], name
    # The whole programme's reader, on paper and as an e-book, names every session's faculty and no one session.
    with zipfile.ZipFile(printed.site / EPUB_FOLDER / READER_EPUB) as book:
        epub_cover = squash(BeautifulSoup(book.read("EPUB/text/cover.xhtml"), "lxml-xml").get_text(" "))
    for cover in (body_text(printed.html[READER_PDF]).split("Contents")[0], epub_cover):
        assert all(name in cover for name in faculty), cover
        assert not [session.name for session in printed.sessions if session.name in cover], cover
    # Each handout's head: its page's session, or the programme for a page of no session.
    for name, document in printed.documents.items():
        if document.template != "handout.html":
            continue
        session = printed.model.session_of(document.sources[0].src)
        head = squash(BeautifulSoup(printed.html[name], "lxml").select_one(".handout-head").get_text(" "))
        title = session.title if session is not None else data.course.title
        assert f"Handout · {title}" in head, name
        assert (session.name in head) if session is not None else not [s.name for s in printed.sessions if s.name in head], name
        if name in printed.pdfs:
            first = printed.text(name)[0].casefold()
            assert squash(f"Handout · {title}").casefold() in first, name
            if session is not None:
                assert f"{session.name} · {data.course.programme}".casefold() in first, name
    last = printed.sessions[-1]
    cover = printed.text(reader_pdf(last))[0]
    for words in (last.title, last.name, *(person.name for person in last.faculty)):
        assert squash(words) in cover, words


def test_the_facilitator_guide_prints_with_each_session_under_its_name(printed: Printed) -> None:
    reader = PdfReader(printed.pdfs[GUIDE_PDF])
    top = [str(item.title) for item in reader.outline if isinstance(item, Destination)]
    headings = [f"{session.name}: {session.title}" for session in printed.sessions]
    # Each session with notes has its heading, in the sessions' order.
    noted = {session.id for page in printed.documents[GUIDE_PDF].sources if (session := printed.model.session_of(page.src)) is not None}
    assert noted
    assert [f"{s.name}: {s.title}" for s in printed.sessions if s.id in noted] == [title for title in top if title in headings]
    # It printed (WeasyPrint's "No anchor" fails the print), and every link inside it leads to a place in it: none to a
    # page the guide leaves out.
    guide = BeautifulSoup(printed.html[GUIDE_PDF], "lxml")
    assert [a["href"] for a in guide.select('a[href^="#"]') if guide.find(id=str(a["href"])[1:]) is None] == []
    # Its list of slides names each session's deck.
    text = " ".join(squash(page.extract_text() or "") for page in reader.pages).replace(" ", "")
    assert all(deck.pptx.replace(" ", "") in text for deck in printed.slides.decks)


def _untitled(raw: Any) -> list[str]:
    """The pages mkdocs.yml's nav lists without a title of their own."""
    bare: list[str] = []
    for item in raw or []:
        if isinstance(item, str):
            bare.append(item)
        elif isinstance(item, dict):
            for value in item.values():
                bare += _untitled(value) if isinstance(value, list) else []
    return bare


def test_a_section_overview_shows_its_own_title_in_outlines_and_contents(printed: Printed) -> None:
    bare = _untitled(printed.model.config["nav"])
    assert bare, "the fixture's overview is listed without a title"
    # What MkDocs titles such a page by: its front matter's `title:`.
    expected = {src: yaml.safe_load((printed.project / "docs" / src).read_text(encoding="utf-8").split("---")[1])["title"] for src in bare}
    stems = {Path(src).stem for src in bare}
    reader = printed.documents[READER_PDF].context["contents"]
    last = printed.sessions[-1]
    pdf_titles = [str(i.title) for i in PdfReader(printed.pdfs[reader_pdf(last)]).outline if isinstance(i, Destination)]
    with zipfile.ZipFile(printed.site / EPUB_FOLDER / READER_EPUB) as book:
        toc = BeautifulSoup(book.read("EPUB/text/nav.xhtml"), "lxml-xml").select("nav ol a, nav ol span")
    for titles in ([entry["title"] for entry in reader], pdf_titles, [label.get_text(strip=True) for label in toc]):
        assert not stems & set(titles), titles
    assert set(expected.values()) <= {entry["title"] for entry in reader}
    assert {title for src, title in expected.items() if src in printed.pages_of(last)} <= set(pdf_titles)


def test_each_session_has_its_own_deck_and_the_home_page_offers_every_file(printed: Printed) -> None:
    decks = printed.slides.decks
    assert len(decks) == len(printed.sessions) and len({deck.pdf for deck in decks}) == len(decks)
    # The fixture session's records, and its own session: its deck shows them all, every other deck none.
    records = [yaml.safe_load((FIXTURE_SESSION / "data" / name).read_text(encoding="utf-8")) for name in ("findings.yml", "sources.yml")]
    fixture = [record["title"] for table in records for record in table]
    ids = {record["id"] for record in yaml.safe_load((FIXTURE_SESSION / "data" / "sessions.yml").read_text(encoding="utf-8"))}
    assert fixture and ids
    for session, deck in zip(printed.sessions, decks, strict=True):
        title = deck.laid[0].slide
        assert (title.title, title.subtitle) == (session.title, session.subtitle or "")
        said = " ".join(line.text for line in title.lines)
        assert all(person.name in said for person in session.faculty)
        shown = " ".join(laid.slide.title + " " + " ".join(line.text for line in laid.slide.lines) for laid in deck.laid)
        assert [t for t in fixture if t in shown] == (fixture if session.id in ids else []), session.id
    made = {f"{PDF_FOLDER}/{name}" for name in printed.documents} | {f"{EPUB_FOLDER}/{READER_EPUB}"}
    made |= {f"{SLIDES_FOLDER}/{name}" for deck in decks for name in (deck.pdf, deck.pptx)}
    home = BeautifulSoup((printed.site / page_url(HOME_PAGE) / "index.html").read_text(encoding="utf-8"), "lxml")
    offered = {str(a["href"]).removeprefix("./") for a in home.select(".cw-downloads a[href]")}
    assert offered == made - {f"{PDF_FOLDER}/{name}" for name, d in printed.documents.items() if d.template in ("handout.html", "guide.html")}
    # Each page of a session that offers files offers its session's reader and workbook.
    for session in printed.sessions:
        for src in printed.pages_of(session):
            page = printed.site / page_url(src) / "index.html"
            links = {(page.parent / str(a["href"])).resolve() for a in BeautifulSoup(page.read_text(encoding="utf-8"), "lxml").select(".cw-downloads a[href]")}
            if links:
                assert {(printed.site / PDF_FOLDER / name).resolve() for name in (reader_pdf(session), workbook_pdf(session))} <= links, src
