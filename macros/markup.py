"""What a page's Markdown links to, the images it shows and the raw HTML it holds, each with its line.

Code blocks and inline code are skipped: a page may show `<script>` as an example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from .errors import Problem

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target "title") and ![alt](src "title"); the target may be wrapped in <...>.
INLINE_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFERENCE = re.compile(r"^[ ]{0,3}\[([^\]^][^\]]*)\]:[ \t]*<?([^\s>]+)>?", re.M)
HTML_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)\b([^<>]*)>", re.S)
HTML_ATTR = re.compile(r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+)""")
# Tags that run code or pull in another host's content; a page must not carry them.
UNSAFE_TAGS = {"script", "iframe", "object", "embed", "frame", "frameset", "base", "meta", "link", "style"}
EXTERNAL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//)")


@dataclass(frozen=True)
class Link:
    """A link or image target as the author wrote it, where it stands, and an image's alt text."""

    line: int
    target: str
    image: bool = False
    alt: str | None = None

    @property
    def internal(self) -> bool:
        """True for a target inside the site (a page, a file or an anchor), not another host."""
        return not EXTERNAL.match(self.target)

    @property
    def path(self) -> str:
        """The target's path part, decoded ('' for an anchor on the same page)."""
        return unquote(urlsplit(self.target).path)

    @property
    def fragment(self) -> str:
        """The anchor after '#', or ''."""
        return unquote(urlsplit(self.target).fragment)


@lru_cache(maxsize=1024)  # a page's prose is asked for by several checks: the page's links, its raw HTML, the built site's links
def prose(text: str) -> str:
    """The text with fenced code and inline code blanked out, line for line, so offsets still give lines."""
    kept: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        opened = FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            kept.append("")
            continue
        if opened:
            fence = opened.group(1)
            kept.append("")
            continue
        kept.append(INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line))
    return "\n".join(kept)


def _attributes(text: str) -> dict[str, str]:
    return {name.lower(): value.strip("\"'") for name, value in HTML_ATTR.findall(text)}


def _line(text: str, offset: int, first_line: int) -> int:
    return text.count("\n", 0, offset) + first_line


def find_links(text: str, first_line: int = 1) -> list[Link]:
    """Every link and image target in the Markdown and in its raw HTML, in page order."""
    body = prose(text)
    found: list[tuple[int, Link]] = []
    for match in INLINE_LINK.finditer(body):
        bang, label, target = match.groups()
        line = _line(body, match.start(), first_line)
        found.append((match.start(), Link(line, target.strip("<>"), image=bool(bang), alt=label if bang else None)))
    for match in REFERENCE.finditer(body):
        found.append((match.start(), Link(_line(body, match.start(), first_line), match.group(2))))
    for match in HTML_TAG.finditer(body):
        tag, values = match.group(1).lower(), _attributes(match.group(2))
        line = _line(body, match.start(), first_line)
        if tag == "img":
            found.append((match.start(), Link(line, values.get("src", ""), image=True, alt=values.get("alt"))))
        elif "href" in values:
            found.append((match.start(), Link(line, values["href"])))
    return [link for _, link in sorted(found, key=lambda pair: pair[0])]


def unsafe_html(path: str, text: str, first_line: int = 1) -> list[Problem]:
    """Raw HTML that would run code in a reader's browser or load another host's content."""
    body = prose(text)
    problems: list[Problem] = []
    for match in HTML_TAG.finditer(body):
        tag, line = match.group(1).lower(), _line(body, match.start(), first_line)
        if tag in UNSAFE_TAGS:
            problems.append(
                Problem(
                    path,
                    line,
                    f"the page holds a raw `<{tag}>` tag, which is not allowed in a page.",
                    "remove it; scripts and styles belong in overrides/assets/ and are added by a maintainer.",
                )
            )
            continue
        for name, value in _attributes(match.group(2)).items():
            if name.startswith("on"):
                problems.append(
                    Problem(
                        path,
                        line,
                        f"the `<{tag}>` tag has an inline event handler `{name}=`, which would run code in the reader's browser.",
                        "remove the attribute; pages hold text, links and images only.",
                    )
                )
            elif name in ("href", "src", "action", "formaction") and _runs_code(value):
                problems.append(
                    Problem(
                        path,
                        line,
                        f"the `<{tag}>` tag points to a `{value.split(':')[0].strip()}:` address, which would run code.",
                        "link to a page or a web address (https://...) instead.",
                    )
                )
    for match in INLINE_LINK.finditer(body):
        if _runs_code(match.group(3).strip("<>")):
            line = _line(body, match.start(), first_line)
            problems.append(
                Problem(
                    path,
                    line,
                    f"the link [{match.group(2)}] points to a `{match.group(3).split(':')[0]}:` address, which would run code.",
                    "link to a page or a web address (https://...) instead.",
                )
            )
    return problems


def front_matter_code(path: str, meta_text: str | None, first_line: int) -> list[Problem]:
    """Lines of front matter that hold template code, which is never run there and would show as typed."""
    return [
        Problem(
            path,
            number,
            "the front matter holds template code (`{{` or `{%`); front matter is never run as a template.",
            "write plain text here; macros belong in the page body.",
        )
        for number, line in enumerate((meta_text or "").splitlines(), start=first_line)
        if "{{" in line or "{%" in line
    ]


def _runs_code(target: str) -> bool:
    return "".join(target.split()).lower().startswith(("javascript:", "vbscript:", "data:text/html"))
