"""The comparison of two sides: records, the course record, pages, the nav, cohort manifests and readers' answers, entry by entry."""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from typing import Any

from macros.cohort import Cohort
from macros.data import COURSE_FILE, DATA_DIR, LIST_FILES, CourseData
from macros.renames import fix_for, likely_successor

from .diff import Line, aligned, field_lines, new_record_lines
from .render import asked, render_calls
from .report import Entry, Report, Section, quote
from .seen import Seen, describe, differences, nav_printed
from .side import Block, Side

KIND_TITLES = {"finding": "Findings", "prompt": "Prompts", "source": "Sources", "session": "Sessions"}


# The CourseData table that holds each kind of record.
KIND_TABLES = {"finding": "findings", "source": "sources", "prompt": "prompts", "session": "sessions"}


# A page's front matter says some things differently from a record, and so does a cohort manifest.
PAGE_WORDS = {"minutes": "minutes", "question": "guiding question"}


COHORT_WORDS = {"minutes": "minutes"}


# Source fields a citation or full reference prints: a change to one is a change to a citation.
CITATION_FIELDS = {"title", "authors", "affiliation", "cited_as", "venue", "year", "date"}


QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")


MACRO_CALL = re.compile(r"{{.*?}}|{%.*?%}")


CITE_CALL = re.compile(r"""cite\(\s*["']([^"']+)["']\s*\)""")


def _dump(record: Any) -> dict[str, Any]:
    """A record's fields as written, without the defaults nobody wrote."""
    return dict(record.model_dump(mode="json", exclude_defaults=True))


def _record_name(kind: str, record_id: str, record: Any) -> str:
    title = getattr(record, "title", None) or getattr(record, "name", None) or record_id
    return f"{kind} {quote(str(title))} ({record_id})"


def _variant(data: CourseData, kind: str, record_id: str, record: Any | None) -> CourseData:
    """The data with one record as it was (or without it), everything else as it is now."""
    table = KIND_TABLES[kind]
    records = dict(getattr(data, table))
    if record is None:
        records.pop(record_id, None)
    else:
        records[record_id] = record
    changed: dict[str, Any] = {table: records}
    return replace(data, **changed)


def _still_called(side: Side, record_id: str) -> list[str]:
    return [
        f'{side.docs}/{page.src}:{line} still calls {spec.name}("{record_id}"): make check fails until that line is changed.'
        for page in side.pages.values()
        for spec, args, line in page.calls
        if args and args[0] == record_id and spec.takes is not None
    ]


def compare_records(base: Side, head: Side, section: Section, kind: str) -> None:
    """Findings, prompts or sources added, removed or changed, with where each shows."""
    assert base.data is not None and head.data is not None
    table = KIND_TABLES[kind]
    old: dict[str, Any] = getattr(base.data, table)
    new: dict[str, Any] = getattr(head.data, table)
    shown_now = head.shown
    for record_id in [*new, *(i for i in old if i not in new)]:
        before, after = old.get(record_id), new.get(record_id)
        if before == after:
            continue
        if after is None:
            entry = Entry("Removed", _record_name(kind, record_id, before))
            was = describe(base, differences(base, render_calls(base, _variant(base.data, kind, record_id, None)), base.shown))
            entry.notes.append("It was seen in: " + "; ".join(was) + "." if was else "No page showed it.")
            entry.notes += _still_called(head, record_id)
        else:
            entry = Entry("Added" if before is None else "Changed", _record_name(kind, record_id, after))
            entry.lines = new_record_lines(_dump(after)) if before is None else field_lines(_dump(before), _dump(after))
            entry.seen = describe(head, differences(head, render_calls(head, _variant(head.data, kind, record_id, before)), shown_now))
            if not entry.seen:
                entry.notes.append("No page shows it yet." if before is None else "No page shows this change.")
        entry.flags = _record_flags(kind, before, after)
        section.entries.append(entry)


