"""The one allow-list for the HTML a page may carry: its tags, their attributes and the addresses they name.

It is applied twice, with the same rules: to the raw HTML and attribute lists in a page's Markdown, where a
problem names the line (macros/markup.py), and to every built page of every engine and edition before the site
is published (macros/checks/built.py), where a problem names the page. What it refuses could run code in a
reader's browser (event handlers, `javascript:` links, scripts), send what a reader types elsewhere (forms), or
make the reader's browser contact another host without a click (images, media, frames, styles that load files).
Links a reader clicks may go anywhere on the web.

Elements are read by a real HTML parser (Python's html.parser for the sources, lxml for the built pages) and
style values by a CSS parser (tinycss2); nothing here matches HTML with regular expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import tinycss2

# What a page's content may hold: Markdown's own output, that of the extensions in mkdocs.yml (tables, footnotes,
# definition lists, details, tabs, admonitions, the table of contents' permalinks), our macros' (prompts, findings,
# the SVG diagrams) and simple text markup an author may write by hand.
PAGE_TAGS = frozenset(
    {
        # text
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "kbd", "samp", "var",
        "em", "strong", "b", "i", "u", "s", "small", "sub", "sup", "mark", "del", "ins", "q", "cite", "abbr", "dfn", "time",
        "span", "div", "section", "article", "aside", "figure", "figcaption", "a", "img",
        # lists and tables
        "ul", "ol", "li", "dl", "dt", "dd", "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
        # pymdownx.details and pymdownx.tabbed
        "details", "summary", "input", "label",
        # the diagrams (macros/diagrams.py)
        "svg", "g", "circle", "ellipse", "line", "path", "polygon", "polyline", "rect", "text", "tspan", "title", "desc",
    }
)  # fmt: skip

# Attributes any of those tags may carry (besides aria-* and data-*).
GLOBAL_ATTRIBUTES = frozenset({"id", "class", "title", "lang", "dir", "role", "style"})
# Attributes only some tags may carry.
TAG_ATTRIBUTES: dict[str, frozenset[str]] = {
    # tabindex: Zensical's skip-link target (<a id="__skip" tabindex="-1">) sits inside the content.
    "a": frozenset({"href", "target", "rel", "type", "hreflang", "tabindex"}),
    "img": frozenset({"src", "alt", "width", "height", "loading", "decoding"}),
    "ol": frozenset({"start", "reversed", "type"}),
    "li": frozenset({"value"}),
    "th": frozenset({"colspan", "rowspan", "scope", "align", "headers"}),
    "td": frozenset({"colspan", "rowspan", "align", "headers"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "time": frozenset({"datetime"}),
    "abbr": frozenset({"title"}),
    "details": frozenset({"open"}),
    # pymdownx.tabbed draws its tabs as radio buttons and labels, with no form around them.
    "input": frozenset({"type", "name", "checked"}),
    "label": frozenset({"for"}),
    # stroke-*: Zensical's icons (Lucide) set them on the <svg>.
    "svg": frozenset(
        {"xmlns", "viewbox", "width", "height", "font-family", "font-size", "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin", "focusable"}
    ),
    "g": frozenset({"transform", "fill", "stroke", "stroke-width", "font-family", "font-size", "font-weight", "text-anchor"}),
    "circle": frozenset({"cx", "cy", "r", "fill", "stroke", "stroke-width", "transform"}),
    "ellipse": frozenset({"cx", "cy", "rx", "ry", "fill", "stroke", "stroke-width", "transform"}),
    "line": frozenset({"x1", "x2", "y1", "y2", "stroke", "stroke-width", "stroke-dasharray", "stroke-linecap", "transform"}),
    "path": frozenset({"d", "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin", "transform"}),
    "polygon": frozenset({"points", "fill", "stroke", "stroke-width", "stroke-linejoin", "transform"}),
    "polyline": frozenset({"points", "fill", "stroke", "stroke-width", "stroke-linejoin", "transform"}),
    "rect": frozenset({"x", "y", "width", "height", "rx", "ry", "fill", "stroke", "stroke-width", "transform"}),
    "text": frozenset({"x", "y", "dx", "dy", "fill", "font-size", "font-weight", "font-family", "text-anchor", "dominant-baseline", "transform"}),
    "tspan": frozenset({"x", "y", "dx", "dy", "fill", "font-size", "font-weight"}),
}
# The only input a page holds is a tab of pymdownx.tabbed.
INPUT_TYPES = frozenset({"radio"})

# What the theme around the content adds (overrides/main.html, overrides/partials/, Material's and Zensical's
# base templates), read from the built site: its head, header, search box, palette toggle, navigation and footer.
# These never come from a page; the rules on event handlers and addresses still apply to them.
THEME_TAGS = frozenset({"html", "head", "body", "meta", "link", "script", "header", "footer", "main", "nav", "form", "button"})
THEME_ATTRIBUTES: dict[str, frozenset[str]] = {
    "html": frozenset({"class"}),
    "body": frozenset({"data-md-color-scheme", "data-md-color-primary", "data-md-color-accent"}),
    "meta": frozenset({"charset", "name", "content", "http-equiv"}),
    "link": frozenset({"rel", "href", "media", "type", "sizes", "hreflang"}),
    # Inline scripts run only with their hash in the page's Content-Security-Policy (publish/csp.py).
    "script": frozenset({"src", "defer", "async", "type"}),
    # The search box and the palette toggle: forms that are never sent (form-action 'none').
    "form": frozenset({"name"}),
    "input": frozenset({"type", "name", "checked", "placeholder", "autocapitalize", "autocorrect", "autocomplete", "spellcheck", "required"}),
    "label": frozenset({"for", "hidden", "tabindex"}),
    "button": frozenset({"type", "hidden", "tabindex"}),
    "nav": frozenset({"aria-expanded"}),
    "div": frozenset({"tabindex"}),
    "a": frozenset({"tabindex"}),
}
THEME_INPUT_TYPES = frozenset({"radio", "checkbox", "text"})
# A theme <meta> may only say this about the page; a refresh would send the reader elsewhere.
THEME_HTTP_EQUIV = frozenset({"content-security-policy"})
# Links in the head that name a file of this site, and those that load nothing.
THEME_LINK_RELS = frozenset({"stylesheet", "icon", "manifest", "prev", "next"})
THEME_LINKS_LOADING_NOTHING = frozenset({"canonical", "alternate"})
THEME_SCRIPT_TYPES = frozenset({"", "text/javascript", "module", "application/json"})
# Where the theme writes the inline scripts a browser runs, read from the built site (Material 9.8, Zensical 0.0.73):
# (the parent's tag, its first class) and how many a page holds there (in <head>, Material's and our storage guard,
# overrides/main.html). A script anywhere else was not written by a
# template: text the theme writes unescaped (a title, a description, a nav title) has let it in, and the
# Content-Security-Policy must not be given its hash.
THEME_INLINE_SCRIPTS = {("head", ""): 2, ("nav", "md-header__inner"): 1, ("div", "md-main__inner"): 2}
# Material writes a page's title and description, the nav's titles and the site's name into the HTML unescaped:
# there they must not hold these characters, or they could add a tag or leave an attribute.
UNESCAPED = '<>"'
UNESCAPED_FIX = 'write it without <, > and straight double quotes ("): use words, or typographic quotes “ ”.'


def unescaped_characters(value: object) -> str:
    """The characters of value that would be markup where the theme writes it unescaped, each once, or ''."""
    return "".join(ch for ch in UNESCAPED if isinstance(value, str) and ch in value)


# Schemes a link a reader clicks may use; everything else in an address must stay on this site.
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# Attributes whose value the browser follows, and whether following it needs a click.
CLICKED_ADDRESSES = frozenset({"href"})
LOADED_ADDRESSES = frozenset(
    {"src", "srcset", "poster", "background", "action", "formaction", "data", "xlink:href", "ping", "cite", "manifest", "lowsrc", "dynsrc"}
)
# SVG attributes that take CSS values, where url(...) would load a file.
CSS_VALUED = frozenset({"style", "fill", "stroke", "filter", "mask", "clip-path", "marker-start", "marker-mid", "marker-end", "cursor"})
# CSS functions that name a file to load.
CSS_LOADING = frozenset({"url", "src", "image", "image-set", "-webkit-image-set", "cross-fade", "element"})

# Why a tag is refused, in words a faculty member can act on.
TAG_REASONS = {
    "script": "it would run code in the reader's browser",
    "noscript": "it is shown only where scripts are off and could hide anything",
    "style": "page styles belong in overrides/assets/, where a maintainer adds them",
    "link": "it would load a file, perhaps from another host",
    "meta": "it could send the reader to another page or change how the page loads",
    "base": "it would send every link on the page somewhere else",
    "form": "it would send what the reader types to another address",
    "button": "buttons belong to the site's own features, not to a page",
    "textarea": "the site's own boxes keep a reader's notes; a page may not add one",
    "select": "the site's own boxes keep a reader's notes; a page may not add one",
    "iframe": "it would show another site inside this page",
    "frame": "it would show another site inside this page",
    "frameset": "it would show another site inside this page",
    "object": "it would run a plug-in or show another file inside this page",
    "embed": "it would run a plug-in or show another file inside this page",
    "applet": "it would run a plug-in inside this page",
    "portal": "it would show another site inside this page",
    "audio": "it would load sound, perhaps from another host",
    "video": "it would load video, perhaps from another host",
    "source": "it would load media, perhaps from another host",
    "track": "it would load media, perhaps from another host",
    "picture": "it would choose among images to load; use a Markdown image instead",
    "image": "it would load an image, perhaps from another host; use a Markdown image instead",
    "use": "it would draw a picture from another file",
    "foreignobject": "it would place arbitrary HTML inside a picture",
    "math": "it is not supported on this site",
    "template": "it holds markup that scripts can bring to life",
    "html": "a page is already an HTML document; write its content only",
    "head": "a page is already an HTML document; write its content only",
    "body": "a page is already an HTML document; write its content only",
}


@dataclass(frozen=True)
class Refusal:
    """Something on an element the allow-list refuses: what is wrong and the fix, as a faculty member reads them."""

    message: str
    fix: str


TEXT_ONLY = "pages hold text, links and images; see CONTRIBUTING.md, 'What a page may hold'."
LINK_FIX = "link to a page of this site or to a web address (https://...) instead."
IMAGE_FIX = "save the picture in docs/ (for example docs/images/) and show it with ![description](images/picture.png)."


def _allowed_attribute(tag: str, name: str, theme: bool) -> bool:
    if name in GLOBAL_ATTRIBUTES or name.startswith("aria-"):
        return True
    if name.startswith("data-"):
        # data-md-* steer Material's scripts: only the theme may set them.
        return theme or not name.startswith("data-md-")
    if name in TAG_ATTRIBUTES.get(tag, ()):
        return True
    return theme and name in THEME_ATTRIBUTES.get(tag, ())


def address_parts(value: str) -> tuple[str, str]:
    """(scheme, host) of an address as a browser reads it: tabs and line breaks dropped, backslashes as slashes."""
    cleaned = "".join(
        ch
        for ch in value.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
        if ch not in "\t\n\r"
    )
    try:
        parts = urlsplit(cleaned.replace("\\", "/"))
    except ValueError:
        return "invalid", ""
    return parts.scheme.lower(), parts.netloc


def _address_refusal(what: str, name: str, value: str) -> Refusal | None:
    scheme, host = address_parts(value)
    if name in CLICKED_ADDRESSES:
        if scheme == "javascript" or scheme == "vbscript":
            return Refusal(f"{what} points to a `{scheme}:` address, which would run code in the reader's browser.", LINK_FIX)
        if scheme == "data":
            return Refusal(f"{what} points to a `data:` address, which can hide a page or a script inside the link.", LINK_FIX)
        if scheme and scheme not in LINK_SCHEMES:
            return Refusal(f"{what} points to a `{scheme}:` address; links may go to this site or to http, https, mailto and tel addresses.", LINK_FIX)
        return None
    if scheme or host:
        shown = value if len(value) <= 60 else value[:57] + "..."
        if scheme in ("javascript", "vbscript"):
            return Refusal(f'{what} has `{name}="{shown}"`, which would run code in the reader\'s browser.', IMAGE_FIX)
        where = "another host" if host or scheme in LINK_SCHEMES else "outside this site"
        return Refusal(f"{what} loads `{shown}` from {where}, so the reader's browser would contact it.", IMAGE_FIX)
    return None


def css_loads(value: str) -> bool:
    """Whether a CSS value or declaration list names a file to load (url(), image-set(), @import, ...)."""

    def walk(tokens: list[object]) -> bool:
        for token in tokens:
            kind = getattr(token, "type", "")
            if kind in ("url", "at-rule"):
                return True
            if kind == "function" and getattr(token, "lower_name", "") in CSS_LOADING:
                return True
            for inner in ("arguments", "content", "prelude", "value"):
                nested = getattr(token, inner, None)
                if isinstance(nested, list) and walk(nested):
                    return True
        return False

    return walk(list(tinycss2.parse_blocks_contents(value)))


def refusals(tag: str | None, attributes: list[tuple[str, str | None]], theme: bool = False, what: str | None = None) -> list[Refusal]:
    """Everything the allow-list refuses on one element: its tag, then each attribute, in order.

    tag is None for an attribute list (`{: ... }`), whose element Markdown chooses: an attribute passes if some tag
    may carry it. theme admits what the site's own templates add around a page's content.
    what names the element in messages (default: "the `<tag>` tag").
    """
    name_of = what or (f"the `<{tag}>` tag" if tag else "the attribute list")
    found: list[Refusal] = []
    if tag is not None and tag not in PAGE_TAGS and not (theme and tag in THEME_TAGS):
        reason = TAG_REASONS.get(tag, "it is not one of the tags a page may use")
        fix = (
            "remove it; scripts and styles belong in overrides/assets/ and are added by a maintainer."
            if tag in ("script", "style")
            else f"remove it; {TEXT_ONLY}"
        )
        found.append(Refusal(f"the page holds a raw `<{tag}>` tag, which is not allowed in a page: {reason}.", fix))
        return found
    values = {name: value or "" for name, value in attributes}
    for name, value in attributes:
        value = value or ""
        if name.startswith("on"):
            found.append(
                Refusal(
                    f"{name_of} has an inline event handler `{name}=`, which would run code in the reader's browser.",
                    "remove the attribute; pages hold text, links and images only.",
                )
            )
            continue
        allowed = _allowed_attribute(tag, name, theme) if tag is not None else any(_allowed_attribute(t, name, False) for t in PAGE_TAGS)
        if not allowed:
            if name in LOADED_ADDRESSES or name in CLICKED_ADDRESSES:
                refusal = _address_refusal(name_of, name, value)
                if refusal is not None:
                    found.append(refusal)
                    continue
            found.append(Refusal(f"{name_of} has the attribute `{name}=`, which a page may not use.", f"remove the attribute; {TEXT_ONLY}"))
            continue
        if name in CLICKED_ADDRESSES or name in LOADED_ADDRESSES:
            rel = values.get("rel", "").lower().split()
            if tag == "link" and name == "href" and THEME_LINKS_LOADING_NOTHING.issuperset(rel) and rel:
                refusal = _address_refusal(name_of, "href", value)  # a link the browser never follows by itself
            elif tag == "link":
                refusal = _address_refusal(name_of, "src", value)  # a stylesheet, icon or manifest: loaded at once
            else:
                refusal = _address_refusal(name_of, name, value)
            if refusal is not None:
                found.append(refusal)
        elif name in CSS_VALUED and css_loads(value):
            shown = value if len(value) <= 60 else value[:57] + "..."
            found.append(
                Refusal(
                    f'{name_of} has a style that loads a file (`{name}="{shown}"`), so the reader\'s browser could contact another host.',
                    f"remove the url(); {IMAGE_FIX}",
                )
            )
    if tag == "input" and values.get("type", "text").lower() not in (THEME_INPUT_TYPES if theme else INPUT_TYPES):
        found.append(Refusal(f"{name_of} is a `{values.get('type', 'text')}` box, which a page may not hold.", f"remove it; {TEXT_ONLY}"))
    if tag == "meta" and values.get("http-equiv", "").lower() not in ("", *THEME_HTTP_EQUIV):
        found.append(Refusal(f'{name_of} has `http-equiv="{values["http-equiv"]}"`, which could send the reader elsewhere.', f"remove it; {TEXT_ONLY}"))
    if tag == "link" and not set(values.get("rel", "").lower().split()) <= THEME_LINK_RELS | THEME_LINKS_LOADING_NOTHING:
        found.append(Refusal(f'{name_of} has `rel="{values.get("rel", "")}"`, which the site\'s templates do not use.', "remove it from the template."))
    if tag == "script" and values.get("type", "").lower() not in THEME_SCRIPT_TYPES:
        found.append(Refusal(f'{name_of} has `type="{values["type"]}"`, which the site\'s templates do not use.', "remove it from the template."))
    return found
