"""The deck's two pictures as inline SVG, drawn at build time from the findings records.

Every word in a picture is a record's text (a group, an item, a title) or the "New" badge the
lists already show, so a picture can never say what the data does not. Lines and text use
currentColor, so they follow the page's colour scheme and print in greyscale; text is wrapped
with a rough measure of Helvetica-like widths (the font stack the pictures ask for), with room to spare.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from markupsafe import escape

from .models import Finding, Item

WIDTH = 360
# Liberation Sans first: it is what the PDFs print with (publish/pdf/print.css, installed by `make site`), and it has
# Helvetica's and Arial's widths. With Helvetica first, a machine that happens to have URW's Nimbus Sans (brought in
# by other software) printed the pictures in that font instead; screens without Liberation Sans fall through as before.
FONT = "'Liberation Sans', Helvetica, Arial, sans-serif"
SIZE, LEADING = 13, 16
HEAD_SIZE, HEAD_LEADING = 14, 18
PAD = 8
NEW = "New"
# Helvetica's advance widths in thousandths of an em (Adobe's metrics); anything else counts as wide.
_NARROW = {" ": 278, ",": 278, ".": 278, ":": 278, ";": 278, "'": 222, "’": 222, "!": 278, "(": 333, ")": 333, "-": 333, "/": 278, "&": 667, "?": 556}
_LOWER = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyz",
        (556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500),
        strict=True,
    )
)
_UPPER = dict(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611),
        strict=True,
    )
)
# Other fonts in the stack run a little wider, and bold wider still: measure generously.
_SPARE, _BOLD = 1.1, 1.08


@cache  # wrapping a label measures the same words many times, and every page with a diagram draws it anew
def text_width(text: str, size: float, bold: bool = False) -> float:
    """Roughly how wide text is drawn at a font size, erring wide."""
    units = sum(_NARROW.get(c) or _LOWER.get(c) or _UPPER.get(c) or (556 if c.isdigit() else 700) for c in text)
    return units / 1000 * size * _SPARE * (_BOLD if bold else 1)


def wrap(text: str, width: float, size: float, bold: bool = False, first_indent: float = 0) -> list[str]:
    """Text broken into lines no wider than width (the first line narrower by first_indent).

    Lines break at spaces and after hyphens; a word too long for a line is split with a hyphen.
    """
    pieces = [
        (part, " " if index == len(parts) - 1 else "")
        for word in text.split()
        for parts in [re.split(r"(?<=-)(?=[^-])", word)]
        for index, part in enumerate(parts)
    ]
    lines: list[str] = []
    line, glue = "", ""
    for piece, after in pieces:
        room = width - (first_indent if not lines else 0)
        candidate = line + glue + piece if line else piece
        if text_width(candidate, size, bold) <= room:
            line, glue = candidate, after
            continue
        if line:
            lines.append(line)
            room = width
        while text_width(piece, size, bold) > room:
            cut = max([n for n in range(1, len(piece)) if text_width(piece[:n] + "-", size, bold) <= room] or [1])
            lines.append(piece[:cut] + "-")
            piece = piece[cut:]
        line, glue = piece, after
    lines.append(line)
    return lines


def _text(
    lines: list[str],
    x: float,
    y: float,
    *,
    cls: str,
    anchor: str = "start",
    bold: bool = False,
    size: int = SIZE,
    leading: int = LEADING,
    first_x: float | None = None,
) -> str:
    """One label as a <text> with a <tspan> per line; y is the first line's baseline."""
    spans = []
    for index, line in enumerate(lines):
        left = first_x if index == 0 and first_x is not None else x
        where = f'y="{y:.1f}"' if index == 0 else f'dy="{leading}"'
        spans.append(f'<tspan x="{left:.1f}" {where}>{escape(line)}</tspan>')
    weight = ' font-weight="bold"' if bold else ""
    return f'<text class="{cls}" font-size="{size}"{weight} text-anchor="{anchor}" fill="currentColor">{"".join(spans)}</text>'


@dataclass
class Box:
    """A labelled box of a picture: where it is and the SVG that draws it."""

    x: float
    y: float
    width: float
    height: float
    svg: str

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2

    def moved(self, dx: float, dy: float) -> Box:
        return Box(self.x + dx, self.y + dy, self.width, self.height, f'<g transform="translate({dx:.1f} {dy:.1f})">{self.svg}</g>')


