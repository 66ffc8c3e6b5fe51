"""Pure functions: a record in, the HTML that Material styles out, and beside each page form its slide form.

Every text from the data is escaped here, so a record can never inject markup
into a page. Blocks are single raw-HTML blocks with no blank lines inside, which
Python-Markdown passes through untouched.

A slide form (slide_*) takes the same record as the page form above it and returns what the session's slides show
of it (macros/slide.py): the same words, fewer of them, as plain text. publish/slides lays them out and prints them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from markupsafe import escape

from .cohort import Cohort
from .models import Course, Faculty, Finding, Item, Prompt, Session, Source
from .schedule import PARTS, RunOfShow, Segment, Slot, format_duration, format_time
from .slide import Line, LineKind, Slide

# A `work` is one the deck names without saying what kind it is: it gets no label.
KIND_LABELS = {"case": "Case", "study": "Study", "article": "Article", "book": "Book", "session": "Session", "work": ""}


def _lines(*parts: str | Iterable[str]) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            out.extend(part)
    return "\n".join(p for p in out if p)


def _admonition(kind: str, classes: str, title: str, body: str, attrs: str = "") -> str:
    return _lines(
        f'<div class="admonition {kind} {classes}"{attrs}>',
        f'<p class="admonition-title">{title}</p>',
        body,
        "</div>",
    )


def source_anchor(source_id: str) -> str:
    """The anchor a source's full reference has on the resources page."""
    return f"source-{source_id}"


def _venues(source: Source) -> str:
    """The journals a source appeared in, each in its own italics: '<em>A</em> and <em>B</em>'."""
    return " and ".join(f"<em>{escape(v)}</em>" for v in source.venues)


def _citation(source: Source) -> tuple[str, str]:
    """A short citation's words around the title: ('Pulido-Gomez et al., ', ' (2022)')."""
    lead = f"{source.cited_as}, " if source.cited_as else ""
    if not source.cited_as and len(source.authors) == 1:
        lead = f"{source.authors[0]}, "
    when = source.date.year if source.date else source.year
    return lead, f" ({when})" if when else ""


def render_citation(source: Source, href: str) -> str:
    """A short inline citation that links to the full reference."""
    lead, tail = _citation(source)
    return f'<a class="cw-cite" href="{escape(href)}">{escape(lead)}<cite>{escape(source.title)}</cite>{tail}</a>'


def citation_text(source: Source) -> str:
    """The short citation as plain text: 'Pulido-Gomez et al., Cross-Sector Collaboration in Cities: … (2022)'."""
    lead, tail = _citation(source)
    return f"{lead}{source.title}{tail}"


def slide_source(source: Source) -> Slide:
    """A work cited in a page's prose, as the deck shows it: its title, then who wrote it, where and when."""
    lines = [Line(", ".join(source.authors))] if source.authors else [Line(source.cited_as)] if source.cited_as else []
    if source.affiliation:
        lines.append(Line(source.affiliation))
    if source.venues:
        lines.append(Line(" and ".join(source.venues)))
    if source.date:
        lines.append(Line(f"{source.date.day} {source.date:%B %Y}"))
    elif source.year:
        lines.append(Line(str(source.year)))
    if source.summary and source.kind != "case":
        lines.append(Line(source.summary))
    return Slide(source.title, subtitle=source.place or "" if source.place and source.place not in source.title else "", lines=lines)


def render_source_line(source: Source, href: str) -> str:
    """The 'Source: …' line under a finding or a study card."""
    return f'<p class="cw-source">Source: {render_citation(source, href)}</p>'


def render_item(item: Item) -> str:
    """One list item; a term becomes a bold lead-in."""
    if item.term:
        return f"<li><strong>{escape(item.term)}</strong>: {escape(item.text)}</li>"
    return f"<li>{escape(item.text)}</li>"


def group_items(items: Iterable[Item]) -> list[tuple[str | None, list[Item]]]:
    """Items gathered under their group headings, groups in order of first appearance."""
    groups: dict[str | None, list[Item]] = {}
    for item in items:
        groups.setdefault(item.group, []).append(item)
    return list(groups.items())


def _item_list(items: list[Item], numbered: bool) -> str:
    tag = "ol" if numbered else "ul"
    return _lines(f'<{tag} class="cw-items">', (render_item(i) for i in items), f"</{tag}>")


