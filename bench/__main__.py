"""python -m bench (`make bench`): build and PDF speed on a synthetic course, against plain Material and mkdocs-to-pdf.

Writes a course of N modules (bench.course), then measures, alternating the
variants in each round: (a) plain Material on the macro-expanded Markdown, the
floor; (b) our site build; (c) our full build with every PDF, nothing from the
print cache; right after it, (h) one module's paragraph edited and (i) the session
record edited, each then built again with the print cache (publish/cache.py);
(d) mkdocs-to-pdf on the same Markdown, the peer; (g) `make check` on the synthetic course; and
afterwards the preview, from saving one page to the server returning it changed,
on the real course (e) and on the synthetic course (f). Prints a Markdown table
and keeps it in bench/results/ and in the README's performance section.

A step that fails becomes a row with its error; the table is always written.
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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml
from pypdf import PdfReader

from publish.cache import FOLDER as CACHE_FOLDER
from publish.cache import documents, last_build

from .course import SyntheticCourse, _prose, module_name, write_course
from .measure import Measurement, run_measured
from .preview import EDITED_PAGE, PreviewResult, measure_preview

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".build" / "bench"
RESULTS = ROOT / "bench" / "results"
README = ROOT / "README.md"
PEER_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
START_MARKER = "<!-- bench:start -->"
END_MARKER = "<!-- bench:end -->"
# `make bench` must end within 15 minutes on 2 cores, installs included; the Makefile passes the time it started.
LIMIT_SECONDS = 15 * 60
# Kept free at the end for the two preview measurements and the report.
RESERVE_SECONDS = 150
PREVIEW_EDITS = 5
# At 200 modules each rebuild takes seconds: fewer edits keep the whole bench within its limit.
LARGE_PREVIEW_EDITS = 3
# The page saved in the synthetic course's preview (f): its first module.
LARGE_PREVIEW_PAGE = "module-001.md"
TARGETS = {
    "site_vs_floor": 1.25,
    "peer_vs_full": 3.0,
    "pdf_pages_per_second": 40.0,
    "peak_mb": 600.0,
    "preview_seconds": 0.5,
    "large_preview_seconds": 1.5,
    "check_seconds": 1.0,
    "edit_vs_floor": 2.0,
}
# The table's rows by their letter, as the README names them: the builds measured in rounds (with (h) and (i), the
# rebuilds after an edit), and the two previews.
ROWS = {"a": "floor", "b": "site", "c": "full", "d": "peer", "e": "preview", "f": "large_preview", "g": "check", "h": "edit", "i": "record"}


@dataclass(frozen=True)
class Variant:
    """One way of building the synthetic course."""

    key: str
    label: str
    command: list[str]
    cwd: Path
    pdf_dir: Path | None = None  # where its PDFs land, if it makes any
    # Run before each measured run with the round's number: the edit a rebuild is timed after ((h), (i)).
    prepare: Callable[[int], None] | None = None


@dataclass
class Runs:
    """Every measured run of one variant."""

    variant: Variant
    runs: list[Measurement] = field(default_factory=list)
    pdf_pages: int = 0
    failed: str = ""  # why a run failed (its exit status and log, or the error); the variant is not run again
    reprinted: list[int] = field(default_factory=list)  # documents the print cache printed again, per run ((h), (i))

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
                "full",
                "(c) Our full build with every PDF, `python -m publish --fresh` (nothing from the print cache)",
                [python, "-m", "publish", "--fresh", "--site-dir", str(full)],
                course.ours,
                full / "pdf",
            )
        )
        # Right after (c), whose prints fill the cache: an edit, then `python -m publish` again.
        again = [python, "-m", "publish", "--site-dir", str(out / "again")]
        found += [
            Variant("edit", "(h) One module's paragraph edited after a full build, then `python -m publish`", again, course.ours, None, edit_paragraph(course)),
            Variant(
                "record", "(i) The session record (on every module's PDFs) edited, then `python -m publish`", again, course.ours, None, edit_record(course)
            ),
        ]
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
    found.append(Variant("check", "(g) `make check` on the same course, `python -m macros.check`", [python, "-m", "macros.check"], course.ours))
    return found


def edit_paragraph(course: SyntheticCourse) -> Callable[[int], None]:
    """(h): a sentence added to the first paragraph of the first module, new in each round."""
    page = course.ours / "docs" / module_name(1)

    def edit(number: int) -> None:
        text = page.read_text(encoding="utf-8")
        first = _prose(text)[0]
        page.write_text(text.replace(first, f"{first} Edited in round {number}.", 1), encoding="utf-8")

    return edit


def edit_record(course: SyntheticCourse) -> Callable[[int], None]:
    """(i): the session's title (every PDF's running header and cover, the slides' title slide and every module's
    handout head) changed, new in each round: a record every module shows, the worst case."""
    record = course.ours / "docs" / "data" / "sessions.yml"

    def edit(number: int) -> None:
        sessions = yaml.safe_load(record.read_text(encoding="utf-8"))
        sessions[0]["title"] = f"{str(sessions[0]['title']).split(' (round')[0]} (round {number})"
        record.write_text(yaml.safe_dump(sessions, sort_keys=False, allow_unicode=True), encoding="utf-8")

    return edit


def reprinted(project: Path) -> int:
    """How many documents the latest build in project printed rather than took from the print cache (the EPUB is one, whatever chapters of it were made)."""
    return len(documents(last_build(project / CACHE_FOLDER)["printed"]))


def publish_makes_pdfs() -> bool:
    """Whether `python -m publish` has PDFs to skip (its --no-pdf flag), i.e. whether (c) can be measured."""
    result = subprocess.run([sys.executable, "-m", "publish", "--help"], cwd=ROOT, capture_output=True, text=True, check=False)
    return "--no-pdf" in result.stdout


def count_pdf_pages(folder: Path | None) -> int:
    """Pages in every PDF under folder."""
    if folder is None or not folder.is_dir():
        return 0
    return sum(len(PdfReader(path).pages) for path in sorted(folder.rglob("*.pdf")))


def _error(error: BaseException) -> str:
    """An exception as one line of a table cell."""
    return f"{type(error).__name__}: {error}".replace("\n", " ").replace("|", "/")[:300]


def measure(found: list[Variant], rounds: int, deadline: float, work: Path = WORK) -> list[Runs]:
    """Run every variant `rounds` times, alternating; a run expected to end after deadline (epoch seconds) is skipped.

    A run that fails (non-zero exit, or a command that cannot start) marks its variant failed and the others go on.
    """
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONDONTWRITEBYTECODE="1")
    results = [Runs(v) for v in found]
    for number in range(1, rounds + 1):
        for entry in results:
            if entry.failed:
                continue
            expected = max((r.seconds for r in entry.runs), default=0.0)
            if entry.runs and time.time() + expected > deadline:
                print(f"  skipping {entry.variant.key} round {number}: it would end after the time limit", flush=True)
                continue
            log = work / "logs" / f"{entry.variant.key}-{number}.log"
            try:
                if entry.variant.prepare is not None:
                    entry.variant.prepare(number)
                result = run_measured(entry.variant.command, entry.variant.cwd, env, log)
            except OSError as error:
                entry.failed = _error(error)
                print(f"  {entry.variant.key} could not run: {entry.failed}", flush=True)
                continue
            if result.returncode != 0:
                # One broken variant must not cost the others their measurements.
                entry.failed = f"exit {result.returncode}, see `{_shown(log)}`"
                print(f"  {entry.variant.key} failed ({entry.failed}):\n{log.read_text(errors='replace')[-2000:]}", flush=True)
                continue
            entry.runs.append(result)
            if entry.variant.prepare is not None:
                entry.reprinted.append(reprinted(entry.variant.cwd))
            print(f"  round {number} {entry.variant.key:6} {result.seconds:7.1f} s  {result.cpu_seconds:7.1f} s CPU  {result.peak_mb:6.0f} MB", flush=True)
    # Counted after every run: reading the PDFs grows this process, and a child's peak memory starts from its parent's.
    for entry in results:
        try:
            entry.pdf_pages = count_pdf_pages(entry.variant.pdf_dir)
        except Exception as error:  # a PDF pypdf cannot read: say so in the row, keep the timings
            entry.failed = entry.failed or f"its PDFs could not be read: {_error(error)}"
    return results


def _shown(path: Path) -> str:
    """A path as the table shows it: relative to the project when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _fmt(value: float, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value != value else f"{value:.{digits}f}{unit}"  # NaN is the only value unequal to itself


def _largest(values: list[float]) -> float:
    """The largest of the values that were measured (NaN when none was)."""
    return max((v for v in values if v == v), default=float("nan"))


@dataclass(frozen=True)
class Preview:
    """One preview measurement as the table shows it: which course, and what it gave (or why it gave nothing)."""

    key: str
    label: str
    result: PreviewResult | None
    error: str = ""

    @property
    def seen(self) -> float:
        return statistics.median(self.result.seen) if self.result and self.result.seen else float("nan")

    @property
    def failure(self) -> str:
        return self.error or (self.result.error if self.result else "")


def _preview_row(preview: Preview) -> str:
    result = preview.result
    if result is None or not result.seen:
        return f"| {preview.label} | failed: {preview.failure or 'nothing measured'} | 0 | | | – | – | – |"
    rebuilt = _fmt(statistics.median(result.rebuilt), " s", 2) if result.rebuilt else "n/a"
    note = f" (then failed: {preview.failure})" if preview.failure else ""
    return (
        f"| {preview.label}{note} | {_fmt(preview.seen, ' s', 2)} | {len(result.seen)} "
        f"| MkDocs rebuild {rebuilt} | {_fmt(result.peak_mb, ' MB', 0)} | – | – | – |"
    )


def report(
    modules: int, course: SyntheticCourse | None, results: list[Runs], previews: list[Preview], load: tuple[float, float]
) -> tuple[str, dict[str, object]]:
    """The Markdown shown and kept (table, then targets), and the numbers behind it; every variant and preview has a row, failed or not."""
    by_key = {r.variant.key: r for r in results}
    nan = float("nan")

    def median(key: str, attribute: str = "seconds") -> float:
        return by_key[key].median(attribute) if key in by_key else nan

    floor = median("floor")

    def pdf_rate(key: str, base: str) -> float:
        pages = by_key[key].pdf_pages if key in by_key else 0
        extra = median(key) - median(base)
        return pages / extra if pages and extra > 0 else nan

    rates = {"full": pdf_rate("full", "site"), "peer": pdf_rate("peer", "floor")}
    cores = len(os.sched_getaffinity(0))
    now = datetime.datetime.now(datetime.UTC)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip() or "unknown"
    what = (
        f"{course.modules} modules ({course.pages} pages, {course.words} words in the modules)"
        if course
        else f"{modules} modules, which could not be written (see the rows)"
    )
    lines = [
        f"Measured {now:%Y-%m-%d %H:%M} UTC on {cores} cores ({_cpu_model()}, Python {platform.python_version()}), commit {commit}.",
        f"Synthetic course: {what}. Load average before / after: {load[0]:.1f} / {load[1]:.1f}.",
        "",
        "| Run | Wall time (median) | Runs | CPU time (median) | Peak memory | PDF pages | PDF pages/s | × floor |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for entry in results:
        if not entry.runs:
            lines.append(f"| {entry.variant.label} | failed: {entry.failed or 'not run'} | 0 | | | | | |")
            continue
        seconds = entry.median("seconds")
        rate = rates.get(entry.variant.key, nan)
        note = f" (then failed: {entry.failed})" if entry.failed else ""
        if entry.reprinted:
            note += f"; documents reprinted: {', '.join(map(str, entry.reprinted))}"
        lines.append(
            f"| {entry.variant.label}{note} | {_fmt(seconds, ' s')} | {len(entry.runs)} | {_fmt(entry.median('cpu_seconds'), ' s')} "
            f"| {_fmt(entry.peak_mb, ' MB', 0)} | {entry.pdf_pages or '–'} | {_fmt(rate) if rate == rate else '–'} | {_fmt(seconds / floor, '×', 2)} |"
        )
    lines += [_preview_row(preview) for preview in previews]
    seen = {preview.key: preview.seen for preview in previews}
    site_ratio = median("site") / floor
    peer_ratio = median("peer") / median("full")
    ours_peak = _largest([by_key[k].peak_mb for k in ("site", "full") if k in by_key])
    peer_peak = by_key["peer"].peak_mb if "peer" in by_key else nan
    check_seconds = median("check")
    checks = [
        ("Site build ≤ 1.25× the plain Material floor", f"{_fmt(site_ratio, '×', 2)}", site_ratio <= TARGETS["site_vs_floor"]),
        ("Site plus all PDFs ≥ 3× faster than mkdocs-to-pdf", f"{_fmt(peer_ratio, '×', 2)} faster", peer_ratio >= TARGETS["peer_vs_full"]),
        ("≥ 40 PDF pages per second", f"{_fmt(rates['full'])} pages/s", rates["full"] >= TARGETS["pdf_pages_per_second"]),
        (f"Peak memory ≤ 600 MB at {modules} modules", _fmt(ours_peak, " MB", 0), ours_peak <= TARGETS["peak_mb"]),
        ("Peak memory below mkdocs-to-pdf's", f"{_fmt(ours_peak, ' MB', 0)} vs {_fmt(peer_peak, ' MB', 0)}", ours_peak < peer_peak),
        (
            "Preview of the real course ≤ 0.5 s, save → page served",
            _fmt(seen.get("preview", nan), " s", 2),
            seen.get("preview", nan) <= TARGETS["preview_seconds"],
        ),
        (
            f"Preview at {modules} modules ≤ 1.5 s, save → page served",
            _fmt(seen.get("large_preview", nan), " s", 2),
            seen.get("large_preview", nan) <= TARGETS["large_preview_seconds"],
        ),
        (f"`make check` ≤ 1 s at {modules} modules", _fmt(check_seconds, " s", 2), check_seconds <= TARGETS["check_seconds"]),
        ("A paragraph edited, then a build ≤ 2× the floor", _fmt(median("edit") / floor, "×", 2), median("edit") / floor <= TARGETS["edit_vs_floor"]),
    ]
    lines += ["", "| Target | Measured | Holds |", "| --- | --- | --- |"]
    lines += [f"| {name} | {value} | {'yes' if held else 'no'} |" for name, value, held in checks]
    lines += [
        "",
        "Wall time is the median of the runs, taken in alternating rounds; CPU time is user + system time of the whole process tree; "
        "peak memory is the larger of the biggest process and the biggest sum over the process tree at one sample (10 per second). "
        "PDF pages/s divides the PDF pages by the time the PDFs add: (c) − (b) for ours, (d) − (a) for mkdocs-to-pdf. "
        "A preview is timed from saving the page to the server returning it with the new text; "
        "MkDocs rebuild is its own time for the last rebuild that save caused.",
    ]
    numbers: dict[str, object] = {
        "measured_at": now.isoformat(timespec="seconds"),
        "cores": cores,
        "commit": commit,
        "modules": modules,
        "pages": course.pages if course else None,
        "words": course.words if course else None,
        "load_average": list(load),
        "variants": {
            r.variant.key: {
                "label": r.variant.label,
                "pdf_pages": r.pdf_pages,
                "failed": r.failed,
                "reprinted": r.reprinted,
                "runs": [asdict(m) for m in r.runs],
            }
            for r in results
        },
        "previews": {p.key: {"label": p.label, "error": p.failure, "result": asdict(p.result) if p.result else None} for p in previews},
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


def run_bench(modules: int, rounds: int, deadline: float, work: Path = WORK, rows: str = "".join(ROWS)) -> tuple[str, dict[str, object]]:
    """Every step in turn (or only the rows named by their letters); a step that fails is kept as a row with its error,
    so the table is always made."""
    keys = {ROWS[row] for row in rows}
    load_before = os.getloadavg()[0]
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONDONTWRITEBYTECODE="1")
    print(f"Writing a synthetic course of {modules} modules...", flush=True)
    course: SyntheticCourse | None
    try:
        course = write_course(modules, work / "course")
    except Exception as error:  # any failure becomes the rows' error
        course = None
        unwritten = f"the synthetic course could not be written: {_error(error)}"
        print(f"  {unwritten}", flush=True)
        found = variants(SyntheticCourse(work / "course", modules, 0, 0), work / "out", "full" in keys and publish_makes_pdfs())
        results = [Runs(v, failed=unwritten) for v in found if v.key in keys]
    else:
        print(f"Measuring ({rounds} rounds)...", flush=True)
        found = variants(course, work / "out", "full" in keys and publish_makes_pdfs())
        results = measure([v for v in found if v.key in keys], rounds, deadline, work)
    real = "(e) Preview: `make serve` (`mkdocs serve --dirty`) on the real course, one page saved → page served changed"
    previews = [_preview("preview", real, ROOT, EDITED_PAGE, PREVIEW_EDITS, work, env)] if "preview" in keys else []
    large = f"(f) Preview: `make serve` (`mkdocs serve --dirty`) on the synthetic course ({modules} modules), one module saved → page served changed"
    if "large_preview" in keys and course is None:
        previews.append(Preview("large_preview", large, None, "the synthetic course could not be written"))
    elif "large_preview" in keys and course is not None:
        previews.append(_preview("large_preview", large, course.ours, LARGE_PREVIEW_PAGE, LARGE_PREVIEW_EDITS, work, env))
    return report(modules, course, results, previews, (load_before, os.getloadavg()[0]))


def _preview(key: str, label: str, project: Path, page: str, edits: int, work: Path, env: dict[str, str]) -> Preview:
    print(f"Measuring the preview: {label}...", flush=True)
    try:
        result = measure_preview(sys.executable, project, page, work / key, edits, env)
    except Exception as error:  # any failure becomes the row's error
        return Preview(key, label, None, _error(error))
    if result.error:
        print(f"  failed: {result.error}", flush=True)
    return Preview(key, label, result)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=200, help="modules in the synthetic course (default: 200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of alternating runs; each variant's median is over its runs (default: 3)")
    parser.add_argument("--started", type=float, help="when `make bench` started (epoch seconds), so installs count against the 15 minutes")
    parser.add_argument("--no-keep", action="store_true", help="print the table only; leave bench/results/ and the README alone")
    parser.add_argument(
        "--rows",
        default="".join(ROWS),
        help="only these rows, by their letters, e.g. --rows abg for the floor, the site build and make check (default: all); "
        "the table is then printed only, never kept",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.rows) - set(ROWS))
    if unknown or not args.rows:
        parser.error(f"--rows takes letters among {''.join(ROWS)}, not {''.join(unknown) or 'nothing'}")
    if "d" in args.rows and not PEER_PYTHON.exists():
        print("mkdocs-to-pdf is not installed: run `make bench`, which installs it into .venv-bench/.", file=sys.stderr)
        return 1
    started = time.perf_counter()
    deadline = (args.started or time.time()) + LIMIT_SECONDS - RESERVE_SECONDS
    table, numbers = run_bench(args.modules, args.rounds, deadline, rows=args.rows)
    print()
    print(table)
    if not args.no_keep and set(args.rows) == set(ROWS):
        keep(table, numbers)
        print(f"Kept in {RESULTS.relative_to(ROOT)}/latest.md and the README's performance section.")
    print(f"make bench took {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
