"""Away from the network (issue 13): the installable site, reading offline, news of a new version, progress through
the course, and carrying the journal to another device. Real Chromium, as in test_browser.py.

The offline tests build their own copy of the course, with a site_url equal to where it is served (Material's instant
navigation follows only links in the sitemap) and the session's PDFs copied in, and stop its server part-way, so
everything after that can only come from the service worker's caches.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, copy_project, nav_pages, nav_tree, run
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from pypdf import PdfReader
from test_browser import AXE_TAGS, PHONE, QuietHandler, assert_focus_visible, axe_source, axe_violations, tab_to

from macros.data import load_course
from publish.offline import draw_picture
from publish.pdf.site import page_url

pytestmark = pytest.mark.browser

DATA = load_course(ROOT / "docs")
REFLECTIONS = [p for p in DATA.prompts.values() if p.kind == "reflection"]
# The parts a reader marks as done, by address: every page inside a section of the nav (overrides/main.html), of every session.
PARTS = [page_url(src) for _, value in nav_tree() if not isinstance(value, str) for _, src in nav_pages(value)]
ANSWER = "Accountability: two departments still report to different deputy mayors."
NEW_TEXT = "This sentence exists only in the second deploy."


def worker_list(site: Path) -> dict[str, Any]:
    """The precache list the build wrote into sw.js."""
    found = re.search(r"^const PRECACHE = (\{.*\});$", (site / "sw.js").read_text(encoding="utf-8"), re.M)
    assert found, "sw.js holds no precache list"
    return json.loads(found.group(1))


# What the build writes.


def test_manifest_names_the_site_with_icons_drawn_from_its_logo_in_the_theme_colour(site: Path) -> None:
    manifest = json.loads((site / "manifest.webmanifest").read_text(encoding="utf-8"))
    assert manifest["name"] == "Leading Collaboration in Cities"
    # Relative, so the installed app works from a subfolder (GitHub Pages).
    assert manifest["start_url"] == "./" and manifest["scope"] == "./"
    palette = next((site / "assets" / "stylesheets").glob("palette.*.min.css")).read_text(encoding="utf-8")
    assert f"[data-md-color-primary=indigo]{{--md-primary-fg-color:{manifest['theme_color']};" in palette
    sizes = set()
    for icon in manifest["icons"]:
        image = Image.open(site / icon["src"]).convert("RGB")
        width, height = image.size
        assert icon["sizes"] == f"{width}x{height}" and icon["type"] == "image/png"
        sizes.add(width)
        # The theme colour behind a white glyph: the logo's city, not a blank square.
        assert "#{:02x}{:02x}{:02x}".format(*image.getpixel((2, 2))) == manifest["theme_color"].lower()
        colours = {image.getpixel((x, y)) for x in range(width // 4, 3 * width // 4, 4) for y in range(height // 4, 3 * height // 4, 4)}
        assert (255, 255, 255) in colours
    assert {192, 512} <= sizes


def test_pages_link_the_manifest_and_name_the_worker_relative_to_themselves(page: Callable[[str], Any]) -> None:
    home, part = page("index.md"), page("what-to-expect.md")
    assert home.select_one('link[rel="manifest"]')["href"] == "manifest.webmanifest"
    assert part.select_one('link[rel="manifest"]')["href"] == "../manifest.webmanifest"
    assert part.select_one('meta[name="course-offline"]')["content"] == "../sw.js"


def test_worker_lists_every_page_and_asset_with_the_hash_of_its_bytes(site: Path) -> None:
    listed = worker_list(site)
    files = dict(listed["files"])
    pages = {str(p.relative_to(site).parent) + "/" for p in site.rglob("index.html") if p.parent != site} | {"./", "404.html"}
    assert pages <= set(files), pages - set(files)
    for needed in ("search/search_index.json", "sitemap.xml", "manifest.webmanifest", "assets/journal.js", "assets/offline.js"):
        assert needed in files, needed
    assert any(re.fullmatch(r"assets/javascripts/bundle\.\w+\.min\.js", f) for f in files)
    for address, digest in files.items():
        path = site / (address.removesuffix("./") + "index.html" if address.endswith("/") else address)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, address
    # PDFs and the slides are kept when first opened, not on the first visit.
    assert not [f for f in files if f.startswith(("pdf/", "slides/")) or f.endswith(".map") or f == "sw.js"]


def test_make_serve_registers_no_worker_and_its_worker_removes_a_built_one(tmp_path: Path) -> None:
    """`mkdocs serve` renders pages without the publish step: no manifest or worker, and sw.js as the unfilled source."""
    copy = copy_project(tmp_path)
    result = run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "plain")], cwd=copy)
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "plain" / "index.html").read_text(encoding="utf-8")
    assert 'name="course-offline"' not in html and 'rel="manifest"' not in html
    assert "const PRECACHE = null;" in (tmp_path / "plain" / "sw.js").read_text(encoding="utf-8")


def test_a_failed_offline_step_publishes_nothing(tmp_path: Path) -> None:
    copy = copy_project(tmp_path)
    worker = copy / "overrides" / "sw.js"
    worker.write_text(worker.read_text(encoding="utf-8").replace("const PRECACHE = null;", "const PRECACHE = [];"), encoding="utf-8")
    target = copy / "site"
    result = run([sys.executable, "-m", "publish", "--no-pdf", "--site-dir", str(target)], cwd=copy)
    assert result.returncode == 1
    assert "overrides/sw.js:1: the worker must hold the line `const PRECACHE = null;` once, for the build to fill in." in result.stderr
    assert "Fix: restore it from git." in result.stderr and "Traceback" not in result.stderr
    assert not target.exists()


def test_a_logo_that_is_not_there_is_named_with_its_line_and_nothing_is_published(tmp_path: Path) -> None:
    copy = copy_project(tmp_path)
    config = copy / "mkdocs.yml"
    text = config.read_text(encoding="utf-8").replace("  custom_dir: overrides\n", "  custom_dir: overrides\n  logo: images/missing-logo.svg\n", 1)
    config.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  logo: images/missing-logo.svg") + 1
    target = copy / "site"
    result = run([sys.executable, "-m", "publish", "--no-pdf", "--site-dir", str(target)], cwd=copy)
    assert result.returncode == 1
    assert (
        f"mkdocs.yml:{line}: `theme: logo: images/missing-logo.svg` names a logo that is not in the built site, so the installed app would have no icon.\n"
        "    Fix: name an image in docs/ (an SVG or PNG) under `theme: logo:`, or one of Material's icons under `theme: icon: logo:`."
    ) in result.stderr
    assert "Traceback" not in result.stderr and not target.exists()


def test_a_picture_logo_is_centred_on_the_theme_colour(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGBA", (300, 100), (255, 200, 0, 255)).save(logo)
    draw_picture(logo, "#4051b5", 192, tmp_path / "icon.png")
    icon = Image.open(tmp_path / "icon.png").convert("RGB")
    assert icon.size == (192, 192)
    assert icon.getpixel((2, 2)) == (0x40, 0x51, 0xB5) and icon.getpixel((96, 96)) == (255, 200, 0)


def test_progress_and_import_never_reach_the_printed_pdfs(site: Path) -> None:
    for pdf in sorted((site / "pdf").glob("*.pdf")):
        text = "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
        for screen_only in ("Mark as done", "parts done", "Your progress", "Import from a file", "new version"):
            assert screen_only not in text, (pdf.name, screen_only)


# In the browser.


class Server:
    """A built site served over http on 127.0.0.1, on a port chosen before the build and kept across stops."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.address = f"http://127.0.0.1:{self.port}/"
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), functools.partial(QuietHandler, directory=str(self.directory)))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@contextmanager
def deployed(tmp_path: Path, site: Path) -> Iterator[tuple[Path, Server, Callable[[], None]]]:
    """A copy of the course built for where it is served (with the session's PDFs), its server, and a deploy function."""
    copy = copy_project(tmp_path)
    server = Server(copy / "site")
    with (copy / "mkdocs.yml").open("a", encoding="utf-8") as config:
        config.write(f"\nsite_url: {server.address}\n")

    def deploy() -> None:
        result = run([sys.executable, "-m", "publish", "--no-pdf", "--site-dir", str(copy / "site")], cwd=copy)
        assert result.returncode == 0, result.stdout + result.stderr
        shutil.copytree(site / "pdf", copy / "site" / "pdf")

    deploy()
    server.start()
    try:
        yield copy, server, deploy
    finally:
        server.stop()


