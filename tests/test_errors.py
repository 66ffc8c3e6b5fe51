"""End to end: each kind of mistake a faculty member can make fails the check with the exact message, file and line.

Each case drops one small broken fixture (tests/fixtures/broken/) into a private copy of the project.
Source mistakes are caught by `make check` (python -m macros.check) without building; the rest by `make site`
(python -m publish), which then publishes nothing.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import FIXTURES, ROOT, SAMPLE_COHORT, edit_page, run

from macros.check import main as check_main
from macros.checks.built import check_built_site
from macros.course import load_model
from macros.data import load_course
from macros.markup import html_tags
from publish.built import read_site

BROKEN = FIXTURES / "broken"
PAGE = "docs/broken.md"
FIX_FIRST = "Nothing was published. Fix the lines above, then run `make check` again."


def add_page(project: Path, fixture: str, in_nav: bool = True) -> None:
    """Copy a broken page fixture in as docs/broken.md, listed in the nav unless asked not to."""
    shutil.copy(BROKEN / fixture, project / "docs" / "broken.md")
    if in_nav:
        config = project / "mkdocs.yml"
        text = config.read_text(encoding="utf-8")
        assert "\nnav:\n" in text
        config.write_text(text.replace("\nnav:\n", "\nnav:\n  - Broken: broken.md\n", 1), encoding="utf-8")


def append_record(project: Path, fixture: str, data_file: str) -> int:
    """Append a broken record to a data file; returns how many lines came before it."""
    path = project / "docs" / "data" / data_file
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    path.write_text(text + (BROKEN / fixture).read_text(encoding="utf-8"), encoding="utf-8")
    return text.count("\n")


@pytest.fixture
def check(project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run `make check`'s entry point in the project copy; gives (exit status, what it printed to stderr)."""
    monkeypatch.chdir(project)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)

    def run_check() -> tuple[int, str]:
        status = check_main([])
        return status, capsys.readouterr().err

    return run_check


def problem(path: str, line: int, message: str, fix: str) -> str:
    return f"{path}:{line}: {message}\n    Fix: {fix}"


# fixture, how it is added, the exact problem it must produce (line in the fixture file).
SOURCE_CASES = {
    "unknown-macro.md": (8, "there is no macro called `findings`.", "did you mean 'finding'? The macro reference lists them all."),
    "unknown-id.md": (
        8,
        "`finding(\"five-key-action\")`: there is no finding in docs/data/findings.yml with the id 'five-key-action'.",
        "did you mean 'five-key-actions'?",
    ),
    "jinja-syntax.md": (
        8,
        "the macro syntax is broken: unexpected '}', expected ')'.",
        'a macro call looks like {{ finding("five-key-actions") }}: check the double braces, brackets and quotes on this line.'
        " To show braces as text, wrap them in {% raw %}…{% endraw %}.",
    ),
    "broken-link.md": (8, "the link `pre-wrok.md` points to a page that does not exist (docs/pre-wrok.md).", "did you mean 'pre-work.md'?"),
    "absolute-link.md": (
        8,
        "the link `/pre-work/` starts with `/`, so it breaks when the site is served from a folder (as on GitHub Pages).",
        "link relative to this page instead, e.g. [pre-work](pre-work.md).",
    ),
    "missing-image.md": (
        8,
        "the image `images/triangle.png` does not exist (looked for docs/images/triangle.png).",
        "add the image file to docs/ or correct its name; paths are relative to this page.",
    ),
    "missing-alt.md": (
        8,
        "the image `broken.png` has no alt text, so a screen reader cannot describe it.",
        "describe the picture in the brackets: ![A chart of the three barriers](barriers.png).",
    ),
    "latin1.md": (8, "the page is not valid UTF-8 text.", "save it as UTF-8 (most editors offer this under 'Save with encoding')."),
    "front-matter-code.md": (
        2,
        "the front matter holds template code (`{{` or `{%`); front matter is never run as a template.",
        "write plain text here; macros belong in the page body.",
    ),
    "unknown-template.md": (
        2,
        "the front matter names the template `../../../../etc/passwd`, which the theme does not have.",
        "remove the line: pages use the standard layout. To choose another, use one of '404.html', 'base.html', 'blog-post.html', 'blog.html',"
        " 'main.html', 'redirect.html'.",
    ),
    "template-injection.md": (
        8,
        "the name `__globals__` is not allowed: names starting with an underscore reach Python internals.",
        "remove it; pages may only call macros with quoted ids.",
    ),
    "file-inclusion.md": (
        8,
        "`{% include %}` is not allowed in a page.",
        'pages may only call macros, like {{ reflection("your-top-challenge") }};'
        " loops, conditions, includes and imports belong in macros/ (ask a maintainer).",
    ),
}