def render_finding(
    finding: Finding,
    source: Source,
    source_href: str,
    items: list[Item] | None = None,
    *,
    new_stage: int | None = None,
    heading: str | None = None,
    anchor: str | None = None,
    picture: str = "",
    unnamed: str | None = None,
) -> str:
    """A finding card: title, optional intro, a picture drawn from it (if given), its items (grouped if they have groups), and its source.

    unnamed: where the items without a group sit in the picture (in italics, as it is no name of the deck's), if they need saying.
    """
    shown = finding.items if items is None else items
    intro = f'<p class="cw-intro">{escape(finding.intro)}</p>' if finding.intro else ""
    grouped = group_items(shown)
    if len(grouped) == 1 and grouped[0][0] is None:
        body = _item_list(shown, finding.numbered)
    else:
        tag = "ol" if finding.numbered else "ul"
        blocks = []
        for group, members in grouped:
            entries = []
            for item in members:
                fresh = new_stage is not None and item.stage == new_stage
                li = render_item(item)
                if fresh:
                    li = li.replace("<li>", '<li class="cw-new"><span class="cw-badge">New</span> ', 1)
                entries.append(li)
            # Items with no group stay together under no name of their own: the deck gives them none (the triangle's centre).
            if group:
                title = f'<p class="cw-group-title"><strong>{escape(group)}</strong></p>'
            else:
                title = f'<p class="cw-group-title cw-group-place"><em>{escape(unnamed)}</em></p>' if unnamed else ""
            blocks.append(_lines(f'<li class="cw-group">{title}', "<ul>", entries, "</ul>", "</li>"))
        body = _lines(f'<{tag} class="cw-groups">', blocks, f"</{tag}>")
    title = heading or str(escape(finding.title))
    attrs = f' id="{anchor or "finding-" + finding.id}" data-finding="{finding.id}"'
    return _admonition("abstract", "cw-finding", title, _lines(intro, picture, body, render_source_line(source, source_href)), attrs)


def _picture_alt(title: str, items: list[Item]) -> str:
    """What a picture drawn from a finding shows, in words: its title, then each item under its group."""
    return f"{title}: " + "; ".join((f"{i.group}: " if i.group else "") + i.text for i in items) + "."


def slide_finding(
    finding: Finding,
    source: Source,
    items: list[Item] | None = None,
    *,
    new_stage: int | None = None,
    heading: str | None = None,
    picture: str = "",
    unnamed: str | None = None,
) -> Slide:
    """A finding as a titled list (its intro, its items under their groups, its source); with a picture, the picture beside it.

    unnamed: where the items without a group sit in the picture, said as render_finding says it on the page.
    """
    shown = finding.items if items is None else items
    title = heading or finding.title
    lines = [Line(finding.intro)] if finding.intro else []
    grouped = group_items(shown)
    for group, members in grouped:
        if group:
            lines.append(Line(group, "heading"))
        elif unnamed and len(grouped) > 1:
            lines.append(Line(unnamed, "heading"))
        for number, item in enumerate(members, start=1):
            kind: LineKind = "number" if finding.numbered else "bullet"
            lines.append(Line(item.text, kind, item.term, number if finding.numbered else None, new_stage is not None and item.stage == new_stage))
    lines.append(Line(f"Source: {citation_text(source)}", "source"))
    alt = _picture_alt(title, shown) if picture else ""
    return Slide(title, "picture" if picture else "list", lines=lines, picture=picture, picture_alt=alt)


def render_prompt(prompt: Prompt) -> str:
    """A reflection or discussion block; the data attributes are hooks for the journal, timer and print."""
    if prompt.kind == "reflection":
        attrs = f' id="reflection-{prompt.id}" data-prompt="{prompt.id}" data-kind="reflection"'
        if prompt.formerly:
            # The journal moves answers saved under these ids to this one (issue 18).
            attrs += f' data-formerly="{" ".join(prompt.formerly)}"'
        body = f'<p class="cw-prompt-text">{escape(prompt.text)}</p>'
        return _admonition("question", "cw-prompt cw-reflection", f"Reflect: {escape(prompt.title)}", body, attrs)
    minutes = prompt.minutes or 0
    attrs = f' id="discussion-{prompt.id}" data-prompt="{prompt.id}" data-kind="discussion" data-minutes="{minutes}"'
    fmt = f" · {escape(prompt.format)}" if prompt.format else ""
    body = _lines(
        f'<p class="cw-timebox"><strong>{minutes} minutes</strong>{fmt}</p>',
        f'<p class="cw-prompt-text">{escape(prompt.text)}</p>',
    )
    return _admonition("example", "cw-prompt cw-discussion", f"Small-group discussion: {escape(prompt.title)}", body, attrs)


