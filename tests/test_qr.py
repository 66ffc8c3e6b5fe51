"""From paper back to the page (issue 13): handouts and the reader's pages carry a QR code and the short address online.

The PDFs are rendered to images (pdftoppm) and the codes read back with a barcode reader (zbarimg), as a phone would.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import SITE_URL, part_starts
from test_pdf import first_asked, pdf_text, printed_pages

from macros.downloads import READER_PDF, handout_pdf
from publish.pdf.qr import online
from publish.pdf.site import page_url


def decode(pdf: Path, page: int, tmp_path: Path) -> list[str]:
    """What a barcode reader finds on one page of a PDF (numbered from 1), rendered at 150 dpi."""
    for tool in ("pdftoppm", "zbarimg"):
        assert shutil.which(tool), f"{tool} is missing: `make test` installs poppler-utils and zbar-tools"
    image = tmp_path / f"{pdf.stem}-{page}"
    subprocess.run(["pdftoppm", "-r", "150", "-f", str(page), "-l", str(page), "-singlefile", "-png", str(pdf), str(image)], check=True, timeout=60)
    # zbarimg exits 4 when it finds no code, which is an answer here, not a failure.
    result = subprocess.run(["zbarimg", "--quiet", "--raw", f"{image}.png"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode in (0, 4), result.stderr
    return result.stdout.split()


def short(address: str) -> str:
    return address.split("://", 1)[1]


def test_each_handout_code_decodes_to_its_page_online(cohort_site: Path, tmp_path: Path) -> None:
    handouts = first_asked(cohort_site)
    assert handouts
    for src in handouts:
        pdf = cohort_site / "pdf" / handout_pdf(src)
        address = SITE_URL + page_url(src)
        assert decode(pdf, 1, tmp_path) == [address], f"the handout of {src}"
        # The address is printed too, for a reader without a camera (the printed line may wrap, so spaces are ignored).
        assert short(address) in pdf_text(pdf)[0].replace(" ", ""), f"the handout of {src} does not print {short(address)}"
        print(f"{pdf.name}: page 1 decodes to {address}")


def test_each_page_of_the_reader_opens_with_its_code(cohort_site: Path, tmp_path: Path) -> None:
    pdf = cohort_site / "pdf" / READER_PDF
    starts = part_starts(pdf)
    for title, src in printed_pages():
        address = SITE_URL + page_url(src)
        assert decode(pdf, starts[title], tmp_path) == [address], f"the reader's page for {title}"


def test_without_the_sites_address_there_is_no_code_and_no_address(site: Path, tmp_path: Path) -> None:
    pdf = site / "pdf" / handout_pdf("what-to-expect.md")
    assert decode(pdf, 1, tmp_path) == []
    assert not re.search(r"\bOnline\b", pdf_text(pdf)[0])
    reader = site / "pdf" / READER_PDF
    assert decode(reader, part_starts(reader)["1 · What to expect"], tmp_path) == []


@pytest.mark.parametrize("page", ["", "what-to-expect/"])
def test_the_address_is_printed_without_its_scheme_and_none_without_a_site_url(page: str) -> None:
    found = online("https://course.example.org/", page)
    assert found is not None
    assert (found.address, found.short) == (f"https://course.example.org/{page}", f"course.example.org/{page}")
    assert found.qr.startswith("data:image/svg+xml")
    assert online(None, page) is None
