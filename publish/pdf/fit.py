"""Pictures fitted to the page: a picture cannot split across pages, so one that would leave the page before it more
than a third empty is printed smaller, to fit the room that page leaves.

print.css lets long blocks split (a finding card, a quotation) and keeps each title with its first lines; the deck's
pictures (macros/diagrams.py) are the blocks that cannot split. After a document is laid out, each page that ends more
than a third empty and is followed by a page that opens on a picture (under its card's title at most) gets that
picture narrowed, in a stylesheet rule for its card, so the title and the picture fit the room left; the document is
then laid out again, a few times at most, since each fit moves what follows. A picture is never narrowed below
SMALLEST of its width, so its labels stay readable (about 6 points at the least); one that would need more stays
where it is, and the print test reports the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from weasyprint import CSS
from weasyprint.formatting_structure import boxes

# At most this much of a page's content area may stay empty before a picture moved to the next page.
MOST_EMPTY = 1 / 3
# A picture opens a page when no more than this much of the page (its card's title, margins) is above it.
OPENS = 0.15
# The narrowest a picture is printed, as a share of the width print.css gives it.
SMALLEST = 0.7
# Layouts at most: each fit moves what follows, so a later page may need one of its own.
PASSES = 6
# The most a picture keeps of its width from one layout to the next, when the room left alone does not move it.
STEP = 0.92
# Room kept free besides the picture and its card's title: the card's top margin and border, in px (about 6 mm).
SLACK = 24


def _walk(box: Any, parents: tuple[Any, ...] = ()) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    yield box, parents
    for child in getattr(box, "children", None) or []:
        yield from _walk(child, (*parents, box))


def _content(page: Any) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """Every box in a page's content area (the running head and the page number, in the margins, left out)."""
    for child in page._page_box.children:
        if not isinstance(child, boxes.MarginBox):
            yield from _walk(child)


def _bottom(page: Any) -> float:
    """Where the last line or image on a page ends."""
    top = page._page_box.content_box_y()
    return max([top] + [box.position_y + box.margin_height() for box, _ in _content(page) if isinstance(box, (boxes.LineBox, boxes.ReplacedBox))])


def _opening_picture(page: Any) -> tuple[str, float, Any] | None:
    """(its card's id, the room it takes besides the image, its image box) for a picture that opens the page."""
    top, height = page._page_box.content_box_y(), page._page_box.height
    for box, parents in _content(page):
        if isinstance(box, (boxes.LineBox, boxes.ReplacedBox)) and box.position_y - top > OPENS * height:
            return None  # something else comes first
        if isinstance(box, boxes.BlockBox) and box.element_tag == "figure" and "cw-diagram" in (box.element.get("class") or "").split():
            image = next((child for child, _ in _walk(box) if isinstance(child, boxes.ReplacedBox)), None)
            card = next((p.element.get("id") for p in reversed(parents) if p.element is not None and p.element.get("id")), None)
            if image is None or card is None or box.border_box_y() - top > OPENS * height:
                return None
            # Everything the page needs above and around the image: the card's title, the figure's margins.
            return card, box.position_y - top + box.margin_height() - image.height, image
    return None


def picture_to_fit(document: Any) -> tuple[str, float, float] | None:
    """The first picture that leaves the page before it more than a third empty: (its card's id, its width, the width that fits), in px."""
    for before, page in zip(document.pages, document.pages[1:], strict=False):
        box = before._page_box
        room = box.content_box_y() + box.height - _bottom(before)
        if room <= MOST_EMPTY * box.height:
            continue
        opening = _opening_picture(page)
        if opening is None:
            continue
        card, around, image = opening
        # The picture keeps its proportions, so its width scales as its height; SLACK for the margins above the card.
        return card, image.width, image.width * (room - around - SLACK) / image.height
    return None


def fitted(lay_out: Callable[[list[CSS]], Any], stylesheets: list[CSS]) -> Any:
    """Lay a document out with stylesheets, then again with pictures narrowed to fit where they would leave a page a third empty."""
    document = lay_out(stylesheets)
    first: dict[str, float] = {}  # each narrowed picture's width as print.css gives it
    widths: dict[str, float] = {}
    for _ in range(PASSES):
        found = picture_to_fit(document)
        if found is None:
            break
        card, now, fits = found
        first.setdefault(card, now)
        # Still on the next page though the sum says it fits (the layout keeps more than the picture together): a step narrower.
        fits = min(fits, now * STEP)
        if fits < SMALLEST * first[card]:
            break  # too small to read: the page stays as it is
        widths[card] = fits
        rules = "".join(f'[id="{card}"] .cw-diagram svg {{ width: {width:.1f}px; }}\n' for card, width in widths.items())
        document = lay_out([*stylesheets, CSS(string=rules)])
    return document
