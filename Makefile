# The two set-up commands are `make site` and `make test`; each installs what it needs.
# Everything runs from a local virtual environment (.venv) with pinned packages.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed

export NO_MKDOCS_2_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: packages site serve zensical check test lint format bench lock clean help pdf reference new-session system-packages test-packages browser-tools

help:
	@echo "make site    build the site (and its PDFs) into site/"
	@echo "             COHORT=<id> and/or EDITION=facilitator build into site-<id>[-facilitator]/"
	@echo "             ENGINE=zensical builds with Zensical instead of MkDocs + Material, into site-zensical/"
	@echo "make serve   live preview at http://127.0.0.1:8000 (no PDFs, so it stays fast); ENGINE=zensical too"
	@echo "make pdf     remake only the PDFs of the site already in site/ (after editing publish/pdf/)"
	@echo "make check   check data and pages without building (make site also checks the built site)"
	@echo "make test    run every test"
	@echo "make lint    ruff, mypy and the GitHub workflows (actionlint, zizmor)"
	@echo "make bench   build and PDF speed benchmarks"
	@echo "make lock    after changing a pin in pyproject.toml: rewrite requirements.txt from .venv"
	@echo "make changes what this branch changes in the course, in plain words (BASE=<revision> to compare with another)"
	@echo "make new-session NAME=<id>  a new session: docs/<id>/, its record and nav section, with placeholders to replace"

# $(call pinned_venv,folder,requirements): a virtual environment in folder with exactly the pinned requirements.
pinned_venv = { test -x $(1)/bin/python || $(PYTHON) -m venv $(1); } && $(1)/bin/python -m pip install --quiet --disable-pip-version-check -r $(2)

# The virtual environment, rebuilt whenever the pins change.
$(STAMP): requirements.txt pyproject.toml
	$(call pinned_venv,$(VENV),requirements.txt)
	@touch $@

# Zensical, in its own pinned environment so its packages never touch ours (publish/requirements-zensical.txt).
ZENSICAL_VENV  := .venv-zensical
ZENSICAL_STAMP := $(ZENSICAL_VENV)/.installed
$(ZENSICAL_STAMP): publish/requirements-zensical.txt
	$(call pinned_venv,$(ZENSICAL_VENV),$<)
	@touch $@

zensical: $(ZENSICAL_STAMP)

# Which cohort (cohorts/<id>.yml) and edition (participant or facilitator) to build, e.g.
# make site COHORT=summer-institute-2025 EDITION=facilitator; without them, the generic participant site in site/.
COHORT  ?=
EDITION ?=
# Another MkDocs config, with its own docs_dir, nav and settings (make site CONFIG=path/to/mkdocs.yml; site, serve, check, pdf,
# changes, new-session).
CONFIG  ?=
WITH_CONFIG := $(if $(CONFIG),--config $(CONFIG))
SELECT  := $(WITH_CONFIG) $(if $(COHORT),--cohort $(COHORT)) $(if $(EDITION),--edition $(EDITION))

# Which engine renders the checked pages: mkdocs (MkDocs + Material, the default) or zensical, each from its own
# pinned environment. Zensical gets pages our checker and sandbox have already rendered (publish/engines.py).
ENGINE ?= mkdocs
ENGINE_STAMP := $(if $(filter zensical,$(ENGINE)),$(ZENSICAL_STAMP))

# Printed documents whose inputs did not change come from the print cache (.build/cache/print/); FRESH=1 prints all again.
site: $(STAMP) system-packages $(ENGINE_STAMP)
	$(PY) -m publish $(SELECT) --engine $(ENGINE)$(if $(FRESH), --fresh)

serve: $(STAMP) $(ENGINE_STAMP)
	$(PY) -m publish.serve $(SELECT) --engine $(ENGINE)

