"""python -m publish: check, build into a scratch folder, then swap it into place.

A failed step leaves the previous site/ exactly as it was, so a deploy can
never pick up a half-built site.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from macros.checks import in_reading_order
from macros.checks.built import check_built_site
from macros.checks.sources import check_sources
from macros.cohort import EDITIONS, GENERIC
from macros.course import CourseModel, load_model
from macros.errors import ContentError, format_problems
from publish import engines
from publish.built import BuiltSite, read_site
from publish.cache import FOLDER as CACHE_FOLDER
from publish.cache import PrintCache, documents
from publish.csp import secure_site
from publish.ics import write_calendar
from publish.offline import make_offline
from publish.pdf.machine import MachineError, check_machine
from publish.worker import Worker, WorkerFailed

if TYPE_CHECKING:
    from publish.pdf.build import PrintPool

ROOT = Path(__file__).resolve().parent.parent


def default_site_dir(cohort: str, edition: str, engine: str = engines.DEFAULT_ENGINE) -> Path:
    """Where a build goes unless told: site/ for the generic participant edition, else site-<cohort>[-facilitator][-zensical]/."""
    # A facilitator or cohort build never lands in site/, so deploying site/ can never publish facilitator notes.
    # Another engine's build sits beside the default one, so the two can be compared.
    chosen = (cohort if cohort != GENERIC else "", edition if edition != "participant" else "", engine if engine != engines.DEFAULT_ENGINE else "")
    parts = [part for part in chosen if part]
    return Path("-".join(["site", *parts]))


def print_cache(model: CourseModel, *, fresh: bool = False) -> PrintCache:
    """The build's print cache (publish/cache.py), under the project, keyed also by the settings that change every document."""
    settings = model.settings
    chosen = {
        "cohort": settings.cohort_id,
        "edition": settings.edition,
        "page_size": settings.page_size,
        "site_url": settings.site_url or "",
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
    }
    return PrintCache(settings.root / CACHE_FOLDER, chosen, fresh=fresh)


