"""Macros and their render functions: small golden inputs and outputs, and the allow-list's messages."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import ROOT, run

from macros import render
from macros.data import load_course
from macros.library import MACROS
from macros.models import Finding, Item, Prompt, Source
from macros.templates import PageChecker

DATA = load_course(ROOT / "docs")
SOURCE = Source(id="a-study", kind="study", title="A <Study>", cited_as="Doe et al.", year=2022, theme="collaborative-governance")


def check(text: str) -> list[str]:
    checker = PageChecker(DATA, "docs/page.md", line_offset=4)
    checker.check(text)
    return [str(p) for p in checker.problems]


def test_render_finding_escapes_and_cites() -> None:
    finding = Finding(id="f", title="T & co", source="a-study", numbered=True, items=[Item(text="<b>one</b>"), Item(term="Two", text="second")])
    html = render.render_finding(finding, SOURCE, "../resources/#source-a-study")
    assert html.splitlines() == [
        '<div class="admonition abstract cw-finding" id="finding-f" data-finding="f">',
        '<p class="admonition-title">T &amp; co</p>',
        '<ol class="cw-items">',
        "<li>&lt;b&gt;one&lt;/b&gt;</li>",
        "<li><strong>Two</strong>: second</li>",
        "</ol>",
        '<p class="cw-source">Source: <a class="cw-cite" href="../resources/#source-a-study">Doe et al., <cite>A &lt;Study&gt;</cite> (2022)</a></p>',
        "</div>",
    ]
    assert "\n\n" not in html  # a blank line would end the raw HTML block early


def test_render_grouped_finding_marks_new_items() -> None:
    finding = Finding(id="g", title="G", source="a-study", items=[Item(group="A", stage=1, text="old"), Item(group="A", stage=2, text="new")])
    html = render.render_finding(finding, SOURCE, "#", new_stage=2)
    assert '<li class="cw-group"><p class="cw-group-title"><strong>A</strong></p>' in html
    assert "<li>old</li>" in html
    assert '<li class="cw-new"><span class="cw-badge">New</span> new</li>' in html


def test_render_discussion_carries_its_time_box() -> None:
    prompt = Prompt(id="talk", kind="discussion", title="Talk", text="Say it.", minutes=10, format="Talk to two other cities")
    html = render.render_prompt(prompt)
    assert 'data-kind="discussion" data-minutes="10"' in html
    assert '<p class="cw-timebox"><strong>10 minutes</strong> · Talk to two other cities</p>' in html


def test_render_reflection_is_a_hook_for_the_journal() -> None:
    html = render.render_prompt(Prompt(id="think", kind="reflection", title="Think", text="Why?"))
    assert html.startswith('<div class="admonition question cw-prompt cw-reflection" id="reflection-think" data-prompt="think" data-kind="reflection">')


def test_render_reference_gives_what_the_deck_gives() -> None:
    article = DATA.sources["where-to-start-article"]
    html = render.render_reference(article)
    assert html.startswith(
        '<li id="source-where-to-start-article"><span class="cw-kind">Article</span> <cite>Cross-Boundary Collaborations in Cities: Where to Start</cite>.'
    )
    assert "Eva Flavia Martínez Orbegozo" in html and "6 July 2023." in html


def test_every_macro_has_a_one_line_doc_and_an_example_that_passes() -> None:
    for name, spec in MACROS.items():
        assert spec.summary and spec.summary.endswith("."), name
        assert spec.example.startswith(name + "("), name
        assert check("{{ " + spec.example + " }}") == [], name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{{ finding("five-key-action") }}',
            "docs/page.md:5: `finding(\"five-key-action\")`: there is no finding in docs/data/findings.yml with the id 'five-key-action'.\n    Fix: did you mean 'five-key-actions'?",
        ),
        (
            '{{ reflection("dealing-with-setbacks") }}',
            "docs/page.md:5: `reflection(\"dealing-with-setbacks\")`: there is no reflection prompt in docs/data/prompts.yml with the id 'dealing-with-setbacks'.\n    Fix: 'dealing-with-setbacks' is a discussion; show it with {{ discussion(\"dealing-with-setbacks\") }}.",
        ),
        (
            '{{ findings("five-key-actions") }}',
            "docs/page.md:5: there is no macro called `findings`.\n    Fix: did you mean 'finding'? The macro reference lists them all.",
        ),
        (
            "{{ strategic_triangle(4) }}",
            "docs/page.md:5: `strategic_triangle(4)` asks for a stage that does not exist.\n    Fix: use a whole number from 1 to 3.",
        ),
        (
            '{{ finding("five-key-actions", "extra") }}',
            'docs/page.md:5: `finding` was called with the wrong arguments.\n    Fix: write it as {{ finding("five-key-actions") }}.',
        ),
        (
            "{{ config.site_name }}",
            'docs/page.md:5: attribute access `.site_name` is not allowed inside {{ }}.\n    Fix: only a macro call may stand there, like {{ finding("five-key-actions") }}.',
        ),
        (
            '{{ "x" | upper }}',
            'docs/page.md:5: the filter `| upper` is not allowed inside {{ }}.\n    Fix: only a macro call may stand there, like {{ finding("five-key-actions") }}.',
        ),
        (
            "{% for x in y %}{% endfor %}",
            'docs/page.md:5: the statement `{% for %}` is not allowed in a page.\n    Fix: pages may only call macros, like {{ reflection("your-top-challenge") }}; loops, conditions, includes and imports belong in macros/ (ask a maintainer).',
        ),
        (
            "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
            "docs/page.md:5: the name `__globals__` is not allowed: names starting with an underscore reach Python internals.\n    Fix: remove it; pages may only call macros with quoted ids.",
        ),
        (
            "{{ finding(config) }}",
            'docs/page.md:5: `finding` was given the name `config`; only a quoted id or a whole number may be passed.\n    Fix: write it as {{ finding("five-key-actions") }}.',
        ),
    ],
)
def test_the_allow_list_explains_each_refusal(text: str, expected: str) -> None:
    assert check(text) == [expected]


def test_a_broken_call_names_its_line() -> None:
    [problem] = check('Intro\n\n{{ finding("five-key-actions" }}\n')
    assert problem.startswith("docs/page.md:7: the macro syntax is broken: unexpected '}'")


def test_raw_blocks_let_authors_show_braces() -> None:
    assert check("{% raw %}{{ not a macro }}{% endraw %}") == []


def _break(project: Path, page: str, old: str, new: str) -> None:
    path = project / "docs" / page
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def test_a_plain_mkdocs_build_fails_cleanly_on_an_unknown_id(project: Path) -> None:
    _break(project, "how-to-make-progress.md", "{{ key_actions() }}", '{{ finding("five-key-action") }}')
    result = run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(project / "out")], cwd=project)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "docs/how-to-make-progress.md:" in output
    assert "there is no finding in docs/data/findings.yml with the id 'five-key-action'" in output
    assert "did you mean 'five-key-actions'?" in output
    assert "Traceback" not in output and "Macro Rendering Error" not in output


def test_a_plain_mkdocs_build_names_the_yaml_file_and_line(project: Path) -> None:
    path = project / "docs" / "data" / "findings.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  numbered: true\n", "  numbered: true\n numbered: oops\n", 1), encoding="utf-8")
    line = path.read_text(encoding="utf-8").splitlines().index(" numbered: oops") + 1
    result = run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(project / "out")], cwd=project)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"docs/data/findings.yml:{line}: the YAML could not be read" in output
    assert "Traceback" not in output


def test_a_case_card_never_follows_its_title_with_its_own_place_and_keeps_the_decks_order() -> None:
    named = Source(
        id="c", kind="case", title="What happened in Springfield?", place="Springfield", summary="A summary.", chart="A chart",
        facts_heading="Why?", facts=["One"], theme="collaborative-governance",
    )  # fmt: skip
    html = render.render_case(named)
    assert 'class="cw-place"' not in html
    # The summary, the chart, then the facts: the case slide, the chart's slide, then the list.
    assert html.index("A summary.") < html.index("Chart: <em>A chart</em>") < html.index("Why?") < html.index("<li>One</li>")
    assert "Springfield." not in render.render_reference(named)
    elsewhere = named.model_copy(update={"title": "A case"})
    assert '<p class="cw-place">Springfield</p>' in render.render_case(elsewhere)
    assert "Springfield." in render.render_reference(elsewhere)


def test_a_case_with_a_quotation_shows_it_on_its_card_and_a_work_has_no_kind_label() -> None:
    louisville = DATA.sources["louisville-case"]
    html = render.render_case(louisville)
    assert louisville.quote is not None and f'id="quote-{louisville.id}"' in html and louisville.quote.by in html
    work = Source(id="w", kind="work", title="A work", theme="urban-problem-solving")
    assert render.render_reference(work) == '<li id="source-w"><cite>A work</cite>.</li>'


def test_items_without_a_group_are_listed_under_where_the_picture_puts_them_in_italics() -> None:
    finding = Finding(id="t", title="T", source="a-study", items=[Item(group="A", text="a"), Item(text="centre")])
    html = render.render_finding(finding, SOURCE, "#", unnamed="At the centre")
    assert '<li class="cw-group"><p class="cw-group-title cw-group-place"><em>At the centre</em></p>' in html
    assert '<li class="cw-group">\n<ul>' in render.render_finding(finding, SOURCE, "#")
