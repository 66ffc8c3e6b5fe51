"""One course model per build (macros/course.py): while python -m publish builds the course, each source is read once."""

from __future__ import annotations

import builtins
import io
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from macros.cohort import COHORT_VARIABLE, EDITION_VARIABLE
from publish.__main__ import main


def test_a_build_opens_each_page_data_file_manifest_and_mkdocs_yml_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted in this process, on every open() (Path.read_text and read_bytes open through io.open), during one build."""
    opened: Counter[Path] = Counter()
    real_open = builtins.open

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, os.PathLike)):
            opened[Path(file).resolve()] += 1
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)
    for name in (COHORT_VARIABLE, EDITION_VARIABLE, "COURSE_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--no-pdf", "--site-dir", str(tmp_path / "site")]) == 0
    monkeypatch.undo()

    sources = [ROOT / "mkdocs.yml", *(ROOT / "docs").rglob("*.md"), *(ROOT / "docs" / "data").glob("*.yml"), *(ROOT / "cohorts").glob("*.yml")]
    assert len(sources) > 3
    read = {path.relative_to(ROOT).as_posix(): opened[path.resolve()] for path in sources}
    assert {name: count for name, count in read.items() if count != 1} == {}, "each source must be opened once per build"
    # Our own steps never hand the build's choices to each other through the environment.
    assert not {COHORT_VARIABLE, EDITION_VARIABLE, "COURSE_OFFLINE"} & set(os.environ)
