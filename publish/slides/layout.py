"""Where every word of a slide sits, decided once for the PDF and the PowerPoint file, measured with the slides' own fonts.

Text is measured with the font files fontconfig gives for the slides' font (the ones WeasyPrint prints with), and
broken into rows here, so both files break lines at the same words. A text too long for its slide is set smaller,
down to a floor; below that it continues on a second slide (and a third...), with the same title and its number:
nothing is ever cut. Sizes and positions are in points on a 16:9 slide of 960 × 540.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from PIL import ImageFont

from macros.slide import Line, Slide
from publish.pdf.machine import FONTS, Lack, MachineError, font_match
from publish.pdf.qr import short_address

WIDTH, HEIGHT = 960.0, 540.0
MARGIN = 56.0
# The course's font, as print.css names it, then the fallbacks a machine without it would use.
FONT = "Liberation Sans"
FALLBACKS = ("DejaVu Sans", "sans-serif")
LEADING = 1.2
# Room kept in a title for the part number of a slide that continues: ' (2/3)'.
PART_ROOM = " (000/000)"
# Text is broken a little short of its box: the PDF and PowerPoint shape the same font with their own engines.
SLACK = 0.95
BODY_SIZES = (24.0, 22.0, 20.0, 18.0, 16.0)
TITLE_SIZES = (36.0, 32.0, 28.0, 24.0)
BIG_TITLE_SIZES = (48.0, 44.0, 40.0, 36.0, 32.0, 28.0, 24.0)
KICKER_SIZE = 14.0
SUBTITLE_SIZE = 20.0
FOOTER_SIZE = 11.0
QR_SIZE = 150.0
# The smallest height a picture is drawn at above its source line; with less room, the two take a slide each.
MIN_PICTURE = 160.0
TITLE_ROWS = 3
GAP = 16.0


@cache
def _font(bold: bool, italic: bool) -> ImageFont.FreeTypeFont:
    style = " ".join(s for s, on in (("Bold", bold), ("Italic", italic)) if on)
    family, file = font_match(FONT, style)
    if family.lower() != FONT.lower() or not file:
        raise MachineError([Lack(f"the font {FONT}", FONTS[FONT], "the slides are set and measured in it.")])
    return ImageFont.truetype(file, 100)


@lru_cache(maxsize=65536)
def text_width(text: str, size: float, bold: bool = False, italic: bool = False) -> float:
    """How wide text is set at a size, in points, in the slides' font."""
    return float(_font(bold, italic).getlength(text)) * size / 100


@dataclass(frozen=True)
class Run:
    """A piece of a row in one style."""

    text: str
    bold: bool = False
    italic: bool = False
    size: float = 0.0


@dataclass(frozen=True)
class LaidLine:
    """A line of the slide, broken into rows at its size; continued is True when it goes on from the slide before."""

    line: Line
    size: float
    rows: tuple[tuple[Run, ...], ...]
    indent: float
    space_before: float
    continued: bool = False

    @property
    def leading(self) -> float:
        return self.size * LEADING * (2 if self.line.kind == "figure" else 1)

    @property
    def height(self) -> float:
        return self.space_before + len(self.rows) * self.leading


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def inside(self, other: Box) -> bool:
        return (
            self.x >= other.x - 0.01
            and self.y >= other.y - 0.01
            and self.x + self.w <= other.x + other.w + 0.01
            and self.y + self.h <= other.y + other.h + 0.01
        )

    def overlaps(self, other: Box) -> bool:
        return self.x < other.x + other.w and other.x < self.x + self.w and self.y < other.y + other.h and other.y < self.y + self.h


@dataclass(frozen=True)
class Text:
    """A block of text on the slide: its rows at one size, in its box."""

    rows: tuple[tuple[Run, ...], ...]
    size: float
    box: Box
    bold: bool = False


@dataclass(frozen=True)
class Column:
    """A column of the slide's body: its box and its lines, top to bottom."""

    box: Box
    lines: list[LaidLine]


