"""A built page's article made printable: site chrome out, tabs and details opened, ids and links fixed for one PDF."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urljoin, urlsplit

from bs4 import BeautifulSoup, PageElement, Tag

from macros.diagrams import PAPER_DRAWING
from macros.errors import Problem
from publish.built import GUIDE_CLASSES, PROMPT_CLASS

from .site import SitePage

# What only makes sense on screen: scripts, form controls (the JS writing box), permalinks, edit buttons, download links,
# the link that adds the cohort's dates to a calendar, and the journal's note about its script.
SCREEN_ONLY = (
    "script, style, template, noscript, link, meta, base, form, textarea, input, button, select, iframe, object, embed, video, audio, "
    ".headerlink, .md-content__button, .md-source-file, .cw-downloads, .cw-calendar, .cw-journal-needs-script"
)
# The same, as the tag names and the classes it lists, to find them in one walk of a tree (screen_only).
_SCREEN_TAGS = frozenset(item.strip() for item in SCREEN_ONLY.split(",") if not item.strip().startswith("."))
_SCREEN_CLASSES = frozenset(item.strip()[1:] for item in SCREEN_ONLY.split(",") if item.strip().startswith("."))
# What the facilitator guide gathers from each page of the facilitator edition: the run of show and the notes.
GUIDE_BLOCKS = ", ".join(f".{name}" for name in GUIDE_CLASSES)
_GUIDE_CLASSES = frozenset(GUIDE_CLASSES)
# Attributes that could make WeasyPrint fetch or attach something, or that only scripts use.
DROPPED_ATTRIBUTES = ("rel", "srcset", "sizes", "onload", "onerror", "onclick", "data-md-component")
FAKE_ORIGIN = "https://site.invalid/"


_FACTORY = BeautifulSoup("", "lxml")
# How a CSS selector splits a class attribute written as one string (soupsieve's rule).
_CLASS_WORDS = re.compile(r"[^ \t\r\n\f]+")


def elements(tree: Tag) -> list[Tag]:
    """Every element inside tree, in document order, gathered before any is changed: what tree.select(...) walks.

    The print path finds what it changes by walking this list once with plain tests (tag name, classes,
    attributes): a CSS selector run over a whole page, several times for each document that shows it, was most of
    the time composing the PDFs took.
    """
    return [node for node in tree.descendants if isinstance(node, Tag)]


def copy_tree(tree: Tag) -> Tag:
    """A copy of tree, the same as copy.copy(tree) makes (Tag.__deepcopy__): each node copied as bs4 copies it, and
    linked to its parent, siblings and neighbours in document order as it comes, where bs4 puts each through its
    general insert (most of the time a copy took)."""
    clone = tree.copy_self()
    copies: dict[int, Tag] = {id(tree): clone}
    previous: PageElement = clone
    for node in tree.descendants:
        copied = node.copy_self() if isinstance(node, Tag) else copy.copy(node)
        parent = copies[id(node.parent)]
        siblings = parent.contents
        if siblings:
            copied.previous_sibling = siblings[-1]
            siblings[-1].next_sibling = copied
        siblings.append(copied)
        copied.parent = parent
        copied.previous_element = previous
        previous.next_element = copied
        previous = copied
        if isinstance(copied, Tag):
            copies[id(node)] = copied
    return clone


def classes(tag: Tag) -> set[str]:
    """An element's classes, as a CSS selector reads them."""
    value = tag.get("class")
    if value is None:
        return set()
    return set(_CLASS_WORDS.findall(value)) if isinstance(value, str) else {str(word) for word in value}


def new_tag(name: str, attrs: dict[str, str] | None = None, text: str | None = None) -> Tag:
    """A fresh element, optionally holding text."""
    tag = _FACTORY.new_tag(name, attrs=attrs or {})
    if text is not None:
        tag.string = text
    return tag


def add_class(tag: Tag, *names: str) -> None:
    """Add classes to an element, keeping the ones it has."""
    tag["class"] = " ".join([str(c) for c in tag.get_attribute_list("class") if c] + list(names))


@dataclass
class Links:
    """How links resolve inside one PDF: which pages it holds and which anchors exist."""

    site_url: str | None
    # page URL ('what-to-expect/') -> the page's key in this PDF.
    pages: dict[str, str]
    anchors: set[str] = field(default_factory=set)

    def inside(self, key: str, fragment: str) -> str:
        """Where a link to a page of this PDF (its key) and an anchor in it goes: that anchor if it exists, else the page."""
        anchor = f"{key}--{fragment}" if fragment else key
        return "#" + (anchor if anchor in self.anchors else key)