@pytest.mark.parametrize("fixture", sorted(SOURCE_CASES))
def test_each_page_mistake_fails_the_check_with_file_line_and_fix(project: Path, check, fixture: str) -> None:  # type: ignore[no-untyped-def]
    add_page(project, fixture)
    if fixture == "missing-alt.md":
        shutil.copy(BROKEN / "broken.png", project / "docs" / "broken.png")
    status, printed = check()
    line, message, fix = SOURCE_CASES[fixture]
    assert status == 1
    assert printed.startswith("The course content has 1 problem:\n")
    assert problem(PAGE, line, message, fix) in printed
    assert printed.rstrip().endswith(FIX_FIRST)
    assert "Traceback" not in printed


def test_a_page_missing_from_the_nav_is_named_with_the_line_to_add(project: Path, check) -> None:  # type: ignore[no-untyped-def]
    add_page(project, "orphan.md", in_nav=False)
    status, printed = check()
    assert status == 1
    fix = "add a line `- Title: broken.md` under `nav:` in mkdocs.yml, or delete the page."
    assert problem(PAGE, 1, "the page is not in the navigation, so readers cannot reach it.", fix) in printed


def test_a_nav_entry_naming_no_page_is_named_with_its_line_in_mkdocs_yml(project: Path, check) -> None:  # type: ignore[no-untyped-def]
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(": pre-work.md", ": prework.md", 1), encoding="utf-8")
    line = config.read_text(encoding="utf-8").splitlines().index("      - Pre-work: prework.md") + 1
    status, printed = check()
    assert status == 1
    message = "the navigation lists `prework.md`, but there is no such page in docs/."
    assert problem("mkdocs.yml", line, message, "did you mean 'pre-work.md' or 'resources.md'?") in printed


def test_raw_script_and_inline_handlers_are_refused_on_their_lines(project: Path, check) -> None:  # type: ignore[no-untyped-def]
    add_page(project, "raw-script.md")
    status, printed = check()
    assert status == 1
    assert printed.startswith("The course content has 2 problems:\n")
    script_fix = "remove it; scripts and styles belong in overrides/assets/ and are added by a maintainer."
    script = "the page holds a raw `<script>` tag, which is not allowed in a page: it would run code in the reader's browser."
    assert problem(PAGE, 8, script, script_fix) in printed
    handler = "the `<a>` tag has an inline event handler `onclick=`, which would run code in the reader's browser."
    assert problem(PAGE, 9, handler, HANDLER_FIX) in printed


HANDLER_FIX = "remove the attribute; pages hold text, links and images only."
LINK_FIX = "link to a page of this site or to a web address (https://...) instead."
IMAGE_FIX = "save the picture in docs/ (for example docs/images/) and show it with ![description](images/picture.png)."
TEXT_ONLY = "remove it; pages hold text, links and images; see CONTRIBUTING.md, 'What a page may hold'."


def _tag(tag: str, reason: str) -> tuple[str, str]:
    return f"the page holds a raw `<{tag}>` tag, which is not allowed in a page: {reason}.", TEXT_ONLY


# Hostile content (issue 18): what a line of a page says, and the one problem it must produce on that line.
HOSTILE_CASES: dict[str, tuple[str, tuple[str, str]]] = {
    "raw onclick": (
        '<p onclick="steal()">Read on</p>',
        ("the `<p>` tag has an inline event handler `onclick=`, which would run code in the reader's browser.", HANDLER_FIX),
    ),
    "onerror in any case": (
        "<img src=x.png alt=x ONERROR=steal()>",
        ("the `<img>` tag has an inline event handler `onerror=`, which would run code in the reader's browser.", HANDLER_FIX),
    ),
    "attr_list onclick": (
        '## A heading {: onclick="steal()" }',
        ('the attribute list `{: onclick="steal()" }` has an inline event handler `onclick=`, which would run code in the reader\'s browser.', HANDLER_FIX),
    ),
    "attr_list javascript href": (
        '[Open](#top){: href="javascript:steal()" }',
        ('the attribute list `{: href="javascript:steal()" }` points to a `javascript:` address, which would run code in the reader\'s browser.', LINK_FIX),
    ),
    "javascript: link": (
        "[Open](javascript:steal())",
        ("the link [Open] points to a `javascript:` address, which would run code in the reader's browser.", LINK_FIX),
    ),
    "javascript: hidden by a tab": (
        '<a href="java&#x09;script:steal()">Open</a>',
        ("the `<a>` tag points to a `javascript:` address, which would run code in the reader's browser.", LINK_FIX),
    ),
    "data: link": (
        "[Open](data:text/html,hello)",
        ("the link [Open] points to a `data:` address, which can hide a page or a script inside the link.", LINK_FIX),
    ),
    "form with external action": (
        '<form action="https://collector.example/notes">',
        _tag("form", "it would send what the reader types to another address"),
    ),
    "iframe": ('<iframe src="https://example.org/"></iframe>', _tag("iframe", "it would show another site inside this page")),
    "object": ('<object data="movie.swf"></object>', _tag("object", "it would run a plug-in or show another file inside this page")),
    "embed": ('<embed src="movie.swf">', _tag("embed", "it would run a plug-in or show another file inside this page")),
    "base": ('<base href="https://example.org/">', _tag("base", "it would send every link on the page somewhere else")),
    "meta refresh": (
        '<meta http-equiv="refresh" content="0; url=https://example.org/">',
        _tag("meta", "it could send the reader to another page or change how the page loads"),
    ),
    "link": ('<link rel="stylesheet" href="https://example.org/x.css">', _tag("link", "it would load a file, perhaps from another host")),
    "style element": (
        "<style>@import url(https://example.org/x.css);</style>",
        (
            "the page holds a raw `<style>` tag, which is not allowed in a page: page styles belong in overrides/assets/, where a maintainer adds them.",
            "remove it; scripts and styles belong in overrides/assets/ and are added by a maintainer.",
        ),
    ),
    "external image": (
        '<img src="https://tracker.example/pixel.png" alt="">',
        ("the `<img>` tag loads `https://tracker.example/pixel.png` from another host, so the reader's browser would contact it.", IMAGE_FIX),
    ),
    "external Markdown image": (
        "![A chart](//tracker.example/chart.png)",
        ("the image `//tracker.example/chart.png` loads `//tracker.example/chart.png` from another host, so the reader's browser would contact it.", IMAGE_FIX),
    ),
    "style with an external url()": (
        '<p style="background: u\\72l(https://tracker.example/x.png)">Text</p>',
        (
            'the `<p>` tag has a style that loads a file (`style="background: u\\72l(https://tracker.example/x.png)"`), so the reader\'s browser could contact another host.',
            f"remove the url(); {IMAGE_FIX}",
        ),
    ),
    "video": ('<video src="https://example.org/a.mp4"></video>', _tag("video", "it would load video, perhaps from another host")),
    "svg use": ('<svg><use href="https://example.org/i.svg#a"></use></svg>', _tag("use", "it would draw a picture from another file")),
    "comment a browser ends early": (
        "<!-- --!><img src=x.png alt=x onerror=steal()> -->",
        (
            "the page holds an HTML comment with markup inside, which a browser may read differently from this check and show as part of the page.",
            "remove it; a comment for other authors may not hold < or > (write it as plain text).",
        ),
    ),
    "text box": ("<textarea>Notes</textarea>", _tag("textarea", "the site's own boxes keep a reader's notes; a page may not add one")),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_CASES))