# What the PDFs load from Debian: WeasyPrint's own list for Debian (Pango, PangoFT2, HarfBuzz-Subset) and the fonts
# print.css names, and Cairo for the app icons (cairosvg). What only the tests add: Chromium, a Java runtime (the Nu Html Checker, EPUBCheck), poppler-utils and zbar-tools
# (to read the printed QR codes back), and Node (axe-core, npm ci).
# tests/test_install.py checks every library and font the PDF, Chromium and Java processes map against these lists.
PDF_PACKAGES  := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation fonts-dejavu-core libcairo2
TEST_PACKAGES := chromium fonts-dejavu-extra default-jre-headless poppler-utils zbar-tools
# LibreOffice Impress, to open the slides' PowerPoint file in a test (tests/test_slides.py): without its recommended
# packages (another Java, help, extra fonts), which the conversion does not need.
TEST_PACKAGES_LEAN := libreoffice-impress
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# $(call apt_install,packages[,options]): install those of the packages that are missing (options: e.g. --no-install-recommends).
apt_install = command -v dpkg >/dev/null || exit 0; \
	missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "Installing" $$missing; $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(2) $$missing; fi

system-packages:
	@$(call apt_install,$(PDF_PACKAGES))

# The Debian packages each command installs, for tests/test_install.py: make -s packages FOR=site (or test).
packages:
	@echo $(if $(filter test,$(FOR)),$(PDF_PACKAGES) $(TEST_PACKAGES) $(TEST_PACKAGES_LEAN) $(NODE_PACKAGES),$(PDF_PACKAGES))

test-packages: system-packages
	@$(call apt_install,$(TEST_PACKAGES))
	@$(call apt_install,$(TEST_PACKAGES_LEAN),--no-install-recommends)

# The PDFs alone, over the site `make site` built; `make site` itself always makes them.
pdf: $(STAMP) system-packages
	$(PY) -m publish.pdf --site-dir site $(WITH_CONFIG)

check: $(STAMP)
	$(PY) -m macros.check $(WITH_CONFIG)

# What a change does to the course, in plain words, and where readers will see it (publish/changes/).
# BASE=<revision> compares with that revision; by default, the merge base with the default branch.
# Markdown when GITHUB_STEP_SUMMARY is set, plain text otherwise; nothing when nothing changed.
.PHONY: changes
BASE ?=
changes: $(STAMP)
	@$(PY) -m publish.changes $(if $(BASE),--base "$(BASE)") $(WITH_CONFIG)

lint: $(STAMP)
	$(BIN)/ruff check macros publish tests bench
	$(BIN)/ruff format --check macros publish tests bench
	$(BIN)/mypy
	$(BIN)/actionlint
	$(BIN)/zizmor --offline --no-progress .github/workflows

# After adding or changing a macro: refresh the generated macro table in CONTRIBUTING.md.
# A new session: its folder under docs/, its record and its nav section, with placeholders make check names until replaced.
new-session: $(STAMP)
	@$(PY) -m macros.scaffold "$(NAME)" $(WITH_CONFIG)

reference: $(STAMP)
	$(PY) -m macros.check --write-reference CONTRIBUTING.md

format: $(STAMP)
	$(BIN)/ruff format macros publish tests bench
	$(BIN)/ruff check --fix macros publish tests bench

test: $(STAMP) test-packages browser-tools $(ZENSICAL_STAMP)
	$(PY) -m pytest

# The browser tests' pinned tools from package-lock.json: axe-core, the Nu Html Checker (run by Java) and Lighthouse.
# --ignore-scripts: vnu-jar's install script would try to download a Java of its own.
NODE_STAMP := node_modules/.installed
# Node and npm from Debian, when the machine has no npm of its own.
NODE_PACKAGES := nodejs npm
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(NODE_PACKAGES); }
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

browser-tools: $(NODE_STAMP)

# The benchmark's peer, mkdocs-to-pdf, in its own pinned environment so its dependencies never touch ours.
BENCH_VENV  := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
$(BENCH_STAMP): bench/requirements-peer.txt
	$(call pinned_venv,$(BENCH_VENV),$<)
	@touch $@

# Speed is measured here, never asserted in a test: prints a table, keeps it in bench/results/ and the README.
# BENCH_START is read before any install runs, so the 15-minute limit covers them too.
BENCH_START := $(shell date +%s)
bench: $(STAMP) $(BENCH_STAMP) system-packages
	$(PY) -m bench --started $(BENCH_START)

lock: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^#' > requirements.txt.new
	@{ head -n 2 requirements.txt; cat requirements.txt.new; } > requirements.txt.tmp && mv requirements.txt.tmp requirements.txt && rm requirements.txt.new

clean:
	rm -rf site .build .pytest_cache .mypy_cache .ruff_cache
