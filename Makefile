# Follicle — `make run` to try it, `make test` to test it. Needs only Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FOLLICLE := $(BIN)/follicle
STAMP := $(VENV)/.installed

.PHONY: run test test-browser test-postgres lint format migrations-check messages assets lock bench bench-imaging clean help

help:
	@echo "make run            set up and serve Follicle with demo data on http://127.0.0.1:8000"
	@echo "make test           the whole test suite on SQLite (no services, no browser)"
	@echo "make test-browser   browser journeys (Playwright driving Debian's chromium)"
	@echo "make test-postgres  the suite on PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/follicle)"
	@echo "make lint           ruff and the migrations check"
	@echo "make bench          benchmarks"

# The virtual environment, from the hashed lock file, rebuilt when the lock changes.
$(STAMP): requirements-dev.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is needed (python3.11 or python3 on PATH)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed, found " + sys.version.split()[0])'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

.env:
	$(BIN)/python -m follicle.envfile

run: $(STAMP) .env
	$(FOLLICLE) migrate --no-input
	$(FOLLICLE) load-reference
	$(FOLLICLE) demo --if-empty
	@echo "Follicle: http://127.0.0.1:8000  (Ctrl-C stops the web server and the worker)"
	$(FOLLICLE) serve 127.0.0.1:8000

test: $(STAMP)
	FOLLICLE_TESTING=true $(BIN)/python -m pytest

test-postgres: $(STAMP)
	FOLLICLE_TESTING=true DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/follicle} $(BIN)/python -m pytest

test-browser: $(STAMP)
	FOLLICLE_TESTING=true $(BIN)/python -m pytest -m browser tests/browser -p no:randomly

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	FOLLICLE_TESTING=true $(FOLLICLE) makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(STAMP)
	FOLLICLE_TESTING=true $(FOLLICLE) makemigrations --check --dry-run

# Extract strings into the Greek catalogue, then compile it (needs GNU gettext; the .mo is committed).
messages: $(STAMP)
	cd follicle && FOLLICLE_TESTING=true ../$(FOLLICLE) makemessages -l el --no-obsolete --no-location
	cd follicle && FOLLICLE_TESTING=true ../$(FOLLICLE) compilemessages -l el

assets:
	bash scripts/vendor-assets.sh

lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile requirements.in --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 -o requirements.lock
	$(BIN)/uv pip compile requirements-dev.in --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 -o requirements-dev.lock

bench: $(STAMP)
	FOLLICLE_TESTING=true $(BIN)/python -m pytest -m bench tests/bench -s -p no:cacheprovider
	$(MAKE) bench-imaging

# Trichoscopy engine against generated ground truth (issue 7; targets not yet met, see the issue).
bench-imaging: $(STAMP)
	$(BIN)/python bench/imaging/run.py

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
