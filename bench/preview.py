"""The preview loop on the real course: edit one page while `mkdocs serve` runs, time until the page shows it."""

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
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .course import PROJECT_PARTS
from .measure import _tree_rss

ROOT = Path(__file__).resolve().parent.parent
EDITED_PAGE = "what-to-expect.md"
BUILT_IN = re.compile(rb"Documentation built in ([0-9.]+) seconds")
# Each wait gives up after this long, so a broken serve cannot hang `make bench`.
GIVE_UP_SECONDS = 60.0


@dataclass(frozen=True)
class PreviewResult:
    """Per edit: seconds from saving the page to the server returning it changed, and MkDocs' own rebuild time."""

    seen: list[float]
    rebuilt: list[float]
    peak_mb: float


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _copy_project(out: Path) -> None:
    """The real course in a scratch folder, so editing a page never touches docs/."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copytree(ROOT / "docs", out / "docs")
    shutil.copy2(ROOT / "mkdocs.yml", out / "mkdocs.yml")
    for part in PROJECT_PARTS:
        if (ROOT / part).is_dir():
            (out / part).symlink_to(ROOT / part, target_is_directory=True)


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bytes(response.read())
    except OSError:
        return b""


def _serves(url: str, marker: bytes) -> bool:
    return marker in _get(url)


def _built_more_than(log: Path, builds: int) -> bool:
    return len(BUILT_IN.findall(log.read_bytes())) > builds


def _wait_for(condition: Callable[[], bool], what: str) -> float:
    """Poll condition() until true; returns when it became true (perf_counter)."""
    deadline = time.perf_counter() + GIVE_UP_SECONDS
    while time.perf_counter() < deadline:
        if condition():
            return time.perf_counter()
        time.sleep(0.01)
    raise TimeoutError(f"the preview did not {what} within {GIVE_UP_SECONDS:.0f} s")


def measure_preview(python: str, out: Path, edits: int, env: dict[str, str], extra: tuple[str, ...] = ()) -> PreviewResult:
    """Start `mkdocs serve` on a copy of the real course, save EDITED_PAGE `edits` times, time each."""
    _copy_project(out)
    port = _free_port()
    log = out / "serve.log"
    page = out / "docs" / EDITED_PAGE
    original = page.read_text(encoding="utf-8")
    url = f"http://127.0.0.1:{port}/{EDITED_PAGE.removesuffix('.md')}/"
    seen: list[float] = []
    rebuilt: list[float] = []
    peak = 0
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [python, "-m", "mkdocs", "serve", "--strict", "-a", f"127.0.0.1:{port}", *extra], cwd=out, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
        try:
            _wait_for(partial(_serves, url, b"Leading"), "serve the page at first")
            for edit in range(1, edits + 1):
                marker = f"Benchmark edit {edit} {time.time_ns()}."
                builds_before = len(BUILT_IN.findall(log.read_bytes()))
                saved = time.perf_counter()
                page.write_text(original + f"\n{marker}\n", encoding="utf-8")
                shown = _wait_for(partial(_serves, url, marker.encode()), "show the edit")
                seen.append(shown - saved)
                _wait_for(partial(_built_more_than, log, builds_before), "log the rebuild")
                rebuilt.append(float(BUILT_IN.findall(log.read_bytes())[-1]))
                peak = max(peak, _tree_rss(server.pid))
                time.sleep(0.5)  # let the watcher settle before the next save
            # The server's own high-water mark covers moments between our samples.
            status = Path(f"/proc/{server.pid}/status").read_text()
            hwm = re.search(r"VmHWM:\s+(\d+) kB", status)
            if hwm:
                peak = max(peak, int(hwm.group(1)) * 1024)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return PreviewResult(seen, rebuilt, peak / 2**20)


if __name__ == "__main__":
    result = measure_preview(sys.executable, ROOT / ".build" / "bench" / "preview", 3, dict(os.environ, NO_MKDOCS_2_WARNING="1"))
    print(result)
