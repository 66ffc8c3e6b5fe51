"""The built site: what a participant sees on each page and finds through search."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, nav_pages, nav_titles, nav_tree, pages_in_docs
from mkdocs.utils.meta import get_data

from macros.course import load_model
from macros.data import load_course
from macros.downloads import HOME_PAGE, SCHEDULE_PAGE
from macros.schedule import SEGMENT_PARTS, page_key, parts_of, schedule_pages
from publish.pdf.site import page_url

DATA = load_course(ROOT / "docs")
# Every page of the schedule (its front matter has `minutes:`), keyed as a cohort names it, with its parts.
SCHEDULE_PARTS = {key: parts_of(minutes) for key, minutes in schedule_pages(ROOT / "docs").items()}
# The page each framework must appear on, as the session teaches it.
HOME_OF = {
    "five-key-actions": "how-to-make-progress.md",
    "entry-point-criteria": "where-to-begin.md",
    "successful-collaboration-traits": "where-to-begin.md",
    "top-three-challenges": "what-to-expect.md",
    "strategic-triangle": "synthesis.md",
    "lessons-for-teams": "how-to-make-progress.md",
    "capabilities": "framing.md",
}


def text_of(element: object) -> str:
    return re.sub(r"\s+", " ", element.get_text()).strip() if element is not None else ""  # type: ignore[attr-defined]


def article(soup: BeautifulSoup) -> BeautifulSoup:
    found = soup.select_one("article.md-content__inner")
    assert found is not None
    return found


@pytest.mark.parametrize("finding_id", sorted(HOME_OF))
def test_every_item_of_each_framework_is_on_its_page(page: Callable[[str], BeautifulSoup], finding_id: str) -> None:
    finding = DATA.findings[finding_id]
    cards = article(page(HOME_OF[finding_id])).select(f'[data-finding="{finding_id}"]')
    assert cards, f"{finding_id} is not shown on {HOME_OF[finding_id]}"
    # The last card holds every item (the strategic triangle is built up in stages).
    shown = [text_of(li) for li in cards[-1].select("li:not(.cw-group)")]
    for item in finding.items:
        expected = f"{item.term}: {item.text}" if item.term else item.text
        assert any(s.removeprefix("New ").strip() == expected for s in shown), f"{expected!r} missing from {finding_id}"


def test_every_finding_and_prompt_is_shown_somewhere(page: Callable[[str], BeautifulSoup]) -> None:
    html = "".join(str(article(page(p))) for p in pages_in_docs())
    for finding_id in DATA.findings:
        assert f'data-finding="{finding_id}"' in html, finding_id
    for prompt_id in DATA.prompts:
        assert f'data-prompt="{prompt_id}"' in html, prompt_id


def test_prompts_show_their_words_and_time_box(page: Callable[[str], BeautifulSoup]) -> None:
    block = article(page("how-to-make-progress.md")).select_one('[data-prompt="dealing-with-setbacks"]')
    assert block is not None
    assert "10 minutes" in text_of(block)
    assert DATA.prompts["dealing-with-setbacks"].text in text_of(block)
    assert block.get("data-minutes") == "10"


@pytest.mark.parametrize("src", pages_in_docs())
def test_no_template_residue_reaches_a_page(page: Callable[[str], BeautifulSoup], src: str) -> None:
    shown = text_of(article(page(src)))
    for residue in ("{{", "}}", "{%", "%}", "Macro Rendering Error", "Macro Syntax Error", "undefined", "Traceback"):
        assert residue not in shown, f"{residue!r} on {src}"


def test_segment_pages_open_with_objectives_and_close_with_key_points(page: Callable[[str], BeautifulSoup]) -> None:
    segments = [src for src in pages_in_docs() if SCHEDULE_PARTS.get(page_key(src)) == SEGMENT_PARTS]
    assert segments
    for src in segments:
        body = article(page(src))
        blocks = body.select(".admonition")
        assert "cw-objectives" in blocks[0]["class"], src
        assert "cw-key-points" in blocks[-1]["class"], src
        assert blocks[0].select_one(".admonition-title").get_text().startswith("Guiding question:")


def test_citations_link_to_a_reference_that_exists(site: Path, page: Callable[[str], BeautifulSoup]) -> None:
    anchors = {li["id"] for li in article(page("resources.md")).select("li[id^=source-]")}
    for src in pages_in_docs():
        for link in article(page(src)).select("a.cw-cite"):
            target = link["href"].split("#")[1]
            assert target in anchors, f"{src} cites missing {target}"


def test_resources_list_every_cited_work_once(page: Callable[[str], BeautifulSoup]) -> None:
    ids = [li["id"] for li in article(page("resources.md")).select("li[id^=source-]")]
    assert len(ids) == len(set(ids))
    assert {i.removeprefix("source-") for i in ids} == {s.id for s in DATA.sources.values() if s.theme}


def test_the_search_index_holds_every_page_and_framework(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    for src in pages_in_docs():
        assert page_url(src) in locations, src
    words = " ".join(doc["text"] for doc in index["docs"])
    for finding_id in HOME_OF:
        for item in DATA.findings[finding_id].items:
            assert item.text.replace("'", "&#39;") in words or item.text in words, item.text


def test_no_page_asks_another_host_for_anything(site: Path) -> None:
    for path in site.rglob("*.html"):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
        for tag, attr in (("link", "href"), ("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src")):
            for element in soup.find_all(tag):
                value = element.get(attr) or ""
                assert not re.match(r"^(https?:)?//", value), f"{path}: {tag} {value}"
        assert "fonts.googleapis" not in path.read_text(encoding="utf-8")


def test_both_colour_schemes_are_offered(page: Callable[[str], BeautifulSoup]) -> None:
    soup = page("index.md")
    schemes = {i.get("data-md-color-scheme") for i in soup.select("input[data-md-color-scheme]")}
    assert schemes == {"default", "slate"}


def first_session() -> list[str]:
    """The first session in the deck's order, from its own data: the pages of the schedule in the nav section that holds the schedule."""
    section = next(pages for _, pages in nav_tree() if isinstance(pages, list) and SCHEDULE_PAGE in [src for _, src in nav_pages(pages)])
    assert isinstance(section, list)
    return [src for _, src in nav_pages(section) if page_key(src) in SCHEDULE_PARTS]