@pytest.fixture
def tab(browser: Any) -> Iterator[Callable[..., Any]]:
    """A fresh browser profile and page; console errors are collected on page.errors."""
    contexts: list[Any] = []

    def open_tab(scheme: str = "light", width: int = 1280) -> Any:
        context = browser.new_context(color_scheme=scheme, viewport={"width": width, "height": 900}, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        # Chromium's own PDF viewer asks for /favicon.ico, which no page of the site links to.
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" and not m.location.get("url", "").endswith("/favicon.ico") else None)
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield open_tab
    for context in contexts:
        context.close()


def wait_for_worker(page: Any) -> None:
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)


def evaluate_quietly(page: Any, script: str) -> Any:
    """The script's value (a promise is awaited), or None while the page is between two documents."""
    try:
        return page.evaluate(script)
    except PlaywrightError:
        return None


def nav_link(page: Any, name: str) -> Any:
    return page.locator(".md-sidebar--primary .md-nav--primary").get_by_role("link", name=name, exact=True)


def cached(page: Any) -> list[dict[str, str]]:
    """Every entry of every cache the site's origin holds: its URL and, for text, its body."""
    return page.evaluate(
        """async () => {
            const found = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) {
                    const response = await cache.match(request);
                    const type = response.headers.get('content-type') || '';
                    found.push({cache: name, url: request.url, body: type.includes('pdf') ? '' : await response.text()});
                }
            }
            return found;
        }"""
    )