def test_each_kind_of_hostile_content_is_refused_on_its_line(project: Path, check, case: str) -> None:  # type: ignore[no-untyped-def]
    line, (message, fix) = HOSTILE_CASES[case]
    page = (BROKEN / "raw-script.md").read_text(encoding="utf-8").split("<script>")[0]
    (project / "docs" / "broken.md").write_text(page + line + "\n", encoding="utf-8")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("\nnav:\n", "\nnav:\n  - Broken: broken.md\n", 1), encoding="utf-8")
    status, printed = check()
    assert status == 1 and "Traceback" not in printed
    assert problem(PAGE, 8, message, fix) in printed, printed


def test_hostile_text_in_a_data_record_or_cohort_manifest_is_shown_as_text() -> None:
    from macros.data import load_course
    from macros.render import render_cohort, render_prompt

    hostile = '<img src=x onerror="steal()"><a href="javascript:steal()">x</a>'
    prompt = next(iter(load_course(ROOT / "docs").prompts.values()))
    cohort = load_model(ROOT / "mkdocs.yml", cohort=SAMPLE_COHORT).build.cohort
    assert cohort is not None
    for html in (
        render_prompt(prompt.model_copy(update={"text": hostile, "title": hostile})),
        render_cohort("x", cohort.model_copy(update={"name": hostile, "place": hostile})),
    ):
        tags = html_tags(html)
        assert not [
            tag
            for tag in tags
            if tag.name in ("img", "script") or any(name.startswith("on") or "javascript" in (value or "") for name, value in tag.attributes)
        ]
        assert "&lt;img src=x onerror=" in html


def test_a_built_page_the_allow_list_refuses_is_named_and_fails_the_build(built_copy: Path) -> None:
    def plant(soup: BeautifulSoup) -> None:
        soup.select_one("article p").append(BeautifulSoup('<button onclick="steal()">Go</button>', "lxml").button)
        soup.head.append(BeautifulSoup('<script src="https://tracker.example/x.js"></script>', "lxml").script)
        # As a nav title written unescaped would: an inline script where no template writes one.
        soup.select_one("nav.md-nav a").append(BeautifulSoup("<script>steal()</script>", "lxml").script)

    edit_page(built_copy, "pre-work.md", plant)
    found = [(p.path, p.message) for p in check_built_site(read_site(built_copy), load_model(ROOT / "mkdocs.yml"))]
    assert (
        "docs/pre-work.md",
        "the built page `pre-work/index.html`: the page holds a raw `<button>` tag, which is not allowed in a page: buttons belong to the site's own features, not to a page.",
    ) in found
    assert (
        "docs/pre-work.md",
        "the built page `pre-work/index.html`: the `<script>` tag loads `https://tracker.example/x.js` from another host, so the reader's browser would contact it.",
    ) in found
    stray = "the built page `pre-work/index.html` holds an inline script inside <a>, where the site's templates write none:"
    assert ("docs/pre-work.md", stray + " text written into the page unescaped (a title, a description, a nav title) has let it in.") in found


