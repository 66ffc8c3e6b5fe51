"""python -m publish.pdf: (re)make the PDFs of an already built site, e.g. while working on the print stylesheet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from macros.cohort import EDITIONS
from macros.errors import ContentError

from .machine import MachineError, check_machine

ROOT = Path(__file__).resolve().parent.parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m publish.pdf", description=__doc__.splitlines()[0])
    parser.add_argument("--site-dir", default="site", type=Path, help="a site built by `make site` (default: site)")
    parser.add_argument("--config", default=ROOT / "mkdocs.yml", type=Path, help="the MkDocs config (default: mkdocs.yml)")
    parser.add_argument("--cohort-name", help="print this cohort's name on covers and handout heads")
    parser.add_argument("--cohort-dates", help="the cohort's dates, as they should be printed")
    parser.add_argument("--edition", default="participant", choices=EDITIONS, help="which edition to print (default: participant)")
    args = parser.parse_args(argv)
    try:
        check_machine()  # and what printing needs, by the print workers (build_pdfs)
    except MachineError as error:
        print(error, file=sys.stderr)
        return 1
    from macros.course import load_model
    from publish.built import read_site

    from .build import build_pdfs

    site_dir = args.site_dir if args.site_dir.is_absolute() else Path.cwd() / args.site_dir
    if not (site_dir / "index.html").is_file():
        print(f"{args.site_dir} holds no built site. Run `make site` first.", file=sys.stderr)
        return 1
    try:
        model = load_model(args.config, edition=args.edition)
        built = build_pdfs(read_site(site_dir), model=model, cohort_name=args.cohort_name, cohort_dates=args.cohort_dates, edition=args.edition)
    except (ContentError, MachineError) as error:
        print(error, file=sys.stderr)
        return 1
    for pdf in built:
        print(f"{pdf.path.relative_to(site_dir)}: {pdf.pages} pages in {pdf.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
