"""Three repairs to Material's markup so every built page validates as HTML5 (Nu Html Checker).

Material 9.8 writes `autocomplete="off"` on its two hidden checkbox toggles (the
attribute is only allowed on text-like inputs) and `tabindex=""` on the labels of
navigation sections (an empty tabindex is not a number); on a page outside the nav
its contents title points at a toggle that is not there. Browsers ignore all three,
so dropping them changes nothing a reader sees. All sit outside any block that
overrides/main.html could extend, hence a pass over the built HTML, as each page is read (publish/built.py).
"""

from __future__ import annotations

import re

CHECKBOX_AUTOCOMPLETE = re.compile(rb'(<input class="md-toggle"[^>]*type="checkbox"[^>]*?) autocomplete="off"')
EMPTY_TABINDEX = re.compile(rb'(<label class="md-nav__link[^>]*?) tabindex=""')
# A page kept out of the nav (not_in_nav) gets no contents toggle, yet its contents title still points at one.
ORPHAN_TOC_LABEL = re.compile(rb'(<label class="md-nav__title") for="__toc"')


def repair_markup(html: bytes) -> bytes:
    """The page (its UTF-8 bytes) with Material's invalid attributes removed; a page with none comes back byte for byte.

    A repaired page's line breaks are "\\n", as text is written (Material's pages hold no other kind).
    """
    repaired = EMPTY_TABINDEX.sub(rb"\1", CHECKBOX_AUTOCOMPLETE.sub(rb"\1", html))
    repaired = repaired if b'id="__toc"' in repaired else ORPHAN_TOC_LABEL.sub(rb"\1", repaired)
    if repaired == html or b"\r" not in repaired:
        return repaired
    return repaired.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
