"""Checks on the sources, before anything is rendered: each a function of the build's model (see macros/checks)."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pathspec
import yaml

from ..allowlist import UNESCAPED_FIX, unescaped_characters
from ..data import DATA_DIR, _display
from ..errors import Problem, closest
from ..markup import find_links
from ..nav import parse_config
from ..pages import split_source
from ..renames import PROMPTS_FILE, fix_for, likely_successor, reflections_in, unaccounted
from ..revision import default_base, file_at
from ..scaffold import placeholder_problems
from . import Check, run
from .rendered import every_page

if TYPE_CHECKING:
    from ..course import CourseModel

TEMPLATE_LINE = re.compile(r"""^template:\s*["']?(.*?)["']?\s*$""")
UTF8_FIX = "save it as UTF-8 (most editors offer this under 'Save with encoding')."


def loaded(model: CourseModel) -> list[Problem]:
    """What kept the data, the cohort or the settings from loading, and every cohort manifest's problems (issue 6:
    every manifest beside docs/ is data too, checked with the same messages)."""
    return list(model.problems) + [problem for _, found in model.manifests.values() for problem in found]


def undecodable(model: CourseModel) -> list[Problem]:
    """Pages that are not UTF-8 text (no other check reads them)."""
    return [Problem(page.display, page.undecodable_at, "the page is not valid UTF-8 text.", UTF8_FIX) for page in model.pages.values() if page.text is None]


def links(model: CourseModel) -> list[Problem]:
    """Every page's links and images (check_links)."""
    pages = list(model.pages)
    theme_dir = _theme_dir(model)
    return [
        problem
        for page in model.pages.values()
        if page.text is not None
        for problem in check_links(page.display, page.src_path, page.text, model.settings.docs_dir, pages, theme_dir, page.folder)
    ]


def page_templates(model: CourseModel) -> list[Problem]:
    """Every page's `template:` line (check_template)."""
    templates = theme_templates(_theme_dir(model))
    return [problem for page in model.pages.values() if page.text is not None for problem in check_template(page.display, page.text, templates)]


def _theme_dir(model: CourseModel) -> Path | None:
    theme = model.config["theme"]
    return Path(theme.custom_dir) if theme.custom_dir else None


def check_links(display: str, src: str, text: str, docs_dir: Path, pages: list[str], theme_dir: Path | None, folder: str = "docs") -> list[Problem]:
    """A page's links and images: pages that exist, images that exist and carry alt text (folder: docs_dir as an author sees it)."""
    _, _, body, body_line = split_source(text)
    problems: list[Problem] = []
    here = posixpath.dirname(src)
    for link in find_links(body, body_line):
        if link.image and not (link.alt or "").strip():
            problems.append(
                Problem(
                    display,
                    link.line,
                    f"the image `{link.target}` has no alt text, so a screen reader cannot describe it.",
                    "describe the picture in the brackets: ![A chart of the three barriers](barriers.png).",
                )
            )
        if not link.internal or not link.path:
            continue
        if link.path.startswith("/"):
            problems.append(
                Problem(
                    display,
                    link.line,
                    f"the link `{link.target}` starts with `/`, so it breaks when the site is served from a folder (as on GitHub Pages).",
                    "link relative to this page instead, e.g. [pre-work](pre-work.md).",
                )
            )
            continue
        target = posixpath.normpath(posixpath.join(here, link.path))
        if link.image:
            if not (docs_dir / target).is_file() and not (theme_dir is not None and (theme_dir / target).is_file()):
                problems.append(
                    Problem(
                        display,
                        link.line,
                        f"the image `{link.target}` does not exist (looked for {folder}/{target}).",
                        f"add the image file to {folder}/ or correct its name; paths are relative to this page.",
                    )
                )
        elif link.path.endswith(".md") and target not in pages:
            problems.append(
                Problem(
                    display,
                    link.line,
                    f"the link `{link.target}` points to a page that does not exist ({folder}/{target}).",
                    closest(target, set(pages) - {src}),
                )
            )
    return problems


def theme_templates(theme_dir: Path | None) -> set[str]:
    """The page templates a page's `template:` may name: ours in the theme folder, then Material's."""
    import material

    folders = [Path(material.__file__).parent / "templates", *([theme_dir] if theme_dir else [])]
    return {p.name for folder in folders if folder.is_dir() for p in folder.glob("*.html")}


def check_template(display: str, text: str, templates: set[str]) -> list[Problem]:
    """A `template:` line in the front matter must name a page template the theme has (MkDocs would stop with a traceback)."""
    meta_text, meta_line, _, _ = split_source(text)
    for number, line in enumerate((meta_text or "").splitlines(), start=meta_line):
        match = TEMPLATE_LINE.match(line)
        if match and match.group(1) not in templates:
            name = match.group(1)
            fix = "remove the line: pages use the standard layout. To choose another, " + closest(name, templates)
            return [Problem(display, number, f"the front matter names the template `{name}`, which the theme does not have.", fix)]
    return []


def _entries(node: yaml.Node) -> list[tuple[str, int]]:
    """Every page path under a nav node, with its line in mkdocs.yml."""
    found: list[tuple[str, int]] = []
    if isinstance(node, yaml.ScalarNode):
        found.append((str(node.value), node.start_mark.line + 1))
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            found += _entries(child)
    elif isinstance(node, yaml.MappingNode):
        for _, value in node.value:
            found += _entries(value)
    return found


def _titles(node: yaml.Node) -> list[tuple[str, int]]:
    """Every title in a nav node (`- Title: page.md`, `- Section: [...]`), with its line in mkdocs.yml."""
    found: list[tuple[str, int]] = []
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            found += _titles(child)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            found.append((str(key.value), key.start_mark.line + 1))
            found += _titles(value)
    return found


# Site settings Material writes into every page's HTML unescaped.
SITE_TEXT = ("site_name", "site_description", "site_author", "copyright")


def _site_text(node: yaml.MappingNode | None, shown: str) -> list[Problem]:
    """Nav titles and site settings holding characters the theme would write into every page as markup."""
    if node is None:
        return []
    problems = []
    for key, value in node.value:
        named = _titles(value) if key.value == "nav" else []
        if key.value in SITE_TEXT and isinstance(value, yaml.ScalarNode):
            named.append((str(value.value), value.start_mark.line + 1))
        for text, line in named:
            found = unescaped_characters(text)
            if found:
                what = "the navigation title" if key.value == "nav" else f"`{key.value}:`"
                characters = " ".join(f"`{ch}`" for ch in found)
                message = (
                    f"{what} `{text}` holds {characters}, which the theme writes into every page's HTML as it is,"
                    " where it could add a tag or leave an attribute."
                )
                problems.append(Problem(shown, line, message, UNESCAPED_FIX))
    return problems


def nav(model: CourseModel) -> list[Problem]:
    """Nav entries that name no page, pages that no nav entry names (unless listed under not_in_nav), and nav titles
    or site settings that would be markup in every page."""
    config = model.settings.config_file
    shown = _display(config)
    node, values = parse_config(model.config_text)
    nav_node = next((value for key, value in node.value if key.value == "nav"), None) if node is not None else None
    if nav_node is None:
        # Without a nav MkDocs lists every page itself, so none can be missing.
        return _site_text(node, shown)
    unlisted = pathspec.GitIgnoreSpec.from_lines(str(values.get("not_in_nav") or "").splitlines())
    pages = sorted(model.pages)
    problems: list[Problem] = []
    named: set[str] = set()
    for target, line in _entries(nav_node):
        if "://" in target or target.startswith(("/", "#")) or not target.endswith(".md"):
            continue
        named.add(target)
        if target not in model.pages:
            problems.append(
                Problem(
                    shown, line, f"the navigation lists `{target}`, but there is no such page in {model.settings.docs_shown}/.", closest(target, set(pages))
                )
            )
    for page in pages:
        if page not in named and not unlisted.match_file(page):
            problems.append(
                Problem(
                    _display(model.settings.docs_dir / page),
                    1,
                    "the page is not in the navigation, so readers cannot reach it.",
                    f"add a line `- Title: {page}` under `nav:` in {shown}, or delete the page.",
                )
            )
    return problems + _site_text(node, shown)


def renames(model: CourseModel) -> list[Problem]:
    """A problem for each reflection id the base revision had that this change drops without a word (make check only:
    it needs git and the base revision; see macros/renames.py). Nothing when the data does not load."""
    if model.data is None:
        return []
    docs_dir, data = model.settings.docs_dir, model.data
    root = model.settings.root
    base = default_base(root)
    if base is None:
        return []
    commit, label = base
    text = file_at(root, commit, f"{model.settings.docs_shown}/{DATA_DIR}/{PROMPTS_FILE}")
    if text is None:
        return []
    before = reflections_in(text)
    path = docs_dir / DATA_DIR / PROMPTS_FILE
    problems = []
    for old in unaccounted(before, data):
        instead = likely_successor(before[old], data)
        line = data.where[instead][1] if instead else 1
        message = (
            f"the reflection prompt '{old}' (“{before[old]}”, at {label}) is gone: readers who answered it would find "
            "their answer only under “Answers to prompts no longer in the course”."
        )
        problems.append(Problem(_display(path), line, message, fix_for(old, instead)))
    return problems


# Every build's checks on the sources, in order.
def sessions(model: CourseModel) -> list[Problem]:
    """What keeps a session from its pages (the course model's tie_sessions), and every placeholder `make new-session`
    left (macros/scaffold.py)."""
    return list(model.session_problems) + placeholder_problems(model)


SOURCES: tuple[Check, ...] = (loaded, undecodable, links, page_templates, nav, sessions)


def check_sources(model: CourseModel, *, macro_calls: bool = True) -> list[Problem]:
    """Every problem in the data files, the cohort manifests, the Markdown pages and the navigation of the build's model.

    With macro_calls=False, each page's front matter and macro calls are left to the step that renders it
    (python -m publish renders every page once, and checks it as it does), so no page is checked twice.
    """
    return run(SOURCES + ((every_page,) if macro_calls else ()), model)
