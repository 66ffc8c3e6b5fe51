"""The work python -m publish hands to a second process (publish/worker.py) gives what this process would, and a worker
that fails fails its step: the search index (publish/search.py) and the reading of the built site (publish/built.py).
make check's fork (macros/check.py) reports what it would alone, and its pages are checked here when the fork fails."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import pages_in_docs
from material.plugins.search import plugin
from mkdocs.structure.toc import get_toc

from macros import check
from publish.built import read_site
from publish.search import indexed_in_worker
from publish.worker import Worker, WorkerFailed

# What Material's search plugin hands its index: its settings (lang, separator, pipeline, fields), then each page.
CONFIG = {"lang": ["en"], "separator": r"[\s\-]+", "pipeline": ["stemmer"], "fields": {"title": {"boost": 1000.0}, "text": {"boost": 1.0}}}


def _pages() -> list[Any]:
    """Pages with what the index reads: sections under headings, a title from front matter, tags, a boost, an excluded
    section and an excluded page."""

    def page(url: str, content: str, meta: dict[str, Any], headings: list[tuple[str, str, int]]) -> Any:
        toc = get_toc([{"level": level, "id": anchor, "name": name, "html": name, "data-toc-label": "", "children": []} for anchor, name, level in headings])
        return SimpleNamespace(url=url, title=url.strip("/") or "Home", meta=meta, content=content, toc=toc)

    return [
        page(
            "",
            "<h1 id='welcome'>Welcome</h1><p>First words.</p><h2 id='more'>More</h2><p>Second <em>words</em>.</p>",
            {},
            [("welcome", "Welcome", 1), ("more", "More", 2)],
        ),
        page(
            "one/",
            "<p>No heading here.</p><h2 id='part'>Part</h2><p>Text</p>",
            {"title": "One", "tags": ["a", 2], "search": {"boost": 2}},
            [("part", "Part", 2)],
        ),
        page("two/", "<h2 id='kept'>Kept</h2><p>Shown.</p><h2 id='hidden' data-search-exclude>Hidden</h2><p>Not shown.</p>", {}, [("kept", "Kept", 2)]),
        page("three/", "<h1 id='gone'>Gone</h1><p>Left out.</p>", {"search": {"exclude": True}}, [("gone", "Gone", 1)]),
    ]


def _index(pages: list[Any]) -> str:
    """The index Material's search plugin writes for these pages, made by whichever SearchIndex is in place."""
    index = plugin.SearchIndex(**CONFIG)
    for page in pages:
        index.add_entry_from_context(page)
    return str(index.generate_search_index(None))


def test_the_search_index_made_in_a_worker_is_materials_own() -> None:
    alone = _index(_pages())
    with indexed_in_worker():
        shared = _index(_pages())
    assert plugin.SearchIndex.__name__ == "SearchIndex"  # Material's own again once the build is done
    assert shared == alone
    # Every page's sections in page order, less the excluded page and section.
    assert [entry["location"] for entry in json.loads(alone)["docs"]] == ["", "#more", "one/", "one/#part", "two/", "two/#kept"]


def test_a_search_worker_that_fails_fails_the_build() -> None:
    with indexed_in_worker():
        index = plugin.SearchIndex(**CONFIG)
        index.add_entry_from_context(_pages()[0])
        index.worker.process.kill()
        with pytest.raises(WorkerFailed, match=r"`python -m publish.search` ended without its answer"):
            index.generate_search_index(None)


def test_a_site_read_with_a_worker_is_the_site_read_alone(site: Path) -> None:
    # python -m publish reads every other page in the worker: the same pages, parsed the same, in the same order.
    alone = read_site(site, articles=False)
    with Worker("publish.built") as worker:
        shared = read_site(site, articles=False, worker=worker)
    assert list(shared.pages) == list(alone.pages)
    assert shared.pages == alone.pages


def test_a_site_reader_that_fails_fails_the_read(site: Path) -> None:
    with Worker("publish.built") as worker:
        worker.process.kill()
        with pytest.raises(WorkerFailed, match=r"`python -m publish.built` ended without its answer"):
            read_site(site, articles=False, worker=worker)


def test_make_check_reports_every_page_s_problems_and_the_same_when_its_fork_fails(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A mistake on every page, so that the fork's pages and this process's pages both have problems to report.
    for src in pages_in_docs():
        page = project / "docs" / src
        page.write_text(page.read_text(encoding="utf-8") + "\n{{ no_such_macro() }}\n", encoding="utf-8")
    monkeypatch.chdir(project)
    assert check.main([]) == 1
    shared = capsys.readouterr().err
    assert all(f"docs/{src}" in shared for src in pages_in_docs())

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("the fork could not send its problems")

    monkeypatch.setattr(check.pickle, "dump", refuse)  # in the fork: it ends without sending anything
    assert check.main([]) == 1
    assert capsys.readouterr().err == shared