def open_tabs(article: Tag) -> None:
    """Turn each set of content tabs into labelled sections, so every tab prints with its label."""
    for tabbed in [element for element in elements(article) if element.name == "div" and "tabbed-set" in classes(element)]:
        labels = [label.get_text(" ", strip=True) for label in tabbed.select(":scope > .tabbed-labels > label, :scope > label")]
        blocks = tabbed.select(":scope > .tabbed-content > .tabbed-block")
        if not blocks:
            # The older tab markup keeps each label next to its content.
            blocks = tabbed.select(":scope > .tabbed-content")
        holder = new_tag("div", attrs={"class": "print-tabs"})
        for index, block in enumerate(blocks):
            section = new_tag("section", attrs={"class": "print-tab"})
            title = new_tag("p", attrs={"class": "print-tab-label"})
            title.string = labels[index] if index < len(labels) else f"Tab {index + 1}"
            section.append(title)
            for child in list(block.children):
                section.append(child.extract())
            holder.append(section)
        tabbed.replace_with(holder)


def open_details(article: Tag) -> None:
    """Print collapsible blocks open, as admonitions with their summary as the title."""
    for details in [element for element in elements(article) if element.name == "details"]:
        summary = details.find("summary")
        title = new_tag("p", attrs={"class": "admonition-title"})
        title.string = summary.get_text(" ", strip=True) if summary is not None else "Details"
        if summary is not None:
            summary.decompose()
        box = new_tag("div", attrs={"class": "admonition"})
        add_class(box, *(str(c) for c in details.get_attribute_list("class") if c))
        box.append(title)
        for child in list(details.children):
            box.append(child.extract())
        details.replace_with(box)


def printable(page: SitePage, *, paper: bool = True) -> Tag:
    """A copy of the page's article with screen-only parts removed and tabs and details opened.

    A picture drawn for paper as well as for the screen (macros/diagrams.py) keeps the drawing for paper, or without
    paper (the EPUB, read on a screen) the one for the screen."""
    article = page.parsed()
    open_tabs(article)
    open_details(article)
    # Last first: one inside another that goes is gone with it, and Tag.decomposed would search the whole tree to say so.
    for element in reversed([element for element in elements(article) if screen_only(element)]):
        element.decompose()
    figures = []
    for element in elements(article):
        for name in DROPPED_ATTRIBUTES:
            element.attrs.pop(name, None)
        if element.name == "figure" and "cw-diagram" in classes(element):
            figures.append(element)
    for figure in figures:
        drawings = [child for child in figure.children if isinstance(child, Tag) and child.name == "svg"]
        if any(PAPER_DRAWING in classes(drawing) for drawing in drawings):
            for drawing in drawings:
                if (PAPER_DRAWING in classes(drawing)) != paper:
                    drawing.decompose()
    return article


def screen_only(element: Tag) -> bool:
    """Whether an element is one of SCREEN_ONLY's."""
    return element.name in _SCREEN_TAGS or not _SCREEN_CLASSES.isdisjoint(classes(element))


def guide_blocks(article: Tag) -> list[Tag]:
    """The run of show and the facilitator notes of an article (GUIDE_BLOCKS), in page order."""
    return [element for element in elements(article) if not _GUIDE_CLASSES.isdisjoint(classes(element))]


# Attributes that name ids of the same page: labels, ARIA relations, table headers, and SVG's references (<use href="#...">).
ID_LISTS = ("aria-labelledby", "aria-describedby", "aria-controls", "aria-owns", "aria-details", "for", "headers", "list")
SVG_REFERENCES = ("href", "xlink:href")
_URL_REFERENCE = re.compile(r"url\(\s*(['\"]?)#([^)'\"\s]+)\1\s*\)")


def prefix_ids(article: Tag, key: str) -> set[str]:
    """Give every id in the article its page's prefix, so pages can share one PDF; returns the new ids.

    References to those ids inside the article follow them (a label's `for`, `aria-labelledby`, an inline SVG's
    `<use href="#...">` or `fill="url(#...)"`), so nothing that pointed within the page is left pointing nowhere.
    """
    renamed: dict[str, str] = {}
    found = elements(article)
    for element in found:
        if "id" not in element.attrs:
            continue
        renamed[str(element["id"])] = f"{key}--{element['id']}"
        element["id"] = renamed[str(element["id"])]
    for element in found:
        for name, value in list(element.attrs.items()):
            if name in ID_LISTS:
                words = value if isinstance(value, list) else str(value).split()
                element[name] = " ".join(renamed.get(str(word), str(word)) for word in words)
            elif name in SVG_REFERENCES and element.name != "a" and str(value).startswith("#") and str(value)[1:] in renamed:
                element[name] = "#" + renamed[str(value)[1:]]
            elif isinstance(value, str) and "url(" in value:
                element[name] = _URL_REFERENCE.sub(lambda m: f"url({m.group(1)}#{renamed.get(m.group(2), m.group(2))}{m.group(1)})", value)
    return set(renamed.values())


