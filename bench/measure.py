"""Run one command and measure it: wall time, and peak memory of the whole process tree."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
# Sampling the tree's memory ten times a second costs a few milliseconds each time.
SAMPLE_SECONDS = 0.1


@dataclass(frozen=True)
class Measurement:
    """What one run cost."""

    seconds: float
    cpu_seconds: float  # user + system time of the process and every child it waited for
    peak_mb: float  # the larger of: the biggest single process, the biggest sum over the tree at one sample
    returncode: int


def _tree_rss(root: int) -> int:
    """Resident bytes of root and every process descended from it, right now."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        rss[pid] = int(fields[21]) * PAGE_SIZE
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(rss.get(pid, 0) for pid in tree)


def run_measured(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> Measurement:
    """Run command to the end with its output in log; time it and track its memory."""
    log.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    done = threading.Event()
    with log.open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)

        def sample() -> None:
            nonlocal peak
            while not done.wait(SAMPLE_SECONDS):
                peak = max(peak, _tree_rss(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4 reports the largest resident size of the process and every child it reaped; Linux starts a child's
        # count from its parent's at exec, so the caller must stay small (bench/__main__.py reads PDFs only at the end).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    peak = max(peak, usage.ru_maxrss * 1024)
    return Measurement(seconds, usage.ru_utime + usage.ru_stime, peak / 2**20, process.returncode)
