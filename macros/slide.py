"""What a slide holds, before it is laid out: the shape every slide form (macros/render.py) returns.

A slide is words from the pages' headings and the data records, in reading order, and at most one picture.
Where it sits on the slide, and at what size, is decided later, once, for both the PDF and the PowerPoint file
(publish/slides/layout.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# How a line of a slide reads: a paragraph, a list entry (bulleted or numbered), a heading over the entries that
# follow, a paragraph of a quotation and who said it, a headline figure, or the small source line under a finding.
LineKind = Literal["para", "bullet", "number", "heading", "quote", "by", "figure", "source"]
SlideKind = Literal["title", "section", "list", "quote", "picture", "discussion", "figures", "closing"]


@dataclass(frozen=True)
class Line:
    """One paragraph or list entry; term is a bold lead-in ('Substance: ...'), number the entry's number in a numbered list."""

    text: str
    kind: LineKind = "para"
    term: str | None = None
    number: int | None = None
    # A list entry new at this stage of a build-up (the strategic triangle): the page marks it "New".
    new: bool = False


@dataclass
class Slide:
    """One slide as the deck shows it: its title, the words under it, an optional picture, and the facilitator's notes.

    picture is an SVG drawn from a record (macros/diagrams.py) and picture_alt what it shows, in words;
    address is the page online where the room can find this part (its QR code and short address), when known.
    notes are the speaker notes: filled in the facilitator edition only.
    """

    title: str
    kind: SlideKind = "list"
    subtitle: str = ""
    kicker: str = ""
    lines: list[Line] = field(default_factory=list)
    picture: str = ""
    picture_alt: str = ""
    address: str | None = None
    notes: list[str] = field(default_factory=list)
    # Where the slide comes from, for messages: 'docs/what-to-expect.md'.
    origin: str = ""