def test_after_one_visit_every_page_search_journal_progress_and_an_opened_pdf_work_offline(tab: Callable[..., Any], tmp_path: Path, site: Path) -> None:
    with deployed(tmp_path, site) as (copy, server, _):
        heading = {
            url: BeautifulSoup((copy / "site" / url / "index.html").read_text(encoding="utf-8"), "lxml").select_one("article h1").get_text().strip("¶ \n")
            for url in PARTS
        }
        page = tab()
        page.goto(server.address)
        wait_for_worker(page)
        # Chromium reads the manifest without error and finds nothing that stops installing the site as an app,
        # apart from the private profile every test uses.
        devtools = page.context.new_cdp_session(page)
        assert devtools.send("Page.getAppManifest")["errors"] == []
        assert [e["errorId"] for e in devtools.send("Page.getInstallabilityErrors")["installabilityErrors"]] in ([], ["in-incognito"])
        # Open the course reader once, online.
        reader = page.goto(server.address + "pdf/course-reader.pdf")
        assert reader is not None and reader.status == 200
        page.goto(server.address)
        page.wait_for_selector(".cw-progress")

        server.stop()
        page.context.set_offline(True)

        # Every page, through the navigation (instant: the page is never reloaded) ...
        page.evaluate("window.cwSamePage = true")
        titles = {a["url"]: a["title"] for a in json.loads(page.locator("#course-parts").text_content())}
        for url in PARTS:
            nav_link(page, titles[url]).click()
            page.wait_for_url(server.address + url)
            page.wait_for_function("(h) => (document.querySelector('article h1') || {}).textContent?.includes(h)", arg=heading[url])
        nav_link(page, "My reflections").click()
        page.wait_for_selector(".cw-journal-tools")
        assert page.evaluate("window.cwSamePage === true")
        # ... and each opened afresh.
        for url in ["", *PARTS, "my-reflections/", "maintainers/macro-reference/"]:
            response = page.goto(server.address + url)
            assert response is not None and response.status == 200 and response.from_service_worker, url
            assert page.locator("article h1").count() == 1, url

        # The search box finds a page, and its result opens.
        page.goto(server.address)
        box = page.get_by_role("textbox", name="Search")
        box.click()
        box.fill("Hartford")
        box.press("End")
        first = page.locator(".md-search-result__item > a").first
        first.wait_for()
        assert urlsplit(first.get_attribute("href") or "").path.endswith("/what-to-expect/")
        first.click()
        page.wait_for_function("() => document.title.startsWith('What to expect')")

        # The journal and progress save.
        page.locator('.cw-reflection[data-prompt="your-top-challenge"]').get_by_label("Your private notes").fill(ANSWER)
        assert "Saved in this browser" in page.locator('.cw-reflection[data-prompt="your-top-challenge"]').get_by_role("status").inner_text()
        page.get_by_label("Mark as done").check()
        assert page.locator(".cw-done").get_by_role("status").inner_text() == f"Marked as done. 1 of {len(PARTS)} parts done."

        # The PDF opened before opens again.
        again = page.goto(server.address + "pdf/course-reader.pdf")
        assert again is not None and again.status == 200 and again.from_service_worker
        assert again.headers["content-type"] == "application/pdf"
        page.goto(server.address)
        head, size = page.evaluate(
            "fetch('pdf/course-reader.pdf').then(r => r.arrayBuffer()).then(b => [new TextDecoder().decode(b.slice(0, 5)), b.byteLength])"
        )
        assert head == "%PDF-" and size == (site / "pdf" / "course-reader.pdf").stat().st_size

        # Caches hold only the site's own files, never a query string or anything the reader wrote.
        entries = cached(page)
        assert entries
        assert all(e["url"].startswith(server.address) and "?" not in e["url"] for e in entries), [e["url"] for e in entries]
        assert not [e["url"] for e in entries if "deputy mayors" in e["body"] or "Hartford" in e["url"]]
        assert any(e["url"].endswith("/pdf/course-reader.pdf") for e in entries)
        assert not page.errors, page.errors


