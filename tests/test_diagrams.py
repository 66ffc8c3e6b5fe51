"""The deck's two pictures: every word drawn is a data item, and the pictures follow the data when it changes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from bs4 import BeautifulSoup, Tag
from conftest import ROOT

from macros import diagrams
from macros.data import load_course
from macros.models import Finding

DATA = load_course(ROOT / "docs")
TRIANGLE = DATA.findings["strategic-triangle"]
ACTIONS = DATA.findings["five-key-actions"]


def label(text: Tag) -> str:
    """What a reader reads in one label: its lines joined, a line broken after a hyphen joined without a space."""
    words = ""
    for line in (span.get_text() for span in text.select("tspan")):
        words += line if not words or words.endswith("-") else " " + line
    return words


def labels(svg: Tag, kind: str) -> list[str]:
    return [label(t) for t in svg.select(f"text.cw-diagram-{kind}")]


def every_word(svg: Tag) -> Counter[str]:
    """Every label in the picture, whatever its kind, the "New" badges included."""
    return Counter(label(t) if t.select("tspan") else t.get_text() for t in svg.select("text"))


def groups_of(finding: Finding) -> list[str]:
    """The group names a finding gives, in order (items without a group have none to draw)."""
    return list(dict.fromkeys(item.group for item in finding.items if item.group))


def centre_box(svg: Tag) -> Tag:
    """The triangle's centre: the one box drawn opaque, over the triangle's lines, with no name of its own."""
    boxes = [rect.find_parent("g") for rect in svg.select("rect.cw-diagram-fill")]
    assert len(boxes) == 1
    return boxes[0]


def test_each_stage_of_the_triangle_draws_exactly_its_items(page: Callable[[str], BeautifulSoup]) -> None:
    synthesis = page("synthesis.md")
    last = TRIANGLE.stages[-1]
    for stage in TRIANGLE.stages:
        card = synthesis.select_one(f"#finding-strategic-triangle-stage-{stage}")
        assert card is not None, stage
        # The drawing for the screen, and the wider one the PDFs print in its place: the same words, laid out apart.
        drawings = card.select("figure.cw-diagram svg")
        assert [svg.get("class") for svg in drawings] == [None, [diagrams.PAPER_DRAWING]], f"stage {stage} lacks a drawing"
        for svg in drawings:
            assert svg["role"] == "img" and svg["aria-label"] == f"{TRIANGLE.title} (stage {stage} of {last})"
            # Left out of search: the list beside it is what the search index holds.
            assert svg.find_parent("figure").has_attr("data-search-exclude")
            shown = [item for item in TRIANGLE.items if item.stage is None or item.stage <= stage]
            fresh = [item.text for item in shown if stage > 1 and item.stage == stage]
            for group in groups_of(TRIANGLE):
                heading = next(t for t in svg.select("text.cw-diagram-group") if label(t) == group)
                box = heading.find_parent("g")
                assert labels(box, "item") == [i.text for i in shown if i.group == group], (stage, group)
                marked = [label(badge.find_next_sibling("text")) for badge in box.select("g.cw-diagram-new")]
                assert marked == [text for text in fresh if text in labels(box, "item")], (stage, group)
            centre = centre_box(svg)
            assert not centre.select("text.cw-diagram-group"), "the deck gives the centre no name"
            assert labels(centre, "item") == [i.text for i in shown if i.group is None], stage
            assert every_word(svg) == Counter(groups_of(TRIANGLE) + [i.text for i in shown] + [diagrams.NEW] * len(fresh))


def test_the_items_without_a_group_are_drawn_inside_the_triangle(page: Callable[[str], BeautifulSoup]) -> None:
    for svg in page("synthesis.md").select("#finding-strategic-triangle-stage-3 svg"):
        (_, ay), (bx, by), (cx, _) = (tuple(float(n) for n in point.split(",")) for point in svg.select_one("polygon")["points"].split())
        x, y = (float(n) for n in centre_box(svg)["transform"].removeprefix("translate(").removesuffix(")").split())
        assert bx < x < cx and ay < y < by, "the centre's box starts outside the triangle"
        corners = [label(t) for t in svg.select("text.cw-diagram-group")]
        assert sorted(corners) == sorted(groups_of(TRIANGLE))


def test_the_cycle_draws_each_key_action_with_its_number_round_the_title(page: Callable[[str], BeautifulSoup]) -> None:
    card = page("how-to-make-progress.md").select_one("#finding-five-key-actions")
    assert card is not None
    svg = card.select_one("figure.cw-diagram svg")
    assert svg is not None and svg["role"] == "img" and svg["aria-label"] == ACTIONS.title
    assert labels(svg, "item") == [item.text for item in ACTIONS.items]
    assert labels(svg, "title") == [ACTIONS.title]
    numbers = [str(n) for n in range(1, len(ACTIONS.items) + 1)]
    assert [t.get_text() for t in svg.select("text.cw-diagram-number")] == numbers
    assert every_word(svg) == Counter([item.text for item in ACTIONS.items] + [ACTIONS.title] + numbers)
    # The list stays beside the picture as its text alternative.
    assert [li.get_text() for li in card.select("ol.cw-items li")] == [item.text for item in ACTIONS.items]


def test_pictures_draw_in_the_text_colour_only(page: Callable[[str], BeautifulSoup]) -> None:
    # currentColor follows the colour scheme and prints black; the boxes that hide a line take the page's background.
    for src in ("synthesis.md", "how-to-make-progress.md"):
        for svg in page(src).select("figure.cw-diagram svg"):
            colours = {str(element[attribute]) for element in svg.find_all(True) for attribute in ("fill", "stroke") if element.has_attr(attribute)}
            assert colours <= {"currentColor", "none", "#fff"}, (src, colours)
            assert all("cw-diagram-fill" in e.get("class", []) for e in svg.find_all(attrs={"fill": "#fff"}))


def parse(svg: str) -> Tag:
    found = BeautifulSoup(svg, "lxml").select_one("svg")
    assert found is not None
    return found


def test_a_changed_item_changes_its_label_and_long_labels_wrap_inside_their_box() -> None:
    longer = "Build on prior relationships, social capital and every partnership the city already has with its neighbours"
    changed = ACTIONS.model_copy(update={"items": [ACTIONS.items[0].model_copy(update={"text": longer}), *ACTIONS.items[1:]]})
    svg = parse(diagrams.learning_cycle(changed))
    assert labels(svg, "item")[0] == longer
    assert ACTIONS.items[0].text not in labels(svg, "item")
    first = svg.select("text.cw-diagram-item")[0]
    assert len(first.select("tspan")) > len(parse(diagrams.learning_cycle(ACTIONS)).select("text.cw-diagram-item")[0].select("tspan"))

    renamed = TRIANGLE.model_copy(
        update={"items": [i.model_copy(update={"group": "Support"}) if i.group == groups_of(TRIANGLE)[0] else i for i in TRIANGLE.items]}
    )
    svg = parse(diagrams.strategic_triangle(renamed, list(renamed.items), renamed.title, None))
    assert "Support" in labels(svg, "group") and groups_of(TRIANGLE)[0] not in labels(svg, "group")


def test_wrapping_keeps_every_line_inside_the_width_and_loses_no_letter() -> None:
    text = "Set up a governance structure that encourages parties to do what they agreed to do, problem-solving included"
    for width in (90.0, 140.0, 200.0):
        lines = diagrams.wrap(text, width, diagrams.SIZE)
        assert all(diagrams.text_width(line, diagrams.SIZE) <= width for line in lines), (width, lines)
        joined = ""
        for line in lines:
            joined += line if not joined or joined.endswith("-") else " " + line
        assert joined == text, (width, lines)
    # A word longer than the line is split with a hyphen rather than left sticking out.
    lines = diagrams.wrap("Interdepartmentalisation", 50.0, diagrams.SIZE)
    assert len(lines) > 1 and all(diagrams.text_width(line, diagrams.SIZE) <= 50.0 for line in lines)
    assert "".join(line.removesuffix("-") for line in lines) == "Interdepartmentalisation"


def boxes(svg: Tag) -> list[tuple[float, float, float, float]]:
    """Each item box of a cycle as (x, y, width, height), from its two nested translations and its rectangle."""
    found = []
    for rect in svg.select("g > g > rect"):
        inner, outer = rect.parent, rect.parent.parent  # type: ignore[union-attr]
        (x1, y1), (x2, y2) = (map(float, str(g["transform"]).removeprefix("translate(").rstrip(")").split()) for g in (inner, outer))  # type: ignore[index]
        found.append((x1 + x2, y1 + y2, float(rect["width"]) + 1, float(rect["height"]) + 1))
    return found


def test_the_shapes_take_every_finding_that_fits_and_draw_it_without_overlap() -> None:
    # The drawing macros draw any finding of their shape (cycle(...), triangle(...)); the checker names one that does not fit.
    for finding in DATA.findings.values():
        if diagrams.cycle_misfit(finding) is None:
            drawn = boxes(parse(diagrams.learning_cycle(finding)))
            assert len(drawn) == len(finding.items) and all(x >= 0 and x + w <= diagrams.WIDTH for x, _, w, _ in drawn), finding.id
    assert diagrams.cycle_misfit(ACTIONS) is None and diagrams.triangle_misfit(TRIANGLE) is None
    # A cycle's items go round it without touching: 3 to 6 of them.
    for count in range(1, 9):
        items = [ACTIONS.items[0].model_copy(update={"text": f"Item {n} of a made-up cycle, long enough to wrap"}) for n in range(count)]
        finding = ACTIONS.model_copy(update={"items": items})
        if diagrams.cycle_misfit(finding) is not None:
            assert count not in diagrams.CYCLE_ITEMS
            continue
        drawn = boxes(parse(diagrams.learning_cycle(finding)))
        apart = [a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1] for i, a in enumerate(drawn) for b in drawn[i + 1 :]]
        assert all(apart), f"{count} items overlap"
    assert diagrams.triangle_misfit(DATA.findings["top-three-challenges"]) is not None
