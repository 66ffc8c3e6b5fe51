"""The print path, in one place: the course reader, session handouts and the reflection workbook as PDFs.

They are made from the built site's own pages (so print and screen show the same words), with our own
print template and stylesheet rendered by WeasyPrint. Call build_pdfs() after MkDocs has built the site.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import BuiltPdf, Cohort, Edition, build_pdfs, stylesheet_warnings

__all__ = ["BuiltPdf", "Cohort", "Edition", "build_pdfs", "stylesheet_warnings"]


def __getattr__(name: str) -> Any:
    # WeasyPrint loads only when a PDF is wanted, so `make changes` can read the print rules in publish.pdf.site quickly.
    if name in __all__:
        from . import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