def test_markup_in_a_title_description_or_nav_title_is_refused_on_its_line(project: Path, check) -> None:  # type: ignore[no-untyped-def]
    page = project / "docs" / "pre-work.md"
    text = page.read_text(encoding="utf-8")
    assert text.splitlines()[2].startswith('description: "')
    page.write_text(text.replace('description: "', 'description: "\\"><script>steal()</script>', 1), encoding="utf-8")
    config = project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("      - Pre-work: pre-work.md", "      - Pre-work<script>steal()</script>: pre-work.md", 1),
        encoding="utf-8",
    )
    line = config.read_text(encoding="utf-8").splitlines().index("      - Pre-work<script>steal()</script>: pre-work.md") + 1
    status, printed = check()
    assert status == 1 and "Traceback" not in printed
    fix = 'write it without <, > and straight double quotes ("): use words, or typographic quotes “ ”.'
    where = "which the theme writes into the page's HTML as it is, where it could add a tag or leave an attribute."
    assert problem("docs/pre-work.md", 3, f"the front matter's `description:` holds `<` `>` `\"`, {where}", fix) in printed
    nav = "the navigation title `Pre-work<script>steal()</script>` holds `<` `>`, which the theme writes into every page's HTML as it is,"
    assert problem("mkdocs.yml", line, nav + " where it could add a tag or leave an attribute.", fix) in printed


DATA_CASES = {
    "malformed.yml": (
        "findings.yml",
        2,
        "the YAML could not be read: mapping values are not allowed here.",
        'text that contains ": " must be in quotes, e.g. text: "Entry point: a start".',
    ),
    "schema-violation.yml": (
        "findings.yml",
        4,
        "finding 'no-items-yet' has an unknown field `colour:`.",
        "remove it; allowed fields are `id`, `intro`, `items`, `numbered`, `source`, `title`.",
    ),
    "duplicate-id.yml": (
        "prompts.yml",
        1,
        "the id 'your-collaboration' is already used at docs/data/prompts.yml:{first}.",
        "ids must be unique: rename one of the two (ids are permanent, so rename the new one).",
    ),
    "python-tag.yml": (
        "findings.yml",
        1,
        "the YAML tag `!!python/object/apply:os.system` is not allowed.",
        "remove the tag; write plain text, numbers and lists.",
    ),
}


@pytest.mark.parametrize("fixture", sorted(DATA_CASES))
def test_each_data_mistake_fails_the_check_with_file_line_and_fix(project: Path, check, fixture: str) -> None:  # type: ignore[no-untyped-def]
    data_file, line, message, fix = DATA_CASES[fixture]
    before = append_record(project, fixture, data_file)
    first = 1 + (project / "docs" / "data" / "prompts.yml").read_text(encoding="utf-8").splitlines().index("- id: your-collaboration")
    status, printed = check()
    assert status == 1
    assert problem(f"docs/data/{data_file}", before + line, message.format(first=first), fix) in printed
    assert "Traceback" not in printed
    # A YAML tag is only ever read as text: nothing it names was run.
    assert not (project / "PWNED").exists()


def test_a_missing_data_file_is_named_with_its_fix(project: Path, check) -> None:  # type: ignore[no-untyped-def]
    (project / "docs" / "data" / "prompts.yml").unlink()
    status, printed = check()
    assert status == 1
    assert problem("docs/data/prompts.yml", 1, "the prompt file is missing.", "restore docs/data/prompts.yml from git.") in printed


def test_every_problem_is_reported_at_once_and_annotated_on_github(project: Path) -> None:
    add_page(project, "unknown-macro.md")
    shutil.copy(BROKEN / "raw-script.md", project / "docs" / "second.md")
    result = run([sys.executable, "-m", "macros.check"], cwd=project, GITHUB_ACTIONS="true")
    assert result.returncode == 1
    assert result.stderr.startswith("The course content has 4 problems:\n")
    # The same problems again as annotations, so GitHub shows each on its line of the pull request.
    annotation = "::error file=docs/broken.md,line=8::there is no macro called `findings`. Fix: did you mean 'finding'? The macro reference lists them all.\n"
    assert annotation in result.stderr
    assert "::error file=docs/second.md,line=8::the page holds a raw `<script>` tag" in result.stderr
    assert "::error file=docs/second.md,line=1::the page is not in the navigation" in result.stderr


def _publish(project: Path) -> tuple[int, str]:
    """`make site` in the project copy, into a site/ that already holds a previous build."""
    site = project / "site"
    site.mkdir()
    (site / "index.html").write_text("previous build", encoding="utf-8")
    result = run([sys.executable, "-m", "publish", "--site-dir", "site", "--no-pdf"], cwd=project)
    return result.returncode, result.stdout + result.stderr


def _assert_previous_site_untouched(project: Path) -> None:
    assert sorted(p.name for p in (project / "site").iterdir()) == ["index.html"]
    assert (project / "site" / "index.html").read_text(encoding="utf-8") == "previous build"
    assert not list(project.glob(".build-*")), "a scratch build was left behind"


