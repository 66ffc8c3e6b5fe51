"""A synthetic course of N modules, made from the real pages and data, for the benchmarks.

Module i is a copy of one real content page of the first session or of the whole
course (nav order, round-robin); the modules are the first session's pages (its nav
section is "Modules"). From the second round on, its findings and prompts get their own records (ids suffixed
`-m007`, so every real record is still shown once), plus a table and an
admonition, padded with the course's own prose to about 800 visible words. The
other real pages (home, resources, schedule...) are copied once, and every other
session keeps its own nav section, pages and records as they are. "Ours" is a copy
of the project (as the tests' `project` fixture makes) with these pages as docs/
and the real mkdocs.yml with a new nav, so `python -m publish` runs on it
unchanged. The floor (plain Material) and the peer (mkdocs-to-pdf) INHERIT that
config and build the Markdown our macros produced, saved from one real build of
ours by bench/capture.py.
"""

from __future__ import annotations

import argparse
import compileall
import os
import posixpath
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from mkdocs.utils.yaml import yaml_load

from macros.course import NavEntry, nav_entries, nav_sections, walk_nav
from macros.pages import split_source

from .capture import OUT_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
REAL_CONFIG = ROOT / "mkdocs.yml"
# What a copy of the project needs to build besides docs/ (the same parts the tests' project fixture copies).
PROJECT_PARTS = ("macros", "publish", "overrides", "cohorts", "mkdocs.yml")
# The nav block of mkdocs.yml: `nav:` and every indented, list or blank line after it.
NAV_BLOCK = re.compile(r"^nav:[ \t]*\n(?:(?:[ \t]+|- ).*\n|[ \t]*\n)*", re.M)
WORDS_PER_MODULE = 800
# Macro calls whose id names a per-module record; a page with one is a content page.
ID_CALL = re.compile(r'(\{\{\s*(?:finding|reflection|discussion)\(\s*")([a-z0-9-]+)("\s*\)\s*\}\})')
PAGE_LINK = re.compile(r"\]\(([a-z0-9./-]+\.md)(#[^)\s]*)?\)")
HEADING = re.compile(r"^# (.+)$", re.M)
WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")
TAG = re.compile(r"<[^>]+>")
# Paragraphs that are not plain prose: headings, macros, lists, notes, admonitions, tables, raw HTML.
NOT_PROSE = ("#", "{{", "-", "*", "!!!", "???", "///", "|", "<", ":", ">")


@dataclass(frozen=True)
class SyntheticCourse:
    """Where each variant of the synthetic course lives, and what it holds."""

    root: Path
    modules: int
    pages: int
    words: int  # visible words over all modules, macro output included

    @property
    def ours(self) -> Path:
        """The project copy for our build: run `python -m publish` in it."""
        return self.root / "ours"

    @property
    def floor(self) -> Path:
        """Config for plain Material on the expanded Markdown."""
        return self.root / "floor" / "mkdocs.yml"

    @property
    def peer(self) -> Path:
        """Config for mkdocs-to-pdf on the expanded Markdown."""
        return self.root / "peer" / "mkdocs.yml"


def real_nav(config: Path = REAL_CONFIG) -> tuple[NavEntry, ...]:
    return nav_entries(yaml_load(config.read_text(encoding="utf-8"))["nav"])


def nav_pages(config: Path = REAL_CONFIG) -> list[tuple[str, str]]:
    """(title, page) for every page in the real nav, in reading order (the course model's own nav walk)."""
    return [(entry.title, str(entry.src)) for entry in walk_nav(real_nav(config)) if str(entry.src).endswith(".md")]


def as_written(entry: NavEntry) -> Any:
    """A nav entry as mkdocs.yml writes it."""
    if entry.src is None:
        return {entry.title: [as_written(child) for child in entry.children]}
    return {entry.title: entry.src} if entry.named else entry.src