@dataclass
class LaidSlide:
    """One slide as printed: the slide it shows (its words, notes, picture), and where each part sits."""

    slide: Slide
    number: int
    title: Text
    kicker: Text | None = None
    subtitle: Text | None = None
    columns: list[Column] = field(default_factory=list)
    picture_box: Box | None = None
    qr_box: Box | None = None
    address: Text | None = None
    footer: Text | None = None
    part: tuple[int, int] = (1, 1)

    @property
    def title_text(self) -> str:
        """The slide's title as its title placeholder and the PDF's heading give it, with its part when continued."""
        return " ".join(run.text for row in self.title.rows for run in row)

    def boxes(self) -> list[tuple[str, Box]]:
        """Every part of the slide with a box, by name: what the bounds test checks."""
        named: list[tuple[str, Box | None]] = [
            ("kicker", self.kicker.box if self.kicker else None),
            ("title", self.title.box),
            ("subtitle", self.subtitle.box if self.subtitle else None),
            *((f"column {n}", column.box) for n, column in enumerate(self.columns, start=1)),
            ("picture", self.picture_box),
            ("qr", self.qr_box),
            ("address", self.address.box if self.address else None),
            ("footer", self.footer.box if self.footer else None),
        ]
        return [(name, box) for name, box in named if box is not None]


def break_rows(text: str, width: float, size: float, *, bold: bool = False, italic: bool = False, lead: str = "") -> tuple[tuple[Run, ...], ...]:
    """Text broken into rows no wider than width (measured in the wider bold face when a lead-in is bold).

    lead is a bold lead-in at the start of the text ('Substance: '). Rows break at spaces; a word too long for a row
    is broken where it must be, so nothing runs past the box.
    """
    full = lead + text
    measure_bold = bold or bool(lead)
    room = width * SLACK
    words = re.findall(r"\S+\s*", full) or [""]
    rows: list[str] = []
    row = ""
    for word in words:
        candidate = row + word
        if text_width(candidate.rstrip(), size, measure_bold, italic) <= room or (not row.strip() and not word.strip()):
            row = candidate
            continue
        if row:
            rows.append(row)
        row = ""
        while text_width(word.rstrip(), size, measure_bold, italic) > room:
            cut = max([n for n in range(1, len(word)) if text_width(word[:n], size, measure_bold, italic) <= room] or [1])
            rows.append(word[:cut])
            word = word[cut:]
        row = word
    rows.append(row)
    out = []
    position = 0
    for text_row in rows:
        runs = []
        start, end = position, position + len(text_row)
        if start < len(lead):
            runs.append(Run(full[start : min(end, len(lead))], True, italic, size))
        if end > len(lead):
            runs.append(Run(full[max(start, len(lead)) : end], bold, italic, size))
        position = end
        out.append(tuple(Run(r.text.rstrip() if i == len(runs) - 1 else r.text, r.bold, r.italic, r.size) for i, r in enumerate(runs)))
    return tuple(out)


def _style(line: Line, size: float) -> tuple[float, bool, bool, float]:
    """(size, bold, italic, indent) of a line's kind at the body's size."""
    if line.kind == "source":
        return max(12.0, round(size * 0.6)), False, False, 0.0
    if line.kind == "figure":
        return size, True, False, 0.0
    if line.kind in ("bullet", "number"):
        # An entry new at this stage of a build-up is set bold, as the page marks it "New".
        return size, line.new, False, size * 1.4
    return size, line.kind == "heading", line.kind == "quote", 0.0


def lay_line(line: Line, size: float, width: float, first: bool) -> LaidLine:
    """One line of the body at a size, broken to the body's width."""
    own, bold, italic, indent = _style(line, size)
    lead = f"{line.term}: " if line.term else ""
    if line.kind == "figure":
        # A headline figure and its label, as one row set twice as large: measured wholly in the large bold face.
        rows = break_rows(line.text, width, own * 2, bold=True, lead=lead.removesuffix(": ") + " " if lead else "")
        rows = tuple(tuple(replace(run, size=own * 2 if run.bold else own, bold=run.bold) for run in row) for row in rows)
    else:
        rows = break_rows(line.text, width - indent, own, bold=bold, italic=italic, lead=lead)
    space = 0.0 if first else own * (0.6 if line.kind in ("heading", "source", "by") else 0.35)
    return LaidLine(line, own, rows, indent, space)


