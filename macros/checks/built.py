"""Checks on the built site that the sources alone cannot answer (see macros/checks): anchors, files, ids, unused
records, calendars no page offers, and the allow-list (macros/allowlist.py) on every element of every HTML file,
whatever wrote it. Each is a function of the site's index (BuiltIndex: the model and the built site, each built page
read once by publish/built.py); BUILT lists them, and check_built_site runs them in the publishing step (python -m
publish), on the scratch build before it is swapped into place.

Each problem still names the Markdown file and line an author edits, found by
matching the link or id back to the page's source.
"""

from __future__ import annotations

import posixpath
from bisect import bisect_right
from collections import Counter
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from ..cohort import CALENDAR_FOLDER
from ..data import CourseData, _display
from ..downloads import HOME_PAGE
from ..errors import Problem, closest
from ..markup import EXTERNAL, find_links
from ..pages import split_source
from . import Check, run

if TYPE_CHECKING:
    from publish.built import BuiltPage, BuiltSite

    from ..course import CourseModel


class _SourceLines:
    """A page's source, searched for the line that mentions one of needles, without scanning every line for each needle."""

    def __init__(self, source: str) -> None:
        lines = source.splitlines()
        self.text = "\n".join(lines)
        self.starts = [0]
        for line in lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def locate(self, needles: list[str], last: bool = False) -> int:
        """The line that mentions one of needles (the last such line if asked), else 1."""
        found = []
        for needle in needles:
            if not needle or "\n" in needle:
                continue  # an empty needle is ignored; one with a line break can match no single line
            position = self.text.rfind(needle) if last else self.text.find(needle)
            if position >= 0:
                found.append(bisect_right(self.starts, position))
        if not found:
            return 1
        return max(found) if last else min(found)


