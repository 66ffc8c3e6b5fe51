"""What a page's Markdown links to, the images it shows and the raw HTML it holds, each with its line.

Code blocks and inline code are skipped: a page may show `<script>` as an example. Raw HTML is read with Python's
HTML parser (html.parser) and judged by the one allow-list (macros/allowlist.py); links and attribute lists are
Markdown syntax, found as Markdown writes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from markdown.extensions.attr_list import get_attrs_and_remainder, sanitize_name

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target "title") and ![alt](src "title"); the target may be wrapped in <...>.
INLINE_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFERENCE = re.compile(r"^[ ]{0,3}\[([^\]^][^\]]*)\]:[ \t]*<?([^\s>]+)>?", re.M)
EXTERNAL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//)")
# md_in_html's switch (`<div markdown>`): Markdown reads and removes it, so it never reaches a page.
MARKDOWN_SWITCH = "markdown"


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


@dataclass(frozen=True)
class Tag:
    """A start tag of raw HTML in a page: its offset in the text, line, name and attributes (names lower-cased, as written)."""

    offset: int
    line: int
    name: str
    attributes: tuple[tuple[str, str | None], ...]
    text: str


class _TagReader(HTMLParser):
    """Python's HTML parser, keeping each start tag with its position."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, int, str, list[tuple[str, str | None]], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, column = self.getpos()
        self.found.append((line, column, tag, attrs, self.get_starttag_text() or ""))

    handle_startendtag = handle_starttag

    # Where this parser and a browser disagree, markup could hide from the check: a comment that a browser ends
    # early (`<!-->`, `<!--->`, `--!>`) or a `<![CDATA[` section, which a browser ends at the first `>`.
    def handle_comment(self, data: str) -> None:
        if data.startswith((">", "->")) or "--!>" in data or "<" in data:
            self.found.append((*self.getpos(), "!--", [], f"<!--{data}-->"))

    def unknown_decl(self, data: str) -> None:
        self.found.append((*self.getpos(), "![", [], f"<![{data}]>"))


@lru_cache(maxsize=256)  # the page's links and its raw HTML are both asked for, by the source and the built-site checks
def html_tags(text: str, first_line: int = 1) -> tuple[Tag, ...]:
    """Every start tag of raw HTML in the Markdown, code skipped, in page order."""
    body = prose(text)
    reader = _TagReader()
    reader.feed(body)
    reader.close()
    starts = [0]
    for line in body.split("\n")[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    return tuple(Tag(starts[line - 1] + column, line + first_line - 1, name, tuple(attrs), raw) for line, column, name, attrs, raw in reader.found)


def _autolink(tag: Tag) -> str | None:
    """The address of a Markdown autolink (<https://...>, <name@host>) that the HTML parser read as a tag, else None."""
    if "@" in tag.name:
        return "mailto:" + tag.text[1:-1]
    if tag.name.endswith(":") or ":" in tag.name:
        return tag.text[1:-1]
    return None


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
    for tag in html_tags(text, first_line):
        values = {name: value or "" for name, value in tag.attributes}
        if _autolink(tag) is not None:
            continue  # a link to another host, which no check follows
        if tag.name == "img":
            found.append((tag.offset, Link(tag.line, values.get("src", ""), image=True, alt=dict(tag.attributes).get("alt"))))
        elif "href" in values:
            found.append((tag.offset, Link(tag.line, values["href"])))
    return [link for _, link in sorted(found, key=lambda pair: pair[0])]


def _attribute_lists(body: str, first_line: int) -> list[tuple[int, str, list[tuple[str, str | None]]]]:
    """(line, as written, attributes) of every attribute list (`{: ... }`, attr_list), read by attr_list's own parser."""
    found = []
    for number, line in enumerate(body.split("\n"), start=first_line):
        start = line.find("{")
        while start >= 0:
            if line.startswith("{{", start):
                start = line.find("{", line.find("}}", start) + 2) if "}}" in line[start:] else -1
                continue  # a macro call, checked by macros/templates.py
            pairs, rest = get_attrs_and_remainder(line[start + 1 :])
            if rest.startswith("}"):
                written = line[start : len(line) - len(rest) + 1]
                found.append((number, written, [(sanitize_name(k).lower(), v) for k, v in pairs if k not in (":", ".", "id")]))
            start = line.find("{", start + 1)
    return found
