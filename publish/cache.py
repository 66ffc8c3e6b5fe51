"""The cache of printed output: a document whose inputs did not change is taken from here instead of printed again.

Each entry is one printed thing (a PDF, an EPUB chapter, the slides' PDF and PowerPoint file), under a key that is the
SHA-256 of exactly what makes it:

- what the printer is handed: the composed HTML, the stylesheets, and for the slides their laid-out words;
- the files it loads while printing (the site's images, read through the printer's fetcher): each entry keeps their
  hashes, and is used only while every one of them is unchanged;
- the machine: the versions of Python, Pango and every library the print path uses (WeasyPrint, pydyf, fontTools,
  …), the bytes of every font fontconfig offers, and the source of our print code (publish/pdf, publish/epub,
  publish/slides, this file);
- the settings: cohort, edition, page size, site address, SOURCE_DATE_EPOCH.

So a page's edit reprints the documents that show it. A long document (the reader, the guide) is printed in parts
(publish/pdf/parts.py), and each part, its front (cover and contents) and its margin documents are entries too: an edit
prints again the parts it reaches, the front when a contents number moves, the margins only when a running header or
the page count does, and the document is joined again from the rest.

Composing is kept too, as entries with no print of their own (PrintCache.remember): each document's note of the entry
its inputs composed to (every page it reads, the settings: a build that changes nothing composes nothing), the slides'
note of the entry their slides made (unchanged slides are not laid out again), and each page as the reader, a workbook
and the guide show it, keyed by the page, its place and the pages its links name (an edit composes again only the
pages it reaches; publish/pdf/compose.py PdfBuilder._kept).

An entry is a folder under entries/ holding its files and a manifest of their SHA-256; it is written in a scratch
folder and renamed into place, so an interrupted build leaves whole entries or none. An entry whose files do not
match their manifest (damaged, half-copied, edited) is never used: it is removed and the document printed again.
Each build records the entries it used (builds.json); entries no recent build used are removed.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Where the cache lives, under the project (git-ignored with the rest of .build/); `make clean` removes it.
FOLDER = Path(".build") / "cache" / "print"
# Entries used by this many of the latest builds are kept (a site, a cohort's, each edition: a few builds each).
KEEP_BUILDS = 8
# A scratch folder this old was left by a build that was stopped: removed when the cache is pruned.
STALE_SECONDS = 3600
# The distributions whose code takes part in printing; a new version of any of them prints everything again.
LIBRARIES = (
    "weasyprint",
    "pydyf",
    "fonttools",
    "tinycss2",
    "cssselect2",
    "tinyhtml5",
    "pillow",
    "pyphen",
    "brotli",
    "zopfli",
    "python-pptx",
    "lxml",
    "CairoSVG",
    "cairocffi",
    "segno",
    "Jinja2",
    "beautifulsoup4",
)
# Our print code: what turns composed input into files. (What composes it shows in the composed input itself.)
PRINT_CODE = (HERE / "pdf", HERE / "epub", HERE / "slides", HERE / "cache.py")


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def library_versions() -> dict[str, str]:
    """Each library of the print path with its installed version (absent ones say so)."""
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    return found


def _pango_version() -> str:
    """Pango's version, as the library WeasyPrint loads reports it (asked directly: loading WeasyPrint to ask takes half a second)."""
    try:
        return str(ctypes.CDLL("libpango-1.0.so.0").pango_version())
    except (OSError, AttributeError):
        return "absent"


def _files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found += sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts) if path.is_dir() else [path]
    return found


# Where fontconfig looks for fonts, when its fc-list is not installed to say.
FONT_FOLDERS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".local" / "share" / "fonts", Path.home() / ".fonts")


