"""python -m bench (`make bench`): build and PDF speed on a synthetic course, against plain Material and mkdocs-to-pdf.

Writes a course of N modules (bench.course), then measures, alternating the
variants in each round: (a) plain Material on the macro-expanded Markdown, the
floor; (b) our site build; (c) our full build with every PDF; (d) mkdocs-to-pdf
on the same Markdown, the peer; and afterwards (e) the preview rebuild of the
real course after one page is saved. Prints a Markdown table and keeps it in
bench/results/ and in the README's performance section.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pypdf import PdfReader

from .course import SyntheticCourse, write_course
from .measure import Measurement, run_measured
from .preview import PreviewResult, measure_preview

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".build" / "bench"
RESULTS = ROOT / "bench" / "results"
README = ROOT / "README.md"
PEER_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
START_MARKER = "<!-- bench:start -->"
END_MARKER = "<!-- bench:end -->"
# `make bench` must end within 15 minutes on 2 cores, installs included; the Makefile passes the time it started.
LIMIT_SECONDS = 15 * 60
# Kept free at the end for the preview measurement and the report.
RESERVE_SECONDS = 60
PREVIEW_EDITS = 5
TARGETS = {"site_vs_floor": 1.25, "peer_vs_full": 3.0, "pdf_pages_per_second": 25.0, "peak_mb": 600.0, "preview_seconds": 1.0}


@dataclass(frozen=True)
class Variant:
    """One way of building the synthetic course."""

    key: str
    label: str
    command: list[str]
    cwd: Path
    pdf_dir: Path | None = None  # where its PDFs land, if it makes any


@dataclass
class Runs:
    """Every measured run of one variant."""

    variant: Variant
    runs: list[Measurement] = field(default_factory=list)
    pdf_pages: int = 0
    failed: str = ""  # the log of a failed run; the variant is not run again

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(run, attribute) for run in self.runs) if self.runs else float("nan")

    @property
    def peak_mb(self) -> float:
        return max((run.peak_mb for run in self.runs), default=float("nan"))


def variants(course: SyntheticCourse, out: Path, with_pdf: bool) -> list[Variant]:
    """The builds to compare, in the order each round runs them."""
    python = sys.executable
    found = [
        Variant(
            "floor",
            "(a) Plain Material, macros already expanded: the floor",
            [python, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(course.floor)],
            ROOT,
        ),
        Variant(
            "site", "(b) Our site build, `python -m publish --no-pdf`", [python, "-m", "publish", "--no-pdf", "--site-dir", str(out / "site")], course.ours
        ),
    ]
    if with_pdf:
        full = out / "full"
        found.append(
            Variant(
                "full", "(c) Our full build with every PDF, `python -m publish`", [python, "-m", "publish", "--site-dir", str(full)], course.ours, full / "pdf"
            )
        )
    peer_site = course.peer.parent / "site"
    found.append(
        Variant(
            "peer",
            "(d) mkdocs-to-pdf 0.12.1 on the same Markdown: site + one PDF",
            [str(PEER_PYTHON), "-m", "mkdocs", "build", "--quiet", "-f", str(course.peer)],
            ROOT,
            peer_site / "pdf",
        )
    )
    return found


def publish_makes_pdfs() -> bool:
    """Whether `python -m publish` has PDFs to skip (its --no-pdf flag), i.e. whether (c) can be measured."""
    result = subprocess.run([sys.executable, "-m", "publish", "--help"], cwd=ROOT, capture_output=True, text=True, check=False)
    return "--no-pdf" in result.stdout


def count_pdf_pages(folder: Path | None) -> int:
    """Pages in every PDF under folder."""
    if folder is None or not folder.is_dir():
        return 0
    return sum(len(PdfReader(path).pages) for path in sorted(folder.rglob("*.pdf")))


def measure(course: SyntheticCourse, rounds: int, deadline: float) -> list[Runs]:
    """Run every variant `rounds` times, alternating; a run expected to end after deadline (epoch seconds) is skipped."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONDONTWRITEBYTECODE="1")
    results = [Runs(v) for v in variants(course, WORK / "out", publish_makes_pdfs())]
    for number in range(1, rounds + 1):
        for entry in results:
            if entry.failed:
                continue
            expected = max((r.seconds for r in entry.runs), default=0.0)
            if entry.runs and time.time() + expected > deadline:
                print(f"  skipping {entry.variant.key} round {number}: it would end after the time limit", flush=True)
                continue
            log = WORK / "logs" / f"{entry.variant.key}-{number}.log"
            result = run_measured(entry.variant.command, entry.variant.cwd, env, log)
            if result.returncode != 0:
                # One broken variant must not cost the others their measurements.
                entry.failed = str(log.relative_to(ROOT))
                print(f"  {entry.variant.key} failed (exit {result.returncode}); see {entry.failed}:\n{log.read_text(errors='replace')[-2000:]}", flush=True)
                continue
            entry.runs.append(result)
            print(f"  round {number} {entry.variant.key:6} {result.seconds:7.1f} s  {result.cpu_seconds:7.1f} s CPU  {result.peak_mb:6.0f} MB", flush=True)
    # Counted after every run: reading the PDFs grows this process, and a child's peak memory starts from its parent's.
    for entry in results:
        entry.pdf_pages = count_pdf_pages(entry.variant.pdf_dir)
    return results


