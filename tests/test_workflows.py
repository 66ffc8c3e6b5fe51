"""The GitHub set-up: workflows that lint clean and hold least privilege, forms GitHub can render, owners for the code."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def tool(name: str, *args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run a linter installed beside this Python (the pinned wheels put their binaries there)."""
    path = BIN / name if (BIN / name).exists() else shutil.which(name)
    assert path, f"{name} is not installed: run `make test`, which installs the pinned test tools"
    return subprocess.run([str(path), *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False)


def load(path: Path) -> dict:  # type: ignore[type-arg]
    # YAML 1.1 reads the key `on` as True; the workflows are read as GitHub reads them.
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    assert isinstance(data, dict)
    return data


def test_there_is_a_pull_request_and_a_deploy_workflow() -> None:
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "pull-request.yml"]


def test_actionlint_passes_and_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    result = tool("actionlint", "-no-color", *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text("on: pull_request\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.titel }}\n", encoding="utf-8")
    result = tool("actionlint", "-no-color", broken, cwd=tmp_path)
    assert result.returncode != 0 and "titel" in result.stdout


def test_zizmor_finds_no_security_problem_and_would_catch_one(tmp_path: Path) -> None:
    result = tool("zizmor", "--offline", "--no-progress", "--persona", "pedantic", GITHUB / "workflows")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout
    risky = tmp_path / "risky.yml"
    risky.write_text(
        "on: pull_request_target\npermissions: write-all\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n",
        encoding="utf-8",
    )
    assert tool("zizmor", "--offline", "--no-progress", risky).returncode != 0


def test_issue_forms_and_workflows_match_githubs_schemas() -> None:
    forms = sorted(p for p in (GITHUB / "ISSUE_TEMPLATE").glob("*.yml") if p.name != "config.yml")
    assert [p.name for p in forms] == ["fix-content.yml", "propose-finding.yml"]
    result = tool("check-jsonschema", "--builtin-schema", "vendor.github-issue-forms", *forms)
    assert result.returncode == 0, result.stdout + result.stderr
    result = tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_pull_request_workflow_is_read_only_checks_tests_and_uploads_a_preview() -> None:
    flow = load(GITHUB / "workflows" / "pull-request.yml")
    text = (GITHUB / "workflows" / "pull-request.yml").read_text(encoding="utf-8")
    # pull_request (not pull_request_target): a fork's code runs without the repository's secrets or a write token.
    assert list(flow["on"]) == ["pull_request"]
    assert flow["permissions"] == {"contents": "read"}
    assert "secrets." not in text
    [job] = flow["jobs"].values()
    assert "permissions" not in job
    runs = [step.get("run") for step in job["steps"]]
    assert runs.index("make check") < runs.index("make test") < runs.index("make site")
    upload = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "site/"


def test_the_deploy_workflow_grants_pages_rights_only_to_the_deploy_job() -> None:
    flow = load(GITHUB / "workflows" / "deploy.yml")
    assert flow["on"]["push"]["branches"] == ["main"]
    assert flow["permissions"] == {}
    assert flow["jobs"]["build"]["permissions"] == {"contents": "read"}
    assert flow["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert flow["jobs"]["deploy"]["needs"] == "build"
    # The job that can write to Pages runs no project code: it only deploys what the build uploaded.
    assert all("run" not in step for step in flow["jobs"]["deploy"]["steps"])


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version_named(path: Path) -> None:
    uses = re.findall(r"uses:\s*(\S+)(.*)", path.read_text(encoding="utf-8"))
    assert uses
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", comment), f"{ref} needs a '# vX.Y.Z' comment"
    # Checkout never leaves a token behind for later steps, and fetches the history "last updated" needs.
    assert "persist-credentials: false" in path.read_text(encoding="utf-8")
    assert "fetch-depth: 0" in path.read_text(encoding="utf-8")


def test_code_settings_and_workflows_have_owners() -> None:
    rules = [line.split() for line in (GITHUB / "CODEOWNERS").read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    owned = {rule[0] for rule in rules if len(rule) > 1}
    assert {"/macros/", "/mkdocs.yml", "/.github/"} <= owned
    assert not any(pattern.startswith("/docs") for pattern in owned), "faculty content needs no code owner's review"


def test_the_pull_request_template_carries_the_faculty_checklist() -> None:
    text = (GITHUB / "PULL_REQUEST_TEMPLATE.md").read_text(encoding="utf-8")
    boxes = re.findall(r"^- \[ \] (.+)$", text, re.M)
    assert len(boxes) >= 6
    assert any("own words" in box for box in boxes) and any("alt text" in box for box in boxes)


def test_the_pull_request_reports_its_changes_to_the_summary_and_previews_the_facilitator_guide() -> None:
    flow = load(GITHUB / "workflows" / "pull-request.yml")
    [job] = flow["jobs"].values()
    steps = job["steps"]
    report = next(step for step in steps if "make changes" in step.get("run", ""))
    # The base revision reaches the script through the environment (zizmor's template-injection rule), and the report goes to the job summary.
    assert report["env"] == {"BASE": "${{ github.event.pull_request.base.sha }}"}
    assert report["run"] == 'make changes BASE="$BASE" >> "$GITHUB_STEP_SUMMARY"'
    guide = next(step for step in steps if "EDITION=facilitator" in step.get("run", ""))
    assert "cp site-facilitator/pdf/facilitator-guide.pdf site/facilitator-edition/" in guide["run"]
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    # After `make check`, whose set-up step would otherwise print into the summary; and run even when the check failed.
    check = next(step for step in steps if step.get("run") == "make check")
    assert report["if"] == "${{ !cancelled() }}"
    assert steps.index(check) < steps.index(report) < steps.index(guide) < steps.index(upload)


def test_the_pull_request_build_restores_and_saves_the_print_cache_keyed_on_the_lock_files() -> None:
    from publish.cache import FOLDER

    [job] = load(GITHUB / "workflows" / "pull-request.yml")["jobs"].values()
    steps = job["steps"]
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))
    site = next(step for step in steps if step.get("run") == "make site")
    assert steps.index(cache) < steps.index(site)
    assert cache["with"]["path"] == FOLDER.as_posix()
    for lock in ("requirements.txt", "package-lock.json"):
        assert (ROOT / lock).is_file()
        assert lock in cache["with"]["key"] and lock in cache["with"]["restore-keys"]
    # Only a pull request's own check uses it: the deploy prints everything afresh.
    assert "actions/cache@" not in (GITHUB / "workflows" / "deploy.yml").read_text(encoding="utf-8")