def place_beyond_title(source: Source) -> str | None:
    """A source's place, unless its title already names it (a title is never followed by its own place)."""
    return source.place if source.place and source.place not in source.title else None


def slide_discussion(prompt: Prompt, groups: list[tuple[str, list[str]]] | None = None, address: str | None = None) -> Slide:
    """A discussion: its prompt and time box; the cohort's small groups (facilitator edition); the page with its timer, when online."""
    fmt = f" · {prompt.format}" if prompt.format else ""
    lines = [Line(f"{prompt.minutes} minutes{fmt}", "heading"), Line(prompt.text)]
    if groups:
        lines.append(Line("Small groups for this cohort", "heading"))
        lines += [Line(", ".join(cities), "bullet", name) for name, cities in groups]
    return Slide(prompt.title, "discussion", lines=lines, address=address)


def render_case(source: Source) -> str:
    """A case card: title, place (unless the title names it), then what the deck says of it, in the deck's order."""
    place = place_beyond_title(source)
    shown = f'<p class="cw-place">{escape(place)}</p>' if place else ""
    summary = f"<p>{escape(source.summary)}</p>" if source.summary else ""
    quote = render_quote(source) if source.quote is not None else ""
    chart = f'<p class="cw-chart">Chart: <em>{escape(source.chart)}</em></p>' if source.chart else ""
    facts = ""
    if source.facts:
        heading = f'<p class="cw-facts-title"><strong>{escape(source.facts_heading)}</strong></p>' if source.facts_heading else ""
        facts = _lines(heading, '<ul class="cw-facts">', (f"<li>{escape(f)}</li>" for f in source.facts), "</ul>")
    attrs = f' id="case-{source.id}" data-source="{source.id}"'
    return _admonition("info", "cw-case", f"Case: {escape(source.title)}", _lines(shown, summary, quote, chart, facts), attrs)


def slide_case(source: Source, title: str) -> list[Slide]:
    """A case in the order its card gives it: its title, place and summary; its quotation on a slide of its own; its chart's
    title; its facts under their heading. title: the heading a quotation slide sits under."""
    place = place_beyond_title(source) or ""
    slides = [Slide(source.title, subtitle=place, lines=[Line(source.summary)] if source.summary else [])]
    if source.quote is not None:
        slides.append(slide_quote(source, title))
    if source.chart:
        slides.append(Slide(source.chart))
    if source.facts:
        slides.append(Slide(source.facts_heading or source.title, lines=[Line(fact, "bullet") for fact in source.facts]))
    return slides


def render_quote(source: Source) -> str:
    """A case's quotation, whole: its paragraphs inside one pair of quotation marks, then who said it."""
    assert source.quote is not None
    paragraphs = [str(escape(p)) for p in source.quote.paragraphs]
    paragraphs[0], paragraphs[-1] = f"“{paragraphs[0]}", f"{paragraphs[-1]}”"
    return _lines(
        f'<figure class="cw-quote" id="quote-{source.id}">',
        "<blockquote>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</blockquote>",
        f"<figcaption>— {escape(source.quote.by)}</figcaption>",
        "</figure>",
    )


def slide_quote(source: Source, title: str) -> Slide:
    """A case's quotation on a slide of its own, whole, inside one pair of quotation marks, then who said it."""
    assert source.quote is not None
    paragraphs = list(source.quote.paragraphs)
    paragraphs[0], paragraphs[-1] = f"“{paragraphs[0]}", f"{paragraphs[-1]}”"
    return Slide(title, "quote", lines=[*(Line(p, "quote") for p in paragraphs), Line(f"— {source.quote.by}", "by")])