def _fmt(value: float, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value != value else f"{value:.{digits}f}{unit}"  # NaN is the only value unequal to itself


def report(course: SyntheticCourse, results: list[Runs], preview: PreviewResult | None, load: tuple[float, float]) -> tuple[str, dict[str, object]]:
    """The Markdown shown and kept (table, then targets), and the numbers behind it."""
    by_key = {r.variant.key: r for r in results}
    floor = by_key["floor"].median("seconds")

    def pdf_rate(entry: Runs, base: Runs) -> float:
        extra = entry.median("seconds") - base.median("seconds")
        return entry.pdf_pages / extra if entry.pdf_pages and extra > 0 else float("nan")

    rates = {"full": pdf_rate(by_key["full"], by_key["site"]) if "full" in by_key else float("nan"), "peer": pdf_rate(by_key["peer"], by_key["floor"])}
    cores = len(os.sched_getaffinity(0))
    now = datetime.datetime.now(datetime.UTC)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip() or "unknown"
    lines = [
        f"Measured {now:%Y-%m-%d %H:%M} UTC on {cores} cores ({_cpu_model()}, Python {platform.python_version()}), commit {commit}.",
        f"Synthetic course: {course.modules} modules ({course.pages} pages, {course.words} words in the modules). "
        f"Load average before / after: {load[0]:.1f} / {load[1]:.1f}.",
        "",
        "| Run | Wall time (median) | Runs | CPU time (median) | Peak memory | PDF pages | PDF pages/s | × floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for entry in results:
        seconds = entry.median("seconds")
        cpu = entry.median("cpu_seconds")
        rate = rates.get(entry.variant.key, float("nan"))
        if entry.failed:
            lines.append(f"| {entry.variant.label} | failed: see `{entry.failed}` | {len(entry.runs)} | | | | | |")
            continue
        lines.append(
            f"| {entry.variant.label} | {_fmt(seconds, ' s')} | {len(entry.runs)} | {_fmt(cpu, ' s')} | {_fmt(entry.peak_mb, ' MB', 0)} "
            f"| {entry.pdf_pages or '–'} | {_fmt(rate) if rate == rate else '–'} | {_fmt(seconds / floor, '×', 2)} |"
        )
    if "full" not in by_key:
        lines.append("| (c) Our full build with every PDF | pending: `python -m publish` makes no PDFs yet | | | | | | |")
    preview_seen = statistics.median(preview.seen) if preview else float("nan")
    if preview is not None:
        lines.append(
            f"| (e) Preview: `mkdocs serve` on the real course, one page saved → page served changed | {_fmt(preview_seen, ' s', 2)} | {len(preview.seen)} "
            f"| MkDocs rebuild {_fmt(statistics.median(preview.rebuilt), ' s', 2)} | {_fmt(preview.peak_mb, ' MB', 0)} | – | – | – |"
        )
    site_ratio = by_key["site"].median("seconds") / floor
    peer_ratio = by_key["peer"].median("seconds") / by_key["full"].median("seconds") if "full" in by_key else float("nan")
    ours_peak = max(by_key[k].peak_mb for k in ("site", "full") if k in by_key)
    checks = [
        ("Site build ≤ 1.25× the plain Material floor", f"{site_ratio:.2f}×", site_ratio <= TARGETS["site_vs_floor"]),
        ("Site plus all PDFs ≥ 3× faster than mkdocs-to-pdf", f"{_fmt(peer_ratio, '×', 2)} faster", peer_ratio >= TARGETS["peer_vs_full"]),
        ("≥ 25 PDF pages per second", f"{_fmt(rates['full'])} pages/s", rates["full"] >= TARGETS["pdf_pages_per_second"]),
        (f"Peak memory ≤ 600 MB at {course.modules} modules", f"{ours_peak:.0f} MB", ours_peak <= TARGETS["peak_mb"]),
        ("Preview rebuild of the real course ≤ 1 s", f"{_fmt(preview_seen, ' s', 2)} (edit → page served)", preview_seen <= TARGETS["preview_seconds"]),
    ]
    lines += ["", "| Target | Measured | Holds |", "| --- | --- | --- |"]
    lines += [f"| {name} | {value} | {'yes' if held else 'no'} |" for name, value, held in checks]
    lines += [
        "",
        "Wall time is the median of the runs, taken in alternating rounds; CPU time is user + system time of the whole process tree; "
        "peak memory is the larger of the biggest process and the biggest sum over the process tree at one sample (10 per second). "
        "PDF pages/s divides the PDF pages by the time the PDFs add: (c) − (b) for ours, (d) − (a) for mkdocs-to-pdf.",
    ]
    numbers: dict[str, object] = {
        "measured_at": now.isoformat(timespec="seconds"),
        "cores": cores,
        "commit": commit,
        "modules": course.modules,
        "pages": course.pages,
        "words": course.words,
        "load_average": list(load),
        "variants": {r.variant.key: {"label": r.variant.label, "pdf_pages": r.pdf_pages, "runs": [asdict(m) for m in r.runs]} for r in results},
        "preview": asdict(preview) if preview else None,
        "targets": {name: {"measured": value, "holds": held} for name, value, held in checks},
    }
    return "\n".join(lines) + "\n", numbers


def _cpu_model() -> str:
    try:
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
    except OSError:
        found = None
    return found.group(1).strip() if found else platform.machine()


def keep(table: str, numbers: dict[str, object], readme: Path = README) -> None:
    """Save the results under bench/results/ and between the README's performance markers."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text("# Latest benchmark\n\nMade by `make bench`.\n\n" + table, encoding="utf-8")
    (RESULTS / "latest.json").write_text(json.dumps(numbers, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    text = readme.read_text(encoding="utf-8")
    block = f"{START_MARKER}\n{table}{END_MARKER}"
    if START_MARKER in text and END_MARKER in text:
        head, rest = text.split(START_MARKER, 1)
        text = head + block + rest.split(END_MARKER, 1)[1]
    else:
        text = (
            text.rstrip("\n") + "\n\n## Performance\n\n`make bench` measures build and PDF speed on a synthetic course; its latest results:\n\n" + block + "\n"
        )
    readme.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=200, help="modules in the synthetic course (default: 200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of alternating runs; each variant's median is over its runs (default: 3)")
    parser.add_argument("--started", type=float, help="when `make bench` started (epoch seconds), so installs count against the 15 minutes")
    parser.add_argument("--no-keep", action="store_true", help="print the table only; leave bench/results/ and the README alone")
    args = parser.parse_args(argv)
    if not PEER_PYTHON.exists():
        print("mkdocs-to-pdf is not installed: run `make bench`, which installs it into .venv-bench/.", file=sys.stderr)
        return 1
    started = time.perf_counter()
    deadline = (args.started or time.time()) + LIMIT_SECONDS - RESERVE_SECONDS
    load_before = os.getloadavg()[0]
    print(f"Writing a synthetic course of {args.modules} modules...", flush=True)
    course = write_course(args.modules, WORK / "course")
    print(f"Measuring ({args.rounds} rounds)...", flush=True)
    results = measure(course, args.rounds, deadline)
    print("Measuring the preview rebuild on the real course...", flush=True)
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONDONTWRITEBYTECODE="1")
    preview = measure_preview(sys.executable, WORK / "preview", PREVIEW_EDITS, env)
    table, numbers = report(course, results, preview, (load_before, os.getloadavg()[0]))
    print()
    print(table)
    if not args.no_keep:
        keep(table, numbers)
        print(f"Kept in {RESULTS.relative_to(ROOT)}/latest.md and the README's performance section.")
    print(f"make bench took {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
