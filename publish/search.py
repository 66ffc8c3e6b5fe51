"""Material's search index made in a second process while MkDocs writes the pages.

Material's search plugin parses each page's HTML (in Python) into the sections of the index: at 200 modules about a
tenth of the build, on the one core MkDocs uses. While `python -m publish` runs MkDocs (publish/engines.py), Material's
SearchIndex is replaced by IndexInWorker: each page goes to a worker process (publish/worker.py, `python -m
publish.search`) that runs Material's own indexer on it, and the entries come back, in page order, when the plugin writes
the index. The index has the same bytes; a worker that fails fails the build.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from publish.worker import Worker, serve

# What Material's indexer reads from a page's front matter (material/plugins/search/plugin.py).
META_KEYS = ("search", "tags", "title")


def _page_message(page: Any) -> tuple[Any, ...]:
    """What Material's indexer reads of a MkDocs page, as plain values the worker can take."""
    meta = {key: page.meta[key] for key in META_KEYS if key in page.meta}
    return (page.url, page.title, meta, page.content, page.toc)


def _index_class(workers: list[Worker]) -> type:
    """IndexInWorker, made on first need (it subclasses Material's SearchIndex, which only the MkDocs build imports);
    each worker it starts is added to workers."""
    from material.plugins.search.plugin import SearchIndex

    class IndexInWorker(SearchIndex):
        """Material's SearchIndex, its pages indexed by a worker process (see the module's docstring)."""

        def __init__(self, **config: Any) -> None:
            super().__init__(**config)
            self.worker = Worker("publish.search")
            workers.append(self.worker)

        def add_entry_from_context(self, page: Any) -> None:
            self.worker.send(_page_message(page))

        def generate_search_index(self, prev: Any) -> str:
            self.entries += self.worker.result()
            return str(super().generate_search_index(prev))

    return IndexInWorker


@contextlib.contextmanager
def indexed_in_worker() -> Iterator[None]:
    """While inside, Material's search plugin indexes pages in a worker process; a worker left running is stopped on leaving."""
    from material.plugins.search import plugin

    original = plugin.SearchIndex
    workers: list[Worker] = []
    plugin.SearchIndex = _index_class(workers)
    try:
        yield
    finally:
        plugin.SearchIndex = original
        for worker in workers:
            worker.stop()


def index_pages(pages: Iterator[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The worker: each page indexed by Material's own indexer, as it arrives; every entry, in order."""
    from material.plugins.search.plugin import SearchIndex

    index = SearchIndex()
    for url, title, meta, content, toc in pages:
        index.add_entry_from_context(SimpleNamespace(url=url, title=title, meta=meta, content=content, toc=toc))
    return list(index.entries)


if __name__ == "__main__":
    serve(index_pages)
