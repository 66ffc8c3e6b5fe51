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

import material

from macros.course import CourseModel
from macros.errors import Problem, line_in
from macros.nav import parse_config
from publish.pdf.machine import MachineError, lack_in_import_error

ROOT = Path(__file__).resolve().parent.parent
# The worker's source; the build fills in the line below in a copy at the site's root (its scope is the folder it is in).
WORKER_SOURCE = ROOT / "overrides" / "sw.js"
WORKER_PLACEHOLDER = "const PRECACHE = null;"
WORKER = "sw.js"
MANIFEST = "manifest.webmanifest"
ICONS = "assets/images/app-icon"
# Kept when first opened rather than on the first visit: the PDFs (several MB), the slides, source maps, compressed
# copies, and the search's language packs, which Material's search loads only for languages other than English.
NOT_PRECACHED = re.compile(r"^(pdf/|slides/|assets/javascripts/lunr/)|\.(map|gz)$")
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


def find_logo(site: Path, theme: dict[str, Any]) -> tuple[str, Path]:
    """(how mkdocs.yml names the logo, its file): theme.logo, a file in docs/, else Material's icon theme.icon.logo."""
    logo = theme.get("logo")
    if isinstance(logo, str) and logo:
        return f"theme: logo: {logo}", site / logo
    icons = theme.get("icon")
    icon = str(icons.get("logo") or "") if isinstance(icons, dict) else ""
    # Material's own default logo when none is named.
    return f"theme: icon: logo: {icon}", MATERIAL_ICONS / f"{icon or 'material/library'}.svg"


def draw_picture(picture: Path, colour: str, size: int, out: Path) -> None:
    """A raster logo (PNG, JPEG) centred on the theme colour, inside the maskable safe zone."""
    from PIL import Image  # only a raster logo needs it; an SVG logo is drawn by cairosvg

    with Image.open(picture) as opened:
        logo = opened.convert("RGBA")
    logo.thumbnail((int(size * 0.6), int(size * 0.6)))
    square = Image.new("RGBA", (size, size), colour)
    square.alpha_composite(logo, ((size - logo.width) // 2, (size - logo.height) // 2))
    out.parent.mkdir(parents=True, exist_ok=True)
    square.convert("RGB").save(out)


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
    try:
        import cairosvg
    except OSError as error:
        # Cairo is a system library: the machine lacks it, the course is fine.
        raise MachineError([lack_in_import_error(error)]) from None
    cairosvg.svg2png(bytestring=wrapper, write_to=str(out), output_width=size, output_height=size)


def make_offline(site: Path, model: CourseModel) -> list[Problem]:
    """Write the manifest, its icons and the filled-in worker into the built site; problems if that cannot be done."""
    config = model.settings.config_file
    _, values = parse_config(model.config_text)
    found = values.get("theme")
    theme: dict[str, Any] = found if isinstance(found, dict) else {}
    palettes = theme.get("palette")
    first = palettes[0] if isinstance(palettes, list) and palettes else palettes if isinstance(palettes, dict) else {}
    colour = theme_colour(site, str((first or {}).get("primary") or "indigo"))
    named, logo = find_logo(site, theme)
    if not logo.is_file():
        return [
            Problem(
                config.name,
                line_in(model.config_text, "logo"),
                f"`{named}` names a logo that is not in the built site, so the installed app would have no icon.",
                "name an image in docs/ (an SVG or PNG) under `theme: logo:`, or one of Material's icons under `theme: icon: logo:`.",
            )
        ]
    icons = []
    for size in (192, 512):
        name = f"{ICONS}-{size}.png"
        try:
            if logo.suffix == ".svg":
                draw_icon(logo.read_bytes(), colour, size, site / name)
            else:
                draw_picture(logo, colour, size, site / name)
        except (OSError, ValueError, SyntaxError) as error:
            return [Problem(config.name, 1, f"`{named}` could not be drawn as the app's icon ({error}).", "use an SVG or PNG image for the logo.")]
        icons.append({"src": name, "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any maskable"})
    name = str(values.get("site_name") or "")
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
