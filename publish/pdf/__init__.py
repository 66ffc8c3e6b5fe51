"""The print path, in one place: the course reader, session handouts and the reflection workbook as PDFs.

They are made from the built site's own pages (so print and screen show the same words), with our own
print template and stylesheet rendered by WeasyPrint. Call build_pdfs() after MkDocs has built the site.
"""

from .build import BuiltPdf, Cohort, Edition, build_pdfs, stylesheet_warnings

__all__ = ["BuiltPdf", "Cohort", "Edition", "build_pdfs", "stylesheet_warnings"]
