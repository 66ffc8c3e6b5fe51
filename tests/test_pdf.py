"""The printed course: reader, handouts and workbook, read back from the PDFs the real build wrote."""

from __future__ import annotations

import copy
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from conftest import PNG, ROOT, NavEntry, assert_holds_every_finding_and_prompt, edit_page, in_reader, nav_pages, nav_tree, part_starts, run, squash
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import Destination

from macros.course import load_model
from macros.data import load_course
from macros.diagrams import PAPER_DRAWING
from macros.downloads import GUIDE_PDF, HOME_PAGE, PDF_FOLDER, READER_PDF, WORKBOOK_PDF, handout_pdf, printed_sessions, reader_pdf, workbook_pdf
from macros.errors import ContentError
from macros.models import Session
from macros.schedule import SEGMENT_PARTS, page_key, parts_of, schedule_pages
from publish.built import PageFacts, read_site
from publish.cache import PrintCache
from publish.pdf import build, content, stylesheet_warnings
from publish.pdf.build import build_pdfs, render
from publish.pdf.compose import PdfBuilder, PrintedCohort, page_css, sessions_of
from publish.pdf.content import GUIDE_BLOCKS, SCREEN_ONLY, copy_tree, elements, guide_blocks, links_of, prefix_ids, printable, prompt_blocks, screen_only
from publish.pdf.site import SitePage, page_url, settings_of

DATA = load_course(ROOT / "docs")
# Every page of the schedule, keyed as a cohort names it, with its `minutes:`.
SCHEDULE = schedule_pages(ROOT / "docs")
MODEL = load_model(ROOT / "mkdocs.yml")
SETTINGS = settings_of(MODEL)
# The sessions with a reader and a workbook of their own (each of several; none of one, whose are the course's).
OWN = printed_sessions(MODEL.sessions)


def _printed(entries: list[NavEntry]) -> list[NavEntry]:
    """The nav as the reader prints it: pages marked `reader: false` left out."""
    kept: list[NavEntry] = []
    for title, value in entries:
        if isinstance(value, list):
            kept.append((title, _printed(value)))
        elif in_reader(SETTINGS, value):
            kept.append((title, value))
    return kept


NAV = _printed(nav_tree())


@cache
def pdf_text(path: Path) -> list[str]:
    """Each page's text as a reader's PDF viewer extracts it, whitespace collapsed."""
    return [squash(page.extract_text() or "") for page in PdfReader(path).pages]


def printed_pages() -> list[tuple[str, str]]:
    """(nav title, src) of every page the reader prints, in nav order."""
    return nav_pages(NAV)


def prompts_on(site: Path, src: str) -> list[str]:
    """The prompt ids a built page shows, in order."""
    html = (site / page_url(src) / "index.html").read_text(encoding="utf-8")
    return [str(b["data-prompt"]) for b in BeautifulSoup(html, "lxml").select("article [data-prompt]")]


def first_asked(site: Path) -> dict[str, list[str]]:
    """Page -> the prompts it is the first page to ask: the pages that get a handout."""
    asked: set[str] = set()
    pages = {}
    for _, src in printed_pages():
        new = [p for p in prompts_on(site, src) if p not in asked]
        asked.update(new)
        if new:
            pages[src] = new
    return pages


def session_of(name: str) -> Session | None:
    """The session a printed document is for, as its cover, its head and its title name it: a session's reader or
    workbook, or a handout of its page; None for the whole programme's. A course of one session is that session's."""
    if len(MODEL.sessions) == 1:
        return MODEL.sessions[0]
    for session in OWN:
        if name in own_files(session):
            return session
    return next((MODEL.session_of(src) for _, src in printed_pages() if handout_pdf(src) == name), None)


def own_files(session: Session | None) -> list[str]:
    """A session's own reader and workbook, in a course of several sessions (none otherwise)."""
    return [reader_pdf(session), workbook_pdf(session)] if session in OWN else []


def test_make_site_writes_every_pdf_and_the_site_links_to_each(site: Path) -> None:
    handouts = first_asked(site)
    # Every segment asks its own prompts, so each has a handout.
    assert {src for _, src in printed_pages() if parts_of(SCHEDULE.get(page_key(src), {})) == SEGMENT_PARTS} <= set(handouts)
    # The programme's reader and workbook, each session's of several, and the handouts.
    readers = [READER_PDF, WORKBOOK_PDF, *(name for session in OWN for name in own_files(session))]
    assert {p.name for p in (site / "pdf").glob("*.pdf")} == {*readers, *(handout_pdf(src) for src in handouts)}
    # The home page offers every reader and workbook; a handout's page its handout, and its session's reader and workbook.
    for src, names in [(HOME_PAGE, readers), *((src, [handout_pdf(src), *own_files(MODEL.session_of(src))]) for src in handouts)]:
        page = site / page_url(src) / "index.html"
        links = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml").select(".cw-downloads a[href]")
        targets = {(page.parent / str(a["href"])).resolve() for a in links}
        for name in names:
            assert (site / "pdf" / name).resolve() in targets, f"{src} does not link to {name}"
        assert all(t.is_file() for t in targets), f"{src} links to a PDF that is not there"


def test_reader_holds_every_finding_item_and_every_prompt(site: Path) -> None:
    assert_holds_every_finding_and_prompt(" ".join(pdf_text(site / "pdf" / READER_PDF)))