def test_a_new_deploy_is_offered_politely_and_reload_shows_the_new_text(tab: Callable[..., Any], tmp_path: Path, site: Path) -> None:
    with deployed(tmp_path, site) as (copy, server, deploy):
        page = tab()
        page.goto(server.address + "where-to-begin/")
        wait_for_worker(page)
        page.goto(server.address + "where-to-begin/")
        assert NEW_TEXT not in page.locator("article").inner_text()
        notice = page.locator(".cw-update")
        assert notice.get_attribute("role") == "status" and not notice.is_visible()

        source = copy / "docs" / "where-to-begin.md"
        source.write_text(source.read_text(encoding="utf-8").replace("# Where to begin\n", f"# Where to begin\n\n{NEW_TEXT}\n", 1), encoding="utf-8")
        deploy()

        # The old version goes on serving pages until the reader chooses; the next page shown looks for a new one.
        nav_link(page, "Pre-work").click()
        reload = notice.get_by_role("button", name="Reload")
        reload.wait_for(timeout=30000)
        assert notice.inner_text().startswith("A new version of this site is available.")
        nav_link(page, "3 · Where to begin").click()
        page.wait_for_function("() => document.title.startsWith('Where to begin')")
        assert NEW_TEXT not in page.locator("article").inner_text()
        page.evaluate(axe_source())  # not a script tag: the page's policy would refuse it
        options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
        violations = page.evaluate("(options) => axe.run(document.querySelector('.cw-update'), options).then(r => r.violations)", options)
        assert not violations, [v["id"] for v in violations]

        tab_to(page, ".cw-update button")
        assert_focus_visible(page)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_selector("article h1")
        assert NEW_TEXT in page.locator("article").inner_text()
        assert not notice.is_visible()
        names = page.evaluate("caches.keys()")
        assert len([n for n in names if " pages " in n]) == 1, names
        assert not page.errors, page.errors


