"""Template safety: every injection a page could try is refused before rendering, and the sandbox holds if it were not."""

from __future__ import annotations

import re

import jinja2
import pytest
from conftest import ROOT
from jinja2.exceptions import SecurityError, UndefinedError

from macros.data import load_course
from macros.library import MACROS, PageContext, current
from macros.templates import ENVIRONMENT, PageChecker, render_checked, tree_with_lines_emptied

DATA = load_course(ROOT / "docs")

PAYLOADS = [
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ finding.__globals__ }}",
    "{{ self }}",
    "{{ lipsum }}",
    "{{ config }}",
    "{{ range(10) }}",
    "{{ ''.join }}",
    '{{ finding("five-key-actions") | attr("__class__") }}',
    '{{ finding("five-key-" ~ "actions") }}',
    "{{ finding(*['five-key-actions']) }}",
    '{{ finding("five-key-actions").upper() }}',
    "{% include '/etc/passwd' %}",
    "{% import 'macros.html' as m %}",
    "{% from 'macros.html' import m %}",
    "{% extends 'base.html' %}",
    "{% set x = 1 %}",
    "{% macro m() %}{% endmacro %}",
    '{% call finding("five-key-actions") %}{% endcall %}',
    "{% filter upper %}x{% endfilter %}",
    "{% with x = 1 %}{% endwith %}",
    "{% raw %}{{ unclosed }}",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_injection_is_refused_before_rendering(payload: str) -> None:
    checker = PageChecker(DATA, "docs/page.md", line_offset=4)
    assert checker.check("Intro\n" + payload + "\n") is None
    assert checker.problems, payload
    assert all(p.path == "docs/page.md" and p.line in (5, 6) for p in checker.problems), checker.problems


def test_refusals_name_the_statement_the_author_typed() -> None:
    checker = PageChecker(DATA, "docs/page.md")
    checker.check("{% set x = 1 %}")
    assert [p.message for p in checker.problems] == ["the statement `{% set %}` is not allowed in a page."]
    checker = PageChecker(DATA, "docs/page.md")
    checker.check("{{ finding.__globals__ }}")
    assert [p.message for p in checker.problems] == ["the name `__globals__` is not allowed: names starting with an underscore reach Python internals."]


def test_the_sandbox_is_a_second_wall_even_for_unchecked_text() -> None:
    # Python internals: refused by the sandbox itself.
    with pytest.raises(SecurityError):
        ENVIRONMENT.from_string("{{ ''.__class__.__mro__ }}").render()
    # Jinja's usual helpers (cycler, lipsum, range) are not there at all.
    for name in ("cycler", "lipsum", "range", "namespace"):
        with pytest.raises(UndefinedError):
            ENVIRONMENT.from_string("{{ " + name + " }}").render()
    # No loader: a template cannot read any file.
    with pytest.raises(TypeError, match="no loader"):
        ENVIRONMENT.from_string("{% include '/etc/passwd' %}").render()


def test_jinja_is_pinned_at_a_release_without_the_known_sandbox_escapes() -> None:
    # 3.1.5 closed the str.format escapes (CVE-2024-56201, CVE-2024-56326); 3.1.6 closed |attr (CVE-2025-27516).
    assert tuple(int(part) for part in jinja2.__version__.split(".")[:3]) >= (3, 1, 6)
    pinned = re.search(r'"Jinja2==(\d+)\.(\d+)\.(\d+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pinned is not None and tuple(map(int, pinned.groups())) >= (3, 1, 6)


def test_a_checked_tree_renders_as_jinja_s_own_compiled_template_would() -> None:
    source = 'Intro {{ finding("five-key-actions") }}\n{% raw %}{{ braces }}{% endraw %} {{- cite(id="entry-points-study") }}\r\nend\n'
    checker = PageChecker(DATA, "docs/page.md")
    tree = checker.check(source)
    assert tree is not None, checker.problems
    context = PageContext(data=DATA, url="page/")
    compiled = ENVIRONMENT.from_string(source, globals={name: spec.function for name, spec in MACROS.items()})
    token = current.set(context)
    try:
        expected = compiled.render()
    finally:
        current.reset(token)
    assert render_checked(tree, context) == expected


@pytest.mark.parametrize("code", ["{{ ''.__class__ }}", "{% set x = 1 %}", "{{ finding(x) }}", "{{ open('/etc/passwd') }}", "{{ finding(*ids) }}"])
def test_rendering_refuses_a_tree_the_checker_did_not_pass(code: str) -> None:
    # The renderer runs only text and macro calls with literal arguments: an unchecked tree cannot run anything else.
    with pytest.raises((SecurityError, UndefinedError)):
        render_checked(ENVIRONMENT.parse(code), PageContext(data=DATA))


EMPTIED = [
    # (source, the same with some whole lines emptied); the made tree must be the edited source's own, or None.
    ("a\nnote\nb {{ cite('entry-points-study') }}\nc\n", "a\n\nb {{ cite('entry-points-study') }}\nc\n"),
    ("{{ cite('entry-points-study') }}\nnote\n\nc", "{{ cite('entry-points-study') }}\n\n\nc"),
    ("a\nnote\n   {{- cite('entry-points-study') }}\n", "a\n\n   {{- cite('entry-points-study') }}\n"),
    ("{{ cite('entry-points-study') -}}\nnote\nb\n", "{{ cite('entry-points-study') -}}\n\nb\n"),
    ("{% raw %}\nnote {{ x }}\n{% endraw %}\nb\n", "{% raw %}\n\n{% endraw %}\nb\n"),
    ("{{ cite(\nnote\n) }}\n", "{{ cite(\n\n) }}\n"),
    ("{{ cite('entry-\nnote\npoints-study') }}\n", "{{ cite('entry-\n\npoints-study') }}\n"),
    ("{# a\nnote\n#}\nb\n", "{# a\n\n#}\nb\n"),
    ("a\r\nnote\r\nb\r\n", "a\r\n\nb\r\n"),
    ("a\x0cnote\nb\nc\n", "a\x0cnote\n\nc\n"),
    ("a\nnote", "a\n\n"),
    ("a\nnote\nb\n", "a\nother\nb\n"),
]


@pytest.mark.parametrize(("source", "edited"), EMPTIED)
def test_a_tree_with_lines_emptied_is_the_edited_source_s_own_or_none(source: str, edited: str) -> None:
    made = tree_with_lines_emptied(ENVIRONMENT.parse(source), source, edited)
    assert made is None or made == ENVIRONMENT.parse(edited)


def test_the_participant_edition_renders_pages_with_notes_from_the_checked_tree() -> None:
    source = "Intro\n/// facilitator | Running it\nSay {{ cite('entry-points-study') }} here.\n///\nAfter {{ cite('entry-points-study') }}\n"
    edited = "Intro\n\n\n\nAfter {{ cite('entry-points-study') }}\n"
    made = tree_with_lines_emptied(ENVIRONMENT.parse(source), source, edited)
    assert made is None  # a call inside the note: parsed and checked again
    source = "Intro\n/// facilitator | Running it\nSay it here.\n///\nAfter {{ cite('entry-points-study') }}\n"
    made = tree_with_lines_emptied(ENVIRONMENT.parse(source), source, edited)
    assert made is not None and made == ENVIRONMENT.parse(edited)