def test_each_handout_holds_its_own_prompts_and_no_other(site: Path) -> None:
    for src, asked in first_asked(site).items():
        text = " ".join(pdf_text(site / "pdf" / handout_pdf(src)))
        shown = set(prompts_on(site, src))
        assert set(asked) <= shown
        for prompt in DATA.prompts.values():
            if prompt.id in shown:
                assert squash(prompt.text) in text, f"{prompt.id} missing from the handout of {src}"
            else:
                assert squash(prompt.text) not in text, f"{prompt.id} does not belong in the handout of {src}"
        first_page = pdf_text(site / "pdf" / handout_pdf(src))[0]
        assert all(word in first_page for word in ("Name", "Cohort", "Date")), f"no line for name, cohort and date in the handout of {src}"


# The body's smallest text: the list's "New" badge. No label of a picture prints smaller.
SMALLEST_TEXT = re.compile(r"\.cw-badge\s*\{[^}]*?font-size:\s*([\d.]+)pt")


@cache
def text_sizes(pdf: Path) -> dict[str, float]:
    """Each piece of text a PDF draws -> the smallest size it is drawn at, in points (its font size, scaled as drawn)."""
    sizes: dict[str, float] = {}

    def seen(text: str, cm: list[float], tm: list[float], _: Any, size: float) -> None:
        a, b = tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3]
        c, d = tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3]
        if text.strip():
            sizes[text.strip()] = min(sizes.get(text.strip(), math.inf), size * math.sqrt(abs(a * d - b * c)))

    for page in PdfReader(pdf).pages:
        page.extract_text(visitor_text=seen)
    return sizes


def test_the_two_pictures_print_with_every_label_legible_and_in_greyscale(site: Path) -> None:
    # The pictures are the site's own SVG: each line of each label prints as a line of its own, in dark neutral ink, and
    # no smaller than the body's smallest text.
    smallest = float(SMALLEST_TEXT.search((ROOT / "publish" / "pdf" / "print.css").read_text(encoding="utf-8")).group(1))  # type: ignore[union-attr]
    for src in ("how-to-make-progress.md", "synthesis.md"):
        built = BeautifulSoup((site / src.removesuffix(".md") / "index.html").read_text(encoding="utf-8"), "lxml")
        # What prints is a picture's drawing for paper where it has one (macros/diagrams.py), else its only drawing.
        printed = [figure.select_one(f"svg.{PAPER_DRAWING}") or figure.select_one("svg") for figure in built.select("figure.cw-diagram")]
        drawn = [span.get_text() for svg in printed if svg is not None for span in svg.select("text tspan")]
        assert drawn, f"no picture on {src}"
        labels = drawn + [text.get_text() for svg in printed if svg is not None for text in svg.select("text") if not text.select("tspan")]
        for pdf in (site / "pdf" / handout_pdf(src), site / "pdf" / READER_PDF):
            lines = {line.strip() for page in PdfReader(pdf).pages for line in (page.extract_text() or "").splitlines()}
            # A new item's first line prints after its "New" badge.
            missing = [line for line in drawn if line not in lines and f"New {line}" not in lines]
            assert not missing, f"{pdf.name} lacks these lines of the pictures on {src}: {missing}"
            small = {label: round(text_sizes(pdf)[label], 2) for label in labels if text_sizes(pdf).get(label, math.inf) < smallest - 0.01}
            assert not small, f"{pdf.name} prints these labels of the pictures on {src} smaller than {smallest}pt: {small}"
        assert dark_and_neutral(text_colours(site / "pdf" / handout_pdf(src)))


def test_workbook_has_every_reflection_in_course_order_with_room_to_write_and_each_discussion_with_its_time_box(site: Path) -> None:
    text = " ".join(pdf_text(site / "pdf" / WORKBOOK_PDF))
    order = [p for ids in first_asked(site).values() for p in ids]
    positions = [text.find(squash(DATA.prompts[p].text)) for p in order]
    assert -1 not in positions, [p for p, at in zip(order, positions, strict=True) if at == -1]
    assert positions == sorted(positions), "the workbook's prompts are not in course order"
    for prompt in DATA.prompts.values():
        if prompt.kind == "discussion":
            at = text.find(squash(prompt.text))
            assert f"{prompt.minutes} minutes" in text[max(0, at - 200) : at], f"{prompt.id} lost its time box"


def test_outline_mirrors_the_nav(site: Path) -> None:
    def check(entries: list[NavEntry], items: list[Any]) -> None:
        nodes: list[tuple[str, list[Any]]] = []
        for item in items:
            if isinstance(item, list):
                # What hangs under an entry: a section's pages, or a page's own headings.
                nodes[-1] = (nodes[-1][0], item)
            else:
                nodes.append((str(item.title), []))
        assert [title for title, _ in nodes] == [title for title, _ in entries]
        for (_, value), (_, children) in zip(entries, nodes, strict=True):
            if isinstance(value, list):
                check(value, children)

    check(NAV, PdfReader(site / "pdf" / READER_PDF).outline)


def test_the_reader_and_the_workbook_put_each_part_of_a_session_inside_its_section(site: Path) -> None:
    # The deck's order (issue 12): every page of the schedule (the opening, the segments, the closing) under its nav section.
    outline = PdfReader(site / "pdf" / READER_PDF).outline
    sessions = [(title, value) for title, value in NAV if isinstance(value, list) and any(page_key(src) in SCHEDULE for _, src in nav_pages(value))]
    assert sessions
    for title, value in sessions:
        at = next(i for i, item in enumerate(outline) if isinstance(item, Destination) and str(item.title) == title)
        assert [str(item.title) for item in outline[at + 1] if isinstance(item, Destination)] == [name for name, _ in nav_pages(value)], title
    # The workbook asks each page's prompts in the nav's order: the pre-work's before the opening's, the closing's last.
    workbook = " ".join(pdf_text(site / "pdf" / WORKBOOK_PDF))
    at = [workbook.find(squash(DATA.prompts[prompts[0]].text)) for prompts in first_asked(site).values()]
    assert len(at) > 1 and -1 not in at and at == sorted(at), "the workbook does not follow the deck's order"