def test_the_first_session_runs_in_the_decks_order() -> None:
    # The deck's order (issue 12), as the session's own pages give it: the opening, the segments numbered from 1, the closing.
    deck = first_session()
    assert [SCHEDULE_PARTS[page_key(deck[0])], SCHEDULE_PARTS[page_key(deck[-1])]] == [("opening",), ("closing",)], deck
    segments = deck[1:-1]
    assert segments and all(SCHEDULE_PARTS[page_key(src)] == SEGMENT_PARTS for src in segments), deck
    for number, src in enumerate(segments, start=1):
        # Each segment's number is in its nav title and in its page's description: moving a page moves neither.
        assert nav_titles()[src].startswith(f"{number} · "), (src, nav_titles()[src])
        assert str(get_data((ROOT / "docs" / src).read_text(encoding="utf-8"))[1]["description"]).startswith(f"Segment {number}."), src


def test_the_nav_the_agenda_and_the_schedule_follow_the_nav_order(page: Callable[[str], BeautifulSoup]) -> None:
    home = page(HOME_PAGE)
    built = {}
    for item in home.select("nav.md-nav--primary > ul > li.md-nav__item--section"):
        # A section's title: its label, or with an overview page (a folder's index.md) the link to it.
        title = item.select_one(":scope > label, :scope > .md-nav__container")
        assert title is not None
        built[text_of(title)] = [str(a["href"]) for a in item.select("nav a.md-nav__link[href]")]
    sections = {title: [page_url(src) for _, src in nav_pages(value)] for title, value in nav_tree() if isinstance(value, list)}
    assert built == sections
    # The first session's section opens with the schedule, then its parts in the deck's order.
    deck = first_session()
    assert [page_url(SCHEDULE_PAGE), *map(page_url, deck)] in sections.values()
    agenda = article(home).select_one("#agenda")
    assert agenda is not None
    listed = agenda.find_next_sibling("ul")
    assert listed is not None
    # The home page's agenda lists the first session's parts, not the pre-work.
    assert [str(a["href"]) for a in listed.select("a[href]")] == [page_url(src) for src in deck]
    # The schedule runs through every page of its own session's schedule (its nav section's) in the nav's order.
    order = article(page(SCHEDULE_PAGE)).select(".cw-schedule-order > li")
    assert [str(li["data-page"]) for li in order] == deck