def render_epilogue(source: Source) -> str:
    """What happened next in a case."""
    body = _lines('<ul class="cw-facts">', (f"<li>{escape(e)}</li>" for e in source.epilogue), "</ul>")
    return _admonition("success", "cw-epilogue", "Epilogue", body, f' id="epilogue-{source.id}"')


def slide_epilogue(source: Source) -> Slide:
    """What happened next in a case."""
    return Slide("Epilogue", lines=[Line(e, "bullet") for e in source.epilogue])


def render_study(source: Source, href: str) -> str:
    """A study card: its research question and methods."""
    question = f"<p><strong>Question:</strong> “{escape(source.question)}”</p>" if source.question else ""
    methods = ""
    if source.methods:
        methods = _lines("<p><strong>Methods:</strong></p>", "<ul>", (f"<li>{escape(m)}</li>" for m in source.methods), "</ul>")
    venue = f'<p class="cw-venue">{_venues(source)}{", " + str(source.year) if source.year else ""}</p>' if source.venues else ""
    attrs = f' id="study-{source.id}" data-source="{source.id}"'
    return _admonition("note", "cw-study", f"Study: {escape(source.title)}", _lines(venue, question, methods, render_source_line(source, href)), attrs)


def slide_study(source: Source) -> Slide:
    """A study: where and when it appeared, its research question and methods, and its citation."""
    venue = " and ".join(source.venues) + (f", {source.year}" if source.year and source.venues else "")
    lines = [Line(f"“{source.question}”", term="Question")] if source.question else []
    if source.methods:
        lines.append(Line("Methods", "heading"))
        lines += [Line(m, "bullet") for m in source.methods]
    lines.append(Line(f"Source: {citation_text(source)}", "source"))
    return Slide(source.title, subtitle=venue, lines=lines)


def render_reference(source: Source) -> str:
    """A full reference for the resources page, with the anchor citations link to."""
    stop = "" if source.title.endswith(("?", "!", ".")) else "."
    label = f'<span class="cw-kind">{KIND_LABELS[source.kind]}</span> ' if KIND_LABELS[source.kind] else ""
    parts = [f"{label}<cite>{escape(source.title)}</cite>{stop}"]
    if source.authors:
        affiliation = f" ({escape(source.affiliation)})" if source.affiliation else ""
        parts.append(f"{escape(', '.join(source.authors))}{affiliation}.")
    elif source.cited_as:
        parts.append(f"{escape(source.cited_as)}")
    if source.venues:
        parts.append(f"{_venues(source)}.")
    if source.date:
        parts.append(f"{source.date.day} {source.date:%B %Y}.")
    elif source.year:
        parts.append(f"{source.year}.")
    place = place_beyond_title(source)
    if place and source.kind == "case":
        parts.append(f"{escape(place)}.")
    if source.summary:
        parts.append(f'<span class="cw-summary">{escape(source.summary)}</span>')
    return f'<li id="{source_anchor(source.id)}">{" ".join(parts)}</li>'


def _ranked(sources: list[Source]) -> list[Source]:
    """The references under one resource theme in the order they are listed: studies and articles first."""
    order = {"study": 0, "article": 1, "case": 2, "work": 3, "book": 4, "session": 5}
    return sorted(sources, key=lambda s: (order[s.kind], s.title))


def render_reference_list(sources: list[Source]) -> str:
    """The references under one resource theme, studies and articles first."""
    return _lines('<ul class="cw-references">', (render_reference(s) for s in _ranked(sources)), "</ul>")


def slide_reference_list(sources: list[Source], title: str) -> Slide:
    """The works under one resource theme, each as its short citation."""
    return Slide(title, lines=[Line(citation_text(s), "bullet") for s in _ranked(sources)])


def render_objectives(question: str | None, objectives: list[str]) -> str:
    """The box that opens a segment: its guiding question and learning objectives."""
    title = f"Guiding question: {escape(question)}" if question else "In this part"
    body = ""
    if objectives:
        body = _lines("<p>After this part you will be able to:</p>", '<ul class="cw-objectives-list">', (f"<li>{escape(o)}</li>" for o in objectives), "</ul>")
    return _admonition("info", "cw-objectives", title, body)


def render_key_points(points: list[str]) -> str:
    """The key points that close a segment, under their own heading."""
    body = _lines('<ul class="cw-key-points-list">', (f"<li>{escape(p)}</li>" for p in points), "</ul>")
    return _lines("## Key points", "", _admonition("tip", "cw-key-points", "Take away", body))