def test_a_broken_anchor_fails_the_site_build_and_publishes_nothing(project: Path) -> None:
    add_page(project, "broken-anchor.md")
    status, printed = _publish(project)
    assert status == 1
    assert (
        problem(
            PAGE,
            8,
            "the link `what-to-expect.md#the-case-hartford` points to an anchor `#the-case-hartford` that is not on what-to-expect.md.",
            "did you mean 'case-hartford-case' or 'the-case-hartford-connecticut'?",
        )
        in printed
    )
    assert "The course content has 1 problem:" in printed
    _assert_previous_site_untouched(project)


def test_a_duplicate_id_and_an_unused_record_fail_the_site_build(project: Path) -> None:
    add_page(project, "duplicate-html-id.md")
    before = append_record(project, "unused-record.yml", "findings.yml")
    status, printed = _publish(project)
    assert status == 1
    duplicate = "the id `finding-five-key-actions` is used 2 times on this page, so links to it are ambiguous."
    assert problem(PAGE, 8, duplicate, "show each record once per page, and give headings different titles or ids.") in printed
    assert (
        problem(
            "docs/data/findings.yml",
            before + 1,
            "finding 'a-finding-no-page-shows' is not shown on any page.",
            'show it with {{ finding("a-finding-no-page-shows") }} on the page it belongs to, or delete the record.',
        )
        in printed
    )
    _assert_previous_site_untouched(project)


@pytest.mark.parametrize("fixture", ["template-injection.md", "file-inclusion.md"])
def test_injection_and_inclusion_run_nothing_and_leak_nothing(project: Path, fixture: str) -> None:
    add_page(project, fixture)
    line, message, fix = SOURCE_CASES[fixture]
    # Through `make site`: refused before any build, the previous site left as it was.
    status, printed = _publish(project)
    assert status == 1
    assert problem(PAGE, line, message, fix) in printed
    _assert_previous_site_untouched(project)
    # Through a plain `mkdocs build`, which skips the content check: the page is still refused, by the macros hook.
    out = project / "plain-build"
    result = run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)], cwd=project)
    assert result.returncode != 0
    assert f"{PAGE}:{line}: {message}" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    # Nothing ran (the payload would have created PWNED) and nothing from /etc/passwd reached any output.
    assert not (project / "PWNED").exists()
    written = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    assert not any("root:" in p.read_text(encoding="utf-8", errors="replace") for p in written)
    assert not (out / "broken" / "index.html").exists()


def test_template_code_in_a_title_is_refused_and_in_data_is_shown_as_text_never_run(project: Path) -> None:
    payload = "{{ cycler.__init__.__globals__.os.popen('touch PWNED').read() }}"
    prompts = project / "docs" / "data" / "prompts.yml"
    text = prompts.read_text(encoding="utf-8")
    prompts.write_text(text.replace('text: "Pick one collaboration', f'text: "{payload} Pick one collaboration', 1), encoding="utf-8")
    page = project / "docs" / "pre-work.md"
    page.write_text(page.read_text(encoding="utf-8").replace('title: "', f'title: "{payload}', 1), encoding="utf-8")
    # `make check` names the title; the data text is only ever text.
    result = run([sys.executable, "-m", "macros.check"], cwd=project)
    assert result.returncode == 1
    assert "docs/pre-work.md:2: the front matter holds template code (`{{` or `{%`); front matter is never run as a template." in result.stderr
    # A plain `mkdocs build` refuses the title too; with the title put back, it shows the data's braces as written.
    out = project / "plain-build"
    result = run([sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(out)], cwd=project)
    assert result.returncode != 0 and "docs/pre-work.md:2: the front matter holds template code" in result.stdout + result.stderr
    page.write_text(page.read_text(encoding="utf-8").replace(f'title: "{payload}', 'title: "', 1), encoding="utf-8")
    result = run([sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(out)], cwd=project)
    assert result.returncode == 0, result.stderr
    assert not (project / "PWNED").exists()
    html = (out / "pre-work" / "index.html").read_text(encoding="utf-8")
    assert "cycler.__init__.__globals__.os.popen(&#39;touch PWNED&#39;).read()" in html or "cycler.__init__.__globals__.os.popen('touch PWNED').read()" in html


