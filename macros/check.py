"""python -m macros.check: validate the data and every page without building (python -m publish checks the built site).

Reports every problem at once, each with file, line and fix; exits 1 if there
are any. The source checks are fast enough to run on every save.
"""

from __future__ import annotations

import argparse
import posixpath
import re
import sys
from pathlib import Path

from .course import CourseModel, load_model
from .errors import Problem, closest, format_problems
from .markup import find_links
from .nav import check_nav
from .pages import split_source
from .reference import refresh
from .renames import check_renames
from .scaffold import placeholder_problems

TEMPLATE_LINE = re.compile(r"""^template:\s*["']?(.*?)["']?\s*$""")
UTF8_FIX = "save it as UTF-8 (most editors offer this under 'Save with encoding')."


def check_links(display: str, src: str, text: str, docs_dir: Path, pages: list[str], theme_dir: Path | None) -> list[Problem]:
    """A page's links and images: pages that exist, images that exist and carry alt text."""
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
                        f"the image `{link.target}` does not exist (looked for docs/{target}).",
                        "add the image file to docs/ or correct its name; paths are relative to this page.",
                    )
                )
        elif link.path.endswith(".md") and target not in pages:
            problems.append(
                Problem(
                    display,
                    link.line,
                    f"the link `{link.target}` points to a page that does not exist (docs/{target}).",
                    closest(target, set(pages) - {src}),
                )
            )
    return problems


def in_reading_order(problems: list[Problem]) -> list[Problem]:
    """Each problem once, file by file and line by line, the order an author fixes them in."""
    return sorted(set(problems), key=lambda p: (p.path, p.line, p.message))


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


def check_sources(model: CourseModel, *, macro_calls: bool = True) -> list[Problem]:
    """Every problem in the data files, the cohort manifests, the Markdown pages and the navigation of the build's model.

    With macro_calls=False, each page's front matter and macro calls are left to the step that renders it
    (python -m publish renders every page once, and checks it as it does), so no page is checked twice.
    """
    theme = model.config["theme"]
    theme_dir = Path(theme.custom_dir) if theme.custom_dir else None
    templates = theme_templates(theme_dir)
    # Issue 6: every cohort manifest beside docs/ is data too, checked with the same messages.
    problems = list(model.problems) + [problem for _, found in model.manifests.values() for problem in found]
    pages = list(model.pages)
    for page in model.pages.values():
        if page.text is None:
            problems.append(Problem(page.display, page.undecodable_at, "the page is not valid UTF-8 text.", UTF8_FIX))
            continue
        if model.data is not None and macro_calls:
            problems += model.checked(page.src_path).problems
        problems += check_links(page.display, page.src_path, page.text, model.settings.docs_dir, pages, theme_dir)
        problems += check_template(page.display, page.text, templates)
    problems += check_nav(model) + model.session_problems + placeholder_problems(model)
    return in_reading_order(problems)


def write_reference(path: Path) -> int:
    """Refresh the generated macro table in path; 1 with a message if its markers are missing."""
    try:
        path.write_text(refresh(path.read_text(encoding="utf-8")), encoding="utf-8")
    except (OSError, ValueError) as error:
        print(f"{path}: {error}", file=sys.stderr)
        return 1
    print(f"Refreshed the macro reference in {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m macros.check", description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="mkdocs.yml", type=Path, help="the MkDocs config (default: mkdocs.yml)")
    parser.add_argument("--write-reference", type=Path, metavar="FILE", help="refresh the macro reference between its markers in FILE (CONTRIBUTING.md)")
    args = parser.parse_args(argv)
    if args.write_reference is not None:
        return write_reference(args.write_reference)
    model = load_model(args.config)
    problems = check_sources(model)
    # Issue 18: against the revision `make changes` compares with; data that does not load is reported above.
    if model.data is not None:
        problems = in_reading_order(problems + check_renames(model.settings.docs_dir, model.data))
    if problems:
        print(format_problems(problems), file=sys.stderr)
        return 1
    print("Content check passed: data and every page are valid.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
