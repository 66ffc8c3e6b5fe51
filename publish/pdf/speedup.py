"""A faster pydyf.PDF.page_references, used only inside the PDF worker processes and by the slides' printer, and only with the pydyf it was checked against.

WeasyPrint's PDF/UA tagging reads `pdf.page_references[n]` once per tagged box, and pydyf 0.13.0 rebuilds the
tuple of every page's reference on each read: for a 700-page reader that was 50 million steps, a fifth of its
printing time. The replacement builds the tuple once per page count and returns the same values, so the PDF
bytes do not change. Any other pydyf version keeps its own property: the replacement is only known to be
equal for the version pinned in pyproject.toml.
"""

from __future__ import annotations

from typing import Any

import pydyf

# The pydyf version the replacement was checked against; pyproject.toml pins the same one (a test compares them).
CHECKED_VERSION = "0.13.0"
ORIGINAL = pydyf.PDF.page_references


def page_references(pdf: Any) -> tuple[bytes, ...]:
    """pydyf's PDF.page_references, built once per page count instead of on every read."""
    kids = pdf.pages["Kids"]
    cached = pdf.__dict__.get("_page_references_cache")
    if cached is None or cached[0] != len(kids):
        cached = (len(kids), tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
        pdf.__dict__["_page_references_cache"] = cached
    return cached[1]


def install(version: str = pydyf.__version__) -> bool:
    """Use the cached page references in this process if pydyf is the checked version; True if installed.

    Called as the PDF worker processes start (publish/pdf/build.py) and before the slides print (publish/slides/pdf.py),
    never on import.
    """
    if version != CHECKED_VERSION:
        pydyf.PDF.page_references = ORIGINAL
        return False
    pydyf.PDF.page_references = property(page_references)
    return True