def _badge(x: float, baseline: float) -> str:
    """The "New" badge the lists use, drawn before a new item's first line."""
    width = text_width(NEW, SIZE - 3, bold=True) + 6
    return (
        f'<g class="cw-diagram-new"><rect x="{x:.1f}" y="{baseline - SIZE + 2:.1f}" width="{width:.1f}" height="{SIZE:.1f}" rx="2" '
        f'fill="none" stroke="currentColor" stroke-width="1"/>'
        f'<text font-size="{SIZE - 3}" font-weight="bold" x="{x + 3:.1f}" y="{baseline - 1:.1f}" fill="currentColor">{NEW}</text></g>'
    )


def group_box(heading: str | None, items: list[Item], width: float, new_stage: int | None, *, opaque: bool = False) -> Box:
    """A box with a group's name (none for a group the deck does not name) and its items, new ones marked; drawn at (0, 0)."""
    inner = width - 2 * PAD
    parts: list[str] = []
    y: float = PAD
    if heading:
        title = wrap(heading, inner, HEAD_SIZE, bold=True)
        y += HEAD_SIZE
        parts.append(_text(title, width / 2, y, cls="cw-diagram-group", anchor="middle", bold=True, size=HEAD_SIZE, leading=HEAD_LEADING))
        y += (len(title) - 1) * HEAD_LEADING + 6
    bullet = 9
    for item in items:
        y += LEADING
        fresh = new_stage is not None and item.stage == new_stage
        indent = text_width(NEW, SIZE - 3, bold=True) + 10 if fresh else 0
        lines = wrap(item.text, inner - bullet, SIZE, first_indent=indent)
        parts.append(f'<circle cx="{PAD + 2.5:.1f}" cy="{y - 4:.1f}" r="2" fill="currentColor"/>')
        if fresh:
            parts.append(_badge(PAD + bullet, y))
        parts.append(_text(lines, PAD + bullet, y, cls="cw-diagram-item", first_x=PAD + bullet + indent))
        y += (len(lines) - 1) * LEADING + 3
    height = y + PAD
    # Opaque boxes hide the lines they sit on; the page's own background colour keeps dark mode dark.
    fill = 'class="cw-diagram-fill" fill="#fff"' if opaque else 'fill="none"'
    frame = f'<rect x="0.5" y="0.5" width="{width - 1:.1f}" height="{height - 1:.1f}" rx="6" {fill} stroke="currentColor" stroke-width="1"/>'
    return Box(0, 0, width, height, frame + "".join(parts))


def _drawing(label: str, width: float, height: float, body: Iterable[str], cls: str = "") -> str:
    """One drawing: a named image to assistive technology, its size in the units it is drawn in."""
    named = f' class="{cls}"' if cls else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg"{named} viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f'role="img" aria-label="{escape(label)}" font-family="{FONT}">' + "".join(body) + "</svg>"
    )


def _svg(kind: str, drawings: Iterable[str]) -> str:
    """The picture: scales with the column, left out of search (the list beside it is indexed)."""
    return f'<figure class="cw-diagram cw-diagram-{kind}" data-search-exclude>' + "".join(drawings) + "</figure>"


# Where the items the deck gives no group name are drawn; the list beside the picture says so in these words.
TRIANGLE_CENTRE = "At the centre of the triangle"
# How many items go round a cycle: with fewer they do not go round it, with more their boxes overlap.
CYCLE_ITEMS = range(3, 7)


def cycle_misfit(finding: Finding) -> str | None:
    """Why a finding cannot be drawn as a cycle (learning_cycle), or None when it can."""
    grouped = sum(1 for item in finding.items if item.group is not None)
    staged = sum(1 for item in finding.items if item.stage is not None)
    if len(finding.items) in CYCLE_ITEMS and not grouped and not staged:
        return None
    return (
        f"a cycle draws {CYCLE_ITEMS.start} to {CYCLE_ITEMS.stop - 1} items round the finding's title, none with a `group:` or a `stage:`; "
        f"it has {len(finding.items)} items, {grouped} with a group and {staged} with a stage"
    )


def triangle_misfit(finding: Finding) -> str | None:
    """Why a finding cannot be drawn as a triangle (strategic_triangle), or None when it can."""
    named = list(dict.fromkeys(item.group for item in finding.items if item.group is not None))
    centre = [item for item in finding.items if item.group is None]
    if len(named) == 3 and centre:
        return None
    listed = ", ".join(f"'{group}'" for group in named) or "none"
    return (
        "a triangle has three named areas at its corners and the items without a group at its centre, so it needs 3 group names and "
        f"at least one item without a group; it has {len(named)} ({listed}) and {len(centre)} without a group"
    )