def test_a_strategic_triangle_that_cannot_be_drawn_is_named_with_its_groups(project: Path, check) -> None:  # type: ignore[no-untyped-def]
    findings = project / "docs" / "data" / "findings.yml"
    text = findings.read_text(encoding="utf-8")
    item = '{stage: 2, text: "Set up communication channels"}'
    assert item in text
    findings.write_text(text.replace(item, '{group: "Communication", stage: 2, text: "Set up communication channels"}'), encoding="utf-8")
    record = f"docs/data/findings.yml:{text[: text.index('- id: strategic-triangle')].count(chr(10)) + 1}"
    # Each call that draws it is named, on its own line of the page.
    calls = [n for n, line in enumerate((project / "docs" / "synthesis.md").read_text(encoding="utf-8").splitlines(), start=1) if "strategic_triangle(" in line]
    status, printed = check()
    assert status == 1 and "Traceback" not in printed
    fix = 'show it as a list with {{ finding("strategic-triangle") }}, or change its items in docs/data/findings.yml to fit the triangle.'
    shape = (
        "cannot be drawn as a triangle: a triangle has three named areas at its corners and the items without a group at its centre, "
        "so it needs 3 group names and at least one item without a group; it has"
    )
    for stage, line in enumerate(calls, start=1):
        message = (
            f"`strategic_triangle(stage={stage})`: the finding 'strategic-triangle' ({record}) {shape} 4 ('Legitimacy & Support', 'Public Value', "
            "'Operational Capacity', 'Communication') and 5 without a group."
        )
        assert problem("docs/synthesis.md", line, message, fix) in printed
    # A triangle with nothing at its centre cannot be drawn either.
    findings.write_text(text.replace("{stage: ", '{group: "Public Value", stage: '), encoding="utf-8")
    status, printed = check()
    message = (
        f"`strategic_triangle(stage=1)`: the finding 'strategic-triangle' ({record}) {shape} 3 ('Legitimacy & Support', 'Public Value', "
        "'Operational Capacity') and 0 without a group."
    )
    assert status == 1 and problem("docs/synthesis.md", calls[0], message, fix) in printed


def test_any_finding_of_the_right_shape_is_drawn_and_one_that_does_not_fit_is_named(project: Path, check) -> None:  # type: ignore[no-untyped-def]
    page = project / "docs" / "how-to-make-progress.md"
    text = page.read_text(encoding="utf-8")
    # A cycle of another finding of its shape passes; a finding of the wrong shape, or a stage it lacks, is named on its line.
    drawn = '{{ cycle("entry-point-criteria") }}\n\n{{ cycle("capabilities") }}\n\n{{ triangle("top-three-challenges") }}\n\n'
    drawn += '{{ triangle("strategic-triangle", stage=4) }}\n\n{{ triangle("strategic-triangle", stage=2) }}\n'
    page.write_text(text + "\n" + drawn, encoding="utf-8")
    first = text.count("\n") + 2
    findings = (project / "docs" / "data" / "findings.yml").read_text(encoding="utf-8").splitlines()

    def at(record_id: str) -> str:
        return f"docs/data/findings.yml:{findings.index(f'- id: {record_id}') + 1}"

    status, printed = check()
    assert status == 1 and "Traceback" not in printed
    assert "entry-point-criteria" not in printed and "stage=2" not in printed
    shown = [p for p in printed.split("\n") if p.startswith("docs/how-to-make-progress.md:")]
    assert len(shown) == 3, printed
    assert (
        problem(
            "docs/how-to-make-progress.md",
            first + 2,
            f"`cycle('capabilities')`: the finding 'capabilities' ({at('capabilities')}) cannot be drawn as a cycle: a cycle draws 3 to 6 items round the "
            "finding's title, none with a `group:` or a `stage:`; it has 6 items, 6 with a group and 0 with a stage.",
            'show it as a list with {{ finding("capabilities") }}, or change its items in docs/data/findings.yml to fit the cycle.',
        )
        in printed
    )
    assert (
        problem(
            "docs/how-to-make-progress.md",
            first + 4,
            f"`triangle('top-three-challenges')`: the finding 'top-three-challenges' ({at('top-three-challenges')}) cannot be drawn as a triangle: "
            "a triangle has three named areas at its corners and the items without a group at its centre, so it needs 3 group names and at least one "
            "item without a group; it has 3 ('Substance', 'Accountability', 'Teaming') and 0 without a group.",
            'show it as a list with {{ finding("top-three-challenges") }}, or change its items in docs/data/findings.yml to fit the triangle.',
        )
        in printed
    )
    assert (
        f"docs/how-to-make-progress.md:{first + 6}: `triangle('strategic-triangle', stage=4)` asks for a stage the finding 'strategic-triangle' "
        f"({at('strategic-triangle')}) does not have.\n    Fix: use a whole number from 1 to 3."
    ) in printed


# Issue 18: a reflection's former ids (`formerly:`) and retired ids (docs/data/retired-prompts.yml) name one answer store each.