def _record_flags(kind: str, before: Any | None, after: Any | None) -> list[str]:
    flags = []
    old = _dump(before) if before is not None else {}
    new = _dump(after) if after is not None else {}
    if kind == "source":
        what = "changed" if before is not None and after is not None else "was added" if before is None else "was removed"
        if old.get("quote") != new.get("quote"):
            flags.append(f"a quotation {what}; check it against the session's own words")
        if any(old.get(name) != new.get(name) for name in CITATION_FIELDS):
            flags.append(f"a citation {what}; check it against the work it cites" if after is not None else f"a citation {what}")
    elif kind == "finding" and before is not None and after is not None and old.get("source") != new.get("source"):
        # A finding prints its source under it; a prompt's source is not shown.
        flags.append("the source it is credited to changed; check the citation")
    return flags


def compare_course(base: Side, head: Side, section: Section) -> None:
    """The course record (data/course.yml in the docs folder), field by field."""
    assert base.data is not None and head.data is not None
    before, after = base.data.course, head.data.course
    if before == after:
        return
    entry = Entry("Changed", "the course record")
    entry.lines = field_lines(_dump(before), _dump(after))
    seen = differences(head, render_calls(head, replace(head.data, course=before)), head.shown)
    seen.course = (before, after)
    entry.seen = describe(head, seen)
    section.entries.append(entry)


def _cohort_fields(side: Side, cohort: Cohort) -> dict[str, Any]:
    """A manifest's fields as written, its minutes named by the pages' titles (a manifest names a page by its path without .md)."""
    fields = _dump(cohort)
    if isinstance(fields.get("minutes"), dict):
        fields["minutes"] = {(quote(side.title(f"{key}.md")) if f"{key}.md" in side.pages else key): parts for key, parts in fields["minutes"].items()}
    return fields


def compare_cohorts(base: Side, head: Side, section: Section) -> None:
    """Cohort manifests added, removed or changed; where each change shows in that cohort's own site."""
    for cohort_id in sorted(set(base.cohorts) | set(head.cohorts)):
        path = f"{head.cohorts_dir}/{cohort_id}.yml"
        if cohort_id not in head.cohorts:
            section.entries.append(Entry("Removed", f"the cohort manifest {path}"))
            continue
        before, after = base.cohorts.get(cohort_id), head.cohorts[cohort_id]
        if cohort_id not in base.cohorts:
            entry = Entry("Added", f"the cohort manifest {path}")
            entry.lines = new_record_lines(_cohort_fields(head, after), words_for=COHORT_WORDS) if after is not None else []
            section.entries.append(entry)
            continue
        if before is None or after is None:
            as_text = _text_entry(base, head, path, "the cohort manifest " + path)
            if as_text is not None:
                as_text.notes.append("One version of this manifest does not load (see make check), so it is compared as text.")
                section.entries.append(as_text)
            continue
        if before == after:
            continue
        entry = Entry("Changed", f"the cohort manifest {path}")
        entry.lines = field_lines(_cohort_fields(head, before), _cohort_fields(head, after), words_for=COHORT_WORDS)
        if head.data is not None:
            seen = differences(head, render_calls(head, head.data, cohort=(cohort_id, before)), render_calls(head, head.data, cohort=(cohort_id, after)))
            seen.covers = (before.name, before.dates) != (after.name, after.dates)
            seen.cohort = cohort_id
            entry.seen = describe(head, seen)
        section.entries.append(entry)


def _text_entry(base: Side, head: Side, relative: str, name: str) -> Entry | None:
    """A file compared line by line, for data that does not load."""
    old, new = base.file(relative), head.file(relative)
    if old == new:
        return None
    if new is None:
        return Entry("Removed", name)
    entry = Entry("Added" if old is None else "Changed", name)
    a, b = (old or "").splitlines(), new.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        paired, removed, added = aligned(tag, i1, i2, j1, j2)
        entry.lines += [Line(f"line {j + 1}", a[i].strip(), b[j].strip()) for i, j in paired]
        entry.lines += [Line(f"line {i + 1} (removed)", a[i].strip(), None) for i in removed if a[i].strip()]
        entry.lines += [Line(f"line {j + 1} (added)", None, b[j].strip()) for j in added if b[j].strip()]
    return entry


