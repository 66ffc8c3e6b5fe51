"""The schema of the course data: what a finding, prompt, source or course record may hold."""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=60)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Record(BaseModel):
    """Base for every record: unknown fields are errors, values never change after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Item(Record):
    """One point of a finding, optionally under a group heading and a build-up stage."""

    text: Text
    term: Text | None = None
    group: Text | None = None
    stage: Annotated[int, Field(ge=1, le=9)] | None = None


class Finding(Record):
    """A research finding or framework, tied to the source it comes from."""

    id: Id
    title: Text
    source: Id
    intro: Text | None = None
    numbered: bool = False
    items: Annotated[list[Item], Field(min_length=1)]

    @property
    def stages(self) -> list[int]:
        """The build-up stages this finding's items use, in order (empty if none)."""
        return sorted({item.stage for item in self.items if item.stage is not None})


class Quote(Record):
    """A quotation as the deck gives it, whole, paragraph by paragraph, always with the person it is attributed to."""

    paragraphs: Annotated[list[Text], Field(min_length=1)]
    by: Text


class Source(Record):
    """A case, study, article, book or the session itself, as the deck cites it."""

    id: Id
    # `work`: one the deck names without saying what kind it is; it is listed with no kind label.
    kind: Literal["case", "study", "article", "book", "session", "work"]
    title: Text
    authors: list[Text] = []
    # The authors' position and institution, as the deck gives it.
    affiliation: Text | None = None
    cited_as: Text | None = None
    # One journal or publication, or a list when the deck names several.
    venue: Text | list[Text] | None = None
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    date: datetime.date | None = None
    place: Text | None = None
    summary: Text | None = None
    # One of the resource themes named in course.yml (`resource_themes:`), where the Resources page lists the work.
    theme: Id
    question: Text | None = None
    methods: list[Text] = []
    # The title of a chart a case shows before its facts (the chart itself came through as its title only).
    chart: Text | None = None
    facts_heading: Text | None = None
    facts: list[Text] = []
    quote: Quote | None = None
    epilogue: list[Text] = []

    @property
    def venues(self) -> list[str]:
        """Each journal or publication the source appeared in (empty if the deck names none)."""
        if self.venue is None:
            return []
        return [self.venue] if isinstance(self.venue, str) else list(self.venue)


class Prompt(Record):
    """A reflection (private, written alone) or a discussion (small groups, time-boxed)."""

    id: Id
    kind: Literal["reflection", "discussion"]
    title: Text
    text: Text
    minutes: Annotated[int, Field(ge=1, le=240)] | None = None
    format: Text | None = None
    source: Id | None = None
    # Ids this reflection had before it was renamed: readers' answers saved under them move to this id.
    formerly: list[Id] = []

    @model_validator(mode="after")
    def _discussion_has_time_box(self) -> Prompt:
        if self.kind == "discussion" and self.minutes is None:
            raise ValueError("a discussion needs `minutes:` (its time box, e.g. minutes: 10)")
        if self.kind == "reflection" and (self.minutes is not None or self.format is not None):
            raise ValueError("a reflection has no `minutes:` or `format:`; remove them or use kind: discussion")
        if self.kind == "discussion" and self.formerly:
            raise ValueError("a discussion keeps no answers, so it has no `formerly:`; remove it (to retire a reflection's id, see CONTRIBUTING.md)")
        return self


class Faculty(Record):
    """A member of faculty, with the roles the deck gives."""

    name: Text
    roles: list[Text] = []


class Figure(Record):
    """One of the figures the session gives, e.g. '30+' countries."""

    figure: Text
    label: Text


class Course(Record):
    """The programme as a whole: the site's title, the programme and its host, the figures and the name it closes with."""

    title: Text
    subtitle: Text
    programme: Text
    track: Text | None = None
    # Named after the programme as the deck names them, with no role (the deck gives none).
    organizations: list[Text] = []
    centre: Text
    reach: list[Figure] = []
    # The name on the deck's last slide, shown where the course ends.
    closing_credit: Text | None = None
    # The resource themes, in the order the Resources page lists them: each theme's id and its title.
    resource_themes: Annotated[dict[Id, Text], Field(min_length=1)]


class Session(Record):
    """One session of the academy (docs/data/sessions.yml): the nav section holding its pages, its names and faculty,
    the resource themes it uses and its day within a cohort's dates."""

    id: Id
    # The title of the section of mkdocs.yml's nav that holds the session's pages.
    section: Text
    # How the programme names the session, e.g. "Opening session".
    name: Text
    title: Text
    subtitle: Text | None = None
    faculty: Annotated[list[Faculty], Field(min_length=1)]
    # Ids from course.yml's `resource_themes:`, in the order the session's resources are listed.
    resource_themes: list[Id] = []
    # The day of a cohort's dates the session is on: 1 is the cohort's `start_date`.
    day: Annotated[int, Field(ge=1, le=366)] = 1

    @property
    def heading(self) -> str:
        """How a heading names the session where lists group by session: 'Opening session: Leading Collaboration in Cities'."""
        return self.title if self.name == self.title else f"{self.name}: {self.title}"


class PageMeta(Record):
    """The front matter a page may carry; segments add a question, objectives and key points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Text
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    question: Text | None = None
    objectives: list[Text] = []
    key_points: list[Text] = []
    # The page's parts in the schedule and their minutes; a part with no value has no length decided yet.
    minutes: dict[Literal["opening", "case", "insights", "discussion", "closing"], Annotated[int, Field(ge=1, le=240)] | None] = {}
    hide: list[Literal["navigation", "toc", "footer", "path", "tags", "feedback"]] = []
    search: dict[Literal["exclude", "boost"], bool | float] = {}
    template: Text | None = None
    # False keeps a page out of the printed course reader (e.g. the interactive My reflections page).
    reader: bool = True
    # False keeps a page off the session's slides (publish/slides), e.g. the pre-work.
    slides: bool = True

    @field_validator("minutes")
    @classmethod
    def _one_kind_of_page(cls, minutes: dict[str, int | None]) -> dict[str, int | None]:
        kinds = [
            kind
            for kind, parts in (("a segment", {"case", "insights", "discussion"}), ("the opening", {"opening"}), ("the closing", {"closing"}))
            if parts & set(minutes)
        ]
        if len(kinds) > 1:
            raise ValueError(
                f"`minutes:` makes the page both {' and '.join(kinds)}; a segment lists `case:`, `insights:` and `discussion:`, "
                "the opening `opening:` alone and the closing `closing:` alone. Keep the parts of one kind"
            )
        return minutes
