"""Material's search index made in a second process while MkDocs writes the pages.

Material's search plugin parses each page's HTML (in Python) into the sections of the index: at 200 modules about a
tenth of the build, on the one core MkDocs uses. While `python -m publish` runs MkDocs (publish/engines.py), Material's
SearchIndex is replaced by IndexInWorker: each page goes to a worker process (`python -m publish.search`) that runs
Material's own indexer on it, and the entries come back, in page order, when the plugin writes the index. The index has
the same bytes; a worker that fails fails the build.
"""

from __future__ import annotations

import contextlib
import fcntl
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parent.parent
# The pipe to the worker holds this many bytes, so MkDocs hands a long page over without waiting for the worker to read it.
PIPE_BYTES = 1 << 20
# What Material's indexer reads from a page's front matter (material/plugins/search/plugin.py).
META_KEYS = ("search", "tags", "title")


def _page_message(page: Any) -> tuple[Any, ...]:
    """What Material's indexer reads of a MkDocs page, as plain values the worker can take."""
    meta = {key: page.meta[key] for key in META_KEYS if key in page.meta}
    return (page.url, page.title, meta, page.content, page.toc)


def _index_class(workers: list[subprocess.Popen[bytes]]) -> type:
    """IndexInWorker, made on first need (it subclasses Material's SearchIndex, which only the MkDocs build imports);
    each worker it starts is added to workers."""
    from material.plugins.search.plugin import SearchIndex

    class IndexInWorker(SearchIndex):  # type: ignore[misc]
        """Material's SearchIndex, its pages indexed by a worker process (see the module's docstring)."""

        def __init__(self, **config: Any) -> None:
            super().__init__(**config)
            self.worker = subprocess.Popen([sys.executable, "-m", "publish.search"], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            with contextlib.suppress(OSError):  # a smaller pipe only makes MkDocs wait for the worker now and then
                fcntl.fcntl(self.worker.stdin.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
            workers.append(self.worker)

        def add_entry_from_context(self, page: Any) -> None:
            pickle.dump(_page_message(page), self.worker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.worker.stdin.flush()

        def generate_search_index(self, prev: Any) -> str:
            self.worker.stdin.close()
            entries = pickle.load(self.worker.stdout)
            if self.worker.wait() != 0:
                raise RuntimeError(f"the search index worker failed (exit {self.worker.returncode})")
            self.entries += entries
            return str(super().generate_search_index(prev))

    return IndexInWorker


@contextlib.contextmanager
def indexed_in_worker() -> Iterator[None]:
    """While inside, Material's search plugin indexes pages in a worker process; a worker left running is stopped on leaving."""
    from material.plugins.search import plugin

    original = plugin.SearchIndex
    workers: list[subprocess.Popen[bytes]] = []
    plugin.SearchIndex = _index_class(workers)
    try:
        yield
    finally:
        plugin.SearchIndex = original
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            for pipe in (worker.stdin, worker.stdout):
                if pipe is not None:
                    pipe.close()


def serve(source: BinaryIO, sink: BinaryIO) -> None:
    """The worker: index each page read from source with Material's indexer, then write every entry, in order, to sink."""
    from material.plugins.search.plugin import SearchIndex

    index = SearchIndex()
    while True:
        try:
            url, title, meta, content, toc = pickle.load(source)
        except EOFError:
            break
        index.add_entry_from_context(SimpleNamespace(url=url, title=title, meta=meta, content=content, toc=toc))
    pickle.dump(index.entries, sink, protocol=pickle.HIGHEST_PROTOCOL)
    sink.flush()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