def _quotations(text: str) -> list[str]:
    """The quoted passages of a paragraph (a blockquote is one), leaving out the ids quoted inside macro calls."""
    prose = MACRO_CALL.sub(" ", text)
    return ([prose] if prose.lstrip().startswith(">") else []) + QUOTED.findall(prose)


def _block_flags(old: Block | None, new: Block | None) -> list[str]:
    flags = []
    before, after = (old.text if old else ""), (new.text if new else "")
    if _quotations(before) != _quotations(after):
        flags.append("a quotation changed; check it against the session's own words")
    if CITE_CALL.findall(before) != CITE_CALL.findall(after):
        flags.append("a citation changed; check the work it cites")
    return flags


def _block_label(block: Block) -> str:
    where = f"line {block.line}"
    if block.note is not None:
        return f"{where}, facilitator note" + (f" {quote(block.note)}" if block.note else "")
    return f"{where}, under {quote(block.heading)}" if block.heading else where


def compare_pages(base: Side, head: Side, section: Section) -> None:
    """Pages added, removed or changed: front matter field by field, the body paragraph by paragraph."""
    for src in [*head.order, *(s for s in base.order if s not in head.pages)]:
        old, new = base.pages.get(src), head.pages.get(src)
        name = f"the page {quote(head.title(src) if new else base.title(src))} ({head.docs}/{src})"
        if new is None:
            section.entries.append(Entry("Removed", name))
            continue
        if old is None:
            entry = Entry("Added", name, notes=[f"{len(new.blocks)} paragraphs."])
            entry.seen = describe(head, Seen(pages={src}, prompts={src}))
            section.entries.append(entry)
            continue
        if old.text == new.text:
            continue
        entry = Entry("Changed", name)
        seen = Seen()
        entry.lines = [replace(line, label="front matter, " + line.label) for line in field_lines(old.meta, new.meta, words_for=PAGE_WORDS)]
        if head.data is not None:
            # A page feeds macros here and elsewhere (objectives, key points, the schedule, the journal): render with the old page.
            earlier = render_calls(head, head.data, earlier={src: old})
            seen = differences(head, earlier, head.shown)
            if base.data is not None and asked(base, src) != asked(head, src):
                seen.pages.add(src)
                seen.prompts.add(src)
        if old.meta.get("title") != new.meta.get("title") or old.meta.get("description") != new.meta.get("description"):
            seen.pages.add(src)
        matcher = difflib.SequenceMatcher(None, [b.text for b in old.blocks], [b.text for b in new.blocks], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            paired, removed, added = aligned(tag, i1, i2, j1, j2)
            changed: list[tuple[Block | None, Block | None]] = [(old.blocks[i], new.blocks[j]) for i, j in paired]
            changed += [(old.blocks[i], None) for i in removed]
            changed += [(None, new.blocks[j]) for j in added]
            for before, after in changed:
                shown_block = after or before
                assert shown_block is not None
                label = _block_label(shown_block) + (" (removed)" if after is None else " (added)" if before is None else "")
                entry.lines.append(Line(label, before.text if before else None, after.text if after else None))
                in_note = shown_block.note is not None
                (seen.facilitator if in_note else seen.pages).add(src)
                # A heading is a slide's title or the line above it; prose and notes are the facilitator slides' speaker notes.
                if shown_block.text.lstrip().startswith("#"):
                    seen.slides.add(src)
                elif MACRO_CALL.sub("", shown_block.text).strip():
                    seen.notes.add(src)
                if in_note:
                    seen.guide.add(src)
                    entry.flags.append("facilitator-only text changed; participants never see it")
                entry.flags += _block_flags(before, after)
        if not entry.lines:
            continue
        entry.flags = list(dict.fromkeys(entry.flags))
        entry.seen = describe(head, seen)
        section.entries.append(entry)


def compare_answers(before: CourseData, after: CourseData, section: Section) -> None:
    """Reflections whose id is gone: where readers' answers to each go (macros/renames.py asks for one of these)."""
    for old, prompt in before.prompts.items():
        if prompt.kind != "reflection" or old in after.where:
            continue
        name = _record_name("reflection", old, prompt)
        if old in after.formerly:
            new = after.formerly[old]
            note = f"Readers' answers move to {_record_name('reflection', new, after.prompts[new])} the next time they open it or My reflections."
            section.entries.append(Entry("Renamed", name, notes=[note]))
        elif old in after.retired:
            note = "Readers' answers stay in their journal, under “Answers to prompts no longer in the course” on My reflections."
            section.entries.append(Entry("Retired", name, notes=[note]))
        else:
            fix = fix_for(old, likely_successor(prompt.title, after)).replace(" (the record on this line)", "")
            entry = Entry("Removed without a word", name, notes=[f"make check fails until it is accounted for. Fix: {fix[0].upper()}{fix[1:]}"])
            entry.flags.append("readers who answered it would find their answer only among answers to prompts no longer in the course")
            section.entries.append(entry)


def compare(base: Side, head: Side, base_label: str) -> Report:
    """Everything that differs between two sides, as a report."""
    report = Report(base_label)
    data_shown = f"{head.docs}/{DATA_DIR}"
    data_sections = [Section(f"{KIND_TITLES[kind]} ({data_shown}/{name})") for name, (kind, _) in LIST_FILES.items()]
    course_section = Section(f"The course record ({data_shown}/{COURSE_FILE})")
    if base.data is not None and head.data is not None:
        for (_, (kind, _)), section in zip(LIST_FILES.items(), data_sections, strict=True):
            compare_records(base, head, section, kind)
        compare_course(base, head, course_section)
    else:
        fixes = {
            "base": "Fix: nothing to do for this report; that revision's data was already invalid.",
            "head": "Fix: run `make check` and correct the lines it names.",
        }
        for side, which, words in ((base, "base", f"at {base_label}"), (head, "head", "in this checkout")):
            if side.data_problem is not None:
                report.notes.append(
                    f"The course data {words} does not load ({side.data_problem}), so the data files are compared as text, "
                    f"without where they show. {fixes[which]}"
                )
        for (name, _), section in zip(LIST_FILES.items(), data_sections, strict=True):
            entry = _text_entry(base, head, f"{data_shown}/{name}", f"{data_shown}/{name}")
            if entry is not None:
                section.entries.append(entry)
        entry = _text_entry(base, head, f"{data_shown}/{COURSE_FILE}", f"{data_shown}/{COURSE_FILE}")
        if entry is not None:
            course_section.entries.append(entry)
    by_kind = dict(zip([kind for kind, _ in LIST_FILES.values()], data_sections, strict=True))
    pages_section = Section(f"Pages ({head.docs}/)")
    compare_pages(base, head, pages_section)
    nav_section = Section(f"Navigation ({head.config})")
    if base.menu != head.menu:
        entry = Entry("Changed", "the navigation", lines=field_lines({"menu": base.menu}, {"menu": head.menu}, words_for={"menu": "entries"}))
        entry.seen = ["the menu of every page", *nav_printed(base, head)]
        nav_section.entries.append(entry)
    cohorts_section = Section(f"Cohort manifests ({head.cohorts_dir}/)")
    compare_cohorts(base, head, cohorts_section)
    answers_section = Section("Readers' answers (reflection prompts renamed or removed)")
    if base.data is not None and head.data is not None:
        compare_answers(base.data, head.data, answers_section)
    # What happens to readers' answers first, then findings, prompts and sources: the records a reviewer is most likely asked about.
    report.sections = [answers_section, by_kind["finding"], by_kind["prompt"], by_kind["source"], course_section, pages_section, nav_section, cohorts_section]
    return report
