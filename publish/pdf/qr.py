"""The way from paper back to the page: a page's address online, printed short and as a QR code (segno)."""

from __future__ import annotations

import io
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
    # Vector, so it prints sharp at any size.
    return Online(address=address, short=short_address(address), qr=qr_code(address).svg_data_uri(border=4, dark="#000", light="#fff"))


def short_address(address: str) -> str:
    """An address as printed: without its scheme."""
    return address.split("://", 1)[-1]


def qr_code(address: str) -> segno.QRCode:
    """A regular QR code (never a Micro QR code, which phone cameras do not read); medium error correction survives a fold or a smudge."""
    return segno.make_qr(address, error="m")


def qr_png(address: str, pixels: int) -> bytes:
    """The QR code as a PNG about pixels wide, with the standard quiet zone (for the PowerPoint slides)."""
    code = qr_code(address)
    modules = code.symbol_size(border=4)[0]
    out = io.BytesIO()
    code.save(out, kind="png", scale=max(1, pixels // modules), border=4, dark="#000", light="#fff")
    return out.getvalue()