def test_make_serve_removes_a_worker_a_built_site_left_on_its_address(tab: Callable[..., Any], tmp_path: Path, site: Path) -> None:
    with deployed(tmp_path, site) as (copy, server, _):
        page = tab()
        page.goto(server.address)
        wait_for_worker(page)
        server.stop()
        preview = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{server.port}", "--no-livereload"],
            cwd=copy,
            env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # MkDocs listens before its first build ends: wait until it answers with the preview's (unfilled) worker, so
            # the browser's update check on the reload below meets the preview and not a connection held open.
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(server.address + "sw.js", timeout=5) as answer:
                        if b"const PRECACHE = null;" in answer.read():
                            break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "mkdocs serve did not start"
                time.sleep(0.3)
            page.reload()
            # The preview's page, uncontrolled, with no worker registered and no cache left behind.
            state = """async () => ({heading: Boolean(document.querySelector('article h1')),
                offline: Boolean(document.querySelector('meta[name=course-offline]')), controlled: Boolean(navigator.serviceWorker.controller),
                workers: (await navigator.serviceWorker.getRegistrations()).length, caches: await caches.keys()})"""
            settled = {"heading": True, "offline": False, "controlled": False, "workers": 0, "caches": []}
            deadline = time.monotonic() + 60
            reloaded = time.monotonic()
            while (seen := evaluate_quietly(page, state)) != settled:
                assert time.monotonic() < deadline, f"the built site's worker was not removed: {seen}"
                page.wait_for_timeout(300)
                # The browser looks for a new worker when a page loads; on a busy machine (the whole suite, CI) that
                # look has been seen to miss the preview's worker, and the page stays the built one: reload again, as
                # a reader would.
                if seen is not None and seen["controlled"] and time.monotonic() - reloaded > 10:
                    evaluate_quietly(page, "() => location.reload()")
                    reloaded = time.monotonic()
            assert page.evaluate("caches.keys()") == []
            assert page.locator("article h1").inner_text().startswith("Leading collaboration in cities")
        finally:
            preview.terminate()
            preview.wait(timeout=30)


# Progress, and the journal on another device, on the site the session built.


@pytest.fixture(scope="module")
def address(site: Path) -> Iterator[str]:
    server = Server(site)
    server.start()
    yield server.address
    server.stop()


def stored(page: Any) -> dict[str, str]:
    """Everything the site keeps in this browser."""
    return page.evaluate("Object.fromEntries(Object.keys(localStorage).filter(k => k.startsWith('cw-journal/')).map(k => [k, localStorage.getItem(k)]))")


@pytest.mark.parametrize(("scheme", "width"), [("light", 1280), ("dark", 1280), ("light", PHONE), ("dark", PHONE)])
def test_progress_marks_unmarks_and_counts_by_keyboard_and_passes_axe(tab: Callable[..., Any], address: str, scheme: str, width: int) -> None:
    page = tab(scheme, width)
    page.goto(address + "what-to-expect/")
    box = page.get_by_role("checkbox", name="Mark as done")
    said = page.locator(".cw-done").get_by_role("status")
    assert (
        "Your progress is saved only in this browser, on this device. Nothing you write is ever sent over the network." in page.locator(".cw-done").inner_text()
    )
    assert not box.is_checked()

    tab_to(page, ".cw-done input")
    assert_focus_visible(page)
    page.keyboard.press("Space")
    assert box.is_checked()
    assert said.inner_text() == f"Marked as done. 1 of {len(PARTS)} parts done."
    assert stored(page) == {"cw-journal/generic/#done": '["what-to-expect/"]'}
    # The navigation marks the part, once, in a way a screen reader says.
    marked = page.locator(".md-nav--primary a.md-nav__link:has(.cw-done-mark)")
    assert marked.count() == 1 and marked.locator(".cw-done-mark").text_content() == "✓ (done)"
    if width != PHONE:  # on a phone the navigation is in the closed drawer
        assert page.locator(".md-nav--primary").get_by_role("link", name="1 · What to expect (done)").count() == 1
    assert not axe_violations(page)

    page.goto(address + "where-to-begin/")
    tab_to(page, ".cw-done input")
    page.keyboard.press("Space")
    assert said.inner_text() == f"Marked as done. 2 of {len(PARTS)} parts done."
    page.keyboard.press("Space")
    assert said.inner_text() == f"Marked as not done. 1 of {len(PARTS)} parts done."

    page.goto(address)
    summary = page.locator(".cw-progress")
    assert summary.get_by_role("heading", name="Your progress").is_visible()
    assert summary.locator(".cw-progress-count").inner_text() == f"1 of {len(PARTS)} parts done."
    # Every part listed once (under its session's heading when there are several), by its address.
    listed = summary.locator("li[data-part]").evaluate_all("items => items.map(item => item.dataset.part)")
    states = dict(zip(listed, summary.locator("li[data-part] .cw-progress-state").all_inner_texts(), strict=True))
    assert sorted(listed) == sorted(PARTS)
    assert states == {url: "Done" if url == "what-to-expect/" else "Not done yet" for url in PARTS}
    assert page.locator(".cw-nav-progress").inner_text() == f"1 of {len(PARTS)} parts done."
    assert not axe_violations(page)
    # The home page and My reflections are not parts.
    page.goto(address + "my-reflections/")
    assert page.locator(".cw-done").count() == 0
    assert not page.errors, page.errors