def session_heading(session: Session) -> str:
    """A session's heading (Session.heading), escaped for a page."""
    return str(escape(session.heading))


def render_faculty(faculty: list[Faculty]) -> str:
    """Faculty names with their roles."""
    people = []
    for person in faculty:
        roles = "".join(f"<br>{escape(r)}" for r in person.roles)
        people.append(f"<li><strong>{escape(person.name)}</strong>{roles}</li>")
    return _lines('<ul class="cw-faculty">', people, "</ul>")


def render_reach(course: Course) -> str:
    """The session's figures, each number with what it counts, and no heading of ours."""
    figures = (f'<li><span class="cw-figure">{escape(f.figure)}</span> <span class="cw-figure-label">{escape(f.label)}</span></li>' for f in course.reach)
    return _lines('<ul class="cw-reach">', figures, "</ul>")


def render_closing_credit(course: Course) -> str:
    """The name the course closes with, as the deck's last slide gives it (nothing when the record has none)."""
    return f'<p class="cw-closing-credit">{escape(course.closing_credit)}</p>' if course.closing_credit else ""


def slide_reach(course: Course, title: str) -> Slide:
    """The programme's reach as headline figures, under the heading of the page's section."""
    return Slide(title, "figures", lines=[Line(f.label, "figure", f.figure) for f in course.reach])


def slide_title(course: Course, session: Session, cohort: Cohort | None) -> Slide:
    """The deck's first slide: the session's title and subtitle, the programme (the cohort's name, dates and place when set), its faculty."""
    lines = [Line(course.track, "heading")] if course.track else []
    # The programme as the deck's title slide joins it to its organizations, with a dash; a cohort's own name instead.
    programme = " – ".join([course.programme, " and ".join(course.organizations)]) if course.organizations else course.programme
    lines.append(Line(cohort.name if cohort is not None else programme))
    if cohort is not None and cohort.dates:
        lines.append(Line(cohort.dates))
    if cohort is not None and cohort.place:
        lines.append(Line(cohort.place))
    if cohort is not None and cohort.hosts:
        lines.append(Line(" and ".join(cohort.hosts)))
    for person in session.faculty:
        lines.append(Line(person.name, "heading"))
        lines += [Line(role) for role in person.roles]
    return Slide(session.title, "title", subtitle=session.subtitle or "", lines=lines)


def slide_closing(course: Course, address: str | None) -> Slide:
    """The deck's last slide: the name it closes with (the course's title when the record has none), and the site's address when it is known."""
    return Slide(course.closing_credit or course.title, "closing", subtitle=course.centre, address=address)


@dataclass(frozen=True)
class JournalGroup:
    """The prompts one page asks, for My reflections: its title, its address from there (None for prompts no page asks) and
    the heading it sits under when the journal groups by session (escaped; None when it does not)."""

    title: str
    href: str | None
    prompts: list[Prompt]
    within: str | None = None


def render_reflection_journal(groups: list[JournalGroup]) -> str:
    """The 'My reflections' body: a spot for the journal's buttons, then each page's prompts under its title (and, grouped,
    each session's pages under its heading)."""
    out = [
        _lines(
            '<div class="cw-journal-all">',
            '<p class="cw-journal-needs-script">Your answers are read from this browser by a small script. '
            "With JavaScript turned off, this page can list the prompts but cannot show, export or clear your answers.</p>",
            "</div>",
        )
    ]
    within: str | None = None
    for group in groups:
        level = "##"
        if group.within is None:
            within = None
        else:
            level = "###"
            if group.within != within:
                within = group.within
                out.append(f"## {within} {{ data-search-exclude }}")
        back = f'<p class="cw-journal-from">Asked on the page <a href="{escape(group.href)}">{escape(group.title)}</a>.</p>' if group.href else ""
        session = f' data-session="{group.within}"' if group.within is not None else ""
        # Kept out of search: each prompt's own page should be the one a search finds.
        section = _lines(
            f'<div class="cw-journal-page" data-page-title="{escape(group.title)}"{session} data-search-exclude>',
            back,
            (render_prompt(p) for p in group.prompts),
            "</div>",
        )
        out += [f"{level} {escape(group.title)} {{ data-search-exclude }}", section]
    return "\n\n".join(out)