REFLECTION_IDS = [p.id for p in load_course(ROOT / "docs").prompts.values() if p.kind == "reflection"]
NEW_PROMPT = '- id: {new}\n  kind: {kind}\n  title: "A prompt under a new id"\n  text: "What would you ask?"\n{more}'
# case -> (records appended to prompts.yml, retired-prompts.yml or None, the file and line (1-based, in what was added), message, fix).
RENAME_CASES = {
    "formerly-a-current-id": (
        NEW_PROMPT.format(new="renamed-prompt", kind="reflection", more="  formerly: [{current}]\n"),
        None,
        ("prompts.yml", 5),
        "prompt 'renamed-prompt' lists '{current}' under `formerly:`, but '{current}' is the id of a record now (docs/data/prompts.yml:{where}).",
        "`formerly:` lists only ids no record has any more; remove it from the list (or, if you renamed that record, give it back its new id).",
    ),
    "formerly-twice": (
        NEW_PROMPT.format(new="first-heir", kind="reflection", more="  formerly: [a-gone-prompt]\n")
        + NEW_PROMPT.format(new="second-heir", kind="reflection", more="  formerly:\n    - a-gone-prompt\n"),
        None,
        ("prompts.yml", 11),
        "the former id 'a-gone-prompt' is listed again (first at docs/data/prompts.yml:{before_plus_5}), "
        "so the journal could not tell which prompt its answers move to.",
        "keep it under the one prompt that replaced it and remove it here.",
    ),
    "formerly-on-a-discussion": (
        NEW_PROMPT.format(new="renamed-talk", kind="discussion", more="  minutes: 5\n  formerly: [a-gone-talk]\n"),
        None,
        ("prompts.yml", 1),
        "prompt 'renamed-talk': a discussion keeps no answers, so it has no `formerly:`; remove it (to retire a reflection's id, see CONTRIBUTING.md).",
        "",
    ),
    "retired-a-current-id": (
        "",
        "- {current}\n",
        ("retired-prompts.yml", 1),
        "'{current}' is retired, but it is the id of a record now (docs/data/prompts.yml:{where}).",
        "remove it from this file; only ids no record has any more can be retired.",
    ),
    "retired-and-formerly": (
        NEW_PROMPT.format(new="renamed-prompt", kind="reflection", more="  formerly: [a-gone-prompt]\n"),
        "- a-gone-prompt\n",
        ("retired-prompts.yml", 1),
        "'a-gone-prompt' is retired here and also listed as a former id at docs/data/prompts.yml:{before_plus_5}.",
        "keep one: `formerly:` if that prompt replaced it (answers move there), or this line if it was removed.",
    ),
    "retired-not-an-id": (
        "",
        "- Old Prompt\n",
        ("retired-prompts.yml", 1),
        "`Old Prompt` is not a prompt id.",
        "write the id exactly as it was in docs/data/prompts.yml, after a dash: `- old-prompt-id`.",
    ),
}


@pytest.mark.parametrize("case", sorted(RENAME_CASES))
def test_each_former_or_retired_id_mistake_fails_the_check_with_file_line_and_fix(project: Path, check, case: str) -> None:  # type: ignore[no-untyped-def]
    records, retired, (data_file, line), message, fix = RENAME_CASES[case]
    prompts = project / "docs" / "data" / "prompts.yml"
    text = prompts.read_text(encoding="utf-8")
    before = text.count("\n")
    current = REFLECTION_IDS[0]
    prompts.write_text(text + records.format(current=current), encoding="utf-8")
    if retired is not None:
        (project / "docs" / "data" / "retired-prompts.yml").write_text(retired.format(current=current), encoding="utf-8")
    where = 1 + text.splitlines().index(f"- id: {current}")
    status, printed = check()
    assert status == 1
    at = before + line if data_file == "prompts.yml" else line
    expected = message.format(current=current, where=where, before_plus_5=before + 5)
    assert (problem(f"docs/data/{data_file}", at, expected, fix) if fix else f"docs/data/{data_file}:{at}: {expected}") in printed, printed
    assert "Traceback" not in printed


def git(repo: Path, *args: str) -> None:
    result = run(["git", "-c", "user.name=Course Editor", "-c", "user.email=editor@example.org", *args], cwd=repo)
    assert result.returncode == 0, result.stderr


def rename_reflection(project: Path, old: str, new: str, formerly: bool) -> None:
    """Give a reflection a new id in the data and on every page that asks it, with or without `formerly:`."""
    prompts = project / "docs" / "data" / "prompts.yml"
    extra = f"  formerly: [{old}]\n" if formerly else ""
    prompts.write_text(prompts.read_text(encoding="utf-8").replace(f"- id: {old}\n", f"- id: {new}\n{extra}"), encoding="utf-8")
    for page in (project / "docs").rglob("*.md"):
        page.write_text(page.read_text(encoding="utf-8").replace(f'reflection("{old}")', f'reflection("{new}")'), encoding="utf-8")


