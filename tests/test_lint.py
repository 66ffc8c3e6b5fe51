"""The Python code stays lint-clean and type-checked, so `make lint` never surprises a maintainer."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import ROOT, run

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "macros", "publish", "tests", "bench"],
        ["ruff", "format", "--check", "macros", "publish", "tests", "bench"],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_python_code_is_clean(command: list[str]) -> None:
    result = run([str(BIN / command[0]), *command[1:]], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
