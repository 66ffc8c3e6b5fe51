"""The navigation in mkdocs.yml, read with line numbers, and the pages a reader could never reach."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pathspec
import yaml

from .allowlist import UNESCAPED_FIX, unescaped_characters
from .data import _display
from .errors import Problem, closest

if TYPE_CHECKING:
    from .course import CourseModel


class _ConfigLoader(yaml.SafeLoader):
    """Reads mkdocs.yml without acting on its tags (!ENV, !!python/name): only the nav is wanted."""


_ConfigLoader.add_multi_constructor("", lambda loader, suffix, node: None)
_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)

# The same loader on libyaml's parser when PyYAML has it; the pure-Python one stays the judge of broken YAML.
_FAST_LOADERS: list[Any] = [_ConfigLoader]
if hasattr(yaml, "CSafeLoader"):

    class _FastConfigLoader(yaml.CSafeLoader):
        """_ConfigLoader on libyaml: the same nodes, marks and values, several times faster on a long nav."""

    _FastConfigLoader.add_multi_constructor("", lambda loader, suffix, node: None)
    _FastConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    _FAST_LOADERS.insert(0, _FastConfigLoader)


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


def read_config(config: Path) -> tuple[yaml.MappingNode | None, dict[str, object]]:
    """The config's node tree and its plain values; (None, {}) when it cannot be read (see parse_config)."""
    try:
        return parse_config(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None, {}


def parse_config(text: str) -> tuple[yaml.MappingNode | None, dict[str, object]]:
    """mkdocs.yml's text as a node tree (with lines) and its plain values, tags left unread; (None, {}) when it is not YAML."""
    for loader in _FAST_LOADERS:
        try:
            node = yaml.compose(text, Loader=loader)
            values = yaml.load(text, Loader=loader)
            break
        except yaml.YAMLError:
            continue
    else:
        return None, {}
    if not isinstance(node, yaml.MappingNode) or not isinstance(values, dict):
        return None, {}
    return node, values


def check_nav(model: CourseModel) -> list[Problem]:
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
            problems.append(Problem(shown, line, f"the navigation lists `{target}`, but there is no such page in docs/.", closest(target, set(pages))))
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