# Each shape a macro can draw a finding in, and why a finding does not fit it.
MISFIT = {"cycle": cycle_misfit, "triangle": triangle_misfit}


@dataclass(frozen=True)
class TriangleLayout:
    """How a drawing of the triangle is laid out: its width, its top and centre boxes' widths, and the room inside the
    triangle above and below its centre box (the sides pass under the opaque box)."""

    width: float
    top: float
    centre: float
    room: tuple[float, float]


SCREEN_TRIANGLE = TriangleLayout(WIDTH, 250, 210, (70, 50))
# On paper the triangle is drawn wider, so its labels wrap into fewer lines and the drawing is less tall: it must fit the
# room a page has left after the card's list. Its sides, less steep, clear the centre box sooner.
PAPER_TRIANGLE = TriangleLayout(640, 380, 340, (40, 30))
# The class of a drawing for paper: the PDFs print it in place of the picture's other drawing (publish/pdf/content.py).
PAPER_DRAWING = "cw-diagram-paper"


def strategic_triangle(finding: Finding, items: list[Item], label: str, new_stage: int | None, *, paper: bool = False) -> str:
    """The strategic triangle for a collaborative team: its three named groups at the corners, the items with no group at the centre.

    With paper, the picture also holds the wider drawing the PDFs print in the screen drawing's place (hidden on screen)."""
    drawings = [_triangle(finding, items, label, new_stage, SCREEN_TRIANGLE)]
    if paper:
        drawings.append(_triangle(finding, items, label, new_stage, PAPER_TRIANGLE, cls=PAPER_DRAWING))
    return _svg("triangle", drawings)