# Cohorts and editions (issue 6): the cohort banner, the run of show and the discussion logistics.


def render_calendar(href: str) -> str:
    """The link to the cohort's calendar file (publish/ics.py), which a phone or a calendar program adds to the reader's calendar."""
    return f'<p class="cw-calendar"><a href="{escape(href)}" type="text/calendar">Add to calendar</a> (the cohort\'s dates, as an .ics file)</p>'


def render_cohort(cohort_id: str, cohort: Cohort, calendar: str | None = None) -> str:
    """The banner that names the cohort a site is for: name, dates (and the calendar), place, hosts, facilitators and cities, as far as set."""
    details = []
    if cohort.dates:
        details.append(f'<p class="cw-cohort-dates">{escape(cohort.dates)}</p>')
    if calendar:
        details.append(render_calendar(calendar))
    if cohort.place:
        details.append(f'<p class="cw-cohort-place">{escape(cohort.place)}</p>')
    if cohort.hosts:
        details.append(f'<p class="cw-cohort-hosts">With {escape(" and ".join(cohort.hosts))}</p>')
    if cohort.facilitators:
        people = (f"{escape(p.name)}" + (f", {escape(p.role)}" if p.role else "") for p in cohort.facilitators)
        details.append(f'<p class="cw-cohort-facilitators"><strong>Facilitators:</strong> {"; ".join(people)}</p>')
    if cohort.cities:
        details.append(f'<p class="cw-cohort-cities"><strong>Participating cities:</strong> {escape(", ".join(cohort.cities))}</p>')
    return _admonition("info", "cw-cohort", escape(cohort.name), _lines(details), f' data-cohort="{escape(cohort_id)}"')


def _schedule_table(show: RunOfShow, start: datetime.time, time_zone: str | None) -> str:
    """Every part with its clock time and minutes, then the end: only drawn when every part's minutes are known."""
    zone = f" ({escape(time_zone)})" if time_zone else ""
    rows = [
        f'<tr data-page="{escape(slot.segment.src)}" data-part="{slot.part}"><td class="cw-time">{format_time(slot.start or 0, start)}</td>'
        f"<td>{escape(slot.segment.label)}</td><td>{PARTS[slot.part]}</td><td>{slot.minutes}</td></tr>"
        for slot in show.slots
    ]
    rows.append(
        f'<tr class="cw-end" data-part="end"><td class="cw-time">{format_time(show.total, start)}</td><td colspan="2">End</td><td>{show.total}</td></tr>'
    )
    return _lines(
        f'<table class="cw-schedule-table" data-start="{format_time(0, start)}">',
        f"<caption>Clock times from the session's start at {format_time(0, start)}{zone}</caption>",
        '<thead><tr><th scope="col">Starts</th><th scope="col">Section</th><th scope="col">Part</th><th scope="col">Minutes</th></tr></thead>',
        "<tbody>",
        rows,
        "</tbody>",
        "</table>",
    )


def _schedule_order(show: RunOfShow, links: Mapping[str, str]) -> str:
    """The session's pages in order, each linked, with its parts beneath and the minutes where they are known; nothing where they are not."""

    def part(slot: Slot) -> str:
        length = f": {format_duration(slot.minutes)}" if slot.minutes is not None else ""
        return f'<li data-part="{slot.part}">{PARTS[slot.part]}{length}</li>'

    grouped: list[tuple[Segment, list[Slot]]] = []
    for slot in show.slots:
        if grouped and grouped[-1][0] is slot.segment:
            grouped[-1][1].append(slot)
        else:
            grouped.append((slot.segment, [slot]))
    items = []
    for segment, slots in grouped:
        href = links.get(segment.src)
        name = f'<a href="{escape(href)}">{escape(segment.label)}</a>' if href else escape(segment.label)
        # A segment lists its case, insights and discussion; the opening and the closing their one part.
        body = _lines(f"<strong>{name}</strong>", '<ul class="cw-schedule-parts">', (part(slot) for slot in slots), "</ul>")
        items.append(f'<li data-page="{escape(segment.src)}">{body}</li>')
    return _lines('<ul class="cw-schedule-order">', items, "</ul>")


