"""The print path, in one place: the course reader, session handouts and the reflection workbook as PDFs.

They are made from the built site's own pages (so print and screen show the same words), with our own
print template and stylesheet rendered by WeasyPrint. Call build_pdfs() after MkDocs has built the site.
Nothing is imported until it is asked for, so publish.pdf.machine can say which system library is missing
when WeasyPrint cannot load it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BuiltPdf", "PrintedCohort", "build_pdfs", "stylesheet_warnings"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import build

        return getattr(build, name)
    raise AttributeError(name)