def prefixed_ids(article: Tag, key: str) -> set[str]:
    """The ids prefix_ids would give the article's elements, leaving the article as it is."""
    return {f"{key}--{element['id']}" for element in elements(article) if "id" in element.attrs}


def resolve_images(article: Tag, page: SitePage) -> dict[str, str]:
    """Point relative image sources at their files' addresses from the site's root ('what-to-expect/chart.png'), which
    the printer resolves against the built site and the EPUB copies from it; returns that address -> what the page
    wrote, for messages. Where the site was built is not written into the page, so what is composed of it is the same
    in every build (and the print cache finds it)."""
    written = {}
    for image in [element for element in elements(article) if element.name == "img" and "src" in element.attrs]:
        src = str(image["src"])
        parts = urlsplit(src)
        if parts.scheme or parts.netloc:
            continue
        # Quoted whole (a colon too), so the address can never read as a scheme of its own.
        target = quote(unquote(urlsplit(urljoin(FAKE_ORIGIN + page.url, src)).path.lstrip("/")))
        image["src"] = target
        written[target] = src
    return written


def _unwrap(link: Tag) -> None:
    """Keep a link's words but not the link: there is nowhere in print for it to go."""
    link.unwrap()


def links_of(article: Tag) -> list[Tag]:
    """The article's links (<a href>), in page order."""
    return [element for element in elements(article) if element.name == "a" and "href" in element.attrs]


def site_target(page: SitePage, href: str) -> tuple[str, str]:
    """Where a link of page with no scheme or host leads in the site: the page's URL ('what-to-expect/') and the fragment."""
    target = urlsplit(urljoin(FAKE_ORIGIN + page.url, href))
    return target.path.lstrip("/").removesuffix("index.html"), target.fragment


def anchor_asked(page: SitePage, href: str, links: Links) -> str | None:
    """The anchor inside this PDF a link of page names ('<key>--<id>'), when it leads to an id of a page of this PDF."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None
    path, fragment = site_target(page, href)
    key = links.pages.get(path)
    return f"{key}--{fragment}" if key is not None and fragment else None


def rewrite_links(article: Tag, page: SitePage, links: Links) -> None:
    """Send each link to an anchor inside this PDF, to the live page on site_url, or make it plain text; never to a missing anchor."""
    for link in links_of(article):
        href = str(link["href"]).strip()
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            if parts.scheme in ("http", "https", "mailto"):
                add_class(link, "print-external")
            else:
                _unwrap(link)
            continue
        path, fragment = site_target(page, href)
        key = links.pages.get(path)
        if key is not None:
            link["href"] = links.inside(key, fragment)
            continue
        if links.site_url:
            link["href"] = links.site_url + path + (f"#{fragment}" if fragment else "")
            add_class(link, "print-external")
        else:
            _unwrap(link)


def pictures_after_text(article: Tag) -> None:
    """On paper, a card's picture follows its text: the text can split across pages and fill the one it starts on,
    where the picture, which cannot split, would move whole to the next page and leave the page before it blank."""
    for figure in [element for element in elements(article) if element.name == "figure" and "cw-diagram" in classes(element)]:
        card = figure.parent
        if card is not None and "cw-finding" in classes(card):
            card.append(figure.extract())


def prompt_blocks(article: Tag) -> list[Tag]:
    """The reflection and discussion prompts of an article, in page order."""
    return [element for element in elements(article) if element.name == "div" and "data-prompt" in element.attrs and PROMPT_CLASS in classes(element)]


def add_writing_space(article: Tag, reflection_lines: int, discussion_lines: int) -> None:
    """Put ruled lines under each prompt: room to write a reflection, or notes from a discussion."""
    for block in prompt_blocks(article):
        lines = reflection_lines if block.get("data-kind") == "reflection" else discussion_lines
        if lines <= 0:
            continue
        entry = new_tag("div", attrs={"class": "print-entry"})
        block.replace_with(entry)
        entry.append(block)
        entry.append(writing_lines(lines))


def writing_lines(count: int) -> Tag:
    """Ruled lines to write on."""
    ruled = new_tag("div", attrs={"class": "print-lines"})
    for _ in range(count):
        ruled.append(new_tag("div", attrs={"class": "print-line"}))
    return ruled


def refusal(url: str, pages: list[SitePage], images: dict[str, str], made: str = "the PDFs") -> Problem:
    """A file or address a document asked for from outside the built site, located in the page (and line) that asked."""
    written = images.get(url, url)
    page = next((p for p in pages if written in p.text), pages[0] if pages else None)
    message = f"the page refers to {written}, which is outside the built site; {made} may only use the site's own files."
    folder = page.source.folder if page is not None and page.source is not None else "docs"
    fix = f"put the file under {folder}/ and refer to it with a relative path."
    if page is None:
        return Problem("docs/", 1, message, fix)
    found = page.lines_with(written)
    return Problem(page.display, found[0] if found else page.title_line(), message, fix)