def _triangle(finding: Finding, items: list[Item], label: str, new_stage: int | None, layout: TriangleLayout, cls: str = "") -> str:
    """One drawing of the triangle, laid out as layout says."""
    groups: dict[str | None, list[Item]] = {}
    for item in finding.items:
        groups.setdefault(item.group, [])
    for item in items:
        groups[item.group].append(item)
    centre_items = groups.pop(None, [])
    (top_name, top_items), (left_name, left_items), (right_name, right_items) = list(groups.items())[:3]
    gap = 10
    width, room = layout.width, layout.room
    top = group_box(top_name, top_items, layout.top, new_stage).moved((width - layout.top) / 2, 2)
    centre = group_box(None, centre_items, layout.centre, new_stage, opaque=True)
    apex = (width / 2, top.y + top.height + gap)
    depth = room[0] + centre.height + room[1]
    base = apex[1] + depth
    left_corner, right_corner = (14.0, base), (width - 14.0, base)
    centre = centre.moved((width - centre.width) / 2, apex[1] + room[0])
    half = (width - 3 * 2) / 2 - 2
    left = group_box(left_name, left_items, half, new_stage).moved(2, base + gap)
    right = group_box(right_name, right_items, half, new_stage).moved(width - 2 - half, base + gap)
    height = max(left.y + left.height, right.y + right.height) + 2
    corners = (apex, left_corner, right_corner)
    outline = " ".join(f"{x:.1f},{y:.1f}" for x, y in corners)
    body = [
        f'<polygon class="cw-diagram-triangle-shape" points="{outline}" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>',
        *(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="currentColor"/>' for x, y in corners),
        top.svg,
        centre.svg,
        left.svg,
        right.svg,
    ]
    return _drawing(label, width, height, body, cls)


def _arrowhead(tip: tuple[float, float], direction: tuple[float, float], size: float = 8) -> str:
    """A filled arrowhead with its tip at tip, pointing along direction (a unit vector)."""
    dx, dy = direction
    bx, by = tip[0] - dx * size, tip[1] - dy * size
    px, py = -dy * size / 2, dx * size / 2
    return f'<path d="M{tip[0]:.1f},{tip[1]:.1f} L{bx + px:.1f},{by + py:.1f} L{bx - px:.1f},{by - py:.1f} Z" fill="currentColor"/>'


def learning_cycle(finding: Finding) -> str:
    """The key actions round the cycle they feed: the cycle at the centre, named by the finding's title, an arrow from each action into it."""
    count = len(finding.items)
    ring, node_width, tag = 46.0, 108.0, 11
    title_size = SIZE - 1
    # The ring grows until the finding's title, wrapped inside it, fits within its height.
    title = wrap(finding.title, ring * 1.45, title_size, bold=True)
    while len(title) * (title_size + 2) > ring * 1.3 and ring < 64:
        ring += 2
        title = wrap(finding.title, ring * 1.45, title_size, bold=True)
    boxes: list[Box] = []
    for number, item in enumerate(finding.items, start=1):
        lines = wrap(item.text, node_width - 2 * PAD, SIZE)
        height = PAD * 2 + SIZE + (len(lines) - 1) * LEADING + 4
        parts = [f'<rect x="0.5" y="0.5" width="{node_width - 1:.1f}" height="{height - 1:.1f}" rx="6" fill="none" stroke="currentColor"/>']
        if finding.numbered:
            # The list's number, on the box's corner.
            parts.append(f'<circle class="cw-diagram-fill" cx="{tag + 2}" cy="0" r="{tag}" fill="#fff" stroke="currentColor"/>')
            number_text = f'<text class="cw-diagram-number" font-size="{SIZE - 1}" font-weight="bold" x="{tag + 2}" y="4.5" text-anchor="middle"'
            parts.append(f'{number_text} fill="currentColor">{number}</text>')
        parts.append(_text(lines, PAD, PAD + SIZE + (4 if finding.numbered else 0), cls="cw-diagram-item"))
        boxes.append(Box(0, 0, node_width, height, "".join(parts)))
    # The boxes go round the cycle clockwise from the top, as the list runs; the side ones keep clear of it.
    side = WIDTH / 2 - node_width / 2 - 2
    angles = [-math.pi / 2 + 2 * math.pi * index / count for index in range(count)]
    widest = max(abs(math.cos(a)) for a in angles) or 1
    reach = ring + 10 + max(b.height for b in boxes)
    placed = []
    for angle, box in zip(angles, boxes, strict=True):
        cx, cy = side * math.cos(angle) / widest, reach * math.sin(angle)
        placed.append(box.moved(WIDTH / 2 + cx - box.width / 2, cy - box.height / 2))
    shift = tag + 2 - min(b.y for b in placed)
    placed = [b.moved(0, shift) for b in placed]
    centre = (WIDTH / 2, shift)
    total = max(b.y + b.height for b in placed) + 2
    body: list[str] = []
    # The cycle: three arcs, each ending in an arrowhead, turning clockwise.
    arcs = 3
    for index in range(arcs):
        begin = 2 * math.pi * index / arcs + 0.3
        end = 2 * math.pi * (index + 1) / arcs - 0.3
        sx, sy = centre[0] + ring * math.cos(begin), centre[1] + ring * math.sin(begin)
        ex, ey = centre[0] + ring * math.cos(end), centre[1] + ring * math.sin(end)
        body.append(f'<path d="M{sx:.1f},{sy:.1f} A{ring},{ring} 0 0 1 {ex:.1f},{ey:.1f}" fill="none" stroke="currentColor" stroke-width="2"/>')
        body.append(_arrowhead((ex, ey), (-math.sin(end), math.cos(end))))
    first = centre[1] - (len(title) - 1) * (title_size + 2) / 2 + title_size / 2 - 1
    body.append(_text(title, centre[0], first, cls="cw-diagram-title", anchor="middle", bold=True, size=title_size, leading=title_size + 2))
    # Each action feeds the cycle: an arrow from its box towards the centre.
    for box in placed:
        bx, by = box.centre
        dx, dy = centre[0] - bx, centre[1] - by
        length = math.hypot(dx, dy)
        ux, uy = dx / length, dy / length
        leave = min(box.width / 2 / abs(ux) if ux else math.inf, box.height / 2 / abs(uy) if uy else math.inf)
        x1, y1 = bx + ux * (leave + 3), by + uy * (leave + 3)
        tip = (centre[0] - ux * (ring + 5), centre[1] - uy * (ring + 5))
        if (tip[0] - x1) * ux + (tip[1] - y1) * uy > 10:
            x2, y2 = tip[0] - ux * 6, tip[1] - uy * 6
            body.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="currentColor" stroke-width="1.5"/>')
            body.append(_arrowhead(tip, (ux, uy)))
        body.append(box.svg)
    return _svg("cycle", [_drawing(finding.title, WIDTH, total, body)])
