"""The way from paper back to the page: a page's address online, printed short and as a QR code (segno)."""

from __future__ import annotations

from dataclasses import dataclass

import segno


@dataclass(frozen=True)
class Online:
    """Where a printed page lives on the site: its full address, the address as printed, and a QR code of it."""

    address: str
    short: str
    qr: str


def online(site_url: str | None, page_url: str) -> Online | None:
    """The page at page_url ('what-to-expect/', '' for the home page) on the live site; None when the site's address is not known."""
    if not site_url:
        return None
    address = site_url + page_url
    # A regular QR code (never a Micro QR code, which phone cameras do not read), with the standard quiet zone;
    # medium error correction survives a fold or a smudge. Vector, so it prints sharp at any size.
    code = segno.make_qr(address, error="m")
    return Online(address=address, short=address.split("://", 1)[-1], qr=code.svg_data_uri(border=4, dark="#000", light="#fff"))