def test_contents_give_the_page_each_part_starts_on(site: Path) -> None:
    contents = pdf_text(site / "pdf" / READER_PDF)[1]
    assert contents.startswith("Contents")
    starts = part_starts(site / "pdf" / READER_PDF)
    for title, _ in printed_pages():
        assert f"{squash(title)} {starts[title]}" in contents, f"contents give the wrong page for {title}"


def test_every_page_says_page_n_of_m_and_carries_the_running_header(site: Path) -> None:
    pages = pdf_text(site / "pdf" / READER_PDF)
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
    assert all(DATA.course.title in text for text in pages[1:])
    first_segment = next(title for title, src in printed_pages() if parts_of(SCHEDULE.get(page_key(src), {})) == SEGMENT_PARTS)
    assert any(f"{DATA.course.title} {first_segment} Page" in text for text in pages), "no running header names the segment"


def test_metadata_language_tags_and_fonts(site: Path) -> None:
    for path in sorted((site / "pdf").glob("*.pdf")):
        reader = PdfReader(path)
        meta = reader.metadata
        session = session_of(path.name)
        assert meta is not None and meta.title and meta.title.startswith(session.title if session else DATA.course.title), path.name
        assert meta.author == DATA.course.centre, path.name
        assert meta.subject, path.name
        root = reader.trailer["/Root"]
        assert root["/Lang"] == "en", path.name
        assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root, f"{path.name} is not tagged"
        assert dark_and_neutral(text_colours(path)), f"{path.name} has coloured or pale text: {text_colours(path)}"
        for page in reader.pages:
            for font in page["/Resources"]["/Font"].values():
                descendant = font.get_object()
                descriptor = (descendant["/DescendantFonts"][0].get_object() if "/DescendantFonts" in descendant else descendant)["/FontDescriptor"]
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), f"{path.name}: font not embedded"
    reader = PdfReader(site / "pdf" / READER_PDF)
    programme = session_of(READER_PDF)
    assert reader.metadata is not None and reader.metadata.title == f"{programme.title if programme else DATA.course.title}: Course reader"
    # Cover, contents, then at least a page per page of the nav.
    assert len(reader.pages) >= len(printed_pages()) + 2
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (612, 792), "the default paper is US Letter"


def test_reader_links_stay_inside_the_pdf(site: Path) -> None:
    reader = PdfReader(site / "pdf" / READER_PDF)
    internal, external = 0, []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is None:
                internal += 1
            elif "/URI" in action:
                external.append(str(action["/URI"]))
            else:
                internal += 1
    assert internal >= len(printed_pages()), "the contents and cross-references should link inside the PDF"
    # Without site_url there is no live address to send a reader to: nothing may point at a relative or local path.
    assert all(uri.startswith(("http://", "https://", "mailto:")) for uri in external), external


def test_cover_names_the_course_session_host_and_faculty(site: Path) -> None:
    # Each reader's cover names its session (the programme's, of one session, that session), the host and its faculty; the
    # programme's of several names the course, every session's faculty and no one session.
    course = DATA.course
    for name in (READER_PDF, *map(reader_pdf, OWN)):
        cover = pdf_text(site / "pdf" / name)[0]
        session = session_of(name)
        if session is not None:
            words = [session.title, session.subtitle or "", session.name, *(f.name for f in session.faculty)]
        else:
            words = [course.title, course.subtitle or "", *(f.name for s in MODEL.sessions for f in s.faculty)]
            assert not [s.name for s in MODEL.sessions if squash(s.name) in cover], name
        for shown in (*words, course.centre):
            assert squash(shown) in cover, (name, shown)
        assert "Cohort" not in cover


def test_a_cohort_build_prints_its_cohort_on_covers_and_handout_heads(cohort_site: Path) -> None:
    name = "Mayor's Academy – Summer Institute 2025"
    assert f"Cohort: {name}" in pdf_text(cohort_site / "pdf" / READER_PDF)[0]
    handout = pdf_text(cohort_site / "pdf" / handout_pdf("what-to-expect.md"))
    assert f"Cohort: {name}" in handout[0]
    assert all(f"{DATA.course.title} · {name}" in text for text in handout[1:])
    assert "facilitator edition" not in pdf_text(cohort_site / "pdf" / READER_PDF)[0].lower()


def test_the_facilitator_edition_says_so_on_its_covers(facilitator_site: Path) -> None:
    assert "facilitator edition" in pdf_text(facilitator_site / "pdf" / READER_PDF)[0].lower()
    assert "facilitator edition" in pdf_text(facilitator_site / "pdf" / handout_pdf("what-to-expect.md"))[0].lower()


def test_print_stylesheet_is_clean_and_the_check_would_catch_a_bad_rule() -> None:
    assert stylesheet_warnings(build.STYLESHEET.read_text(encoding="utf-8")) == []
    assert stylesheet_warnings("p { colr: red; }"), "a misspelt property must be reported"


# Faults below are injected into a copy of the built site, so no second MkDocs build is needed.

# (built_copy and edit_page are in conftest.py.)


