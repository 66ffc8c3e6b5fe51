"""The preview loop: edit one page while `mkdocs serve` runs, and time from the save until the server returns the page changed.

The server runs as `make serve` runs it (publish/serve.py: --dirty, each rebuild steered by publish/preview.py).

Measured on the real course (e) and on the synthetic course (f). Only the served page decides when an edit is seen:
the page is polled for the new text, so a save that MkDocs rebuilds twice (the file is seen truncated, then written)
is timed to the build that served the text. Before the next save the server must have been quiet for a moment, so a
trailing rebuild is never counted against the next edit. A failure (the server exits, an edit never shows) ends the
measurement with its error kept beside the edits measured so far; it never raises.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from publish.serve import serve_command

from .course import PROJECT_PARTS
from .measure import _tree_rss

ROOT = Path(__file__).resolve().parent.parent
EDITED_PAGE = "what-to-expect.md"
BUILT_IN = re.compile(rb"Documentation built in ([0-9.]+) seconds")
# Each wait gives up after this long, so a broken serve cannot hang `make bench`.
GIVE_UP_SECONDS = 60.0
# The server counts as settled after an edit once its log has not grown for this long.
QUIET_SECONDS = 0.5


@dataclass(frozen=True)
class PreviewResult:
    """Per edit: seconds from saving the page to the server returning it changed, and MkDocs' own time for the last rebuild the save caused."""

    seen: list[float]
    rebuilt: list[float]
    peak_mb: float
    error: str = ""  # why the measurement stopped early, if it did
    rebuilds: list[int] = field(default_factory=list)  # builds MkDocs logged per save (2 for a double rebuild)


class PreviewFailed(Exception):
    """The server did not do what an edit needs; the message says what and where its log is."""


def stop(server: subprocess.Popen[bytes]) -> None:
    """End a preview server: asked first, killed if it has not gone within 10 s."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def copy_project(source: Path, out: Path) -> None:
    """A project in a scratch folder (its docs/ and mkdocs.yml copied, the code linked), so editing a page never touches source."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copytree(source / "docs", out / "docs")
    shutil.copy2(source / "mkdocs.yml", out / "mkdocs.yml")
    for part in PROJECT_PARTS:
        if (source / part).is_dir():
            (out / part).symlink_to((source / part).resolve(), target_is_directory=True)


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bytes(response.read())
    except OSError:
        return b""


def _serves(url: str, marker: bytes) -> bool:
    return marker in _get(url)


def _builds(log: Path) -> list[float]:
    """Every rebuild time MkDocs has logged so far."""
    return [float(seconds) for seconds in BUILT_IN.findall(log.read_bytes())]


def _wait_for(condition: Callable[[], bool], what: str, server: subprocess.Popen[bytes], log: Path) -> float:
    """Poll condition() until true; returns when it became true (perf_counter). Raises PreviewFailed if the server exits or time runs out."""
    deadline = time.perf_counter() + GIVE_UP_SECONDS
    while time.perf_counter() < deadline:
        if condition():
            return time.perf_counter()
        if server.poll() is not None:
            raise PreviewFailed(f"`mkdocs serve` exited (status {server.returncode}) before it would {what}; see {log}")
        time.sleep(0.01)
    raise PreviewFailed(f"the preview did not {what} within {GIVE_UP_SECONDS:.0f} s; see {log}")


def _settle(log: Path, server: subprocess.Popen[bytes]) -> None:
    """Wait until the server's log has been still for QUIET_SECONDS (a second rebuild of the same save ends first)."""
    size, still_since = -1, time.perf_counter()
    deadline = still_since + GIVE_UP_SECONDS
    while time.perf_counter() < deadline and server.poll() is None:
        now_size = log.stat().st_size
        if now_size != size:
            size, still_since = now_size, time.perf_counter()
        elif time.perf_counter() - still_since >= QUIET_SECONDS:
            return
        time.sleep(0.05)


def measure_preview(python: str, project: Path, page: str, out: Path, edits: int, env: dict[str, str]) -> PreviewResult:
    """Start `make serve`'s `mkdocs serve` on a copy of project, save `page` (in docs/) `edits` times, and time each save until it is served changed."""
    copy_project(project, out)
    port = free_port()
    log = out / "serve.log"
    source = out / "docs" / page
    original = source.read_text(encoding="utf-8")
    stem = page.removesuffix(".md")
    url = f"http://127.0.0.1:{port}/" + ("" if stem == "index" else f"{stem}/")
    seen: list[float] = []
    rebuilt: list[float] = []
    rebuilds: list[int] = []
    peak = 0
    error = ""
    with log.open("wb") as sink:
        command = serve_command(python, Path("mkdocs.yml"), f"127.0.0.1:{port}")
        server = subprocess.Popen(command, cwd=out, env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            _wait_for(partial(_serves, url, b"Leading"), "serve the page at first", server, log)
            _settle(log, server)
            for edit in range(1, edits + 1):
                marker = f"Benchmark edit {edit} {time.time_ns()}."
                before = len(_builds(log))
                saved = time.perf_counter()
                source.write_text(original + f"\n{marker}\n", encoding="utf-8")
                shown = _wait_for(partial(_serves, url, marker.encode()), f"serve edit {edit} of {page}", server, log)
                seen.append(shown - saved)
                _settle(log, server)
                after = _builds(log)[before:]
                rebuilds.append(len(after))
                if after:
                    rebuilt.append(after[-1])
                peak = max(peak, _tree_rss(server.pid))
            # The server's own high-water mark covers moments between our samples.
            status = Path(f"/proc/{server.pid}/status").read_text()
            hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
            if hwm:
                peak = max(peak, int(hwm.group(1)) * 1024)
        except (PreviewFailed, OSError) as failure:
            error = str(failure)
        finally:
            stop(server)
            source.write_text(original, encoding="utf-8")
    return PreviewResult(seen, rebuilt, peak / 2**20, error, rebuilds)


if __name__ == "__main__":
    result = measure_preview(sys.executable, ROOT, EDITED_PAGE, ROOT / ".build" / "bench" / "preview", 3, dict(os.environ, NO_MKDOCS_2_WARNING="1"))
    print(result)
