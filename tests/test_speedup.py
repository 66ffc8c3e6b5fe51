"""The pydyf speed-up: same values as pydyf's own, only for the pinned version, only inside the PDF workers."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pydyf
import pytest
from conftest import ROOT

from publish.pdf import speedup


@pytest.fixture
def restore() -> Iterator[None]:
    """Put pydyf's own property back whatever a test installs."""
    yield
    pydyf.PDF.page_references = speedup.ORIGINAL


def test_the_cached_page_references_equal_pydyf_s_own_as_pages_are_added() -> None:
    pdf = pydyf.PDF()
    assert speedup.page_references(pdf) == speedup.ORIGINAL.fget(pdf) == ()
    for count in range(1, 40):
        page = pydyf.Dictionary({"Type": "/Page", "Parent": pdf.pages.reference})
        pdf.add_page(page)
        # Read before and after adding objects that are not pages: the cache follows the page count only.
        assert speedup.page_references(pdf) == speedup.ORIGINAL.fget(pdf)
        pdf.add_object(pydyf.Dictionary({}))
        assert speedup.page_references(pdf) == speedup.ORIGINAL.fget(pdf)
        assert len(speedup.page_references(pdf)) == count


def test_the_speed_up_is_installed_for_the_checked_version_only(restore: None) -> None:
    assert speedup.install("0.14.0") is False
    assert pydyf.PDF.page_references is speedup.ORIGINAL
    assert speedup.install(speedup.CHECKED_VERSION) is True
    assert pydyf.PDF.page_references is not speedup.ORIGINAL
    assert speedup.install("0.12.1") is False, "a later call with another version must put the original back"
    assert pydyf.PDF.page_references is speedup.ORIGINAL


def test_the_checked_version_is_the_pinned_and_installed_one() -> None:
    pins = re.findall(r'"pydyf==([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pins == [speedup.CHECKED_VERSION]
    assert f"pydyf=={speedup.CHECKED_VERSION}\n" in (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert pydyf.__version__ == speedup.CHECKED_VERSION


def test_importing_the_print_path_leaves_pydyf_alone() -> None:
    code = "import pydyf\nimport publish.pdf.build, publish\noriginal = pydyf.PDF.__dict__['page_references']\nprint(original.fget.__module__)\n"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "pydyf"
