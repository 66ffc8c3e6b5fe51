"""The Makefile installs everything the build and the tests load, whatever this machine already had.

A green run on a machine that earlier work had set up proves nothing: Chromium once brought in
libharfbuzz-subset0, so the PDFs printed here and failed on every fresh machine. So each check runs the real
thing (WeasyPrint printing a document the way the build does, Debian's Chromium rendering a page, Java starting
the Nu Html Checker, Node), lists every file the process mapped (/proc/PID/maps), finds each file's Debian
package (dpkg -S) and requires that package to be one the command installs or reaches through those packages'
dependencies (apt-cache depends --recurse), or part of the base system or of the Python runtime itself.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("dpkg") is None, reason="the Makefile installs Debian packages; this machine has no dpkg")

# Files a process maps that no package owns by design: caches, memory, the project, the virtual environments.
NOT_PACKAGED = ("/proc/", "/dev/", "/sys/", "/tmp/", "/var/cache/", "/run/", "/memfd:", "/SYSV", "/etc/ld.so.cache")


def makefile_packages(command: str) -> list[str]:
    """The Debian packages `make site` (command='site') or `make test` installs, as the Makefile itself lists them."""
    result = subprocess.run(["make", "-s", "--no-print-directory", "packages", f"FOR={command}"], cwd=ROOT, capture_output=True, text=True, check=True)
    return result.stdout.split()


def _package_name(word: str) -> str:
    return word.strip().lstrip("|").split(":")[0]


@cache
def reached(packages: tuple[str, ...]) -> frozenset[str]:
    """The packages, and every installed package their dependencies reach (apt-cache depends --recurse).

    Recommends count: the Makefile's `apt-get install` installs them, as apt does by default. Of alternatives
    ("a | b"), only the first counts: on a fresh machine apt installs the first and never the others, so a file from
    a later one (a font another tool brought in) would be missing there. The whole archive's graph is read (not only
    what is installed): leaving out what is not installed would break the groups of alternatives apart.
    """
    command = ["apt-cache", "depends", "--recurse", "--no-suggests"]
    command += ["--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *packages]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    needs: dict[str, list[str]] = {}
    current: list[str] = []
    alternative = False  # the line before was "a |": this one is a later alternative of it
    for line in result.stdout.splitlines():
        if not line.startswith(" "):
            current = needs.setdefault(_package_name(line), [])
            alternative = False
            continue
        kind = re.match(r"\s+(\|?)(?:(?:Pre)?Depends|Recommends):", line)
        if kind is None:
            alternative = False
            continue
        name = line.split(":", 1)[1].strip()
        if not alternative and not name.startswith("<"):
            current.append(_package_name(name))
        alternative = kind.group(1) == "|"
    found: set[str] = set()
    waiting = list(packages)
    while waiting:
        package = waiting.pop()
        if package not in found:
            found.add(package)
            waiting += needs.get(package, [])
    return frozenset(found)


@cache
def base_system() -> frozenset[str]:
    """Debian's essential and required packages, and all they depend on: on every Debian machine."""
    result = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Essential} ${Priority}\n"], capture_output=True, text=True, check=True)
    core = tuple(sorted(p for p, essential, priority in (line.split() for line in result.stdout.splitlines()) if essential == "yes" or priority == "required"))
    return reached(core)


def mapped_files(maps: str) -> set[str]:
    """The files a process has mapped, less those no package owns by design (caches, the project, the venvs)."""
    # A process maps a file by its real path: a virtual environment may be a link to one elsewhere.
    roots = (Path(sys.prefix), Path(sys.base_prefix), ROOT)
    own = tuple(str(p) for p in {*roots, *(root.resolve() for root in roots)} if str(p) != "/")
    files = set()
    for line in maps.splitlines():
        parts = line.split(None, 5)
        if len(parts) < 6 or not parts[5].startswith("/"):
            continue
        path = parts[5].removesuffix(" (deleted)")
        if path.startswith(NOT_PACKAGED) or path.startswith(own):
            continue
        files.add(path)
    return files