def _title_block(text: str, width: float, sizes: tuple[float, ...], rows_max: int) -> tuple[float, tuple[tuple[Run, ...], ...], str]:
    """(size, rows, what did not fit) for a title: the largest size at which it fits rows_max rows; the rest goes to the body."""
    for size in sizes:
        rows = break_rows(text, width, size, bold=True)
        if len(rows) <= rows_max:
            return size, rows, ""
    size = sizes[-1]
    rows = break_rows(text, width, size, bold=True)
    kept = rows[:rows_max]
    rest = " ".join(run.text for row in rows[rows_max:] for run in row)
    return size, kept, rest


def lay_out(slides: list[Slide]) -> list[LaidSlide]:
    """Every slide laid out, in order and numbered; a slide whose text does not fit continues on the next."""
    laid: list[LaidSlide] = []
    for slide in slides:
        laid += _lay_slide(slide)
    for number, each in enumerate(laid, start=1):
        each.number = number
        each.footer = Text(((Run(str(number), size=FOOTER_SIZE),),), FOOTER_SIZE, Box(WIDTH - MARGIN - 80, HEIGHT - 34, 80, FOOTER_SIZE * LEADING))
    return laid


def _lay_slide(slide: Slide) -> list[LaidSlide]:
    width = WIDTH - 2 * MARGIN
    big = slide.kind in ("title", "section", "closing")
    y = 30.0
    kicker = None
    extra: list[Line] = []
    if slide.kicker:
        rows = break_rows(slide.kicker, width, KICKER_SIZE, bold=True)
        if len(rows) > 2:
            # A heading too long to sit above the title goes first in the body instead.
            extra.append(Line(slide.kicker, "heading"))
        else:
            kicker = Text(rows, KICKER_SIZE, Box(MARGIN, y, width, len(rows) * KICKER_SIZE * LEADING), bold=True)
            y += kicker.box.h + 6
    if big:
        y = max(y, 110.0)
    # Measured with room for a part number, so a slide that continues keeps its title's size and rows.
    size, rows, rest = _title_block(slide.title + PART_ROOM, width, BIG_TITLE_SIZES if big else TITLE_SIZES, TITLE_ROWS)
    rest = rest.removesuffix(PART_ROOM.strip()).strip()
    rows = rows if rest else break_rows(slide.title, width, size, bold=True)
    extra += [Line(rest, "heading")] if rest else []
    title_y = y
    y += len(rows) * size * LEADING
    subtitle = None
    if slide.subtitle:
        sub_rows = break_rows(slide.subtitle, width, SUBTITLE_SIZE)
        if len(sub_rows) > 3:
            extra.append(Line(slide.subtitle))
        else:
            subtitle = Text(sub_rows, SUBTITLE_SIZE, Box(MARGIN, y + 8, width, len(sub_rows) * SUBTITLE_SIZE * LEADING))
            y = subtitle.box.y + subtitle.box.h
    top = y + GAP
    bottom = HEIGHT - 44.0
    lines = extra + list(slide.lines)
    region = Box(MARGIN, top, width, bottom - top)
    picture_box = qr_box = None
    address = None
    if slide.address:
        # The page online: its QR code at the right of the body, its short address across the foot.
        short = short_address(slide.address)
        address_rows = break_rows(short, width, 14.0)
        address_h = len(address_rows) * 14.0 * LEADING
        address = Text(address_rows, 14.0, Box(MARGIN, bottom - address_h, width, address_h))
        qr_box = Box(WIDTH - MARGIN - QR_SIZE, top, QR_SIZE, QR_SIZE)
        region = Box(MARGIN, top, width - QR_SIZE - 24, address.box.y - 8 - top)
    title = Text(rows, size, Box(MARGIN, title_y, width, len(rows) * size * LEADING), bold=True)
    parts: list[tuple[list[Column], Box | None]]
    listed = [line for line in lines if line.kind != "source"]
    below = _height(_lay(lines, BODY_SIZES[-1], region.w))
    if slide.picture and not listed and region.h - below - 8 >= MIN_PICTURE:
        # A picture whose labels are every item: as large as the slide allows, its source under it.
        picture_box = Box(region.x, region.y, region.w, region.h - below - 8)
        text_region = Box(region.x, picture_box.y + picture_box.h + 8, region.w, below)
        parts = [(_columns(lines, text_region, columns=1)[0], _fit_picture(slide.picture, picture_box))]
    elif slide.picture:
        # The picture beside its list; when the list cannot stand beside it (or under it), the picture alone, then the list.
        left = Box(region.x, region.y, region.w * 0.48, region.h)
        right = Box(region.x + region.w * 0.52, region.y, region.w * 0.48, region.h)
        beside = _columns(lines, right, columns=1, paginate=False)
        if beside:
            parts = [(beside[0], _fit_picture(slide.picture, left))]
        else:
            parts = [([], _fit_picture(slide.picture, region))] + [(part, None) for part in _columns(lines, region)]
    else:
        parts = [(part, None) for part in _columns(lines, region)]
    out = []
    for index, (columns, picture) in enumerate(parts, start=1):
        part_title = title
        if len(parts) > 1 and not rest:
            part_title = replace(title, rows=break_rows(f"{slide.title} ({index}/{len(parts)})", width, size, bold=True))
        out.append(
            LaidSlide(
                slide if index == 1 else replace(slide, notes=[]),
                0,
                part_title,
                kicker,
                subtitle,
                columns,
                picture,
                qr_box if index == 1 else None,
                address if index == 1 else None,
                part=(index, len(parts)),
            )
        )
    return out


