"""The data loader: valid records load; every broken one is reported with file, line and fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT
from pydantic import ValidationError

from macros.data import load_course
from macros.errors import ContentError
from macros.models import Finding, Prompt, Source


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A copy of the real data to break; returns the docs folder that holds it."""
    shutil.copytree(ROOT / "docs" / "data", tmp_path / "docs" / "data")
    return tmp_path / "docs"


def problems_for(docs: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_course(docs)
    return [str(p) for p in caught.value.problems]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_the_real_data_loads() -> None:
    data = load_course(ROOT / "docs")
    assert len(data.findings["five-key-actions"].items) == 5
    assert [i.text for i in data.findings["entry-point-criteria"].items] == ["Meaningful", "Actionable", "Acceptable", "Provisional"]
    assert data.findings["strategic-triangle"].stages == [1, 2, 3]
    assert all(p.minutes == 10 for p in data.prompts.values() if p.kind == "discussion")


def test_a_yaml_syntax_error_names_file_and_line(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(data_dir.parent)
    path = data_dir / "data" / "prompts.yml"
    edit(path, 'title: "Skills and practices"', "title: Skills: and practices")
    line = line_of(path, "Skills: and practices")
    assert problems_for(data_dir) == [
        f"docs/data/prompts.yml:{line}: the YAML could not be read: mapping values are not allowed here.\n"
        '    Fix: text that contains ": " must be in quotes, e.g. text: "Entry point: a start".'
    ]


def test_tabs_get_their_own_hint(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(data_dir.parent)
    path = data_dir / "data" / "findings.yml"
    edit(path, "  source: session-deck\n  numbered: true", "  source: session-deck\n\tnumbered: true")
    [problem] = problems_for(data_dir)
    assert problem.startswith(f"docs/data/findings.yml:{line_of(path, chr(9) + 'numbered')}: the YAML could not be read")
    assert "Fix: indent with spaces, not tabs." in problem


def test_unknown_field_suggests_the_field_meant(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(data_dir.parent)
    path = data_dir / "data" / "findings.yml"
    edit(path, '  title: "Five key actions', '  titel: "Five key actions')
    line = line_of(path, "titel:")
    found = problems_for(data_dir)
    assert f"docs/data/findings.yml:{line}: finding 'five-key-actions' has an unknown field `titel:`.\n    Fix: did you mean `title:`?" in found
    assert any("finding 'five-key-actions' is missing `title:`." in p for p in found)


def test_every_problem_is_reported_at_once(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(data_dir.parent)
    edit(data_dir / "data" / "findings.yml", "source: learning-journey-or-blame-game", "source: learning-jorney")
    edit(data_dir / "data" / "prompts.yml", 'kind: discussion\n  title: "What barriers', 'kind: discusion\n  title: "What barriers')
    found = problems_for(data_dir)
    assert any("names source 'learning-jorney', which is not in sources.yml.\n    Fix: did you mean 'learning-journey-or-blame-game'" in p for p in found)
    assert any(
        "prompt 'barriers-your-collaboration-faces': `kind: discusion` is not allowed.\n    Fix: use one of 'reflection' or 'discussion'." in p for p in found
    )


def test_a_duplicate_id_names_both_places(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(data_dir.parent)
    path = data_dir / "data" / "prompts.yml"
    edit(path, "- id: weakest-corner", "- id: your-collaboration")
    first = line_of(path, "- id: your-collaboration")
    second = len(path.read_text().splitlines()) - next(
        i for i, line in enumerate(reversed(path.read_text().splitlines())) if "- id: your-collaboration" in line
    )
    assert problems_for(data_dir) == [
        f"docs/data/prompts.yml:{second}: the id 'your-collaboration' is already used at docs/data/prompts.yml:{first}.\n"
        "    Fix: ids must be unique: rename one of the two (ids are permanent, so rename the new one)."
    ]


def test_a_duplicate_key_is_not_silently_dropped(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(data_dir.parent)
    path = data_dir / "data" / "sources.yml"
    edit(path, '  place: "Hartford, CT"', '  place: "Hartford, CT"\n  place: "Hartford"')
    line = line_of(path, 'place: "Hartford"')
    [problem] = problems_for(data_dir)
    assert problem.startswith(f"docs/data/sources.yml:{line}: `place:` appears twice in the same record.")


def test_python_tags_in_yaml_are_refused(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(data_dir.parent)
    path = data_dir / "data" / "prompts.yml"
    edit(path, 'title: "Skills and practices"', "title: !!python/object/apply:os.system ['echo pwned > pwned.txt']")
    found = problems_for(data_dir)
    assert (
        f"docs/data/prompts.yml:{line_of(path, '!!python')}: the YAML tag `!!python/object/apply:os.system` is not allowed.\n    Fix: remove the tag; write plain text, numbers and lists."
        in found
    )
    assert not (data_dir.parent / "pwned.txt").exists()


def test_a_missing_data_file_is_an_error(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(data_dir.parent)
    (data_dir / "data" / "prompts.yml").unlink()
    assert problems_for(data_dir) == ["docs/data/prompts.yml:1: the prompt file is missing.\n    Fix: restore docs/data/prompts.yml from git."]


def test_non_utf8_data_names_the_line(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(data_dir.parent)
    path = data_dir / "data" / "sources.yml"
    raw = path.read_bytes().replace("Martínez".encode(), "Mart\xednez".encode("latin-1"), 1)
    path.write_bytes(raw)
    [problem] = problems_for(data_dir)
    assert problem.startswith(f"docs/data/sources.yml:{line_of(ROOT / 'docs/data/sources.yml', 'Martínez')}: the file is not valid UTF-8 text.")


def test_models_forbid_unknown_fields_and_bad_ids() -> None:
    with pytest.raises(ValidationError):
        Finding.model_validate({"id": "x", "title": "T", "source": "s", "items": [{"text": "a"}], "colour": "red"})
    with pytest.raises(ValidationError):
        Finding.model_validate({"id": "Five Key", "title": "T", "source": "s", "items": [{"text": "a"}]})
    with pytest.raises(ValidationError):
        Finding.model_validate({"id": "x", "title": "T", "source": "s", "items": []})
    with pytest.raises(ValidationError, match="a discussion needs `minutes:`"):
        Prompt.model_validate({"id": "x", "kind": "discussion", "title": "T", "text": "t"})
    with pytest.raises(ValidationError):
        Source.model_validate({"id": "x", "kind": "case", "title": "T", "theme": "this-session", "quote": {"text": "q" * 201, "by": "A"}})
