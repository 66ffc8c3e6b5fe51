"""Any engine: the pages' safety fails closed, and the course builds the same on Zensical as on MkDocs + Material.

Zensical 0.0.73 runs from its own pinned environment (.venv-zensical, made by `make test`), as a user would
install it beside ours. It loads macros/ but never calls our page hook, so it must either be handed pages our
checker and sandbox have already rendered (`make site ENGINE=zensical`) or be stopped before any page renders.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, SAMPLE_COHORT, assert_holds_every_finding_and_prompt, nav_pages, run, squash
from test_browser import (
    AXE_TAGS,
    PHONE,
    REFLECTION,
    REPORT_VIOLATIONS,
    axe_source,
    serve,
)
from test_slides import deck_files

from publish.engines import ZENSICAL
from publish.pdf.site import page_url

PAYLOAD = "{{ cycler.__init__.__globals__.os.popen('echo PWNED-$((6*7))').read() }}"
REFUSAL = "and Zensical renders them without those checks, so nothing was built."
SUPPORTED = "Build the course with `make site` (or `make site ENGINE=zensical`)"

pytestmark = pytest.mark.skipif(not ZENSICAL.exists(), reason="Zensical is installed by `make test` (.venv-zensical)")


def zensical_env() -> dict[str, str]:
    """Project copies have no .venv-zensical of their own: point them at the real one."""
    return {"ZENSICAL": str(ZENSICAL)}


def add_page(project: Path, text: str) -> None:
    (project / "docs" / "broken.md").write_text(f'---\ntitle: "Broken page"\ndescription: "A test page."\n---\n\n# Broken page\n\n{text}\n', encoding="utf-8")
    config = project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("  - My reflections: my-reflections.md", "  - My reflections: my-reflections.md\n  - Broken: broken.md"),
        encoding="utf-8",
    )


def leaked(folder: Path) -> bool:
    return folder.exists() and any("PWNED-42" in p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*") if p.is_file())


def test_zensical_on_mkdocs_yml_stops_before_any_page_renders(project: Path) -> None:
    """Zensical run by hand on mkdocs.yml: our macros module stops it, naming the supported commands; nothing runs."""
    add_page(project, PAYLOAD)
    result = run([str(ZENSICAL), "build", "--config-file", "mkdocs.yml"], cwd=project)
    printed = result.stdout + result.stderr
    assert result.returncode != 0
    assert REFUSAL in printed and SUPPORTED in printed
    assert printed.count(REFUSAL) == 1
    assert "Traceback" not in printed
    built = project / ".build" / "site"
    assert not leaked(project) and not leaked(built)
    assert not list(built.rglob("index.html")) if built.exists() else True


def test_zensical_build_refuses_the_payload_with_the_usual_message(project: Path) -> None:
    add_page(project, PAYLOAD)
    out = project / "site-zensical"
    result = run([sys.executable, "-m", "publish", "--engine", "zensical", "--no-pdf", "--site-dir", str(out)], cwd=project, **zensical_env())
    printed = result.stdout + result.stderr
    assert result.returncode == 1
    assert "docs/broken.md:8: the name `__globals__` is not allowed: names starting with an underscore reach Python internals." in printed
    assert not out.exists() and not leaked(project)


def test_the_staging_step_itself_refuses_unchecked_pages(project: Path) -> None:
    """Zensical's pages come from engines.stage_course, which refuses a bad page even when nothing checked it before."""
    add_page(project, '{{ findings("five-key-actions") }}')
    probe = "import sys; from pathlib import Path; from macros.course import load_model; from publish.engines import stage_course; stage_course(load_model(Path('mkdocs.yml')), Path(sys.argv[1]))"
    result = run([sys.executable, "-c", probe, str(project / "stage")], cwd=project)
    assert result.returncode != 0
    assert "docs/broken.md:8: there is no macro called `findings`." in result.stderr
    assert not (project / "stage" / "docs" / "broken.md").exists()


def test_an_unknown_macro_fails_the_zensical_build_with_the_usual_message(project: Path) -> None:
    add_page(project, '{{ findings("five-key-actions") }}')
    result = run([sys.executable, "-m", "publish", "--engine", "zensical", "--no-pdf"], cwd=project, **zensical_env())
    printed = result.stdout + result.stderr
    assert result.returncode == 1
    assert "docs/broken.md:8: there is no macro called `findings`.\n    Fix: did you mean 'finding'? The macro reference lists them all." in printed
    assert "Traceback" not in printed


def test_mkdocs_macros_refuses_a_page_our_hook_did_not_render(project: Path) -> None:
    """If mkdocs-macros ever rendered a page without calling our hook, the build stops instead of running it."""
    module = project / "macros" / "__init__.py"
    text = module.read_text(encoding="utf-8")
    module.write_text(text.replace("def on_pre_page_macros(", "def _not_called_any_more("), encoding="utf-8")
    add_page(project, PAYLOAD)
    out = project / "plain-build"
    result = run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)], cwd=project)
    printed = result.stdout + result.stderr
    assert result.returncode != 0
    assert "mkdocs-macros tried to render this page without the course's checks, so nothing was built." in printed
    assert not leaked(project) and not leaked(out)