def _font_files() -> list[Path]:
    """Every font file fontconfig offers WeasyPrint (and the slides' measuring), by its path."""
    try:
        listed = subprocess.run(["fc-list", "--format", "%{file}\n"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return _files(folder for folder in FONT_FOLDERS if folder.is_dir())
    return sorted({Path(line) for line in listed.splitlines() if line})


@functools.lru_cache(maxsize=1)
def machine_fingerprint() -> str:
    """The part of every key that is the same for a whole build: Python, Pango, the libraries, the fonts and our print code."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"python": sys.version, "pango": _pango_version(), "libraries": library_versions()}, sort_keys=True).encode())
    # Our code by its place in the project, so a checkout elsewhere (another CI runner's) has the same keys.
    for path in [*_font_files(), *_files(PRINT_CODE)]:
        named = path.relative_to(HERE.parent) if path.is_relative_to(HERE.parent) else path
        digest.update(str(named).encode() + b"\0")
        try:
            digest.update(_hash(path.read_bytes()).encode())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()


@dataclass(frozen=True)
class Entry:
    """One cached print: its files by name, and what the caller kept beside them (a page count)."""

    files: dict[str, bytes]
    meta: dict[str, Any]


@dataclass
class PrintCache:
    """The print cache of one build: looks entries up, stores new ones, and records what was printed and what reused.

    folder None is no cache at all; fresh=True reads nothing (every document is printed) but stores what it prints,
    so a fresh build also repairs the cache.
    """

    folder: Path | None
    settings: dict[str, str] = field(default_factory=dict)
    fresh: bool = False
    printed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    # Why each document printed was not taken from the cache: new input, a damaged entry, a loaded file changed, fresh.
    why: dict[str, str] = field(default_factory=dict)

    def key(self, kind: str, *parts: str | bytes) -> str:
        """The key of one document: its kind and composed input, with the build's settings and the machine."""
        digest = hashlib.sha256()
        for part in (machine_fingerprint(), json.dumps(self.settings, sort_keys=True), kind, *parts):
            data = part.encode() if isinstance(part, str) else part
            # Each part with its length, so no two different lists of parts join into the same bytes.
            digest.update(len(data).to_bytes(8, "big") + data)
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / "entries" / key[:2] / key

    def load(self, key: str, name: str, root: Path | None = None) -> Entry | None:
        """The entry under key if it is whole and every file it loaded under root is unchanged; else None (it is printed again)."""
        if self.folder is None or self.fresh:
            self.why[name] = "fresh" if self.fresh else "no cache"
            return None
        place = self._entry(key)
        try:
            manifest = json.loads((place / "manifest.json").read_text(encoding="utf-8"))
            if manifest["key"] != key:
                raise ValueError("the manifest is another entry's")
            files = {}
            for file_name, (stored, digest) in manifest["files"].items():
                data = (place / stored).read_bytes()
                if _hash(data) != digest:
                    raise ValueError(f"{file_name} does not match its hash")
                files[file_name] = data
            loads = {str(path): str(digest) for path, digest in manifest["loads"].items()}
            meta = dict(manifest["meta"])
        except FileNotFoundError:
            self.why[name] = "new input"
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            # Damaged or half-written: never used, and removed so it is written again whole.
            self.why[name] = "damaged entry"
            _remove(place)
            return None
        for path, digest in loads.items():
            loaded = (root or Path("/")) / path
            if not loaded.is_file() or _hash(loaded.read_bytes()) != digest:
                self.why[name] = f"{path} changed"
                return None
        self.used.add(key)
        self.reused.append(name)
        return Entry(files, meta)

    def store(
        self, key: str, name: str, files: dict[str, bytes], meta: dict[str, Any] | None = None, loads: Iterable[Path] = (), root: Path | None = None
    ) -> None:
        """Keep what was printed under key, with the hashes of the files under root it loaded; records it as printed."""
        self.printed.append(name)
        self._write(key, name, files, meta, loads, root)

    def noted(self, noted: str, name: str, root: Path | None = None) -> tuple[Entry | None, dict[str, Any] | None]:
        """The entry a note (note_down) under noted leads to, with the note (its "key" and what was kept beside it);
        (None, note) when that entry could not be used (damaged, a loaded file changed), (None, None) with no note."""
        note = self.load(noted, f"{name}:inputs")
        if note is None:
            return None, None
        return self.load(str(note.meta["key"]), name, root), note.meta

    def note_down(self, noted: str, name: str, key: str, meta: dict[str, Any] | None = None) -> None:
        """A note under noted (a document's inputs) of the entry key they made, for the next build to find it by
        (noted) without composing it; meta is kept beside the key."""
        self.remember(noted, f"{name}:inputs", {**(meta or {}), "key": key})

    def remember(self, key: str, name: str, meta: dict[str, Any], files: dict[str, bytes] | None = None) -> None:
        """Keep what composing made under key, nothing printed for it: a note of what a document's inputs composed to
        (its entry's key, in meta), so the next build with the same inputs finds the entry without composing it; or a
        page as a document shows it (in files), so the next build composes again only the pages an edit reaches."""
        self._write(key, name, files or {}, meta)

    def _write(
        self, key: str, name: str, files: dict[str, bytes], meta: dict[str, Any] | None = None, loads: Iterable[Path] = (), root: Path | None = None
    ) -> None:
        if self.folder is None:
            return
        self.used.add(key)
        scratch = self.folder / "scratch" / f"{key}.{os.getpid()}.{uuid.uuid4().hex}"
        scratch.mkdir(parents=True)
        try:
            stored = {}
            for index, (file_name, data) in enumerate(sorted(files.items())):
                (scratch / str(index)).write_bytes(data)
                stored[file_name] = (str(index), _hash(data))
            where = root or Path("/")
            loaded = {str(path.relative_to(where)): _hash(path.read_bytes()) for path in sorted(set(loads))}
            (scratch / "manifest.json").write_text(
                json.dumps({"key": key, "name": name, "files": stored, "meta": meta or {}, "loads": loaded}), encoding="utf-8"
            )
            place = self._entry(key)
            place.parent.mkdir(parents=True, exist_ok=True)
            _remove(place)
            # A folder renamed into place: the entry appears whole or not at all.
            os.rename(scratch, place)
        except (OSError, ValueError):
            # Another build stored the same entry first, the disk is full, or a loaded file lay outside root: this
            # build's files are in place either way, and the document is printed again next time.
            pass
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def close(self) -> None:
        """Record this build's entries and what it printed, then remove entries no recent build used."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        record = self.folder / "builds.json"
        try:
            builds = json.loads(record.read_text(encoding="utf-8"))
            if not isinstance(builds, list):
                builds = []
        except (OSError, ValueError):
            builds = []
        why = {name: self.why.get(name, "new input") for name in self.printed}
        this = {"settings": self.settings, "fresh": self.fresh, "printed": self.printed, "why": why, "reused": self.reused, "entries": sorted(self.used)}
        builds = [*builds, this][-KEEP_BUILDS:]
        _write_atomic(record, json.dumps(builds, indent=1))
        keep = {key for build in builds if isinstance(build, dict) for key in build.get("entries", [])}
        for place in (self.folder / "entries").glob("*/*"):
            if place.name not in keep:
                _remove(place)
        now = time.time()
        for place in (self.folder / "scratch").glob("*"):
            try:
                if now - place.stat().st_mtime > STALE_SECONDS:
                    shutil.rmtree(place, ignore_errors=True)
            except OSError:
                pass


def documents(names: Iterable[str]) -> list[str]:
    """The documents some entries make, each once, in order: an entry named '<document>:<part>' (an EPUB chapter) is a part of its document."""
    return list(dict.fromkeys(name.split(":", 1)[0] for name in names))


def last_build(folder: Path) -> dict[str, Any]:
    """What the latest build recorded: its settings, the documents it printed and those it reused."""
    builds = json.loads((folder / "builds.json").read_text(encoding="utf-8"))
    return dict(builds[-1])


def _write_atomic(target: Path, text: str) -> None:
    partial = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex}")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)


def _remove(place: Path) -> None:
    """Remove an entry: renamed out of the way first, so no reader finds it half-removed."""
    if not place.exists():
        return
    gone = place.with_name(f".gone.{place.name}.{uuid.uuid4().hex}")
    try:
        os.rename(place, gone)
    except OSError:
        return
    shutil.rmtree(gone, ignore_errors=True)
