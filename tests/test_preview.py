"""The live preview (make serve): a saved page is served changed, and so is every page that shows what changed.

One preview runs on a copy of the course for the whole module; each test saves a page and waits for the served
pages to show it. MkDocs rebuilds only what a save changes (publish/preview.py), so these tests are the proof that
the pages gathering other pages (My reflections, the schedule, the nav on every page) still follow each save.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import copy_project

from bench.preview import free_port, stop
from macros import pages
from macros.library import MACROS, OWN_PAGE, macro, macros_called, reflections_in
from publish.preview import gathered, plan
from publish.serve import serve_command

GIVE_UP = 60.0


@dataclass
class Preview:
    project: Path
    address: str
    log: Path

    def page(self, path: str) -> str:
        try:
            with urllib.request.urlopen(self.address + path, timeout=5) as response:
                return str(response.read().decode("utf-8"))
        except OSError:
            return ""

    def wait(self, path: str, shows: Callable[[str], bool], what: str) -> str:
        deadline = time.monotonic() + GIVE_UP
        while time.monotonic() < deadline:
            text = self.page(path)
            if shows(text):
                return text
            time.sleep(0.05)
        raise AssertionError(f"the preview never served {path} {what}; its log:\n{self.log.read_text(encoding='utf-8')[-3000:]}")

    def edit(self, src: str, change: Callable[[str], str]) -> None:
        path = self.project / src if src.endswith(".yml") else self.project / "docs" / src
        text = path.read_text(encoding="utf-8")
        changed = change(text)
        assert changed != text, f"the edit of {src} changed nothing"
        path.write_text(changed, encoding="utf-8")

    def rebuilds(self) -> list[str]:
        return [line.split("Rebuilding", 1)[1].strip() for line in self.log.read_text(encoding="utf-8").splitlines() if "Rebuilding" in line]


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Preview]:
    """`make serve`'s `mkdocs serve` on a private copy of the course, serving once the first build is done."""
    project = copy_project(tmp_path_factory.mktemp("preview"))
    port = free_port()
    log = project / "serve.log"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONDONTWRITEBYTECODE="1")
    with log.open("wb") as sink:
        server = subprocess.Popen(
            serve_command(sys.executable, Path("mkdocs.yml"), f"127.0.0.1:{port}"), cwd=project, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
        try:
            running = Preview(project, f"http://127.0.0.1:{port}/", log)
            running.wait("", lambda text: "Leading" in text, "at first")
            yield running
        finally:
            stop(server)


def test_a_saved_page_is_served_changed_and_alone_rebuilt(preview: Preview) -> None:
    preview.edit("resources.md", lambda text: text + "\nA sentence saved in the preview.\n")
    preview.wait("resources/", lambda text: "A sentence saved in the preview." in text, "with the saved sentence")
    assert re.fullmatch(r"1 of \d+ pages \(saved: resources.md\)\.", preview.rebuilds()[-1])


def journal_group(page: str, title: str) -> str:
    """The prompts My reflections lists under one page of the course."""
    group = BeautifulSoup(page, "lxml").find("div", attrs={"data-page-title": title})
    return str(group) if group is not None else ""


def test_a_reflection_asked_on_a_page_shows_on_my_reflections(preview: Preview) -> None:
    assert "weakest-corner" not in journal_group(preview.page("my-reflections/"), "1 · What to expect")
    # what-to-expect.md now asks a reflection a later page asked, so My reflections lists it under What to expect instead.
    preview.edit("what-to-expect.md", lambda text: text.replace('{{ reflection("your-top-challenge") }}', '{{ reflection("weakest-corner") }}'))
    served = preview.wait(
        "my-reflections/", lambda text: "weakest-corner" in journal_group(text, "1 · What to expect"), "with the reflection under its new page"
    )
    assert "your-top-challenge" not in journal_group(served, "1 · What to expect")
    assert re.fullmatch(r"2 of \d+ pages \(saved: what-to-expect.md; showing it: my-reflections.md\)\.", preview.rebuilds()[-1])


def test_a_page_title_renamed_shows_on_the_schedule(preview: Preview) -> None:
    preview.edit("how-to-make-progress.md", lambda text: text.replace('title: "', 'title: "Renamed in the preview · ', 1))
    preview.wait("schedule/", lambda text: "Renamed in the preview" in text, "with the page's new title")
    assert "the front matter or title of how-to-make-progress.md changed" in preview.rebuilds()[-1]


def test_a_nav_title_renamed_shows_in_the_nav_of_every_page(preview: Preview) -> None:
    preview.edit("mkdocs.yml", lambda text: text.replace("  - My reflections: my-reflections.md", "  - My journal in the preview: my-reflections.md"))
    preview.wait("framing/", lambda text: "My journal in the preview" in text, "with the new nav title")
    assert "My journal in the preview" in preview.page("resources/")


def test_search_still_finds_every_page_after_a_page_is_saved(preview: Preview) -> None:
    preview.edit("synthesis.md", lambda text: text + "\nSearchable words saved in the preview.\n")
    preview.wait("synthesis/", lambda text: "Searchable words saved in the preview." in text, "with the saved words")
    index = json.loads(preview.page("search/search_index.json"))
    pages = {entry["location"].split("#")[0] for entry in index["docs"]}
    assert {"", "framing/", "resources/", "my-reflections/", "synthesis/"} <= pages
    assert any("Searchable words saved in the preview." in entry["text"] for entry in index["docs"])


def test_a_broken_save_is_reported_and_the_next_good_save_is_served(preview: Preview) -> None:
    preview.edit("pre-work.md", lambda text: text + '\n{{ reflection("no-such-prompt") }}\n')
    deadline = time.monotonic() + GIVE_UP
    while "no-such-prompt" not in preview.log.read_text(encoding="utf-8") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "no-such-prompt" in preview.log.read_text(encoding="utf-8")
    preview.edit("pre-work.md", lambda text: text.replace('{{ reflection("no-such-prompt") }}', "Mended in the preview."))
    preview.wait("pre-work/", lambda text: "Mended in the preview." in text, "mended")


def test_a_prompt_edited_in_the_data_shows_on_its_page_and_on_my_reflections(preview: Preview) -> None:
    preview.edit(
        "docs/data/prompts.yml", lambda text: text.replace('title: "Where your collaboration is least secure"', 'title: "Your weakest corner, edited"')
    )
    preview.wait("synthesis/", lambda text: "Your weakest corner, edited" in text, "with the prompt's new title")
    preview.wait("my-reflections/", lambda text: "Your weakest corner, edited" in text, "with the prompt's new title")


def test_a_broken_data_file_is_reported_and_the_mended_one_is_served(preview: Preview) -> None:
    errors = preview.log.read_text(encoding="utf-8").count("ERROR")
    preview.edit("docs/data/prompts.yml", lambda text: text + "\n- id: [unclosed\n")
    deadline = time.monotonic() + GIVE_UP
    while preview.log.read_text(encoding="utf-8").count("ERROR") == errors and time.monotonic() < deadline:
        time.sleep(0.05)
    assert preview.log.read_text(encoding="utf-8").count("ERROR") > errors, "the broken data file was not reported"
    preview.edit("docs/data/prompts.yml", lambda text: text.replace("\n- id: [unclosed\n", "").replace("corner, edited", "corner, mended"))
    preview.wait("synthesis/", lambda text: "Your weakest corner, mended" in text, "mended")


# What a macro calls to read other pages than its own (macros/library.py, PageContext and CourseModel).
READS_OTHER_PAGES = re.compile(r"\.pages\b|\.session_pages\(|\.session_groups\(|\.reflections\(|\.checked\(")


def test_every_macro_declares_what_it_reads_of_other_pages() -> None:
    assert "downloads" in MACROS and "macro_reference" in MACROS, f"{pages.__name__} registers every macro"
    for name, spec in MACROS.items():
        assert spec.reads is OWN_PAGE or callable(spec.reads), f"{name}() declares neither OWN_PAGE nor what it reads of other pages"
        # A macro that declares it reads nothing of other pages does not reach them (nor does a helper of its module it calls).
        if spec.reads is OWN_PAGE:
            assert not READS_OTHER_PAGES.search(inspect.getsource(spec.function)), f"{name}() reads other pages: declare what, with reads="
    assert MACROS["all_reflections"].reads is reflections_in


def test_a_macro_that_does_not_declare_what_it_reads_is_refused_with_the_fix() -> None:
    def undeclared_macro() -> str:
        return ""

    with pytest.raises(TypeError) as refused:
        macro(None, "undeclared_macro()")(undeclared_macro)
    assert "undeclared_macro() (test_preview) does not say what it reads of other pages. Fix: write @macro(..., reads=OWN_PAGE)" in str(refused.value)
    assert "undeclared_macro" not in MACROS


def test_a_page_is_rebuilt_by_what_its_macros_declare_they_read() -> None:
    assert gathered('{{ finding("x") }} {{ downloads() }}') == []
    assert gathered("{{ all_reflections() }}") == [reflections_in]
    assert gathered("{{ some_new_macro() }}") is None


def test_what_a_save_rebuilds() -> None:
    page = '---\ntitle: "A"\ndescription: "d"\n---\n\n# A\n\n{{ reflection("one") }}\n'
    journal = '---\ntitle: "J"\ndescription: "d"\n---\n\n{{ all_reflections() }}\n'
    unknown = '---\ntitle: "U"\ndescription: "d"\n---\n\n{{ some_new_macro() }}\n'
    from publish.preview import Built

    built = Built({"a.md": page, "j.md": journal, "u.md": unknown}, {"docs/data/x.yml": (1, 1)}, b"config")

    def rebuild(pages: dict[str, str], others: dict[str, tuple[int, int]] | None = None, config: bytes = b"config") -> set[str] | None:
        return plan(built, {"a.md": page, "j.md": journal, "u.md": unknown, **pages}, others or built.others, config)[0]

    assert rebuild({"a.md": page + "\nMore prose.\n"}) == {"a.md", "u.md"}
    assert rebuild({"a.md": page.replace('"one"', '"two"')}) == {"a.md", "j.md", "u.md"}
    assert rebuild({"a.md": page.replace('title: "A"', 'title: "B"')}) is None
    assert rebuild({"a.md": page.replace("# A", "# B")}) is None
    assert rebuild({}, {"docs/data/x.yml": (2, 1)}) is None
    assert rebuild({}, config=b"changed") is None
    assert plan(built, {"a.md": page, "j.md": journal}, built.others, b"config")[0] is None
    assert plan(None, built.pages, built.others, b"config")[0] is None
    assert macros_called(journal) == {"all_reflections"}