def test_a_reflection_id_readers_may_have_answered_cannot_vanish_without_formerly_or_retired(project: Path, check) -> None:  # type: ignore[no-untyped-def]
    old = REFLECTION_IDS[0]
    title = load_course(ROOT / "docs").prompts[old].title
    # Without git history there is nothing to compare with, and nothing is said.
    rename_reflection(project, old, "a-new-id", formerly=False)
    assert check() == (0, "")
    rename_reflection(project, "a-new-id", old, formerly=False)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "The course as readers answered it")
    base = run(["git", "rev-parse", "--short=7", "HEAD"], cwd=project).stdout.strip()

    rename_reflection(project, old, "a-new-id", formerly=False)
    status, printed = check()
    line = 1 + (project / "docs" / "data" / "prompts.yml").read_text(encoding="utf-8").splitlines().index("- id: a-new-id")
    message = (
        f"the reflection prompt '{old}' (“{title}”, at main ({base})) is gone: readers who answered it would find their answer only under "
        "“Answers to prompts no longer in the course”."
    )
    fix = (
        f"if 'a-new-id' replaces it, add `formerly: [{old}]` to prompt 'a-new-id' (the record on this line); "
        f"if you removed it on purpose, add the line `- {old}` to docs/data/retired-prompts.yml."
    )
    assert status == 1 and problem("docs/data/prompts.yml", line, message, fix) in printed, printed

    git(project, "checkout", "-q", "--", ".")
    rename_reflection(project, old, "a-new-id", formerly=True)
    assert check()[0] == 0

    # Retired on purpose instead: also accepted; readers' answers stay in their journal.
    git(project, "checkout", "-q", "--", ".")
    rename_reflection(project, old, "a-new-id", formerly=False)
    (project / "docs" / "data" / "retired-prompts.yml").write_text(f"- {old}\n", encoding="utf-8")
    assert check()[0] == 0


def test_a_page_that_still_asks_a_former_id_is_told_the_new_one(project: Path, check) -> None:  # type: ignore[no-untyped-def]
    old = REFLECTION_IDS[0]
    rename_reflection(project, old, "a-new-id", formerly=True)
    page = next(p for p in sorted((project / "docs").rglob("*.md")) if 'reflection("a-new-id")' in p.read_text(encoding="utf-8"))
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace('reflection("a-new-id")', f'reflection("{old}")', 1), encoding="utf-8")
    line = 1 + next(n for n, row in enumerate(text.splitlines()) if 'reflection("a-new-id")' in row)
    status, printed = check()
    message = f"`reflection(\"{old}\")`: there is no reflection prompt in docs/data/prompts.yml with the id '{old}'."
    assert status == 1
    assert (
        problem(f"docs/{page.relative_to(project / 'docs').as_posix()}", line, message, f"'{old}' was renamed: write {{{{ reflection(\"a-new-id\") }}}}.")
        in printed
    ), printed


def test_an_unknown_resource_theme_says_which_themes_exist_and_where_to_add_one(project: Path, check) -> None:  # type: ignore[no-untyped-def]
    # Themes are data (docs/data/course.yml, `resource_themes:`): a source may name only one of them, and a new one needs no Python.
    sources = project / "docs" / "data" / "sources.yml"
    text = sources.read_text(encoding="utf-8")
    start = text.index("- id: hartford-case")
    at = text.index("theme: collaborative-governance", start)
    sources.write_text(text[:at] + "theme: collaborative-governace" + text[at + len("theme: collaborative-governance") :], encoding="utf-8")
    course = project / "docs" / "data" / "course.yml"
    lines = course.read_text(encoding="utf-8").splitlines()
    bad_key = lines.index('  innovation-and-change: "On managing innovation and change"') + 1
    lines[bad_key - 1] = '  Innovation and change: "On managing innovation and change"'
    course.write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, printed = check()
    assert status == 1 and "Traceback" not in printed
    assert (
        problem(
            "docs/data/course.yml",
            bad_key,
            "the course record: `Innovation and change:` under `resource_themes:` is not a valid id.",
            "ids are lower-case words joined by hyphens, e.g. `urban-problem-solving`.",
        )
        in printed
    )
    # With the course record fixed, the source's theme is checked against the themes it names.
    course.write_text((ROOT / "docs" / "data" / "course.yml").read_text(encoding="utf-8"), encoding="utf-8")
    status, printed = check()
    assert status == 1 and "Traceback" not in printed
    known = "'this-session', 'urban-problem-solving', 'collaborative-governance', 'innovation-and-change'"
    assert (
        problem(
            "docs/data/sources.yml",
            text[:at].count("\n") + 1,
            f"source 'hartford-case' is listed under the resource theme 'collaborative-governace', which is not one of the themes under "
            f"`resource_themes:` in docs/data/course.yml ({known}).",
            "did you mean 'collaborative-governance'? For a new theme, add a line `collaborative-governace: \"Its title\"` under `resource_themes:` "
            "in docs/data/course.yml, in the place the Resources page should list it.",
        )
        in printed
    )


def test_a_new_resource_theme_needs_only_data(project: Path, check) -> None:  # type: ignore[no-untyped-def]
    course = project / "docs" / "data" / "course.yml"
    course.write_text(course.read_text(encoding="utf-8") + '  a-new-theme: "A new theme"\n', encoding="utf-8")
    sources = project / "docs" / "data" / "sources.yml"
    sources.write_text(sources.read_text(encoding="utf-8").replace("theme: innovation-and-change", "theme: a-new-theme"), encoding="utf-8")
    resources = project / "docs" / "resources.md"
    resources.write_text(
        resources.read_text(encoding="utf-8").replace('{{ resource_list("innovation-and-change") }}', '{{ resource_list("a-new-theme") }}'), encoding="utf-8"
    )
    status, printed = check()
    assert (status, printed) == (0, "")