def visible_words(markdown: str) -> int:
    """Words a reader sees in expanded Markdown: tags and front matter left out."""
    _, _, body, _ = split_source(markdown)
    return len(WORD.findall(TAG.sub(" ", body)))


def module_name(number: int) -> str:
    return f"module-{number:03d}.md"


def _prose(text: str) -> list[str]:
    """The plain paragraphs of a page, safe to repeat anywhere."""
    _, _, body, _ = split_source(text)
    paragraphs = [p.strip() for p in body.split("\n\n")]
    return [p for p in paragraphs if p and not p.startswith(NOT_PROSE) and "{{" not in p and "](" not in p and "///" not in p]


class CourseWriter:
    """Writes the synthetic course from the real one."""

    def __init__(self, modules: int, out: Path, real_docs: Path = ROOT / "docs") -> None:
        self.modules = modules
        self.out = out
        self.real_docs = real_docs
        self.nav = real_nav()
        self.sessions: list[dict[str, Any]] = yaml.safe_load((real_docs / "data" / "sessions.yml").read_text(encoding="utf-8")) or []
        # The sections of the sessions after the first: kept whole, their pages never made into modules.
        self.kept_sections = {str(session["section"]) for session in self.sessions[1:]}
        sections = {str(session["section"]) for session in self.sessions}
        kept = {
            str(entry.src) for entry, within in nav_sections(self.nav) if next((title for title in within if title in sections), None) in self.kept_sections
        }
        pages = nav_pages()
        texts = {page: (real_docs / page).read_text(encoding="utf-8") for _, page in pages}
        self.templates = [page for _, page in pages if page not in kept and ID_CALL.search(texts[page])]
        self.singles = [(title, page) for title, page in pages if page not in self.templates]
        self.sources = texts
        self.filler = [p for name in self.templates for p in _prose(texts[name])]

    def template_of(self, number: int) -> str:
        return self.templates[(number - 1) % len(self.templates)]

    def record_id(self, number: int, real_id: str) -> str:
        """The id module `number` shows for a real record: the real one in the first round, then its own copy."""
        return real_id if number <= len(self.templates) else f"{real_id}-m{number:03d}"

    def link_target(self, number: int, page: str) -> str:
        """Where a link to a real page points from module `number`: that page's module in the same round."""
        if page not in self.templates:
            return page
        first = (number - 1) // len(self.templates) * len(self.templates) + 1
        target = first + self.templates.index(page)
        return module_name(target) if target <= self.modules else "index.md"

    def relink(self, number: int, text: str, page: str, written: str) -> str:
        """Links of the real `page`, as the synthetic page `written` (in the same folder or at the top) must give them."""

        def link(match: re.Match[str]) -> str:
            target = self.link_target(number, posixpath.normpath(posixpath.join(posixpath.dirname(page), match.group(1))))
            return f"]({posixpath.relpath(target, posixpath.dirname(written) or '.')}{match.group(2) or ''})"

        return PAGE_LINK.sub(link, text)

    def write(self) -> SyntheticCourse:
        shutil.rmtree(self.out, ignore_errors=True)
        docs = self.out / "ours" / "docs"
        (docs / "data").mkdir(parents=True)
        self.write_data(docs / "data")
        titles: list[str] = []
        for number in range(1, self.modules + 1):
            text, title = self.module_source(number)
            (docs / module_name(number)).write_text(text, encoding="utf-8")
            titles.append(title)
        for _, page in self.singles:
            # Links from a single page go to the first round of modules.
            target = docs / page
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(self.relink(1, self.sources[page], page, page), encoding="utf-8")
        modules = {"Modules": [{f"{n} · {t}": module_name(n)} for n, t in enumerate(titles, start=1)]}
        self.write_configs(self.synthetic_nav(self.nav, modules))
        floor_docs = self.out / "floor" / "docs"
        self.expand(floor_docs)
        words = self.pad(docs, floor_docs)
        return SyntheticCourse(self.out, self.modules, self.modules + len(self.singles), words)

    def synthetic_nav(self, entries: tuple[NavEntry, ...], modules: dict[str, Any]) -> list[Any]:
        """The single pages in reading order, Modules after the home page, each later session's section as it is."""
        nav: list[Any] = []
        for entry in entries:
            if entry.src is None and entry.title in self.kept_sections:
                nav.append(as_written(entry))
            elif entry.src is None:
                nav += self.synthetic_nav(entry.children, modules)
            elif entry.src not in self.templates and entry.src.endswith(".md"):
                nav.append({entry.title: entry.src})
                if entry.src == "index.md":
                    nav.append(modules)
        return nav

    def write_data(self, data_dir: Path) -> None:
        """The real records, plus one copy per module of each finding and prompt its page shows."""
        real = self.real_docs / "data"
        for path in real.glob("*.yml"):
            shutil.copy2(path, data_dir / path.name)
        for name in ("findings.yml", "prompts.yml"):
            records = yaml.safe_load((real / name).read_text(encoding="utf-8")) or []
            by_id = {r["id"]: r for r in records}
            copies = list(records)
            for number in range(len(self.templates) + 1, self.modules + 1):
                for _, record_id, _ in ID_CALL.findall(self.sources[self.template_of(number)]):
                    if record_id in by_id:
                        copies.append({**by_id[record_id], "id": self.record_id(number, record_id)})
            text = yaml.safe_dump(copies, sort_keys=False, allow_unicode=True, width=1000)
            (data_dir / name).write_text(text, encoding="utf-8")
        # The modules are the first session's pages (its nav section is "Modules" here); the others keep theirs.
        sessions = [{**session, "section": "Modules"} if index == 0 else session for index, session in enumerate(self.sessions)]
        (data_dir / "sessions.yml").write_text(yaml.safe_dump(sessions, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8")

    def module_source(self, number: int) -> tuple[str, str]:
        """Module `number`'s Markdown before padding, and its title."""
        front, _, body, _ = split_source(self.sources[self.template_of(number)])
        meta = yaml.safe_load(front or "") or {}
        title = f"Module {number}: {meta.get('title', 'Untitled')}"
        meta["title"] = title
        body = HEADING.sub(lambda m: f"# Module {number}: {m.group(1)}", body, count=1)
        body = ID_CALL.sub(lambda m: m.group(1) + self.record_id(number, m.group(2)) + m.group(3), body)
        body = self.relink(number, body, self.template_of(number), module_name(number))
        body = body.rstrip("\n") + "\n\n" + self.glance(number, meta)
        head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
        return f"---\n{head}---\n\n{body}", title

    def glance(self, number: int, meta: dict[str, Any]) -> str:
        """A table of the module's records and an admonition of its key points."""
        ids = [record_id for _, record_id, _ in ID_CALL.findall(self.sources[self.template_of(number)])]
        rows = [f"| {self.record_id(number, record_id)} | {index} |" for index, record_id in enumerate(ids, start=1)]
        points = meta.get("key_points") or meta.get("objectives") or [meta.get("description", "")]
        lines = [
            f"## Module {number} at a glance",
            "",
            "| Record | Order on the page |",
            "| --- | ---: |",
            *rows,
            "",
            '!!! tip "Carry forward"',
            "",
            *(f"    - {point}" for point in points),
            "",
        ]
        return "\n".join(lines)

    def write_configs(self, nav: list[Any]) -> None:
        """Ours: a copy of the project with the new nav. Floor and peer: INHERIT it, change only what each needs."""
        project = self.out / "ours"
        for part in PROJECT_PARTS:
            source = ROOT / part
            if source.is_dir():
                shutil.copytree(source, project / part, ignore=shutil.ignore_patterns("__pycache__"))
                # Compiled, as a checkout is after its first run and as the floor's installed packages are: the bench
                # runs with PYTHONDONTWRITEBYTECODE, so otherwise every run of ours would compile our modules again.
                compileall.compile_dir(project / part, quiet=1)
            elif source.is_file():
                shutil.copy2(source, project / part)
        config = project / "mkdocs.yml"
        text = config.read_text(encoding="utf-8")
        new_nav = yaml.safe_dump({"nav": nav}, sort_keys=False, allow_unicode=True, width=1000)
        replaced, count = NAV_BLOCK.subn(lambda _: new_nav, text, count=1)
        config.write_text(replaced if count else text.rstrip("\n") + "\n" + new_nav, encoding="utf-8")
        plain_theme = self.out / "plain-theme"
        plain_theme.mkdir()
        # Plain Material: no overrides, none of our CSS, JS, hooks or plugins but search.
        plain = {
            "INHERIT": str(config),
            "docs_dir": str(self.out / "floor" / "docs"),
            "theme": {"custom_dir": str(plain_theme)},
            "extra_css": [],
            "extra_javascript": [],
            "hooks": [],
        }
        floor = {**plain, "site_dir": "site", "plugins": ["search"]}
        # Not strict: our pages link to the handout PDFs only our build makes, which mkdocs-to-pdf counts as errors.
        peer = {**plain, "site_dir": "site", "strict": False, "plugins": ["search", {"to-pdf": {"output_path": "pdf/course.pdf"}}]}
        for name, values in (("floor", floor), ("peer", peer)):
            (self.out / name).mkdir(exist_ok=True)
            (self.out / name / "mkdocs.yml").write_text(yaml.safe_dump(values, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8")

    def expand(self, floor_docs: Path) -> None:
        """Build ours once with bench/capture.py hooked in, saving each page's Markdown as our macros made it."""
        project = self.out / "ours"
        real_hooks = yaml_load((project / "mkdocs.yml").read_text(encoding="utf-8")).get("hooks") or []
        capture = {
            "INHERIT": "mkdocs.yml",
            "site_dir": str(self.out / "capture-site"),
            "hooks": [*real_hooks, str(Path(__file__).with_name("capture.py"))],
        }
        config = project / "capture.yml"
        config.write_text(yaml.safe_dump(capture, sort_keys=False), encoding="utf-8")
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1", **{OUT_VARIABLE: str(floor_docs)})
        command = [sys.executable, "-m", "mkdocs", "build", "--quiet", "--strict", "--config-file", str(config)]
        result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"the synthetic course did not build:\n{result.stdout}{result.stderr}")
        shutil.rmtree(self.out / "capture-site", ignore_errors=True)
        config.unlink()

    def pad(self, docs: Path, floor_docs: Path) -> int:
        """Grow each module, in both variants, with the course's own prose to WORDS_PER_MODULE; returns all modules' words."""
        total = 0
        for number in range(1, self.modules + 1):
            expanded = floor_docs / module_name(number)
            count = visible_words(expanded.read_text(encoding="utf-8"))
            extra: list[str] = []
            start = number * 7 % max(len(self.filler), 1)
            index = 0
            while count < WORDS_PER_MODULE and index < len(self.filler):
                paragraph = self.filler[(start + index) % len(self.filler)]
                extra += [paragraph, ""]
                count += visible_words(paragraph)
                index += 1
            if extra:
                # Plain prose passes through the macros unchanged, so both variants get the same words.
                addition = "\n## More from the session\n\n" + "\n".join(extra)
                for path in (docs / module_name(number), expanded):
                    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + addition, encoding="utf-8")
            total += count
        return total


def write_course(modules: int, out: Path) -> SyntheticCourse:
    """Write a synthetic course of `modules` modules under out (replaced if it exists)."""
    return CourseWriter(modules, out).write()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.course", description="Write a synthetic course of N modules.")
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / ".build" / "bench" / "course")
    args = parser.parse_args(argv)
    course = write_course(args.modules, args.out.resolve())
    print(f"Wrote {course.modules} modules, {course.pages} pages, {course.words} words in the modules, to {course.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