# Issue 12: the deck's words where the pages once paraphrased or glossed them.
FISCHER = [
    "“The nature of these collective models is not speed. What kind of leadership do you bring to these massive collective impact models? "
    "Most of them fail, it seems to me, as I look at them around the country.",
    "A lot of progress has been made about the vision and what we want. But then people start turning over and you bring in new people.... "
    "So, you're getting consensus on something that there was consensus about two years ago.",
    "I find myself wondering:",
    "‘Are we not moving fast enough or is it just me?’”",
]


def test_mayor_fischer_is_quoted_whole_and_word_for_word(page: Callable[[str], BeautifulSoup]) -> None:
    body = article(page("how-to-make-progress.md"))
    quote = body.select_one("#quote-louisville-case")
    assert quote is not None
    assert [text_of(p) for p in quote.select("blockquote p")] == FISCHER
    assert text_of(quote.select_one("figcaption")) == "— Mayor Greg Fischer"
    # The paraphrase is gone: the quotation appears once, in his own words only.
    assert "spoke candidly" not in text_of(body) and text_of(body).count("collective models") == 1


def test_the_resources_cite_as_the_deck_does(page: Callable[[str], BeautifulSoup]) -> None:
    body = article(page("resources.md"))
    entry_points = body.select_one("#source-entry-points-study")
    assert entry_points is not None
    assert [text_of(em) for em in entry_points.select("em")] == ["Journal of Applied Behavioral Science", "Stanford Social Innovation Review"]
    assert text_of(body.select_one("#source-kotter-leading-change .cw-kind")) == "Book"
    bologna = body.select_one("#source-bologna-case")
    assert "Katharina Lacey (Associate Professor, University Medical School & Harvard T.H. Chan School of Public Health)." in text_of(bologna)
    # The deck does not say what kind of work the Bologna slide shows: no kind label.
    assert bologna is not None and bologna.select_one(".cw-kind") is None
    assert [text_of(h).rstrip("¶") for h in body.select("h2")][1:] == [
        "On leading urban problem-solving",
        "On collaborative governance in cities",
        "On managing innovation and change",
    ]


def test_hartford_is_named_as_the_deck_names_it_and_in_its_order(page: Callable[[str], BeautifulSoup]) -> None:
    body = article(page("what-to-expect.md"))
    card = body.select_one("#case-hartford-case")
    assert card is not None
    assert text_of(card.select_one(".admonition-title")) == "Case: What happened in Hartford, CT?"
    # "Youth Opportunity Hartford" is the collaboration, named only in the chart's title.
    assert text_of(body).count("Youth Opportunity Hartford") == 1
    # The deck's order: the case slide, the Lines of Authority chart, then the "How Could This Happen?" list.
    shown = [text_of(p) for p in card.select(":scope > p")][1:]
    hartford = DATA.sources["hartford-case"]
    assert shown == [hartford.summary, f"Chart: {hartford.chart}", hartford.facts_heading]


def test_the_opening_and_the_triangle_carry_the_decks_titles(page: Callable[[str], BeautifulSoup]) -> None:
    for src, title in (("framing.md", "Learning to manage and lead cities"), ("synthesis.md", "Strategic triangle for a collaborative team")):
        assert nav_titles()[src] == title
        assert text_of(article(page(src)).select_one("h1")).rstrip("¶").strip() == title
    question = text_of(article(page("framing.md")).select_one(".cw-objectives .admonition-title"))
    assert "manage and lead cities" in question, question


@pytest.mark.parametrize("src", pages_in_docs())
def test_no_page_repeats_a_gloss_the_deck_does_not_make(page: Callable[[str], BeautifulSoup], src: str) -> None:
    shown = text_of(article(page(src))).lower()
    glosses = ("most common", "the problems rhyme", "fade away", "over the longer term", "turned into tasks", "staying loyal")
    # Issue 22: roles and labels the deck does not give (the figures, Bologna, the hosts, the five points, the triangle's centre).
    labels = ("wider program", "context, not", "hosts", "lessons for collaborative teams", "the team itself", "learning to lead cities")
    for gloss in (*glosses, *labels):
        assert gloss not in shown, f"{gloss!r} on {src}"


def test_the_search_dialog_has_a_name_on_every_page(site: Path) -> None:
    for path in site.rglob("*.html"):
        dialog = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml").select_one('.md-search[role="dialog"]')
        assert dialog is not None and dialog.get("aria-label") == "Search", path


