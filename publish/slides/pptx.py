"""The slides as a PowerPoint file (python-pptx), placed exactly as the PDF places them (publish/slides/layout.py).

Each slide's title is its title placeholder (the outline view and screen readers read it), and the shapes follow in
reading order: the title, the line above it, the subtitle, the body, the picture, the QR code and address, the number.
Pictures are PNGs at presentation resolution with their alt text; speaker notes are written only when the slides
carry them (the facilitator edition). Rows are broken where the layout measured them, so nothing is re-flowed.
The file is byte for byte the same for the same sources: its dates and its zip entries' times are the given moment.
"""

from __future__ import annotations

import copy
import datetime
import io
import uuid
import zipfile
from functools import cache
from pathlib import Path

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.opc.packuri import PackURI
from pptx.oxml import parse_xml
from pptx.oxml.ns import nsdecls, qn
from pptx.parts.slide import SlidePart
from pptx.presentation import Presentation as PresentationFile
from pptx.slide import Slide as PptxSlide
from pptx.slide import SlideLayout
from pptx.text.text import TextFrame, _Paragraph
from pptx.util import Emu, Pt

from publish.pdf.machine import MachineError, lack_in_import_error
from publish.pdf.qr import qr_png

from .layout import FONT, HEIGHT, LEADING, WIDTH, Box, LaidLine, LaidSlide, Run, Text
from .pdf import bare_svg

EMU_PER_POINT = 12700
# Pictures are drawn at this many pixels per point: a full-width picture is about 1700 pixels wide.
PIXELS_PER_POINT = 2
# The PANOSE class and pitch of Liberation Sans (Arial's metrics): where it is missing, PowerPoint and Keynote
# substitute the closest font they have, Arial or Helvetica, with the same widths.
PANOSE = "020B0604020202020204"
INK, LIGHT, ACCENT, DARK = RGBColor(0x1A, 0x1A, 0x1A), RGBColor(0xFF, 0xFF, 0xFF), RGBColor(0x30, 0x3F, 0x9F), RGBColor(0x1A, 0x23, 0x7E)
DARK_KINDS = ("title", "section", "closing")
# The first id of a slide in a presentation (python-pptx's MIN_SLIDE_ID); each next slide takes the next.
FIRST_SLIDE_ID = 256


def _emu(points: float) -> Emu:
    return Emu(round(points * EMU_PER_POINT))


def _place(shape: object, box: Box) -> None:
    shape.left, shape.top, shape.width, shape.height = _emu(box.x), _emu(box.y), _emu(box.w), _emu(box.h)  # type: ignore[attr-defined]


def _frame(frame: TextFrame) -> None:
    """A text frame that shows its rows as they are: no inset, no autofit, anchored at the top."""
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = Emu(0)
    frame.vertical_anchor = MSO_ANCHOR.TOP


def _detached_paragraph() -> _Paragraph:
    """A paragraph in no slide, to set properties on through python-pptx (none of them reaches a slide's part)."""
    return _Paragraph(parse_xml(f"<a:p {nsdecls('a')}/>"), None)  # type: ignore[arg-type]


@cache
def _run_properties(size: float, bold: bool, italic: bool, colour: RGBColor) -> etree._Element:
    """A run's properties (a:rPr) in one style, as python-pptx writes them: made once per style, and each run given a
    copy, since setting them through python-pptx for each run and paragraph took more than half of the file's time.
    Never changed: copy it."""
    run = _detached_paragraph().add_run()
    font = run.font
    font.size = Pt(size)
    font.bold = bold
    font.italic = italic
    font.color.rgb = colour
    font.name = FONT
    properties = run._r.get_or_add_rPr()
    latin = properties.find(qn("a:latin"))
    if latin is not None:
        latin.set("panose", PANOSE)
        latin.set("pitchFamily", "34")
        latin.set("charset", "0")
    return properties


def _run(paragraph: _Paragraph, run: Run, size: float, colour: RGBColor, bold: bool = False) -> None:
    added = paragraph.add_run()
    added.text = run.text
    added._r.insert(0, copy.deepcopy(_run_properties(run.size or size, run.bold or bold, run.italic, colour)))


def _rows(paragraph: _Paragraph, rows: tuple[tuple[Run, ...], ...], size: float, colour: RGBColor, bold: bool = False) -> None:
    for index, row in enumerate(rows):
        if index:
            paragraph.add_line_break()
        for run in row:
            _run(paragraph, run, size, colour, bold)


@cache
def _paragraph_properties(size: float, before: float, align: PP_ALIGN | None) -> etree._Element:
    """A paragraph's alignment and spacing (a:pPr) as python-pptx writes them, made once for each: each paragraph is
    given a copy, as each run is its properties (_run_properties). Never changed: copy it."""
    paragraph = _detached_paragraph()
    if align is not None:
        paragraph.alignment = align
    paragraph.line_spacing = Pt(size * LEADING)
    paragraph.space_before = Pt(before)
    paragraph.space_after = Pt(0)
    return paragraph._p.get_or_add_pPr()