def owners(paths: Iterable[str]) -> dict[str, str | None]:
    """Each path's Debian package, or None; /usr-merged paths are looked up under both spellings (one dpkg -S for all)."""
    spellings: dict[str, list[str]] = {}
    for path in set(paths):
        real = os.path.realpath(path)
        spellings[path] = list(dict.fromkeys([path, real, *(p.removeprefix("/usr") for p in (path, real) if p.startswith("/usr/"))]))
    asked = sorted({s for names in spellings.values() for s in names})
    result = subprocess.run(["dpkg", "-S", *asked], capture_output=True, text=True, check=False) if asked else None
    owner: dict[str, str] = {}
    for line in result.stdout.splitlines() if result else []:
        packages, _, path = line.partition(": ")
        if path and not packages.startswith("diversion"):
            owner[path] = _package_name(packages.split(",")[0])
    return {path: next((owner[s] for s in names if s in owner), None) for path, names in spellings.items()}


@cache
def python_runtime() -> frozenset[str]:
    """The packages the Python interpreter itself loads for its standard library (ssl, ctypes, sqlite3, ...)."""
    probe = (
        "import ssl, ctypes, sqlite3, zlib, bz2, lzma, hashlib, decimal, uuid, json, multiprocessing, xml.parsers.expat\nprint(open('/proc/self/maps').read())"
    )
    maps = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return frozenset(p for p in owners(mapped_files(maps)).values() if p)


def unaccounted(maps: str, allowed: frozenset[str]) -> list[str]:
    """Each mapped file whose package nothing installs, as 'file (package)'."""
    problems = []
    for path, package in sorted(owners(mapped_files(maps)).items()):
        if package is None:
            # A library no package owns was put there by hand; unowned data files are caches that triggers made.
            if ".so" in Path(path).name:
                problems.append(f"{path} (no Debian package owns it)")
        elif package not in allowed:
            problems.append(f"{path} ({package})")
    return problems


def allowed_for(command: str) -> frozenset[str]:
    return reached(tuple(makefile_packages(command))) | base_system() | python_runtime()


def test_makefile_lists_weasyprints_debian_packages() -> None:
    """WeasyPrint's own list for Debian (Pango, PangoFT2, HarfBuzz-Subset) is what `make site` installs."""
    packages = makefile_packages("site")
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-liberation", "fonts-dejavu-core"):
        assert package in packages
    assert set(packages) <= set(makefile_packages("test"))


PDF_PROBE = """
import sys, tempfile
from pathlib import Path
from publish.pdf.build import STYLESHEET
from publish.pdf.printer import RenderJob, print_job
folder = Path(tempfile.mkdtemp())
from macros.diagrams import FONT
# A picture as the course draws them (macros/diagrams.py): SVG text in the pictures' own font stack, plain and bold.
picture = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 40" font-family="{FONT}"><text x="4" y="16">Public Value</text><text x="4" y="34" font-weight="bold">The team</text></svg>'
html = "<html lang='en'><body><h1>Leading Collaboration</h1><p>Ümlaut — “quotes” · ﬁ <em>italic</em> <strong>bold</strong></p><pre>code</pre>" + picture + "</body></html>"
printed = print_job(RenderJob("probe.pdf", html, str(folder), STYLESHEET.read_text(encoding="utf-8"), "", str(folder)))
# The installed app's icon, drawn as the build draws it (cairosvg, Cairo).
from publish.offline import draw_icon
draw_icon(b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M2 2h20v20H2z"/></svg>', "#3f51b5", 192, folder / "icon.png")
print("WARNINGS:" + repr(printed.messages), file=sys.stderr)
print(open("/proc/self/maps").read())
"""


