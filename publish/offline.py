"""The site made installable and readable offline: a web app manifest, icons drawn from the logo, and the service worker.

Runs on the finished site (after the HTML repairs and the PDFs, before the built-site check), so the worker's list
holds the content hash of every file exactly as it will be served: any change in a new deploy changes the worker,
and the browser then offers the reader the new version. Everything is written into the scratch build, so a failure
here publishes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import cairosvg
import material

from macros.errors import Problem
from macros.nav import read_config

ROOT = Path(__file__).resolve().parent.parent
# The worker's source; the build fills in the line below in a copy at the site's root (its scope is the folder it is in).
WORKER_SOURCE = ROOT / "overrides" / "sw.js"
WORKER_PLACEHOLDER = "const PRECACHE = null;"
WORKER = "sw.js"
# mkdocs.yml reads it as extra.offline: pages link the manifest and register the worker only in a published build.
OFFLINE_VARIABLE = "COURSE_OFFLINE"
MANIFEST = "manifest.webmanifest"
ICONS = "assets/images/app-icon"
# Kept when first opened rather than on the first visit: the PDFs (several MB), source maps, compressed copies, and
# the search's language packs, which Material's search loads only for languages other than English.
NOT_PRECACHED = re.compile(r"^(pdf/|assets/javascripts/lunr/)|\.(map|gz)$")
MATERIAL_ICONS = Path(material.__file__).parent / "templates" / ".icons"


def precache_list(site: Path) -> list[tuple[str, str]]:
    """(address relative to the site's root, SHA-256 of the bytes) for every file a reader needs offline."""
    found = []
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site).as_posix()
        if not path.is_file() or relative == WORKER or NOT_PRECACHED.search(relative):
            continue
        # A folder's index.html is asked for by the folder's address (directory URLs).
        address = relative.removesuffix("index.html") if relative == "index.html" or relative.endswith("/index.html") else relative
        found.append((address or "./", hashlib.sha256(path.read_bytes()).hexdigest()))
    return found


def theme_colour(site: Path, primary: str) -> str:
    """The header colour of the first palette, as Material's built palette stylesheet defines it."""
    for sheet in (site / "assets" / "stylesheets").glob("palette.*.min.css"):
        found = re.search(
            r"\[data-md-color-primary=" + re.escape(primary) + r"\]\{--md-primary-fg-color:(#[0-9a-fA-F]{3,8})", sheet.read_text(encoding="utf-8")
        )
        if found:
            return found.group(1)
    return "#4051b5"  # Material's indigo, its default primary colour


def logo_svg(site: Path, theme: dict[str, Any]) -> bytes | None:
    """The site's logo as SVG: theme.logo when it is an SVG file, else Material's icon named by theme.icon.logo."""
    logo = theme.get("logo")
    if isinstance(logo, str) and logo.endswith(".svg") and (site / logo).is_file():
        return (site / logo).read_bytes()
    icon = (theme.get("icon") or {}).get("logo") if isinstance(theme.get("icon"), dict) else None
    path = MATERIAL_ICONS / f"{icon or 'material/library'}.svg"
    return path.read_bytes() if path.is_file() else None


def draw_icon(svg: bytes, colour: str, size: int, out: Path) -> None:
    """The logo in white on the theme colour, a square PNG whose glyph sits inside the maskable safe zone."""
    inner = re.sub(rb"^.*?<svg[^>]*>|</svg>\s*$", b"", svg.strip(), flags=re.S)
    view = re.search(rb'viewBox="([^"]+)"', svg)
    x, y, width, height = (float(n) for n in (view.group(1).decode().split() if view else ["0", "0", "24", "24"]))
    # The glyph fills 60% of the square, inside the 80% circle Android may cut a maskable icon to.
    scale = 0.6 * size / max(width, height)
    offset_x, offset_y = (size - width * scale) / 2 - x * scale, (size - height * scale) / 2 - y * scale
    wrapper = (
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}">'
            f'<rect width="{size}" height="{size}" fill="{colour}"/>'
            f'<g fill="#ffffff" color="#ffffff" transform="translate({offset_x:.3f} {offset_y:.3f}) scale({scale:.5f})">'
        ).encode()
        + inner
        + b"</g></svg>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    cairosvg.svg2png(bytestring=wrapper, write_to=str(out), output_width=size, output_height=size)


def make_offline(site: Path, config: Path) -> list[Problem]:
    """Write the manifest, its icons and the filled-in worker into the built site; problems if that cannot be done."""
    _, values = read_config(config)
    theme = values.get("theme") if isinstance(values.get("theme"), dict) else {}
    assert isinstance(theme, dict)
    palettes = theme.get("palette")
    first = palettes[0] if isinstance(palettes, list) and palettes else palettes if isinstance(palettes, dict) else {}
    colour = theme_colour(site, str((first or {}).get("primary") or "indigo"))
    shown = config.name
    svg = logo_svg(site, theme)
    if svg is None:
        return [
            Problem(
                shown,
                1,
                "the site's logo could not be found, so the installed app would have no icon.",
                "set `theme: icon: logo:` to one of Material's icons, or `theme: logo:` to an SVG file in docs/.",
            )
        ]
    icons = []
    for size in (192, 512):
        name = f"{ICONS}-{size}.png"
        draw_icon(svg, colour, size, site / name)
        icons.append({"src": name, "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any maskable"})
    name = str(values.get("site_name") or "Course")
    manifest = {
        "name": name,
        "description": str(values.get("site_description") or ""),
        "lang": str(theme.get("language") or "en"),
        # Relative to the manifest, which sits at the site's root: the app works from any folder, as on GitHub Pages.
        "start_url": "./",
        "scope": "./",
        "display": "standalone",
        "theme_color": colour,
        "background_color": "#ffffff",
        "icons": icons,
    }
    (site / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    source = WORKER_SOURCE.read_text(encoding="utf-8")
    if source.count(WORKER_PLACEHOLDER) != 1:
        return [
            Problem(
                str(WORKER_SOURCE.relative_to(ROOT)),
                1,
                f"the worker must hold the line `{WORKER_PLACEHOLDER}` once, for the build to fill in.",
                "restore it from git.",
            )
        ]
    files = precache_list(site)
    # One hash over every file's: the name of this version's cache.
    version = hashlib.sha256("".join(f"{address} {digest}\n" for address, digest in files).encode()).hexdigest()[:16]
    filled = "const PRECACHE = " + json.dumps({"version": version, "files": files}, separators=(",", ":")) + ";"
    (site / WORKER).write_text(source.replace(WORKER_PLACEHOLDER, filled), encoding="utf-8")
    return []