def _unset(show: RunOfShow) -> str:
    """The parts without minutes, as a facilitator reads them: 'Case in segments 1, 2, 3; the opening (Learning to manage and lead cities)'."""
    named: dict[str, list[str]] = {}
    for slot in show.missing:
        if slot.segment.number is None:
            named.setdefault(f"the {slot.part} ({escape(slot.segment.title)})", [])
        else:
            named.setdefault(PARTS[slot.part], []).append(str(slot.segment.number))
    return "; ".join(f"{what} in segment{'s' if len(numbers) > 1 else ''} {', '.join(numbers)}" if numbers else what for what, numbers in named.items())


def slide_plan(show: RunOfShow, title: str) -> Slide:
    """The session plan: each page of the session in order with its parts, and their minutes where they are set."""
    lines: list[Line] = []
    previous: Segment | None = None
    for slot in show.slots:
        length = f" ({slot.minutes} minutes)" if slot.minutes is not None else ""
        if slot.segment is previous:
            lines[-1] = Line(f"{lines[-1].text} · {PARTS[slot.part]}{length}", "bullet", slot.segment.label)
        else:
            lines.append(Line(PARTS[slot.part] + length, "bullet", slot.segment.label))
            previous = slot.segment
    return Slide(title, lines=lines)


def render_schedule(
    show: RunOfShow,
    start: datetime.time | None,
    time_zone: str | None,
    manifest: str | None = None,
    facilitator: bool = False,
    links: Mapping[str, str] | None = None,
    *,
    day: datetime.date | None = None,
) -> str:
    """The run of show: clock times when the start and every part's minutes are known, else the order of the parts with the minutes that are.

    links: each page's address from the page showing the schedule, by its path in docs/; day: the session's date, said first when given.
    The facilitator edition adds what is not set yet and where to set it (manifest: the cohort's file, None for the generic course).
    """
    timed = start is not None and not show.missing
    shown = _schedule_table(show, start, time_zone) if start is not None and timed else _schedule_order(show, links or {})
    total = ""
    if not show.missing:
        ends = f", ending at {format_time(show.total, start)}" if start is not None else ""
        total = f'<p class="cw-schedule-total">Total: {format_duration(show.total)}{ends}.</p>'
    note = ""
    if facilitator and not timed:
        gaps = []
        if show.missing:
            gaps.append(f"Not set yet: {_unset(show)}.")
        if start is None:
            gaps.append("No start time is set.")
        where = f"<code>{escape(manifest)}</code>" if manifest else "the cohort's manifest (<code>cohorts/&lt;id&gt;.yml</code>)"
        gaps.append(
            f"To show participants clock times, give every part its minutes under <code>minutes:</code> and the session's <code>start_time:</code> in {where}."
        )
        note = f'<p class="cw-schedule-missing">{" ".join(gaps)}</p>'
    on = f'<p class="cw-schedule-day">On {day.day} {day:%B %Y}</p>' if day is not None else ""
    return _lines('<div class="cw-schedule">', on, shown, total, note, "</div>")


def render_logistics(discussions: list[Prompt], cohort: Cohort | None) -> str:
    """For facilitators: each small-group discussion's time box and format, then the cohort's group assignments."""
    rows = (f"<tr><td>{escape(p.title)}</td><td>{p.minutes} minutes</td><td>{escape(p.format or '')}</td></tr>" for p in discussions)
    table = _lines(
        '<table class="cw-logistics-table">',
        "<caption>Small-group discussions, in course order</caption>",
        '<thead><tr><th scope="col">Discussion</th><th scope="col">Time box</th><th scope="col">Format</th></tr></thead>',
        "<tbody>",
        rows,
        "</tbody>",
        "</table>",
    )
    if cohort is not None and cohort.groups:
        groups = (f"<li><strong>{escape(g.name)}</strong>: {escape(', '.join(g.cities))}</li>" for g in cohort.groups)
        assignment = _lines("<p><strong>Small groups for this cohort</strong></p>", '<ul class="cw-groups-list">', groups, "</ul>")
    elif cohort is not None:
        assignment = "<p>This cohort's manifest assigns no small groups: form them in the room.</p>"
    else:
        assignment = "<p>Small groups are assigned per cohort, in its manifest under <code>cohorts/</code>.</p>"
    return _lines('<div class="cw-logistics">', table, assignment, "</div>")
