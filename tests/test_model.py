"""One course model per build (macros/course.py): each source read once per build, the settings checked in our words."""

from __future__ import annotations

import builtins
import io
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, move_docs, run

from macros.cohort import COHORT_VARIABLE, EDITION_VARIABLE
from macros.course import load_model
from publish.__main__ import main


def count_opens(monkeypatch: pytest.MonkeyPatch) -> Counter[Path]:
    """Count every open() in this process, by resolved path, until monkeypatch.undo() (Path.read_text and read_bytes
    open through io.open)."""
    opened: Counter[Path] = Counter()
    real_open = builtins.open

    def counting_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, (str, os.PathLike)):
            opened[Path(file).resolve()] += 1
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)
    return opened


def test_a_build_opens_each_page_data_file_manifest_and_mkdocs_yml_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counted in this process, on every open() (Path.read_text and read_bytes open through io.open), during one build."""
    opened = count_opens(monkeypatch)
    for name in (COHORT_VARIABLE, EDITION_VARIABLE, "COURSE_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--no-pdf", "--site-dir", str(tmp_path / "site")]) == 0
    # Our own steps never hand the build's choices to each other through the environment.
    assert not {COHORT_VARIABLE, EDITION_VARIABLE, "COURSE_OFFLINE"} & set(os.environ)
    monkeypatch.undo()

    sources = [ROOT / "mkdocs.yml", *(ROOT / "docs").rglob("*.md"), *(ROOT / "docs" / "data").glob("*.yml"), *(ROOT / "cohorts").glob("*.yml")]
    assert len(sources) > 3
    read = {path.relative_to(ROOT).as_posix(): opened[path.resolve()] for path in sources}
    assert {name: count for name, count in read.items() if count != 1} == {}, "each source must be opened once per build"


def test_settings_mkdocs_yml_gets_wrong_are_named_with_their_line_and_fix(project: Path) -> None:
    """The build's settings are checked by MkDocs' config schema (CourseOptions, PrintOptions), and told in our words, all at once."""
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    for old, new in (
        ("offline: !ENV [COURSE_OFFLINE, false]", "offline: sometimes"),
        ("cohort: !ENV [COURSE_COHORT, generic]", "cohort: [a, list]"),
        ("page_size: letter", "page_size: legal"),
    ):
        assert old in text
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    lines = text.splitlines()

    def line(key: str) -> int:
        return next(n for n, t in enumerate(lines, start=1) if t.strip().startswith(f"{key}:"))

    found = sorted(str(problem) for problem in load_model(config, edition="facilitators").problems)
    assert found == [
        f"mkdocs.yml:{line('cohort')}: `cohort: ['a', 'list']` is not a cohort's id.\n    Fix: write the id of a manifest in cohorts/, or `generic`.",
        f"mkdocs.yml:{line('edition')}: there is no edition 'facilitators', given by --edition or {EDITION_VARIABLE}.\n    Fix: did you mean 'facilitator'?",
        f"mkdocs.yml:{line('offline')}: `offline: sometimes` is not true or false.\n    Fix: write `offline: true` or `offline: false`.",
        f"mkdocs.yml:{line('page_size')}: `page_size: legal` is not a paper size the PDFs know.\n    Fix: use `page_size: letter` or `page_size: a4`.",
    ]
    # The command line's choice is taken over mkdocs.yml's, and a paper size may be written in capitals.
    config.write_text(config.read_text(encoding="utf-8").replace("page_size: legal", "page_size: A4"), encoding="utf-8")
    settings = load_model(config, cohort="generic", edition="facilitator", offline=True).settings
    assert (settings.cohort_id, settings.edition, settings.offline, settings.page_size) == ("generic", "facilitator", True, "a4")


def test_mkdocs_build_by_hand_opens_mkdocs_yml_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mkdocs build` run by hand: MkDocs loads mkdocs.yml, and the macros hook makes the model from that config without reading it again."""
    from mkdocs.__main__ import cli

    opened = count_opens(monkeypatch)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    with pytest.raises(SystemExit) as done:
        cli.main(["build", "--strict", "--quiet", "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")], prog_name="mkdocs")
    monkeypatch.undo()
    assert done.value.code == 0
    assert opened[(ROOT / "mkdocs.yml").resolve()] == 1


def test_another_config_with_its_own_docs_folder_is_honoured(project: Path) -> None:
    """`--config` (make site/check/serve/pdf CONFIG=...): the config's docs_dir is where every page, data file and message is."""
    model = load_model(move_docs(project))
    assert model.problems == [] and model.pages and all(page.display == f"content/{src}" for src, page in model.pages.items())

    built = run([sys.executable, "-m", "publish", "--no-pdf", "--config", "course.yml", "--site-dir", str(project / "out")], cwd=project)
    assert built.returncode == 0, built.stderr
    assert all((project / "out" / page.dest_uri).is_file() for page in model.pages.values())

    page = next(page for page in model.nav_pages if page.text and page.src_path != "index.md")
    source = project / "content" / page.src_path
    source.write_text(page.text + "\n[a page](nowhere.md)\n", encoding="utf-8")
    line = len(source.read_text(encoding="utf-8").splitlines())
    checked = run([sys.executable, "-m", "macros.check", "--config", "course.yml"], cwd=project)
    assert checked.returncode == 1
    assert f"content/{page.src_path}:{line}: the link `nowhere.md` points to a page that does not exist (content/nowhere.md)." in checked.stderr


def test_make_serve_hands_its_choices_to_mkdocs_in_the_config_read_afresh_for_each_rebuild(project: Path) -> None:
    """`make serve EDITION=facilitator`: MkDocs' serve loads mkdocs.yml with the choice in `extra`, never from the environment,
    and reads the file again before each rebuild, so a saved mkdocs.yml is served."""
    from mkdocs.config import load_config

    from publish.serve import ConfigWithChoices

    config = project / "mkdocs.yml"
    settings = load_model(config, edition="facilitator").settings
    given = ConfigWithChoices(config, settings)
    first = load_config(given, plugins=[], hooks=[], markdown_extensions=[])
    assert (first["extra"]["edition"], first["extra"]["cohort"], first.config_file_path) == ("facilitator", "generic", str(config))
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("\nsite_name: ", "\nsite_name: Renamed ", 1), encoding="utf-8")
    again = load_config(given, plugins=[], hooks=[], markdown_extensions=[])
    assert again["site_name"].startswith("Renamed ") and again["extra"]["edition"] == "facilitator"
