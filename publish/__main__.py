"""python -m publish: check, build into a scratch folder, then swap it into place.

A failed step leaves the previous site/ exactly as it was, so a deploy can
never pick up a half-built site.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from macros.check import check_built_site, check_sources
from macros.errors import format_problems

ROOT = Path(__file__).resolve().parent.parent


def build_site(out: Path, config: Path) -> int:
    """Run MkDocs (strict) into out; returns its exit status."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--config-file", str(config), "--site-dir", str(out)]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def swap_into_place(built: Path, target: Path) -> None:
    """Replace target with built using renames, so readers see the old or the new site, never a mix."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    built.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m publish", description=__doc__.splitlines()[0])
    parser.add_argument("--site-dir", default="site", type=Path, help="where the finished site goes (default: site)")
    parser.add_argument("--config", default="mkdocs.yml", type=Path, help="the MkDocs config (default: mkdocs.yml)")
    args = parser.parse_args(argv)

    problems = check_sources(ROOT / "docs")
    if problems:
        print(format_problems(problems), file=sys.stderr)
        return 1
    target = args.site_dir if args.site_dir.is_absolute() else ROOT / args.site_dir
    # Build beside the target so the final rename stays on one file system.
    scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent if target.parent.exists() else ROOT))
    built = scratch / "site"
    try:
        if build_site(built, args.config) != 0:
            print(f"The build failed; {target.name}/ was left as it was.", file=sys.stderr)
            return 1
        # The finished site's links, anchors, images and ids, checked last: a failure publishes nothing.
        problems = check_built_site(built, ROOT / "docs", ROOT / args.config, missing_ok=())
        if problems:
            print(format_problems(problems), file=sys.stderr)
            return 1
        swap_into_place(built, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"Built {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