def _spacing(paragraph: _Paragraph, size: float, before: float, align: PP_ALIGN | None = None) -> None:
    """A new paragraph's rows set size * LEADING apart, with before above it and nothing after (and its alignment)."""
    assert paragraph._p.pPr is None, "a paragraph's properties are set once, as it is made"
    paragraph._p.insert(0, copy.deepcopy(_paragraph_properties(size, before, align)))


def _text(frame: TextFrame, text: Text, colour: RGBColor, align: PP_ALIGN = PP_ALIGN.LEFT) -> None:
    _frame(frame)
    paragraph = frame.paragraphs[0]
    _spacing(paragraph, text.size, 0, align)
    _rows(paragraph, text.rows, text.size, colour, text.bold)


def _bullet(paragraph: _Paragraph, line: LaidLine) -> None:
    """A list entry's marker, hung in its indent: a bullet, or its number."""
    properties = paragraph._p.get_or_add_pPr()
    properties.set("marL", str(_emu(line.indent)))
    properties.set("indent", str(-_emu(line.indent)))
    if line.continued or line.line.kind == "number":
        # A number is written in the indent (a tab away from the text): an automatic number would run on across
        # the headings of a grouped list in some programs instead of starting again under each.
        etree.SubElement(properties, qn("a:buNone"))
    else:
        etree.SubElement(properties, qn("a:buChar"), char="•")


def _body(frame: TextFrame, lines: list[LaidLine], colour: RGBColor) -> None:
    _frame(frame)
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        _spacing(paragraph, line.leading / LEADING, line.space_before)
        if line.line.kind in ("bullet", "number"):
            _bullet(paragraph, line)
        bold = line.line.kind == "heading"
        tint = RGBColor(0x44, 0x44, 0x44) if line.line.kind == "source" and colour == INK else colour
        if line.line.kind == "number" and not line.continued:
            _run(paragraph, Run(f"{line.line.number}.\t", size=line.size), line.size, tint)
        _rows(paragraph, line.rows, line.size, tint, bold)
        if line.line.kind == "quote":
            for run in paragraph.runs:
                run.font.italic = True


def _picture(slide: PptxSlide, png: bytes, box: Box, alt: str, name: str) -> None:
    picture = slide.shapes.add_picture(io.BytesIO(png), _emu(box.x), _emu(box.y), _emu(box.w), _emu(box.h))
    properties = picture._element.nvPicPr.cNvPr  # type: ignore[union-attr]
    properties.set("descr", alt)
    properties.set("name", name)


def _number(slide: PptxSlide, laid: LaidSlide, colour: RGBColor) -> None:
    """The slide number as PowerPoint's own slide-number field, so it stays right when slides are moved."""
    assert laid.footer is not None
    box = slide.shapes.add_textbox(Emu(0), Emu(0), Emu(0), Emu(0))
    _place(box, laid.footer.box)
    box.name = "Slide number"
    _text(box.text_frame, laid.footer, colour, PP_ALIGN.RIGHT)
    paragraph = box.text_frame.paragraphs[0]._p
    run = paragraph.find(qn("a:r"))
    field = etree.SubElement(paragraph, qn("a:fld"), id="{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"slide-number-{laid.number}")).upper() + "}", type="slidenum")
    field.append(run.find(qn("a:rPr")))
    etree.SubElement(field, qn("a:t")).text = str(laid.number)
    paragraph.remove(run)
    end = paragraph.find(qn("a:endParaRPr"))
    if end is not None:
        paragraph.remove(end)
        paragraph.append(end)


def _png(picture: str, pixels: int) -> bytes:
    """A picture the macros draw, as a PNG pixels wide, its lines and text in the slides' ink."""
    try:
        import cairosvg
    except OSError as error:
        # Cairo is a system library: the machine lacks it, the course is fine.
        raise MachineError([lack_in_import_error(error)]) from None
    svg = bare_svg(picture).replace("currentColor", "#1a1a1a")
    return bytes(cairosvg.svg2png(bytestring=svg.encode(), output_width=pixels))


def _add_slide(presentation: PresentationFile, layout: SlideLayout) -> PptxSlide:
    """presentation.slides.add_slide(layout) in constant time: the same slide, relationship id and slide id.

    python-pptx looks through every slide so far for a relationship to the new slide and for the highest slide id
    (python-pptx 1.0.2, pptx/parts/presentation.py and pptx/oxml/presentation.py): a new slide has no relationship
    yet, and a deck built here numbers its slides from the first id up, so neither search is needed. For a deck of
    1,600 slides the searches took a quarter of the file's time.
    """
    part = presentation.part
    ids = part._element.get_or_add_sldIdLst()
    slide_part = SlidePart.new(PackURI(f"/ppt/slides/slide{len(ids) + 1}.xml"), part.package, layout.part)
    relationship = part.rels._add_relationship(RT.SLIDE, slide_part)
    slide = slide_part.slide
    slide.shapes.clone_layout_placeholders(layout)
    ids._add_sldId(id=FIRST_SLIDE_ID + len(ids), rId=relationship)
    return slide


