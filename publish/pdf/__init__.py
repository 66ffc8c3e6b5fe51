"""The print path, in one place: the course reader, session handouts and the reflection workbook as PDFs.

They are made from the built site's own pages (so print and screen show the same words), with our own
print template and stylesheet rendered by WeasyPrint. Call build_pdfs() after MkDocs has built the site.
Nothing is imported until it is asked for, so publish.pdf.machine can say which system library is missing
when WeasyPrint cannot load it.
"""

from __future__ import annotations

import importlib
from typing import Any

# Each name and the module that holds it: composing a document (compose), printing it (printer), or both (build).
_HOMES = {"BuiltPdf": "build", "build_pdfs": "build", "PrintedCohort": "compose", "stylesheet_warnings": "printer"}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(name)
