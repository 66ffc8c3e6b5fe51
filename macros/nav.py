"""mkdocs.yml read as YAML with line numbers, its tags left unread (the nav check in macros/checks/sources.py, the offline files)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    pass


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
