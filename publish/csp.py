"""A Content-Security-Policy on every built page, computed from the inline scripts the built site holds.

Runs on the finished site (python -m publish, every engine and edition), after the PDFs and before the service
worker lists the files, so the worker's hashes are those of the pages as served. The inline scripts are those found
as each page was read (publish/built.py).

One policy for the whole site, not one per page: Material's instant navigation swaps the body of a page in without
reloading it, so the policy of the first page opened stays in force while the inline scripts of every later page
run. Any page can be the first, so each must allow the inline scripts of all. They all come from the site's own
templates (the allow-list refuses a <script> in a page, macros/allowlist.py), so the set is small and the same on
every page. Inline style is allowed: Python-Markdown writes `style` attributes for a table's column alignment, and
Zensical's search box puts its own <style> element in a shadow root, from its script (its text is not in any page, so
it cannot be hashed here). That is safe given the rest: scripts are limited to this site's files and hashes, and images,
fonts, requests, frames and media to this site, so a style can neither run code nor carry the page's text to another
host (a selector that "reads" an attribute can only ask this site for a file). A page itself may still hold no <style>
element and no style that loads a file: the allow-list refuses both.
"""

from __future__ import annotations

import base64
import hashlib

from macros.errors import Problem
from publish.built import BuiltSite

# The policy's fixed part; script-src gains the hashes of the site's inline scripts.
DIRECTIVES = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self' 'unsafe-inline'"),
    ("img-src", "'self' data:"),
    ("font-src", "'self'"),
    ("connect-src", "'self'"),
    ("worker-src", "'self'"),
    ("manifest-src", "'self'"),
    ("media-src", "'none'"),
    ("frame-src", "'none'"),
    ("object-src", "'none'"),
    ("form-action", "'none'"),
    ("base-uri", "'self'"),
)
# The policy goes straight after the character set, before any script or stylesheet it must govern.
CHARSET = b'<meta charset="utf-8">'


def script_hash(text: str) -> str:
    """A script's source expression for script-src: 'sha256-<base64 of its UTF-8 bytes' digest>'."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def site_policy(hashes: set[str]) -> str:
    """The policy, its hashes sorted so the same site always gives the same bytes."""
    found = " ".join(sorted(hashes))
    return "; ".join(f"{name} {value} {found}" if name == "script-src" and found else f"{name} {value}" for name, value in DIRECTIVES)


def secure_site(site: BuiltSite) -> list[Problem]:
    """Write the policy into every HTML page of the site (its record and its file); a problem for each page it cannot be put at the top of."""
    hashes = {script_hash(text) for page in site.pages.values() for text in page.scripts}
    meta = f'<meta http-equiv="Content-Security-Policy" content="{site_policy(hashes)}">'.encode()
    problems = []
    for page in list(site.pages.values()):
        html = page.data
        at = html.find(CHARSET)
        first = min((found for found in (html.find(b"<script"), html.find(b"<link"), html.find(b"<style")) if found >= 0), default=len(html))
        if at < 0 or at > first:
            problems.append(
                Problem(
                    page.address,
                    1,
                    f"the built page has no `{CHARSET.decode()}` before its first script or stylesheet, where its Content-Security-Policy must go.",
                    "keep the theme's own <head> (overrides/main.html extends Material's base.html; never replace its site_meta block).",
                )
            )
            continue
        at += len(CHARSET)
        site.write(page, html[:at] + meta + html[at:])
    return problems