class BuiltIndex:
    """What the built-site checks ask about links, ids and records, from the built site's pages, each read and parsed
    once (publish/built.py), and the build's model."""

    def __init__(self, site: BuiltSite, model: CourseModel, missing_ok: tuple[str, ...] = ()) -> None:
        self.site_dir = site.root
        self.docs_dir = model.settings.docs_dir
        self.data = model.data
        # every source page's text, by its path in docs/ (as the build's course model read it), and where MkDocs wrote it
        self.pages = {src: page.text for src, page in sorted(model.pages.items()) if page.text is not None}
        self.built = {src: model.pages[src].dest_uri for src in self.pages}
        # Files a partial build leaves out on purpose (PDFs under --no-pdf), by suffix.
        self.missing_ok = missing_ok
        self.ids: dict[str, list[str]] = {}
        # What each page's <article> (or the whole page if it has none) links to and shows: (tag, href or src) for
        # every link and then every image, and the images without alt text.
        self.articles: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {}
        # The raw HTML of every page, and the (attribute, value) pairs that show records, for _unused_records.
        self.html: list[bytes] = []
        self.shown: set[tuple[str, str]] = set()
        # What the allow-list refuses on any built page.
        self.refused: list[Problem] = []
        for src in self.pages:
            page = site.pages.get(self.built[src])
            if page is not None:
                self.ids[page.address] = page.ids
                self.articles[src] = (page.targets, page.no_alt)
                self.html.append(page.data)
                self.shown.update(page.records)
                self.refused += self._refused(page, src)
        # Every other HTML file (the 404 page, pages outside the nav) is held to the same allow-list.
        for address, page in site.pages.items():
            if address not in self.ids:
                self.refused += self._refused(page, None)

    def _refused(self, page: BuiltPage, src: str | None) -> list[Problem]:
        """What the allow-list refuses on one built page, each named with the page's source (its line, for the page's
        own content) and what to do."""
        built = page.address
        source = _SourceLines(self.pages[src]) if src is not None else None
        shown = _display(self.docs_dir / src) if src is not None else built
        from publish.built import StrayScript  # the built site's reader, whose findings these are

        problems: list[Problem] = []
        for found in page.refused:
            if isinstance(found, StrayScript):
                problems.append(
                    Problem(
                        shown,
                        1,
                        f"the built page `{built}` holds an inline script inside <{found.place[0]}>, where the site's templates write none:"
                        " text written into the page unescaped (a title, a description, a nav title) has let it in.",
                        "find the `<script>` in the page's front matter or in mkdocs.yml and remove it; if a template now writes it"
                        " on purpose, a maintainer adds its place to THEME_INLINE_SCRIPTS in macros/allowlist.py.",
                    )
                )
                continue
            refusal, theme = found.refusal, found.theme
            line = source.locate([f"{name}=" for name in found.names] + [f"<{found.tag}"]) if source is not None and not theme else 1
            fix = (
                f"{refusal.fix} It is in the built page `{built}`, outside the page's own content: it came from the site's templates"
                " (overrides/) or the theme, so a maintainer must change that template, or add it to macros/allowlist.py if it is safe."
                if theme
                else f"{refusal.fix} (It is in the built page `{built}`; if no line of the page writes it, a macro did: tell a maintainer.)"
            )
            problems.append(Problem(shown, line, f"the built page `{built}`: {refusal.message}", fix))
        return problems

    def _target(self, page_built: str, href: str) -> tuple[str, str]:
        """(built file the href reaches, its anchor) for an href found in a built page."""
        parts = urlsplit(href)
        path = unquote(parts.path)
        if not path:
            return page_built, unquote(parts.fragment)
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(page_built), path))
        if href.split("#")[0].endswith("/") or (self.site_dir / joined).is_dir():
            joined = posixpath.join(joined, "index.html")
        return joined, unquote(parts.fragment)

    def _exists(self, built: str) -> bool:
        return built in self.ids or (self.site_dir / built).is_file() or built.endswith(self.missing_ok)

    def _unoffered_calendars(self) -> list[Problem]:
        """A cohort's calendar file (publish/ics.py) that no page links: its dates would reach no one's calendar."""
        linked = {self._target(self.built[src], value)[0] for src, (targets, _) in self.articles.items() for tag, value in targets if tag == "a"}
        home = self.docs_dir / HOME_PAGE
        line = _SourceLines(self.pages[HOME_PAGE]).locate(["cohort()"]) if HOME_PAGE in self.pages else 1
        return [
            Problem(
                _display(home),
                line,
                f"the cohort's calendar `{calendar.relative_to(self.site_dir).as_posix()}` is in the built site, but no page offers it.",
                "keep {{ cohort() }} on the home page and {{ schedule() }} on the Schedule page: each offers “Add to calendar” when the cohort has dates.",
            )
            for calendar in sorted((self.site_dir / CALENDAR_FOLDER).glob("*.ics"))
            if calendar.relative_to(self.site_dir).as_posix() not in linked
        ]

    def _check_page(self, src: str, targets: tuple[tuple[str, str], ...], no_alt: tuple[str, ...]) -> list[Problem]:
        path = self.docs_dir / src
        shown = _display(path)
        source = self.pages[src]
        lines = _SourceLines(source)
        page_built = self.built[src]
        problems: list[Problem] = []

        for name, count in Counter(self.ids[page_built]).items():
            if count > 1:
                line = lines.locate([name, name.split("-", 1)[-1]], last=True)
                problems.append(
                    Problem(
                        shown,
                        line,
                        f"the id `{name}` is used {count} times on this page, so links to it are ambiguous.",
                        "show each record once per page, and give headings different titles or ids.",
                    )
                )

        # Links the author wrote: checked against the built pages, reported on their own line.
        _, _, body, body_line = split_source(source)
        src_dir = posixpath.dirname(src)
        reported: set[tuple[int, str]] = set()
        for link in find_links(body, body_line):
            if not link.internal or link.image or not link.fragment:
                continue
            target_src = posixpath.normpath(posixpath.join(src_dir, link.path)) if link.path else src
            if not target_src.endswith(".md") or target_src not in self.pages:
                continue  # missing pages are reported by the source check
            target_built = self.built[target_src]
            anchors = self.ids.get(target_built, [])
            if link.fragment not in anchors:
                reported.add((link.line, link.fragment))
                headings = [i for i in anchors if not i.startswith("__")]
                problems.append(
                    Problem(
                        shown,
                        link.line,
                        f"the link `{link.target}` points to an anchor `#{link.fragment}` that is not on {target_src}.",
                        closest(link.fragment, set(headings)),
                    )
                )

        # Everything in the article, including what macros wrote: each internal link and image must resolve.
        for tag, value in targets:
            if not value or EXTERNAL.match(value) or value.startswith("/"):
                continue  # other hosts are not ours to check; root-relative links are refused in the source
            built, fragment = self._target(page_built, value)
            line = lines.locate([value.split("#")[0] or "#" + fragment, fragment, posixpath.basename(value.split("#")[0].rstrip("/"))])
            if not self._exists(built):
                what = "image" if tag == "img" else "link"
                problems.append(
                    Problem(
                        shown,
                        line,
                        f"the {what} `{value}` points to `{built}`, which is not in the built site.",
                        "check the file name and its folder; paths are relative to this page.",
                    )
                )
            elif fragment and built in self.ids and fragment not in self.ids[built] and tag == "a" and (line, fragment) not in reported:
                problems.append(
                    Problem(
                        shown,
                        line,
                        f"the link `{value}` points to an anchor `#{fragment}` that is not on that page.",
                        closest(fragment, set(self.ids[built])),
                    )
                )
        for src_value in no_alt:
            line = lines.locate([posixpath.basename(src_value)])
            problems.append(
                Problem(
                    shown,
                    line,
                    f"the image `{src_value}` has no alt text, so a screen reader cannot describe it.",
                    'describe the picture in the brackets: ![A chart of the three barriers](barriers.png); use alt="" only for decoration.',
                )
            )
        return problems

    def _is_shown(self, attribute: str, value: str) -> bool:
        """Whether some page carries attribute="value": on an element, or written so in its HTML."""
        if (attribute, value) in self.shown:
            return True
        written = f'{attribute}="{value}"'.encode()
        return any(written in html for html in self.html)

    def _unused_records(self, data: CourseData) -> list[Problem]:
        problems: list[Problem] = []
        # (what the record is called, the attribute its block carries, the macro that shows it)
        records = [("finding", "data-finding", record_id, "finding") for record_id in data.findings]
        records += [("prompt", "data-prompt", record_id, prompt.kind) for record_id, prompt in data.prompts.items()]
        for kind, attribute, record_id, macro_name in records:
            if not self._is_shown(attribute, record_id):
                file, line = data.where[record_id]
                problems.append(
                    Problem(
                        file,
                        line,
                        f"{kind} '{record_id}' is not shown on any page.",
                        f'show it with {{{{ {macro_name}("{record_id}") }}}} on the page it belongs to, or delete the record.',
                    )
                )
        referenced = {f.source for f in data.findings.values()} | {p.source for p in data.prompts.values() if p.source}
        for source_id in data.sources:
            if source_id not in referenced and not self._is_shown("data-source", source_id) and not self._is_shown("id", f"source-{source_id}"):
                file, line = data.where[source_id]
                problems.append(
                    Problem(
                        file,
                        line,
                        f"source '{source_id}' is not cited or listed on any page.",
                        f'cite it with {{{{ cite("{source_id}") }}}}, or delete the record.',
                    )
                )
        return problems


def pages(index: BuiltIndex) -> list[Problem]:
    """Each page's duplicate ids, its links and anchors, the files its article reaches, and images without alt text."""
    return [problem for src, (targets, no_alt) in index.articles.items() for problem in index._check_page(src, targets, no_alt)]


def refused(index: BuiltIndex) -> list[Problem]:
    """What the allow-list refuses on any HTML file of the built site."""
    return index.refused


def unused_records(index: BuiltIndex) -> list[Problem]:
    """Findings, prompts and sources no page shows."""
    return index._unused_records(index.data) if index.data is not None else []


def unoffered_calendars(index: BuiltIndex) -> list[Problem]:
    """A cohort's calendar file that no page links."""
    return index._unoffered_calendars()


# The built site's checks, in order.
BUILT: tuple[Check, ...] = (pages, refused, unused_records, unoffered_calendars)


def check_built_site(site: BuiltSite, model: CourseModel, missing_ok: tuple[str, ...] = ()) -> list[Problem]:
    """Every problem in a built site (BUILT), each located in the page or data file to edit; the model's own problems
    when its data did not load."""
    if model.data is None:
        return list(model.problems)
    return run(BUILT, BuiltIndex(site, model, missing_ok))
