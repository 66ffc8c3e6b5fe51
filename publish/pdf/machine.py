"""What this machine lacks for printing, told apart from what the course's content gets wrong.

A missing system library or font is not a mistake in print.css or in a page: it is reported as what the
machine lacks and the command that installs it, naming the Debian package. WeasyPrint's warnings about our
own CSS or markup stay content problems, with their file and line (build.py).
This module imports nothing that needs those libraries, so it can say what is missing when they are.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Lack:
    """One thing the machine is missing: what it is, the Debian package that provides it, and what needs it."""

    what: str
    package: str
    needed_for: str

    def __str__(self) -> str:
        return f"{self.what} (Debian package {self.package}): {self.needed_for}"


class MachineError(Exception):
    """The PDFs cannot be made on this machine as it is; says what to install."""

    def __init__(self, lacks: list[Lack]) -> None:
        self.lacks = list(dict.fromkeys(lacks))
        super().__init__(format_lacks(self.lacks))


# WeasyPrint's library names (as it asks the loader for them) and the Debian packages that hold them.
LIBRARIES = {
    "gobject": Lack("GObject", "libglib2.0-0", "WeasyPrint needs it to print the PDFs."),
    "pangoft2": Lack("PangoFT2", "libpangoft2-1.0-0", "WeasyPrint needs it to print the PDFs."),
    "pango": Lack("Pango", "libpango-1.0-0", "WeasyPrint needs it to lay out the PDFs' text."),
    "harfbuzz-subset": Lack("HarfBuzz-Subset", "libharfbuzz-subset0", "WeasyPrint needs it to embed fonts in the PDFs."),
    "harfbuzz": Lack("HarfBuzz", "libharfbuzz0b", "WeasyPrint needs it to shape the PDFs' text."),
    "fontconfig": Lack("Fontconfig", "libfontconfig1", "WeasyPrint needs it to find fonts."),
    "cairo": Lack("Cairo", "libcairo2", "cairosvg needs it to draw the installed app's icons and the slides' pictures."),
}
# What WeasyPrint says when a library it can do without is missing (its words name the library).
WARNINGS = [(re.compile(r"HarfBuzz-Subset", re.I), LIBRARIES["harfbuzz-subset"])]
# The fonts print.css asks for first, and their packages; a font missing here would be silently replaced.
FONTS = {
    "Liberation Sans": "fonts-liberation",
    "Liberation Mono": "fonts-liberation",
    "Liberation Serif": "fonts-liberation",
    "DejaVu Sans": "fonts-dejavu-core",
    "DejaVu Sans Mono": "fonts-dejavu-core",
    "DejaVu Serif": "fonts-dejavu-core",
}


def format_lacks(lacks: list[Lack]) -> str:
    """What an author reads: what is missing, why, and one command that installs it all."""
    packages = " ".join(dict.fromkeys(lack.package for lack in lacks))
    lines = ["This machine lacks what the build needs; the course itself is fine:", ""]
    lines += [f"  {lack}" for lack in lacks]
    lines += ["", f"Fix: run `make site`, which installs them, or `sudo apt-get install -y {packages}`."]
    return "\n".join(lines)


def lack_in_warning(message: str) -> Lack | None:
    """The missing part a WeasyPrint warning is about, or None when it is about the course's own CSS or markup."""
    return next((lack for pattern, lack in WARNINGS if pattern.search(message)), None)


def lack_in_import_error(error: OSError) -> Lack:
    """The library WeasyPrint could not load ("cannot load library 'libpango-1.0-0': ...")."""
    name = re.search(r"library '([^']+)'", str(error))
    asked = name.group(1).lower() if name else ""
    for key, lack in LIBRARIES.items():
        if key in asked:
            return lack
    packages = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
    return Lack(name.group(1) if name else "a system library", packages, f"WeasyPrint could not load it ({error}).")


# The print stylesheet: the fonts it asks for first are part of what the machine must have.
STYLESHEET = Path(__file__).with_name("print.css")


def check_machine() -> None:
    """What every build needs from this machine, checked before anything is built: Cairo (the installed app's icons).
    What printing needs (WeasyPrint's libraries and print.css's fonts: machine_lacks) the print workers check as they
    start (publish/pdf/jobs.py check_printing), so the build's own process never loads WeasyPrint. Raises MachineError."""
    try:
        import cairosvg  # noqa: F401
    except OSError as error:
        raise MachineError([lack_in_import_error(error)]) from None