def test_a_bad_print_rule_stops_the_build(built_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "print.css"
    broken.write_text(build.STYLESHEET.read_text(encoding="utf-8") + "\n.cw-finding { break-insid: avoid; }\n", encoding="utf-8")
    monkeypatch.setattr(build, "STYLESHEET", broken)
    with pytest.raises(ContentError) as error:
        build_pdfs(read_site(built_copy), model=load_model(ROOT / "mkdocs.yml"))
    line = len(broken.read_text(encoding="utf-8").splitlines())
    assert f"publish/pdf/print.css:{line}: WeasyPrint will not apply a rule: Ignored `break-insid: avoid`" in str(error.value)
    assert not (built_copy / "pdf").exists()


def test_a_page_that_has_prompts_but_no_handout_link_is_named(built_copy: Path) -> None:
    edit_page(built_copy, "where-to-begin.md", lambda soup: soup.select_one(".cw-downloads").decompose())
    with pytest.raises(ContentError) as error:
        build_pdfs(read_site(built_copy), model=load_model(ROOT / "mkdocs.yml"))
    line = next(n for n, text in enumerate((ROOT / "docs/where-to-begin.md").read_text(encoding="utf-8").splitlines(), start=1) if text.startswith("# "))
    # One problem, naming every file the page should offer: its handout, and its session's reader and workbook of several.
    assert str(error.value).count("Fix:") == 1
    lacking = ", ".join(f"pdf/{name}" for name in [handout_pdf("where-to-begin.md"), *own_files(MODEL.session_of("where-to-begin.md"))])
    assert f"docs/where-to-begin.md:{line}: the page does not offer {lacking}." in str(error.value)
    assert "Fix: add the line {{ downloads() }} below the page's objectives" in str(error.value)


def builder_for(site: Path, config: Path = ROOT / "mkdocs.yml") -> PdfBuilder:
    model = load_model(config)
    return PdfBuilder(read_site(site), settings_of(model), DATA.course, sessions_of(model), None, "participant")


def variant(builder: PdfBuilder, **attributes: Any) -> PdfBuilder:
    """A copy of builder with these attributes changed."""
    changed = copy.copy(builder)
    changed.__dict__.update(attributes)
    return changed


def edited(builder: PdfBuilder, target: SitePage, text: str) -> PdfBuilder:
    """A copy of builder whose page target has text added to its first paragraph."""
    pages = [replace(each, html=each.html.replace("</p>", f" {text}</p>", 1)) if each is target else each for each in builder.pages]
    return variant(builder, pages=pages)


def test_a_handout_is_found_by_its_inputs_only_while_they_compose_the_same_document(site: Path) -> None:
    """A handout's inputs (PdfBuilder.handout_inputs, which the print cache finds it by without composing it) change
    whenever what composing it gives does, and stay when an edit elsewhere leaves it as it was."""
    builder = builder_for(site)
    page, other = builder.handout_pages()[:2]

    def composed(changed: PdfBuilder) -> tuple[tuple[str, ...], str]:
        changed.__dict__.pop("_edition_inputs", None)
        own = next(each for each in changed.pages if each.src == page.src)
        document = changed.handout(own)
        return changed.handout_inputs(own), changed.html(document) + page_css(changed.settings, changed.running(document))

    inputs, html = composed(builder)
    assert composed(variant(builder)) == (inputs, html)
    # An edit to another page: the same inputs, the same document.
    assert composed(edited(builder, other, "Another page's edit.")) == (inputs, html)
    # The page itself, what the course record prints, the cohort, the site's address, the edition: new inputs, a new document.
    for changed in (
        edited(builder, page, "This page's edit."),
        variant(builder, course=builder.course.model_copy(update={"programme": builder.course.programme + " (edited)"})),
        variant(builder, cohort=PrintedCohort("A cohort", "1 May")),
        variant(builder, settings=replace(builder.settings, site_url="https://example.org/course/")),
        variant(builder, edition="facilitator"),
    ):
        now_inputs, now_html = composed(changed)
        assert now_html != html
        assert now_inputs != inputs


def test_every_document_is_found_by_its_inputs_only_while_they_compose_the_same_document(site: Path) -> None:
    """Every PDF's inputs (PdfBuilder.planned: the reader's, a workbook's and the guide's course_inputs as well as each
    handout's) change whenever what composing it gives does: the print cache finds a document by them without composing it."""
    builder = builder_for(site)

    def composed(changed: PdfBuilder) -> dict[str, tuple[tuple[str, ...] | None, str]]:
        changed.__dict__.pop("_edition_inputs", None)
        changed._handout_pages = None
        made = {}
        for planned in changed.planned():
            document = planned.make()
            made[planned.name] = (planned.inputs, changed.html(document) + page_css(changed.settings, changed.running(document)))
        return made

    documents = composed(builder)
    assert all(inputs is not None for inputs, _ in documents.values())
    assert composed(variant(builder)) == documents
    for changed in (
        *(edited(builder, page, "This page's edit.") for page in builder.pages),
        variant(builder, course=builder.course.model_copy(update={"programme": builder.course.programme + " (edited)"})),
        variant(builder, cohort=PrintedCohort("A cohort", "1 May")),
        variant(builder, settings=replace(builder.settings, site_url="https://example.org/course/")),
        variant(builder, edition="facilitator"),
    ):
        now = composed(changed)
        differ = [name for name in documents.keys() & now.keys() if now[name][1] != documents[name][1]]
        assert differ, "each change must change some document"
        assert [name for name in differ if now[name][0] == documents[name][0]] == []


def test_make_pdf_remakes_the_pdfs_of_the_built_site_as_make_site_printed_them(built_copy: Path, site: Path, tmp_path: Path) -> None:
    # `make pdf`: the PDFs alone, over a site already built (a copy of the session's, without its pdf/).
    result = run([sys.executable, "-m", "publish.pdf", "--site-dir", str(built_copy)], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    made = {path.name: path.read_bytes() for path in sorted((built_copy / PDF_FOLDER).glob("*.pdf"))}
    assert made == {path.name: path.read_bytes() for path in sorted((site / PDF_FOLDER).glob("*.pdf"))}
    said = result.stdout.splitlines()
    assert len(said) == len(made) and all(re.fullmatch(rf"{PDF_FOLDER}/[\w.-]+\.pdf: \d+ pages in [\d.]+ s", line) for line in said), said
    # A folder without a built site is named, with what to run first.
    result = run([sys.executable, "-m", "publish.pdf", "--site-dir", str(tmp_path / "nothing")], cwd=ROOT)
    assert (result.returncode, result.stderr) == (1, f"{tmp_path / 'nothing'} holds no built site. Run `make site` first.\n")


def test_a_picture_is_printed_from_the_site_wherever_the_site_was_built(built_copy: Path, tmp_path: Path) -> None:
    # Each build writes its site in a scratch folder of its own: what is composed of a page with a picture names the
    # picture from the site's root, so the same course composes the same documents (and the print cache finds them).
    (built_copy / "what-to-expect" / "chart.png").write_bytes(PNG)

    def plant(soup: BeautifulSoup) -> None:
        article = soup.select_one("article")
        assert article is not None
        article.append(BeautifulSoup('<p><img src="chart.png" alt="A grey square"></p>', "lxml").p)

    edit_page(built_copy, "what-to-expect.md", plant)
    elsewhere = shutil.copytree(built_copy, tmp_path / "elsewhere" / "site")
    composed = []
    for site in (built_copy, elsewhere):
        builder = builder_for(site)
        page = next(p for p in builder.pages if p.src == "what-to-expect.md")
        document = builder.handout(page)
        assert document.images == {"what-to-expect/chart.png": "chart.png"}
        composed.append((builder.html(document), builder.handout_inputs(page), builder.course_inputs()))
        (site / "pdf").mkdir()
        pdf = render(builder, document, site / "pdf")
        assert any(page.images for page in PdfReader(pdf.path).pages)
    assert composed[0] == composed[1]
    assert str(built_copy) not in composed[0][0]


def test_a_page_cannot_make_the_pdf_read_a_file_outside_the_site(built_copy: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("build machine secret", encoding="utf-8")

    def plant(soup: BeautifulSoup) -> None:
        article = soup.select_one("article")
        assert article is not None
        article.append(BeautifulSoup(f'<p><img src="{secret.as_uri()}" alt="x"><a rel="attachment" href="{secret.as_uri()}">notes</a></p>', "lxml").p)
        # A picture the site lacks, named as the page wrote it (not by where this build put the site).
        article.append(BeautifulSoup('<p><img src="../../gone/chart.png" alt="y"></p>', "lxml").p)

    edit_page(built_copy, "what-to-expect.md", plant)
    builder = builder_for(built_copy)
    page = next(p for p in builder.pages if p.src == "what-to-expect.md")
    (built_copy / "pdf").mkdir()
    with pytest.raises(ContentError) as error:
        render(builder, builder.handout(page), built_copy / "pdf")
    assert f"docs/what-to-expect.md:{page.title_line()}: the page refers to {secret.as_uri()}, which is outside the built site" in str(error.value)
    assert f"docs/what-to-expect.md:{page.title_line()}: the page refers to ../../gone/chart.png, which is outside the built site" in str(error.value)
    assert str(built_copy) not in str(error.value).replace(str(secret), "")
    assert list((built_copy / "pdf").iterdir()) == []


def test_warnings_in_the_worker_processes_still_fail_the_build_with_the_same_messages(
    built_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not an image")

    def plant(soup: BeautifulSoup) -> None:
        article = soup.select_one("article")
        assert article is not None
        article.append(BeautifulSoup(f'<p style="break-insid: avoid"><img src="{secret.as_uri()}" alt="x"></p>', "lxml").p)

    edit_page(built_copy, "what-to-expect.md", plant)
    # Print on two processes even on a one-core machine.
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    with pytest.raises(ContentError) as error:
        build_pdfs(read_site(built_copy), model=load_model(ROOT / "mkdocs.yml"))
    message = str(error.value)
    assert "WeasyPrint warned while printing course-reader.pdf: Ignored `break-insid: avoid`" in message
    assert f"the page refers to {secret.as_uri()}, which is outside the built site" in message
    # Nothing half-written is left, and no PDF moved into place before the reader failed.
    assert list((built_copy / "pdf").iterdir()) == []


def test_handout_links_go_to_the_live_site_when_site_url_is_set_and_paper_can_be_a4(built_copy: Path, project: Path) -> None:
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("    page_size: letter", "    page_size: a4") + "\nsite_url: https://course.example.org/\n", encoding="utf-8")
    builder = builder_for(built_copy, config)
    page = next(p for p in builder.pages if p.src == "what-to-expect.md")
    (built_copy / "pdf").mkdir()
    made = render(builder, builder.handout(page), built_copy / "pdf")
    reader = PdfReader(made.path)
    uris = [str(a.get_object()["/A"]["/URI"]) for p in reader.pages for a in p.get("/Annots") or [] if "/URI" in a.get_object().get("/A", {})]
    assert "https://course.example.org/how-to-make-progress/" in uris
    assert all(u.startswith("https://") for u in uris)
    assert (round(float(reader.pages[0].mediabox.width)), round(float(reader.pages[0].mediabox.height))) == (595, 842)


def test_an_unknown_paper_size_is_named_with_its_line(project: Path) -> None:
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8").replace("    page_size: letter", "    page_size: legal")
    config.write_text(text, encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), start=1) if "page_size:" in t)
    with pytest.raises(ContentError) as error:
        settings_of(load_model(config))
    assert f"mkdocs.yml:{line}: `page_size: legal` is not a paper size the PDFs know." in str(error.value)
    assert "Fix: use `page_size: letter` or `page_size: a4`." in str(error.value)


def test_content_tabs_print_as_labelled_sections() -> None:
    html = (
        '<article><div class="tabbed-set tabbed-alternate"><input type="radio" id="t1"><input type="radio" id="t2">'
        '<div class="tabbed-labels"><label for="t1">Mayor</label><label for="t2">Team</label></div>'
        '<div class="tabbed-content"><div class="tabbed-block"><p>First view.</p></div><div class="tabbed-block"><p>Second view.</p></div></div>'
        '</div><details class="note"><summary>More</summary><p>Hidden on screen.</p></details></article>'
    )
    printed = printable(SitePage(src="x.md", url="x/", title="X", html=html))
    assert [squash(s.get_text(" ")) for s in printed.select(".print-tab")] == ["Mayor First view.", "Team Second view."]
    assert printed.select_one(".admonition.note .admonition-title").get_text() == "More"  # type: ignore[union-attr]
    assert not printed.select("input, details")


def test_a_picture_drawn_for_paper_prints_that_drawing_and_the_epub_the_screen_one() -> None:
    html = (
        '<article><figure class="cw-diagram"><svg viewBox="0 0 3 4" role="img" aria-label="P"><text>screen</text></svg>'
        f'<svg class="{PAPER_DRAWING}" viewBox="0 0 4 3" role="img" aria-label="P"><text>paper</text></svg></figure>'
        '<figure class="cw-diagram"><svg viewBox="0 0 3 4" role="img" aria-label="Q"><text>only</text></svg></figure></article>'
    )
    for paper, drawn in ((True, ["paper", "only"]), (False, ["screen", "only"])):
        printed = printable(SitePage(src="x.md", url="x/", title="X", html=html), paper=paper)
        assert [svg.get_text() for svg in printed.select("figure svg")] == drawn


def text_colours(path: Path) -> set[tuple[float, ...]]:
    """The fill colours a PDF's text is drawn in, as RGB triples."""
    seen: set[tuple[float, ...]] = set()
    fill: list[tuple[float, ...]] = [(0.0, 0.0, 0.0)]

    def before(operator: bytes, args: list[Any], *_: Any) -> None:
        if operator in (b"rg", b"sc", b"scn") and len(args) == 3:
            fill[0] = tuple(float(a) for a in args)
        elif operator == b"g" and len(args) == 1:
            fill[0] = (float(args[0]),) * 3
        elif operator in (b"Tj", b"TJ"):
            seen.add(fill[0])

    for page in PdfReader(path).pages:
        fill[0] = (0.0, 0.0, 0.0)  # each page starts in black
        page.extract_text(visitor_operand_before=before)
    return seen


def dark_and_neutral(colours: set[tuple[float, ...]]) -> bool:
    """True if every colour is a dark grey or black: legible on paper, and the same in greyscale."""
    return all(max(c) <= 0.4 and max(c) - min(c) < 0.05 for c in colours)


@pytest.mark.browser
def test_printing_a_page_from_the_browser_gives_the_content_without_site_chrome(site: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "Chromium is missing: `make test` installs it"
    printed = tmp_path / "printed.pdf"
    # Dark mode on screen must still print dark ink on white paper.
    switches = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
    page = (site / "what-to-expect" / "index.html").as_uri()
    command = [chromium, *switches, "--force-dark-mode", "--no-pdf-header-footer", f"--print-to-pdf={printed}", page]
    subprocess.run(command, capture_output=True, check=True, timeout=120)
    pages = [squash(page.extract_text() or "") for page in PdfReader(printed).pages]
    assert pages[0].startswith("What to expect"), pages[0][:120]
    text = " ".join(pages)
    assert squash(DATA.prompts["your-top-challenge"].text) in text
    # Nav titles ("1 · What to expect"), the search box and the download box belong to the screen only.
    for chrome in ("1 · What to expect", "3 · Where to begin", "Search", "Handout for this part"):
        assert chrome not in text, f"{chrome!r} printed"
    # Greyscale-safe ink: no coloured or pale text (links included).
    assert dark_and_neutral(text_colours(printed)), text_colours(printed)


def test_pages_marked_reader_false_stay_on_the_site_but_out_of_the_reader(site: Path) -> None:
    titles = [str(item.title) for item in PdfReader(site / "pdf" / READER_PDF).outline if not isinstance(item, list)]
    assert not in_reader(SETTINGS, "my-reflections.md")
    assert "Home" in titles
    assert "My reflections" not in titles
    assert (site / "my-reflections" / "index.html").is_file()


def test_what_print_finds_in_one_walk_of_a_page_is_what_the_css_selectors_find(site: Path) -> None:
    # Print finds what it changes by tag name and class (publish/pdf/content.py), where the constants are CSS selectors.
    for item in (*SCREEN_ONLY.split(","), *GUIDE_BLOCKS.split(",")):
        assert re.fullmatch(r"\.?[a-z][a-z0-9_-]*", item.strip()), f"{item.strip()!r}: the walk knows a tag name or one class, no other selector"
    for path in sorted(site.rglob("*.html")):
        article = BeautifulSoup(path.read_bytes(), "lxml").article
        if article is None:
            continue
        found = elements(article)
        assert [e for e in found if screen_only(e)] == article.select(SCREEN_ONLY), path
        assert guide_blocks(article) == article.select(GUIDE_BLOCKS), path
        assert prompt_blocks(article) == article.select("div.cw-prompt[data-prompt]"), path
        # A page's copy is the tree copy.copy makes, every node linked to the next in document order.
        copied = copy_tree(article)
        assert str(copied) == str(article)
        chain, node = [], copied.next_element
        while node is not None:
            chain.append(node)
            node = node.next_element
        assert [id(n) for n in chain] == [id(n) for n in copied.descendants]
        assert all(n.parent is not None and n in n.parent.contents for n in chain)


@pytest.mark.parametrize("edition", ["participant", "facilitator"])
def test_what_print_asks_of_a_page_is_read_with_the_built_page_as_its_own_tree_shows_it(edition: str, site: Path, facilitator_site: Path) -> None:
    """The facts read in the built site's one parse (publish/built.py) are what the article's own tree gives, for every page."""
    built = read_site(site if edition == "participant" else facilitator_site)
    seen = {"prompts": 0, "guide": 0, "hrefs": 0, "downloads": 0}
    for address, page in built.pages.items():
        if page.article is None:
            continue
        article = BeautifulSoup(page.article, "lxml").article or BeautifulSoup(page.article, "lxml").body
        assert article is not None and page.facts is not None, address
        expected = PageFacts(
            prompts=tuple(str(block["data-prompt"]) for block in prompt_blocks(article)),
            guide=bool(guide_blocks(article)),
            hrefs=tuple(str(link["href"]) for link in links_of(article)),
            downloads=tuple((str(link["type"]), str(link["href"])) for link in article.select(".cw-downloads a[href][type]")),
        )
        assert page.facts == expected, address
        seen = {name: count + bool(getattr(expected, name)) for name, count in seen.items()}
    # Each fact is found on some page of the course (the guide's only in the facilitator edition).
    assert all(count for name, count in seen.items() if name != "guide" or edition == "facilitator"), seen


def _hrefs(builder: PdfBuilder, site_pages: list[SitePage], document: str | None = None) -> dict[str, list[str]]:
    """Each page's links as the reader resolves them among site_pages (kept in builder's print cache, under document)."""
    prepared = builder._prepared(document, site_pages, lambda page, article: article.decode_contents(), lines=False)
    return {page.src: [str(a["href"]) for a in BeautifulSoup(html, "lxml").select("a")] for page, html, _ in prepared}


LINKED_PAGES = [
    ("a.md", "a/", '<a href="../b/#kept">k</a><a href="../b/#gone">g</a><a href="#here">h</a><p id="here">A</p>'),
    ("b.md", "b/", '<p id="kept">B</p><div class="cw-downloads"><p id="gone">screen</p></div><a href="../a/#here">a</a>'),
    ("c.md", "c/", "<p>No links.</p>"),
]


def _linked_builder(tmp_path: Path, cache: PrintCache | None = None) -> PdfBuilder:
    builder = PdfBuilder.__new__(PdfBuilder)
    builder.settings, builder.site_dir, builder.cache = SETTINGS, tmp_path, cache or PrintCache(None)
    return builder


def test_a_link_to_another_pages_anchor_leads_to_it_when_that_anchor_prints(tmp_path: Path) -> None:
    # A reader's links to other pages' anchors are resolved against the anchors those pages print (learnt ahead, for
    # the pages such links lead to): one that prints is linked, one only the screen shows leads to its page's start.
    site_pages = [SitePage(src, url, src, f"<article>{html}</article>") for src, url, html in LINKED_PAGES]
    assert _hrefs(_linked_builder(tmp_path), site_pages) == {"a.md": ["#b--kept", "#b", "#a--here"], "b.md": ["#a--here"], "c.md": []}


def test_a_page_kept_for_a_document_is_made_again_when_it_or_a_page_its_links_name_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages as a document shows them are kept in the print cache (PdfBuilder._kept): the next composition takes
    each unchanged page from there, and makes again a page that changed and every page whose links name its anchors,
    giving what composing without the cache gives."""
    cache = PrintCache(tmp_path / "cache")
    made: list[str] = []
    printable = content.printable
    monkeypatch.setattr(content, "printable", lambda page, **kw: made.append(page.src) or printable(page, **kw))

    def composed(pages: list[tuple[str, str, str]]) -> dict[str, list[str]]:
        site_pages = [SitePage(src, url, src, f"<article>{html}</article>") for src, url, html in pages]
        made.clear()
        kept = _hrefs(_linked_builder(tmp_path, cache), site_pages, "reader.pdf")
        making = list(made)
        assert kept == _hrefs(_linked_builder(tmp_path), site_pages)
        made[:] = making
        return kept

    first = composed(LINKED_PAGES)
    assert sorted(made) == ["a.md", "b.md", "b.md", "c.md"]  # b's anchors are learnt for a's links, then b is made
    assert composed(LINKED_PAGES) == first and made == []
    # b's anchor gone: a, whose link named it, is made again with b (and b's anchors learnt), c is kept.
    unkept = [(src, url, html.replace(' id="kept"', "")) for src, url, html in LINKED_PAGES]
    assert composed(unkept)["a.md"] == ["#b", "#b", "#a--here"]
    assert sorted(made) == ["a.md", "b.md", "b.md"]
    # An edit to c, whose anchors no link names: c alone is made again.
    assert composed([*unkept[:2], ("c.md", "c/", "<p>Edited.</p>")]) == {"a.md": ["#b", "#b", "#a--here"], "b.md": ["#a--here"], "c.md": []}
    assert made == ["c.md"]


def test_prefixed_ids_keep_the_references_that_point_to_them() -> None:
    html = (
        '<article><label for="n">Name</label><input id="n"><svg viewBox="0 0 10 10" role="img" aria-labelledby="t d">'
        '<title id="t">T</title><desc id="d">D</desc><defs><linearGradient id="g"/><rect id="r" width="1" height="1"/></defs>'
        '<use href="#r"/><rect fill="url(#g)" style="fill: url(\'#g\')"/></svg><p aria-describedby="elsewhere">x</p></article>'
    )
    article = BeautifulSoup(html, "lxml").article
    assert article is not None
    assert prefix_ids(article, "p") == {"p--n", "p--t", "p--d", "p--g", "p--r"}
    assert article.select_one("label")["for"] == "p--n"  # type: ignore[index]
    assert article.select_one("svg")["aria-labelledby"] == "p--t p--d"  # type: ignore[index]
    assert article.select_one("use")["href"] == "#p--r"  # type: ignore[index]
    filled = article.select("rect")[-1]
    assert (filled["fill"], filled["style"]) == ("url(#p--g)", "fill: url('#p--g')")
    # An id that is not on the page is left as it was.
    assert article.select_one("p")["aria-describedby"] == "elsewhere"  # type: ignore[index]


# Issue 22: no printed page ends more than a third empty, unless the next page opens a new part (a page of the course,
# a section of the reader) or a prompt with its space to write (kept whole). A picture, which cannot split, must fit
# the room its card's text leaves: a tall one has a drawing for paper (macros/diagrams.py), and publish/pdf/fit.py
# narrows one that still would not fit.
PAGE_MARGIN = re.compile(r"@page\s*\{[^}]*?margin:\s*([\d.]+)mm\s+[\d.]+mm\s+([\d.]+)mm")
MOST_EMPTY = 1 / 3
OPENS_WITHIN = 24  # points below the top of the content area: what opens a page (a heading's margin)
DPI = 30


# '#' for ink, '.' for paper. Ink is whatever is darker than white: at this resolution a writing line (0.75pt) prints
# as a pale grey, and the lines under a prompt are what fills its page.
INK = bytes.maketrans(bytes(range(256)), bytes(35 if value < 250 else 46 for value in range(256)))


def page_bottoms(pdf: Path, top: float, bottom: float) -> list[float]:
    """How far down each page's content area its last ink is (0 to 1), read from the page as printed (pdftoppm).

    A box that runs on to the next page draws its sides to the bottom of the page: a vertical run of ink longer than
    an inch is such a side, not content. Writing lines, text and pictures all count."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", str(pdf), f"{folder}/p"], check=True)
        found = []
        for picture in sorted(Path(folder).glob("p-*.pgm"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
            with Image.open(picture) as image:
                first, last = round(top * DPI / 72), image.height - round(bottom * DPI / 72)
                # Each column of the content area top to bottom, as one line of '#' and '.'.
                columns = image.crop((0, first, image.width, last)).transpose(Image.Transpose.ROTATE_270).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
                size = last - first
                data = columns.tobytes().translate(INK)
            lowest = -1
            for x in range(len(data) // size):
                column = re.sub(rb"#{%d,}" % (DPI + 1), lambda run: b"." * len(run.group()), data[x * size : (x + 1) * size])
                lowest = max(lowest, column.rfind(b"#"))
            found.append((lowest + 1) / size)
    return found


def what_opens(reader: PdfReader, top: float) -> dict[int, str]:
    """Page index -> the anchor that opens it (within OPENS_WITHIN points of the content's top), where one does."""
    opening: dict[int, tuple[float, str]] = {}
    for name, destination in reader.named_destinations.items():
        page = reader.get_destination_page_number(destination)
        y = float(destination.top or 0)
        if y >= top - OPENS_WITHIN and (page not in opening or y > opening[page][0]):
            opening[page] = (y, str(name))
    return {page: name for page, (_, name) in opening.items()}


def allowed_before(anchor: str) -> bool:
    """A new part (a page's key, or a reader's section), or a prompt with its space to write."""
    prompts = tuple(f"--{prompt.kind}-{prompt.id}" for prompt in DATA.prompts.values())
    return "--" not in anchor or anchor.endswith(prompts)


def test_no_printed_page_ends_a_third_empty_unless_a_part_or_a_prompt_opens_the_next(site: Path, facilitator_site: Path) -> None:
    top_mm, bottom_mm = (float(n) for n in PAGE_MARGIN.search((ROOT / "publish" / "pdf" / "print.css").read_text(encoding="utf-8")).groups())  # type: ignore[union-attr]
    top, bottom = top_mm * 72 / 25.4, bottom_mm * 72 / 25.4
    pdfs = sorted((site / "pdf").glob("*.pdf")) + sorted((facilitator_site / "pdf").glob("*.pdf"))
    assert any(pdf.name == GUIDE_PDF for pdf in pdfs)
    too_empty = []
    for pdf in pdfs:
        reader = PdfReader(pdf)
        height = float(reader.pages[0].mediabox.height)
        opens = what_opens(reader, height - top)
        fullness = page_bottoms(pdf, top, bottom)
        assert len(fullness) == len(reader.pages)
        for index, full in enumerate(fullness[:-1]):
            if full < 1 - MOST_EMPTY and not allowed_before(opens.get(index + 1, "")):
                too_empty.append(f"{pdf.parent.parent.name}/{pdf.name} page {index + 1}: {full:.0%} full, next opens on {opens.get(index + 1)!r}")
    assert not too_empty, "\n".join(too_empty)
