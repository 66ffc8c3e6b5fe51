"""The EPUB 3 course reader for phones and e-readers, made from the built site's pages like the PDFs.

Call build_epub() after MkDocs has built the site: it writes epub/course-reader.epub.
"""

from .build import BuiltEpub, build_epub

__all__ = ["BuiltEpub", "build_epub"]