def test_pdf_printing_loads_only_what_make_site_installs() -> None:
    """Printing a PDF and drawing the app icon as the build does maps no library or font that `make site` does not install."""
    result = subprocess.run([sys.executable, "-c", PDF_PROBE], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "WARNINGS:[]" in result.stderr, result.stderr
    problems = unaccounted(result.stdout, allowed_for("site"))
    assert not problems, "The PDFs load files from packages `make site` does not install; add them to PDF_PACKAGES:\n" + "\n".join(problems)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue += children.get(current, [])
    return found


def _maps_while_running(command: list[str], ready: str, timeout: float = 30.0, **kwargs: object) -> str:
    """Start command, wait until its processes have mapped `ready` and stopped mapping more, return every map, stop it."""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    try:
        deadline = time.monotonic() + timeout
        previous, stable = "", 0
        while time.monotonic() < deadline:
            texts = []
            for pid in _descendants(process.pid):
                with contextlib.suppress(OSError):
                    texts.append(Path(f"/proc/{pid}/maps").read_text())
            maps = "\n".join(texts)
            files = "\n".join(sorted(mapped_files(maps)))
            stable = stable + 1 if files == previous else 0
            previous = files
            if ready in maps and stable >= 4:
                return maps
            time.sleep(0.25)
        raise AssertionError(f"{command[0]} did not map {ready} within {timeout} s")
    finally:
        # Its children too: LibreOffice's launcher leaves soffice.bin running when it is killed alone.
        for pid in reversed(_descendants(process.pid)):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        process.wait()


def test_chromium_loads_only_what_make_test_installs(tmp_path: Path) -> None:
    """Debian's Chromium, rendering a page headless as the browser tests do, maps only what `make test` installs."""
    chromium = shutil.which("chromium")
    assert chromium, "Chromium is missing: `make test` installs it (apt-get install -y chromium)."
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><html lang='en'><title>t</title><p>Leading Collaboration in Cities — “quotes”</p></html>", encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"]
    flags += ["--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--remote-debugging-port=0"]
    maps = _maps_while_running([chromium, *flags, page.as_uri()], ready="libfontconfig")
    problems = unaccounted(maps, allowed_for("test"))
    assert not problems, "Chromium loads files from packages `make test` does not install; add them to TEST_PACKAGES:\n" + "\n".join(problems)


def test_java_loads_only_what_make_test_installs() -> None:
    """The Nu Html Checker's Java maps only what `make test` installs."""
    java = shutil.which("java")
    vnu = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    assert java, "Java is missing: `make test` installs it (apt-get install -y default-jre-headless)."
    assert vnu.is_file(), "The Nu Html Checker is missing: `make test` installs it (npm ci)."
    # Reading the page from standard input, which stays open: the checker has started and waits.
    maps = _maps_while_running([java, "-jar", str(vnu), "--errors-only", "-"], ready="libzip.so")
    problems = unaccounted(maps, allowed_for("test"))
    assert not problems, "Java loads files from packages `make test` does not install; add them to TEST_PACKAGES:\n" + "\n".join(problems)


def test_libreoffice_loads_only_what_make_test_installs(tmp_path: Path) -> None:
    """LibreOffice, opening a PowerPoint file headless as the slides test does, maps only what `make test` installs."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: `make test` installs it (apt-get install -y --no-install-recommends libreoffice-impress)."
    from pptx import Presentation

    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[5]).shapes.title.text = "Leading Collaboration in Cities — “quotes”"  # type: ignore[union-attr]
    deck.save(str(tmp_path / "deck.pptx"))
    command = [soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless", "--norestore", str(tmp_path / "deck.pptx")]
    # Impress's own library is mapped once the file is open.
    maps = _maps_while_running(command, ready="libsdlo.so", timeout=90.0)
    problems = unaccounted(maps, allowed_for("test"))
    assert not problems, "LibreOffice loads files from packages `make test` does not install; add them to TEST_PACKAGES_LEAN:\n" + "\n".join(problems)


def test_node_loads_only_what_make_test_installs() -> None:
    """Node, which runs npm ci for the browser tools, maps only what `make test` installs."""
    node = shutil.which("node")
    assert node, "Node is missing: `make test` installs it (apt-get install -y nodejs npm)."
    maps = subprocess.run(
        [node, "-e", "process.stdout.write(require('fs').readFileSync('/proc/self/maps', 'utf8'))"], capture_output=True, text=True, check=True
    )
    problems = unaccounted(maps.stdout, allowed_for("test"))
    assert not problems, "Node loads files from packages `make test` does not install:\n" + "\n".join(problems)


# What the machine lacks is reported as such, with the package and the command, never as a rule in print.css.
# Each case hides one library from WeasyPrint's loader (cffi's dlopen) in every process of the build (the print workers
# check what printing needs), then publishes.
HIDE_LIBRARY = """
import os, cffi
hidden = os.environ["COURSE_TEST_HIDDEN_LIBRARY"]
load = cffi.FFI.dlopen
def dlopen(self, name, *args):
    if hidden in str(name):
        raise OSError(f"cannot load library '{name}': {name}: cannot open shared object file: No such file or directory")
    return load(self, name, *args)