def _height(lines: list[LaidLine]) -> float:
    return sum(line.height for line in lines)


def _lay(lines: list[Line], size: float, width: float) -> list[LaidLine]:
    return [lay_line(line, size + (4 if line.kind == "quote" else 0), width, index == 0) for index, line in enumerate(lines)]


def _columns(lines: list[Line], region: Box, *, columns: int = 2, paginate: bool = True) -> list[list[Column]]:
    """The lines in region, on as few slides as they need: one column at the largest size that fits, then two
    columns, then shared out over more slides at the smallest size. paginate=False gives [] when one slide cannot hold them."""
    if not lines:
        return [[]]
    for size in BODY_SIZES:
        laid = _lay(lines, size, region.w)
        if _height(laid) <= region.h:
            return [[Column(replace(region, h=_height(laid)), laid)]]
    if columns == 1 and not paginate:
        return []
    if columns == 2:
        half = (region.w - GAP * 2) / 2
        boxes = [replace(region, w=half), replace(region, x=region.x + half + GAP * 2, w=half)]
        for size in BODY_SIZES[1:]:
            chunks = _paginate(_lay(lines, size, half), region.h)
            if len(chunks) <= 2 or size == BODY_SIZES[-1]:
                slides = []
                for first in range(0, len(chunks), 2):
                    pair = chunks[first : first + 2]
                    slides.append([Column(replace(box, h=_height(chunk)), chunk) for box, chunk in zip(boxes, pair, strict=False)])
                return slides
    return [[Column(replace(region, h=_height(chunk)), chunk)] for chunk in _paginate(_lay(lines, BODY_SIZES[-1], region.w), region.h)]


def _fit_picture(svg: str, box: Box) -> Box:
    """The largest box of the picture's proportions inside box, centred."""
    found = re.search(r'viewBox="\s*[\d.+-]+\s+[\d.+-]+\s+([\d.]+)\s+([\d.]+)\s*"', svg)
    if not found:
        return box
    ratio = float(found.group(1)) / float(found.group(2))
    w = min(box.w, box.h * ratio)
    h = w / ratio
    return Box(box.x + (box.w - w) / 2, box.y + (box.h - h) / 2, w, h)


def _paginate(lines: list[LaidLine], available: float) -> list[list[LaidLine]]:
    """Lines shared out over as many slides as they need; a line too long for what is left goes on, row by row."""
    parts: list[list[LaidLine]] = [[]]
    used = 0.0
    for line in lines:
        pending: LaidLine | None = line
        while pending is not None:
            first = not parts[-1]
            current = replace(pending, space_before=0.0) if first else pending
            if used + current.height <= available:
                parts[-1].append(current)
                used += current.height
                pending = None
                continue
            room_rows = int((available - used - current.space_before) // current.leading)
            if room_rows > 0:
                parts[-1].append(replace(current, rows=current.rows[:room_rows]))
                pending = replace(current, rows=current.rows[room_rows:], continued=True, space_before=0.0)
            elif first:
                # Not even one row fits an empty slide: cannot happen with the sizes above, but never loop.
                parts[-1].append(replace(current, rows=current.rows[:1]))
                pending = replace(current, rows=current.rows[1:], continued=True, space_before=0.0) if len(current.rows) > 1 else None
            parts.append([])
            used = 0.0
    return [part for part in parts if part]