def test_our_search_partial_is_materials_own_plus_the_dialog_name() -> None:
    # A copy drifts when Material changes: it must stay Material's file with only the name added.
    import material

    original = (Path(material.__file__).parent / "templates" / "partials" / "search.html").read_text(encoding="utf-8")
    ours = (ROOT / "overrides" / "partials" / "search.html").read_text(encoding="utf-8")
    dialog = '<div class="md-search" data-md-component="search" role="dialog">'
    named = '<div class="md-search" data-md-component="search" role="dialog" aria-label="{{ lang.t(\'search\') }}">'
    assert original.count(dialog) == 1, "Material's search partial changed: compare it with overrides/partials/search.html and update the copy"
    strip = re.compile(r"\{#-.*?-#\}\n", re.S)
    assert strip.sub("", ours) == strip.sub("", original).replace(dialog, named)


def test_print_stylesheet_and_scripts_never_hold_up_the_first_paint(page: Callable[[str], BeautifulSoup]) -> None:
    head = page("index.md")
    assert [link.get("media") for link in head.select('link[href$="assets/print.css"]')] == ["print"]
    # Material's script too: deferred, it runs once the page is parsed, as it did at the end of the body.
    scripts = head.select("script[src]")
    names = sorted(str(s["src"]).rsplit("/", 1)[-1].split(".")[0] for s in scripts)
    ours = [Path(str(getattr(script, "path", script))).stem for script in load_model(ROOT / "mkdocs.yml").config["extra_javascript"]]
    assert names == sorted(["bundle", *ours]), names
    assert all(s.has_attr("defer") for s in scripts), scripts
    # Issue 18: the guard on Material's storage helpers is inline (a file would hold up the first paint); it must run after
    # Material's inline script that defines __md_get and before the first inline script that calls it.
    order = [s for s in head.select("script:not([src])") if "__md_get" in s.get_text()]
    assert "__md_get=" in order[0].get_text() and "window.__md_get=function" in order[1].get_text(), order[:2]
    assert len(order) > 2 and all("window.__md_get=function" not in s.get_text() for s in order[2:])


# Issue 22: participant pages speak to the reader about the subject, never about the source they were written from.
# Each alternative names the source itself, so a sentence holding one narrates it:
# - "slide", "slides", "slide deck": the deck's pages; a participant page speaks of the session, not of its slides;
# - "the deck" ("its", "this", "that", "our", "the session's"): the deck as the one who says something;
# - "session plan": the deck's agenda slide quoted as a document ("in the words of the session plan");
# - "grouped by us", "is ours", "our choice": the editors narrating their own handling of the source.
# "deck" alone is not caught (a course may speak of a ship's deck), nor "plan" ("its plan has three segments").
SOURCE_TALK = re.compile(
    r"\bslide ?decks?\b|\bslides?\b|\b(?:the|its|this|that|our|session's) deck\b|\bsession plan\b|\bgrouped by us\b|\bis ours\b|\bour choice\b",
    re.IGNORECASE,
)


def source_talk(text: str) -> list[str]:
    """The sentences of a text that talk about the source."""
    return [sentence for sentence in re.split(r"(?<=[.?!])\s+", text) if SOURCE_TALK.search(sentence)]


def test_the_source_talk_pattern_catches_narration_and_spares_the_subject() -> None:
    for narrating in ("With the case, the deck quotes Mayor Greg Fischer:", "Name the slide the opening ends on.", "In the words of the session plan: x."):
        assert source_talk(narrating) == [narrating]
    for speaking in ("The session opens here.", "Its plan has three segments.", "Talk to two other cities on the ship's deck.", "Slider"):
        assert source_talk(speaking) == []


@cache
def offered_files() -> set[str]:
    """The link texts of the files pages offer (the reader, handouts, slides; each session's, of several): names of files,
    not sentences about the source."""
    from macros.downloads import offered_on

    model = load_model(ROOT / "mkdocs.yml")
    offered = (offered_on(src, facilitator, model.sessions, model.session_of(src)) for src in pages_in_docs() for facilitator in (False, True))
    return {text for links in offered for _, text in links}


def without_offered_files(text: str) -> str:
    for name in offered_files():
        text = text.replace(name, "")
    return text