TRICKY = {
    "your-collaboration": "  Two lines,\n\nwith a blank one between and spaces around.  ",
    "your-top-challenge": ANSWER,
    "learning-or-blame": "### Not a heading of the export\n> nor a quote\n<!-- answer: weakest-corner -->\n- [x] nor a part <!-- part: schedule/ -->",
    "weakest-corner": "Ünïcödé, “quotes”, <b>markup</b> & emoji 🏙️\n",
}


def journal_box(page: Any, prompt: str) -> Any:
    return page.locator(f'.cw-reflection[data-prompt="{prompt}"]').get_by_label("Your private notes")


def export(page: Any) -> Path:
    with page.expect_download() as download:
        page.get_by_role("button", name="Download as Markdown").click()
    return Path(download.value.path())


def import_file(page: Any, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Import from a file").click()
    chooser.value.set_files(str(path))


def tools_status(page: Any) -> Any:
    return page.locator(".cw-journal-tools").get_by_role("status")


def test_journal_export_clear_import_restores_every_answer_and_mark_exactly(tab: Callable[..., Any], address: str, tmp_path: Path) -> None:
    page = tab()
    page.goto(address + "my-reflections/")
    for prompt, text in TRICKY.items():
        journal_box(page, prompt).fill(text)
    for url in ("pre-work/", "schedule/", "where-to-begin/"):
        page.goto(address + url)
        page.get_by_label("Mark as done").check()
    page.goto(address + "my-reflections/")
    before = stored(page)
    assert len(before) == len(TRICKY) + 1
    first = export(page).read_text(encoding="utf-8")
    assert (
        f"3 of {len(PARTS)} parts done." in first
        and "- [x] Pre-work <!-- part: pre-work/ -->" in first
        and "- [ ] Resources <!-- part: resources/ -->" in first
    )
    prompt = DATA.prompts["your-top-challenge"]
    assert f"### {prompt.title}\n\n> {prompt.text}\n\n<!-- answer: your-top-challenge -->\n{ANSWER}\n<!-- end of answer: your-top-challenge -->\n" in first
    saved = tmp_path / "my-reflections.md"
    saved.write_text(first, encoding="utf-8")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Clear all").click()
    assert stored(page) == {}
    assert journal_box(page, "your-top-challenge").input_value() == ""

    import_file(page, saved)
    preview = page.get_by_role("region", name=re.compile("Importing “my-reflections.md” will:"))
    preview.wait_for()
    assert page.evaluate("document.activeElement.id") == "cw-import-title"
    items = preview.get_by_role("listitem").all_inner_texts()
    assert len(items) == len(TRICKY) + 3
    assert f"Add your answer to “{prompt.title}”." in items and "Mark “Schedule” as done." in items
    assert stored(page) == {}, "nothing changes before the reader confirms"
    preview.get_by_role("button", name="Import").click()
    assert tools_status(page).inner_text() == "Imported “my-reflections.md”: 7 changes."
    assert stored(page) == before
    for prompt_id, text in TRICKY.items():
        assert journal_box(page, prompt_id).input_value() == text
    second = export(page).read_text(encoding="utf-8")
    assert second == first

    # Importing the same file again changes nothing.
    import_file(page, saved)
    assert tools_status(page).inner_text() == "“my-reflections.md” holds nothing that is not already saved here. Nothing was changed."
    page.goto(address)
    assert page.locator(".cw-progress-count").inner_text() == f"3 of {len(PARTS)} parts done."
    assert not page.errors, page.errors


def test_import_merges_without_losing_what_is_stored_and_can_be_cancelled(tab: Callable[..., Any], address: str, tmp_path: Path) -> None:
    page = tab()
    page.goto(address + "my-reflections/")
    journal_box(page, "your-top-challenge").fill("Written on the phone.")
    journal_box(page, "weakest-corner").fill("Started here")
    exported = export(page).read_text(encoding="utf-8")
    # On another device: a different answer to one prompt, a continued answer to another, a part marked.
    elsewhere = exported.replace("Written on the phone.", "Written on the laptop.").replace("Started here", "Started here, and finished on the laptop.")
    elsewhere = elsewhere.replace("- [ ] Resources", "- [x] Resources")
    path = tmp_path / "from-laptop.md"
    path.write_text(elsewhere, encoding="utf-8")

    import_file(page, path)
    preview = page.get_by_role("region", name=re.compile("Importing"))
    preview.get_by_role("button", name="Cancel").click()
    assert tools_status(page).inner_text() == "Nothing was imported."
    assert journal_box(page, "your-top-challenge").input_value() == "Written on the phone."

    import_file(page, path)
    items = preview.get_by_role("listitem").all_inner_texts()
    title = DATA.prompts["your-top-challenge"].title
    assert f"Keep both answers to “{title}”: the one here, then the file’s." in items
    assert f"Replace your answer to “{DATA.prompts['weakest-corner'].title}” with the file’s, which continues it." in items
    assert "Mark “Resources” as done." in items
    preview.get_by_role("button", name="Import").click()
    assert journal_box(page, "your-top-challenge").input_value() == "Written on the phone.\n\nWritten on the laptop."
    assert journal_box(page, "weakest-corner").input_value() == "Started here, and finished on the laptop."
    assert stored(page)["cw-journal/generic/#done"] == '["resources/"]'


def test_import_refuses_a_foreign_or_damaged_file_and_keeps_everything(tab: Callable[..., Any], address: str, tmp_path: Path) -> None:
    page = tab()
    page.goto(address + "what-to-expect/")
    page.get_by_label("Mark as done").check()
    page.goto(address + "my-reflections/")
    journal_box(page, "your-top-challenge").fill(ANSWER)
    good = export(page).read_text(encoding="utf-8")
    before = stored(page)
    keep = "Nothing was imported, and nothing saved in this browser was changed."
    cut = good.index("<!-- end of answer: your-top-challenge -->")
    cases = {
        "notes.md": (
            "# My notes\n\nSome text that no export wrote.\n",
            "is not a My reflections file exported from this site: choose the my-reflections.md that “Download as Markdown” saved.",
        ),
        "reader.pdf": ("%PDF-1.7\n\u0000\u0001binary", "is not a My reflections file: choose the my-reflections.md that “Download as Markdown” saved."),
        "cut.md": (good[:cut], "is cut short: the answer that starts on line"),
        "other-cohort.md": (
            good.replace("cohort: generic -->", "cohort: summer-institute-2025 -->"),
            "holds the reflections of another course (summer-institute-2025); this site is for the course without a cohort.",
        ),
        "newer.md": (
            good.replace("cw-journal export 1 ", "cw-journal export 2 "),
            "was saved by a newer version of this site; download it again from the site you saved it on.",
        ),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8"))
        import_file(page, path)
        said = tools_status(page)
        page.wait_for_function("(n) => document.querySelector('.cw-journal-tools-status').textContent.includes(n)", arg=name)
        assert said.inner_text().startswith(f"“{name}” {message}"), said.inner_text()
        assert said.inner_text().endswith(keep)
        assert page.locator(".cw-import-preview").count() == 0
        assert stored(page) == before, name
    assert journal_box(page, "your-top-challenge").input_value() == ANSWER
    assert not page.errors, page.errors