cffi.FFI.dlopen = dlopen
"""


@pytest.mark.parametrize(
    ("hidden", "expected"),
    [
        ("harfbuzz-subset", "  HarfBuzz-Subset (Debian package libharfbuzz-subset0): WeasyPrint needs it to embed fonts in the PDFs."),
        ("pango-1.0", "  Pango (Debian package libpango-1.0-0): WeasyPrint needs it to lay out the PDFs' text."),
        ("cairo", "  Cairo (Debian package libcairo2): cairosvg needs it to draw the installed app's icons and the slides' pictures."),
    ],
)
def test_a_missing_library_is_reported_as_the_machines(tmp_path: Path, hidden: str, expected: str) -> None:
    target = tmp_path / "site"
    target.mkdir()
    (target / "index.html").write_text("the site as it was", encoding="utf-8")
    # Python runs sitecustomize in every process it starts, the spawned workers too.
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HIDE_LIBRARY, encoding="utf-8")
    environment = {**os.environ, "COURSE_TEST_HIDDEN_LIBRARY": hidden, "PYTHONPATH": os.pathsep.join([str(hook), str(ROOT)])}
    command = [sys.executable, "-m", "publish", "--site-dir", str(target)]
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "This machine lacks what the build needs; the course itself is fine:" in lines
    assert expected in lines
    package = expected.split("Debian package ")[1].split(")")[0]
    assert f"Fix: run `make site`, which installs them, or `sudo apt-get install -y {package}`." in lines
    assert "print.css" not in result.stderr
    assert "Traceback" not in result.stderr
    assert (target / "index.html").read_text(encoding="utf-8") == "the site as it was"


# Each process of a build says, as it ends, whether it loaded WeasyPrint: a print worker (a spawned process knows its
# parent), or another (the build's own, and its helpers that read the built site and index it for search).
SAY_WHAT_LOADED = """
import atexit, multiprocessing, os, sys
def said():
    role = "worker" if multiprocessing.parent_process() is not None else "other"
    loaded = any(name.split(".")[0] == "weasyprint" for name in sys.modules)
    with open(os.path.join(os.environ["COURSE_TEST_LOADED"], str(os.getpid())), "w") as out:
        out.write(f"{role} {loaded}")
atexit.register(said)
"""


def test_the_builds_own_process_never_loads_weasyprint(tmp_path: Path) -> None:
    """The print workers load WeasyPrint (as they start, while the site is built); the build's own process composes,
    hands pieces on and lays out the slides without it, so it is never half a second slower for it."""
    hook, said = tmp_path / "hook", tmp_path / "said"
    hook.mkdir()
    said.mkdir()
    (hook / "sitecustomize.py").write_text(SAY_WHAT_LOADED, encoding="utf-8")
    environment = {**os.environ, "COURSE_TEST_LOADED": str(said), "PYTHONPATH": os.pathsep.join([str(hook), str(ROOT)])}
    command = [sys.executable, "-m", "publish", "--site-dir", str(tmp_path / "site")]
    result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    loaded = sorted(file.read_text(encoding="utf-8") for file in said.iterdir())
    assert "other False" in loaded and "other True" not in loaded, loaded
    assert "worker True" in loaded, loaded
    # What the build's process does when the slides are laid out, and when a join comes back from a worker, too.
    code = (
        "import pickle, sys\n"
        "from publish.pdf.jobs import Printed\n"
        "from publish.pdf.join import Joined\n"
        "from publish.slides.layout import text_width\n"
        "text_width('Where to begin', 24.0, bold=True)\n"
        "pickle.loads(pickle.dumps(Printed(2, 0.0, [], [], joined=Joined(1))))\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'weasyprint'))\n"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_a_missing_font_is_reported_as_the_machines(monkeypatch: pytest.MonkeyPatch) -> None:
    from publish.pdf import machine

    monkeypatch.setitem(machine.FONTS, "Course Test Font", "fonts-course-test")
    lacks = machine.missing_fonts('html { font-family: "Liberation Sans", sans-serif; }\nh1 { font-family: "Course Test Font", serif; }\n')
    assert [str(lack) for lack in lacks] == [
        "the font Course Test Font (Debian package fonts-course-test): print.css prints with it; without it another font would be used."
    ]
    assert machine.format_lacks(lacks).endswith("Fix: run `make site`, which installs them, or `sudo apt-get install -y fonts-course-test`.")


def test_warnings_about_our_own_css_stay_content_problems() -> None:
    from publish.pdf import machine

    assert machine.lack_in_warning("Ignored `colr: red` at 12:3, unknown property.") is None
    assert machine.lack_in_warning('Using fontTools instead of HarfBuzz-Subset for font "Liberation Sans".') == machine.LIBRARIES["harfbuzz-subset"]