class _WrittenSlidePart(SlidePart):
    """A finished slide's part, its XML kept as the bytes the file will hold rather than as a tree ten times larger,
    so the memory of a deck being written grows by a few kilobytes a slide (python-pptx keeps every slide's tree
    until the file is saved: for 1,600 slides, over 100 MB)."""

    written: bytes

    @property
    def blob(self) -> bytes:
        return self.written

    @blob.setter
    def blob(self, written: bytes) -> None:
        self.written = written


def _finish(slide: PptxSlide) -> None:
    """Keep a slide that nothing will change again as the bytes python-pptx would save for it (python-pptx 1.0.2:
    XmlPart.blob serialises the part's tree; the part caches its Slide in its __dict__)."""
    part = slide.part
    written = part.blob
    part.__class__ = _WrittenSlidePart
    assert isinstance(part, _WrittenSlidePart)
    part.blob = written
    part.__dict__.pop("slide", None)
    del part._element


def build_presentation(laid: list[LaidSlide], *, title: str, subject: str, author: str, language: str, moment: datetime.datetime) -> bytes:
    """The slides as a .pptx file's bytes."""
    presentation = Presentation()
    presentation.slide_width, presentation.slide_height = _emu(WIDTH), _emu(HEIGHT)
    layout = presentation.slide_layouts[5]  # Title Only: a real title placeholder on every slide
    # Each picture drawn once, however many slides show it at one size.
    pngs: dict[tuple[str, int], bytes] = {}
    for each in laid:
        slide = _add_slide(presentation, layout)
        dark = each.slide.kind in DARK_KINDS
        colour = LIGHT if dark else INK
        if dark:
            slide.background.fill.solid()
            slide.background.fill.fore_color.rgb = DARK
        heading = slide.shapes.title
        assert heading is not None
        _place(heading, each.title.box)
        _text(heading.text_frame, each.title, colour)
        for name, text, tint in (("Section", each.kicker, LIGHT if dark else ACCENT), ("Subtitle", each.subtitle, colour)):
            if text is not None:
                shape = slide.shapes.add_textbox(Emu(0), Emu(0), Emu(0), Emu(0))
                _place(shape, text.box)
                shape.name = name
                _text(shape.text_frame, text, tint)
        for number, column in enumerate(each.columns, start=1):
            shape = slide.shapes.add_textbox(Emu(0), Emu(0), Emu(0), Emu(0))
            _place(shape, column.box)
            shape.name = f"Body {number}"
            _body(shape.text_frame, column.lines, colour)
        if each.picture_box is not None:
            drawn = (each.slide.picture, round(each.picture_box.w * PIXELS_PER_POINT))
            if drawn not in pngs:
                pngs[drawn] = _png(*drawn)
            _picture(slide, pngs[drawn], each.picture_box, each.slide.picture_alt, "Picture")
        if each.qr_box is not None and each.slide.address:
            png = qr_png(each.slide.address, round(each.qr_box.w * PIXELS_PER_POINT))
            _picture(slide, png, each.qr_box, f"QR code for this part online: {each.slide.address}", "QR code")
        if each.address is not None:
            shape = slide.shapes.add_textbox(Emu(0), Emu(0), Emu(0), Emu(0))
            _place(shape, each.address.box)
            shape.name = "Address"
            _text(shape.text_frame, each.address, colour)
        _number(slide, each, colour)
        if each.slide.notes:
            notes = slide.notes_slide.notes_text_frame
            assert notes is not None
            notes.text = "\n".join(each.slide.notes)
        _finish(slide)
    properties = presentation.core_properties
    properties.title, properties.subject, properties.author, properties.language = title, subject, author, language
    properties.last_modified_by, properties.revision = author, 1
    properties.created = properties.modified = moment.replace(tzinfo=None)
    properties.last_printed = moment.replace(tzinfo=None)
    out = io.BytesIO()
    presentation.save(out)
    return _stamped(out.getvalue(), moment)


def _stamped(data: bytes, moment: datetime.datetime) -> bytes:
    """The zip again with every entry dated moment, so the same sources give the same bytes."""
    when = max(moment, datetime.datetime(1980, 1, 1, tzinfo=datetime.UTC)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def write_pptx(laid: list[LaidSlide], target: Path, **details: object) -> None:
    target.write_bytes(build_presentation(laid, **details))  # type: ignore[arg-type]
