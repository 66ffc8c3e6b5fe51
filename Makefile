# The two set-up commands are `make site` and `make test`; each installs what it needs.
# Everything runs from a local virtual environment (.venv) with pinned packages.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed

export NO_MKDOCS_2_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: site serve check test lint format bench lock clean help pdf reference system-packages test-packages browser-tools

help:
	@echo "make site    build the site (and its PDFs) into site/"
	@echo "             COHORT=<id> and/or EDITION=facilitator build into site-<id>[-facilitator]/"
	@echo "make serve   live preview at http://127.0.0.1:8000 (no PDFs, so it stays fast)"
	@echo "make pdf     remake only the PDFs of the site already in site/ (after editing publish/pdf/)"
	@echo "make check   check data and pages without building (make site also checks the built site)"
	@echo "make test    run every test"
	@echo "make lint    ruff, mypy and the GitHub workflows (actionlint, zizmor)"
	@echo "make bench   build and PDF speed benchmarks"

# The virtual environment, rebuilt whenever the pins change.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

# Which cohort (cohorts/<id>.yml) and edition (participant or facilitator) to build, e.g.
# make site COHORT=summer-institute-2025 EDITION=facilitator; without them, the generic participant site in site/.
COHORT  ?=
EDITION ?=
SELECT  := $(if $(COHORT),--cohort $(COHORT)) $(if $(EDITION),--edition $(EDITION))

site: $(STAMP) system-packages
	$(PY) -m publish $(SELECT)

serve: $(STAMP)
	COURSE_COHORT=$(or $(COHORT),generic) COURSE_EDITION=$(or $(EDITION),participant) $(BIN)/mkdocs serve --strict

# What `make site` needs from Debian (Pango and fonts for the PDFs, Cairo for the app icons), and what the tests add (Chromium), installed when missing.
PDF_PACKAGES  := libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation fonts-dejavu-core libcairo2
TEST_PACKAGES := chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# $(call apt_install,packages): install those of the packages that are missing.
apt_install = command -v dpkg >/dev/null || exit 0; \
	missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "Installing" $$missing; $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi

system-packages:
	@$(call apt_install,$(PDF_PACKAGES))

test-packages: system-packages
	@$(call apt_install,$(TEST_PACKAGES))

# The PDFs alone, over the site `make site` built; `make site` itself always makes them.
pdf: $(STAMP) system-packages
	$(PY) -m publish.pdf --site-dir site

check: $(STAMP)
	$(PY) -m macros.check

lint: $(STAMP)
	$(BIN)/ruff check macros publish tests bench
	$(BIN)/ruff format --check macros publish tests bench
	$(BIN)/mypy
	$(BIN)/actionlint
	$(BIN)/zizmor --offline --no-progress .github/workflows

# After adding or changing a macro: refresh the generated macro table in CONTRIBUTING.md.
reference: $(STAMP)
	$(PY) -m macros.check --write-reference CONTRIBUTING.md

format: $(STAMP)
	$(BIN)/ruff format macros publish tests bench
	$(BIN)/ruff check --fix macros publish tests bench

test: $(STAMP) test-packages browser-tools
	$(PY) -m pytest

# The browser tests' pinned tools from package-lock.json: axe-core and the Nu Html Checker (run by Java).
# --ignore-scripts: vnu-jar's install script would try to download a Java of its own.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm; }
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

browser-tools: $(NODE_STAMP)
	@command -v java >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq default-jre-headless; }

# The benchmark's peer, mkdocs-to-pdf, in its own pinned environment so its dependencies never touch ours.
BENCH_VENV  := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed
$(BENCH_STAMP): bench/requirements-peer.txt
	@test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements-peer.txt
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
