# The two commands a newcomer needs: `make run` and `make test`. Both (re)create .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# `make run` is a demo: development defaults and the sandbox world of simulated providers.
# PORT is exported too: the sandbox's own ports follow it (docs/configuration.md).
RUN_ENV = DEBUG=true WARMUP_SANDBOX=true PORT=$(PORT)

.PHONY: run test install install-dev lint format check migrate bench haraka axe tour clean help

help:
	@echo "make run     install, migrate SQLite, load demo data, start web + scheduler"
	@echo "make test    install and run the whole test suite (DATABASE_URL picks the database)"
	@echo "make lint    ruff check + format check + import-linter's layering contracts"
	@echo "make bench   run the benchmarks in bench/ (see docs/benchmarks.md)"
	@echo "make haraka  install the Haraka plugin's npm packages, lint it, run its unit tests"
	@echo "make axe     install axe-core (npm) for the browser tests' accessibility checks"
	@echo "make tour    run the browser tests that draw docs/tour.md's screenshots into docs/tour/"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py sync_schedules
	$(RUN_ENV) $(PY) manage.py serve --port $(PORT) --demo  # loads the demo data (idempotent) and prints the logins

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# The Haraka plugin (integrations/haraka): npm packages from the lock file (Haraka itself included,
# which the end-to-end test in `make test` runs), eslint and node's test runner.
haraka:
	cd integrations/haraka && npm ci --no-audit --no-fund && npm run lint && npm test

# axe-core for the browser tests' WCAG AA checks (warmup_site/testing/axe.py), from the lock file.
axe:
	cd warmup_site/tests/a11y && npm ci --no-audit --no-fund

# The illustrated tour (docs/tour.md): the browser tests save their screenshots there.
tour: install-dev axe
	WARMUP_TOUR_DIR=docs/tour $(PY) -m pytest -q reputation/tests/test_browser.py

bench: install-dev
	@# Every script of bench/ that runs as a program (efficacy_models.py is a module of models).
	@for script in bench/*.py; do grep -q "__main__" $$script || continue; \
	  echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