def make_prints(site: BuiltSite, model: CourseModel, cache: PrintCache, pool: PrintPool) -> bool:
    """Write the PDFs (site/pdf/), the EPUB reader (site/epub/) and the slides (site/slides/) into the built site; False, after saying why, if not.

    A document whose inputs are unchanged since a build that printed it is taken from the print cache. Printed in
    pool (publish/pdf/build.py PrintPool), which is closed once every document is printed (its workers exit while the
    build goes on)."""
    built = site.root
    build = model.build
    cohort = build.cohort
    name = cohort.name if cohort is not None else None
    dates = (cohort.dates or None) if cohort is not None else None
    try:
        # Imported here: a --no-pdf build needs none of them.
        from publish.epub import build_epub
        from publish.pdf.build import send_pdfs
        from publish.slides import SlidesSent, prepare_slides

        # Every document to print is sent to the worker processes, the longest first: the reader, then the slides'
        # PDF, then the rest; this process makes the EPUB and the PowerPoint files meanwhile, then, once every document
        # is printed and the workers are let go, joins the documents printed in parts and moves each file into place.
        try:
            decks: list[SlidesSent] = []
            pdfs = send_pdfs(
                site,
                model=model,
                cohort_name=name,
                cohort_dates=dates,
                edition=build.edition,
                cache=cache,
                pool=pool,
                after_first=lambda: decks.append(prepare_slides(built, model).send(pool, cache)),
            )
            slides = decks[0]
            book = build_epub(site, model=model, cohort_name=name, cohort_dates=dates, edition=build.edition, cache=cache)
            slides.write_pptx()
            made = pdfs()
            decks_made = slides.finish()
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        for pdf in made:
            took = "from the print cache" if pdf.name in cache.reused else f"{pdf.seconds:.1f} s"
            if pdf.parts_reused:
                took += f" ({pdf.parts_printed} of its pieces printed, {pdf.parts_reused} from the print cache: its parts, front and margins)"
            print(f"  {pdf.path.relative_to(built)}: {pdf.pages} pages, {took}")
        kept = book.chapters - book.made
        print(f"  {book.path.relative_to(built)}: {book.chapters} chapters ({book.made} made, {kept} from the print cache), {book.seconds:.1f} s")
        for deck in decks_made:
            print(f"  {deck.pdf.relative_to(built)} and {deck.pptx.name}: {deck.slides} slides, {deck.seconds:.1f} s")
        if cache.folder is not None:
            damaged = sorted(name for name, why in cache.why.items() if why == "damaged entry")
            said = f"; damaged entries printed again: {', '.join(damaged)}" if damaged else ""
            # Documents, not entries: the EPUB is printed when any of its chapters is, reused when all of them are.
            printed = documents(cache.printed)
            reused = [name for name in documents(cache.reused) if name not in printed]
            print(f"  print cache: {len(printed)} printed, {len(reused)} reused" + (" (--fresh: none read)" if cache.fresh else said))
    except ContentError as error:
        print(format_problems(error.problems), file=sys.stderr)
        return False
    except MachineError as error:
        print(error, file=sys.stderr)
        return False
    finally:
        cache.close()
    return True


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    """The choices a build and a preview share: cohort, edition, config and engine."""
    parser.add_argument("--cohort", default=GENERIC, help="the cohort in cohorts/<id>.yml (default: generic, no cohort)")
    parser.add_argument("--edition", default="participant", choices=EDITIONS, help="participant (default) or facilitator, with notes and logistics")
    parser.add_argument("--config", default="mkdocs.yml", type=Path, help="the MkDocs config (default: mkdocs.yml)")
    parser.add_argument("--engine", default=engines.DEFAULT_ENGINE, choices=engines.ENGINES, help="what renders the pages: mkdocs (default) or zensical")


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
    parser.add_argument("--site-dir", type=Path, help="where the finished site goes (default: site, or site-<cohort>-<edition> for the others)")
    add_build_arguments(parser)
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDFs (reader, handouts, workbook), the EPUB reader and the slides for a faster build")
    parser.add_argument("--fresh", action="store_true", help="print every document again, reading nothing from the print cache (.build/cache/print/)")
    args = parser.parse_args(argv)
    # A build is one run of this process, and what it has loaded lives to its end: frozen, the collector no longer
    # walks it in each full collection (MkDocs' build makes many objects of its own) nor again when the process ends.
    gc.freeze()

    try:
        # What the machine lacks is said at once, before a minute of building would end on it; what printing needs, once
        # the site is built and before anything is printed (the print workers check it as they start: PrintPool.check).
        check_machine()
    except MachineError as error:
        print(error, file=sys.stderr)
        return 1
    config = args.config if args.config.is_absolute() else ROOT / args.config
    # The build's one course model: mkdocs.yml, every page, the data and the cohort read once, the choices checked.
    # A published build is installable and readable offline.
    model = load_model(config, cohort=args.cohort, edition=args.edition, engine=args.engine, offline=True)
    # The checks that need no rendering (data, cohorts, links, images, the nav); each page's front matter and macro
    # calls are checked as the page is rendered, below, so each source is read and checked once per build.
    problems = check_sources(model, macro_calls=False)
    if model.problems:
        print(format_problems(problems), file=sys.stderr)
        return 1
    settings = model.settings
    site_dir = args.site_dir or default_site_dir(settings.cohort_id, settings.edition, settings.engine)
    target = site_dir if site_dir.is_absolute() else ROOT / site_dir
    # Build beside the target so the final rename stays on one file system.
    scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent if target.parent.exists() else ROOT))
    built = scratch / "site"
    # Half of the built site is read in a second process, on the machine's second core (publish/built.py); started
    # now, so that it is ready when the engine is done.
    reader = Worker("publish.built")
    pool = None
    try:
        try:
            engines.stage(model, scratch / "source")
        except ContentError as error:
            problems += error.problems
        if problems:
            # Every problem at once, file by file; nothing was built.
            print(format_problems(in_reading_order(problems)), file=sys.stderr)
            return 1
        gc.freeze()  # the model and its checked pages, too, live to the end of the build
        if not args.no_pdf:
            from publish.pdf.build import PrintPool

            # The print workers load WeasyPrint, and check what printing needs, while the engine builds (on the core it leaves free).
            pool = PrintPool()
        if engines.run(settings.engine, scratch / "source", built) != 0:
            print(f"The build failed; {target.name}/ was left as it was.", file=sys.stderr)
            return 1
        # Every built page, read, repaired and parsed once, for the PDFs, the EPUB, the policy and the site check; the
        # articles, which only the PDFs and the EPUB read, are kept only when they are made.
        try:
            site = read_site(built, articles=not args.no_pdf, worker=reader)
        except WorkerFailed as error:
            print(f"The built site could not be read: {error}; {target.name}/ was left as it was.", file=sys.stderr)
            return 1
        # The cohort's calendar, when its manifest has dates: before the worker, which lists it for offline use.
        write_calendar(built, model)
        if pool is not None and not make_prints(site, model, print_cache(model, fresh=args.fresh), pool):
            print(f"The PDFs and the EPUB reader could not be made; {target.name}/ was left as it was.", file=sys.stderr)
            return 1
        # Every page gets its Content-Security-Policy once its HTML is final, and before the worker hashes it.
        problems = secure_site(site)
        if problems:
            print(format_problems(problems), file=sys.stderr)
            return 1
        # The worker lists every file with its hash, so it is written once the rest of the site is final.
        try:
            problems = make_offline(built, model)
        except MachineError as error:
            print(error, file=sys.stderr)
            return 1
        if problems:
            print(format_problems(problems), file=sys.stderr)
            return 1
        # The finished site's links, anchors, images, ids and the allow-list on every page, checked last: a failure publishes nothing.
        problems = check_built_site(site, model, missing_ok=(".pdf", ".epub", ".pptx") if args.no_pdf else ())
        if problems:
            print(format_problems(problems), file=sys.stderr)
            return 1
        swap_into_place(built, target)
    finally:
        reader.stop()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"Built {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