# The pages a participant reaches through the nav (the maintainers' macro reference is not one of them).
@pytest.mark.parametrize("src", sorted(nav_titles()))
def test_no_participant_page_talks_about_the_deck_or_its_slides(page: Callable[[str], BeautifulSoup], src: str) -> None:
    assert source_talk(without_offered_files(text_of(article(page(src))))) == [], src


def test_the_search_index_holds_no_sentence_about_the_deck_or_its_slides(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    participants = {src.removesuffix(".md").removesuffix("index").rstrip("/") for src in nav_titles()}
    for doc in index["docs"]:
        if doc["location"].split("#")[0].rstrip("/") not in participants:
            continue
        words = BeautifulSoup(f"{doc['title']}. {doc['text']}", "lxml").get_text(" ")
        assert source_talk(without_offered_files(re.sub(r"\s+", " ", words))) == [], doc["location"]


def after_title(text: str, title: str) -> str:
    """What a reader reads right after a title."""
    return text.split(title, 1)[1].lstrip(" .")


@pytest.mark.parametrize("src", pages_in_docs())
def test_every_case_card_says_what_the_session_says_of_it_and_repeats_no_place(page: Callable[[str], BeautifulSoup], src: str) -> None:
    for card in article(page(src)).select(".cw-case"):
        source = DATA.sources[str(card["data-source"])]
        # Bare: nothing but a title and a place.
        body = [text_of(part) for part in card.select(":scope > *") if not {"admonition-title", "cw-place"} & set(part.get("class", []))]
        assert any(body), f"the card of {source.id} on {src} is bare: it shows only its title and place"
        said = [source.summary, source.chart, source.facts_heading, *source.facts, *(source.quote.paragraphs if source.quote else [])]
        shown = text_of(card)
        for words in filter(None, said):
            assert words in shown, f"{words!r} missing from the card of {source.id} on {src}"
        if source.place and source.place in source.title:
            assert not after_title(shown, source.title).startswith(source.place), f"{source.id}: its title is followed by its own place on {src}"


def test_the_resources_repeat_no_place_after_a_title_and_give_each_case_what_the_session_says(page: Callable[[str], BeautifulSoup]) -> None:
    for entry in article(page("resources.md")).select("li[id^=source-]"):
        source = DATA.sources[str(entry["id"]).removeprefix("source-")]
        shown = text_of(entry)
        if source.place and source.place in source.title:
            assert not after_title(shown, source.title).startswith(source.place), f"{source.id}: its title is followed by its own place"
        if source.summary:
            assert source.summary in shown, source.id


def test_the_course_closes_with_the_name_on_the_decks_last_slide(page: Callable[[str], BeautifulSoup]) -> None:
    name = DATA.course.closing_credit
    assert name, "the deck ends with the Bloomberg Harvard City Leadership Initiative: docs/data/course.yml names it in closing_credit"
    shown = [src for src in pages_in_docs() if name in [text_of(p) for p in article(page(src)).select(".cw-closing-credit")]]
    assert shown, "no page shows the closing credit"
    # From the data, through its macro: no page types it out.
    assert [src for src in pages_in_docs() if name in (ROOT / "docs" / src).read_text(encoding="utf-8")] == []


@pytest.mark.parametrize("built", ["site", "cohort_site", "facilitator_site"])
def test_every_html_file_carries_the_policy_with_the_hashes_of_the_sites_inline_scripts(request: pytest.FixtureRequest, built: str) -> None:
    from publish.built import read_site
    from publish.csp import script_hash

    site = request.getfixturevalue(built)
    files = sorted(site.rglob("*.html"))
    assert site / "404.html" in files and len(files) > 2
    hashes = {script_hash(text) for page in read_site(site).pages.values() for text in page.scripts}
    for path in files:
        head = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml").head
        assert head is not None
        first = head.find(["meta", "script", "link", "style"], attrs={"charset": False})
        assert first is not None and first.get("http-equiv") == "Content-Security-Policy", path
        directives = dict(part.strip().split(" ", 1) for part in str(first["content"]).split(";"))
        assert directives["default-src"] == "'self'" and directives["connect-src"] == "'self'" and directives["img-src"] == "'self' data:"
        assert directives["object-src"] == "'none'" and directives["form-action"] == "'none'" and directives["base-uri"] == "'self'"
        assert set(directives["script-src"].split()) == {"'self'"} | hashes, path