@pytest.fixture(scope="session")
def zensical_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real course built by `make site ENGINE=zensical`, PDFs included."""
    out = tmp_path_factory.mktemp("zensical") / "site"
    result = run([sys.executable, "-m", "publish", "--engine", "zensical", "--site-dir", str(out)], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def main_text(path: Path) -> list[str]:
    article = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml").select_one("article")
    assert article is not None, path
    return article.get_text(" ", strip=True).split()


def test_every_page_reads_the_same_on_both_engines(site: Path, zensical_site: Path) -> None:
    pages = sorted(p.relative_to(site) for p in site.rglob("index.html"))
    assert sorted(p.relative_to(zensical_site) for p in zensical_site.rglob("index.html")) == pages
    for page in pages:
        assert main_text(zensical_site / page) == main_text(site / page), page


def test_zensical_shows_every_finding_item_and_prompt_and_indexes_every_page(zensical_site: Path) -> None:
    shown = " ".join(BeautifulSoup(p.read_text(encoding="utf-8"), "lxml").get_text(" ") for p in zensical_site.rglob("index.html"))
    assert_holds_every_finding_and_prompt(squash(shown))
    index = json.loads((zensical_site / "search.json").read_text(encoding="utf-8"))
    indexed = {urlsplit(entry["location"]).path.rstrip("/") for entry in index["items"]}
    for _, src in nav_pages():
        assert page_url(src).rstrip("/") in indexed, src
    indexed = json.dumps(index)
    assert "PWNED" not in indexed


def test_zensical_site_has_the_pdfs_journal_and_timer(zensical_site: Path) -> None:
    assert (zensical_site / "pdf" / "course-reader.pdf").is_file()
    assert (zensical_site / "pdf" / "reflection-workbook.pdf").is_file()
    # The slides are made from the sources, whatever engine built the pages: every deck, both files.
    for _, pdf_file, pptx_file in deck_files(zensical_site):
        assert pdf_file.is_file() and pptx_file.is_file(), pdf_file.name
    html = (zensical_site / "what-to-expect" / "index.html").read_text(encoding="utf-8")
    assert "assets/journal.js" in html and "assets/timer.js" in html
    assert '<meta name="course-cohort" content="generic">' in html


def test_the_facilitator_edition_of_a_cohort_reads_the_same_on_both_engines(facilitator_site: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    command = [
        sys.executable,
        "-m",
        "publish",
        "--engine",
        "zensical",
        "--cohort",
        SAMPLE_COHORT,
        "--edition",
        "facilitator",
        "--no-pdf",
        "--site-dir",
        str(out),
    ]
    result = run(command, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for page in ("schedule/index.html", "what-to-expect/index.html", "index.html"):
        assert main_text(out / page) == main_text(facilitator_site / page), page
    assert "Facilitator edition." in (out / "index.html").read_text(encoding="utf-8")


# The Zensical site in a real browser: its own search box, our journal and timer, axe, no other host.


@pytest.fixture(scope="module")
def zensical_url(zensical_site: Path) -> Iterator[str]:
    with serve(zensical_site) as address:
        yield address


@pytest.mark.browser
@pytest.mark.parametrize(("query", "expected"), [("entry point", "where-to-begin/"), ("Hartford", "what-to-expect/"), ("key actions", "how-to-make-progress/")])
def test_zensical_search_box_finds_the_right_page_first(browser: Any, zensical_url: str, query: str, expected: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(zensical_url)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("combobox").fill(query)
    first = page.get_by_role("option").first
    first.wait_for()
    assert urlsplit(first.get_attribute("href") or "").path == "/" + expected, query
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/{expected}**")
    assert not [url for url in asked if not url.startswith(zensical_url)]
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_zensical_journal_timer_and_axe(browser: Any, zensical_url: str, scheme: str) -> None:
    context = browser.new_context(color_scheme=scheme, viewport={"width": PHONE, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(zensical_url + "what-to-expect/")
    box = page.locator(f'.cw-reflection[data-prompt="{REFLECTION}"]').get_by_label("Your private notes")
    box.fill("A note that stays here.")
    # Saved with the prompt's wording (issue 18), so the answer stays readable if the prompt ever leaves the course.
    assert page.evaluate(f"JSON.parse(localStorage.getItem('cw-journal/generic/{REFLECTION}')).answer") == "A note that stays here."
    page.locator(".cw-timer").get_by_role("button", name="Start").first.click()
    page.evaluate(axe_source())  # not a script tag: the page's policy would refuse it
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    found = [(v["id"], [(n["html"][:160], n.get("failureSummary", "")[-160:]) for n in v["nodes"]]) for v in result["violations"]]
    assert not found, found
    assert not errors, errors
    context.close()


@pytest.mark.browser
def test_every_zensical_page_runs_its_features_under_the_policy_with_no_violation(browser: Any, zensical_site: Path, zensical_url: str) -> None:
    from publish.built import read_site
    from publish.csp import script_hash

    files = sorted(zensical_site.rglob("*.html"))
    hashes = {script_hash(text) for page in read_site(zensical_site).pages.values() for text in page.scripts}
    for path in files:
        assert f"script-src 'self' {' '.join(sorted(hashes))};" in path.read_text(encoding="utf-8"), path
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script(REPORT_VIOLATIONS)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    for path in files:
        page.goto(zensical_url + path.relative_to(zensical_site).as_posix().removesuffix("index.html"))
        # Loaded (goto waits for it), and our scripts have run.
        page.wait_for_function("() => document.querySelector('.cw-journal, .cw-timer') || !document.querySelector('.cw-reflection, .cw-discussion')")
        boxes = page.locator(".cw-reflection:has(textarea:visible)")
        if boxes.count():
            boxes.first.locator("textarea").fill("A note that stays here.")
        if page.locator(".cw-timer-start").count():
            page.locator(".cw-timer-start").first.click()
    page.get_by_role("button", name="Search").click()
    page.get_by_role("combobox").fill("Hartford")
    page.get_by_role("option").first.wait_for()
    context.close()
    assert not errors, errors