def load_weasyprint() -> None:
    """Import WeasyPrint; raises MachineError naming the package when a library it needs is missing."""
    try:
        import weasyprint  # noqa: F401
    except OSError as error:
        raise MachineError([lack_in_import_error(error)]) from None


def machine_lacks(stylesheet: str) -> list[Lack]:
    """Everything the machine lacks for printing with this stylesheet (print.css's text), checked before any PDF is printed."""
    load_weasyprint()
    from weasyprint.text.ffi import harfbuzz_subset

    lacks = [] if harfbuzz_subset is not None else [LIBRARIES["harfbuzz-subset"]]
    return lacks + missing_fonts(stylesheet)


def first_fonts(stylesheet: str) -> list[str]:
    """The family each font-family rule of the stylesheet asks for first."""
    found = []
    for rule in re.findall(r"font-family\s*:\s*([^;}]+)", stylesheet):
        family = rule.split(",")[0].strip().strip("\"'")
        if family and family.lower() not in {"serif", "sans-serif", "monospace", "inherit", "initial"}:
            found.append(family)
    return list(dict.fromkeys(found))


def font_match(family: str, style: str = "") -> tuple[str, str]:
    """(family, file) of the font fontconfig, and so WeasyPrint, uses for a family and style ('Bold', 'Italic'); ('', '') if none.

    Asked of fontconfig itself (as WeasyPrint asks it, with the default configuration) rather than through WeasyPrint's
    binding, which would load WeasyPrint (half a second) into the build's own process to lay out the slides."""
    fontconfig = _fontconfig()
    pattern = fontconfig.FcPatternCreate()
    found = file = ""
    try:
        fontconfig.FcPatternAddString(pattern, b"family", family.encode())
        if style:
            fontconfig.FcPatternAddString(pattern, b"style", style.encode())
        fontconfig.FcConfigSubstitute(None, pattern, 0)  # FcMatchPattern
        fontconfig.FcDefaultSubstitute(pattern)
        result = ctypes.c_int()
        match = fontconfig.FcFontMatch(None, pattern, ctypes.byref(result))
        if match:
            value = ctypes.c_char_p()
            if fontconfig.FcPatternGetString(match, b"family", 0, ctypes.byref(value)) == 0 and value.value is not None:
                found = value.value.decode()
            if fontconfig.FcPatternGetString(match, b"file", 0, ctypes.byref(value)) == 0 and value.value is not None:
                file = value.value.decode()
            fontconfig.FcPatternDestroy(match)
    finally:
        fontconfig.FcPatternDestroy(pattern)
    return found, file


@functools.cache
def _fontconfig() -> ctypes.CDLL:
    """The fontconfig library, its functions font_match calls typed; raises MachineError when the machine lacks it."""
    try:
        library = ctypes.CDLL("libfontconfig.so.1")
    except OSError:
        raise MachineError([LIBRARIES["fontconfig"]]) from None
    pointer = ctypes.c_void_p
    for name, arguments, returns in (
        ("FcPatternCreate", [], pointer),
        ("FcPatternAddString", [pointer, ctypes.c_char_p, ctypes.c_char_p], ctypes.c_int),
        ("FcConfigSubstitute", [pointer, pointer, ctypes.c_int], ctypes.c_int),
        ("FcDefaultSubstitute", [pointer], None),
        ("FcFontMatch", [pointer, pointer, ctypes.POINTER(ctypes.c_int)], pointer),
        ("FcPatternGetString", [pointer, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)], ctypes.c_int),
        ("FcPatternDestroy", [pointer], None),
    ):
        function = getattr(library, name)
        function.argtypes, function.restype = arguments, returns
    return library


def missing_fonts(stylesheet: str) -> list[Lack]:
    """The fonts the stylesheet (print.css's text) asks for first that fontconfig cannot find (it would silently use another)."""
    lacks = []
    for family in first_fonts(stylesheet):
        found, _ = font_match(family)
        if found.lower() != family.lower():
            package = FONTS.get(family, "the package that provides it")
            lacks.append(Lack(f"the font {family}", package, f"{STYLESHEET.name} prints with it; without it another font would be used."))
    return lacks


def release_memory() -> None:
    """Give freed memory back to the system (glibc keeps it for reuse otherwise): a worker that printed a long document
    would go on holding its peak while it prints handouts. Nothing happens where there is no glibc."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
