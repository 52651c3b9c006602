# Verbund: the two commands users need are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
PORT ?= 8000
HOST ?= 127.0.0.1
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export DJANGO_SETTINGS_MODULE ?= verbund.settings.base

.PHONY: system setup demo test lint bench install assets messages docs clean

$(UV):
	@echo "== Werkzeug uv ($(TOOLS))"
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV)
	@echo "== Python-Abhängigkeiten (.venv)"
	$(UV) sync --frozen --python $(PYTHON)

assets:
	@if [ ! -f node_modules/@kern-ux/native/package.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
		echo "== KERN-UX-Stile (npm ci)"; npm ci --no-audit --no-fund --loglevel=error; fi

## system: check the Debian/Ubuntu packages Verbund needs and print the command for the missing
system:
	@$(PYTHON) src/verbund/core/components.py

## setup: virtualenv, dependencies, keys, database (idempotent; no demo data)
setup: system install assets
	@echo "== Übersetzungen kompilieren"
	$(BIN)/verbund compilemessages --ignore=.venv --ignore=node_modules -v0
	@echo "== Schlüssel und Datenbank anlegen/aktualisieren (beim ersten Mal etwa eine Minute)"
	$(BIN)/verbund setup -v1
	@echo "== Statische Dateien sammeln und komprimieren (beim ersten Mal bis zu einer Minute)"
	$(BIN)/verbund collectstatic --noinput -v1
	@echo "== Amtliche Daten (VERBUND_DATA_DIR) prüfen, fehlende holen"
	$(BIN)/verbund fetch-data --demo

## demo: set up, load the demo data (public passwords!) and serve on http://127.0.0.1:$(PORT)
# The demo pays fees with the built-in test provider (never in production: check --deploy).
demo: export VERBUND_PAYMENT_PROVIDER ?= test
# The demo service of accounts/demo.py calls back to http://127.0.0.1 (loopback only).
demo: export VERBUND_OIDC_LOOPBACK_HTTP ?= true
# Plain http on 127.0.0.1: no secure cookies, no HSTS (production: VERBUND_HTTPS on, the default).
demo: export VERBUND_HTTPS ?= false
# The demo's authority keys are held by the platform, so demo clerks read at once
# (production: staff-held, decision 0027; check --deploy refuses this).
demo: export VERBUND_KEY_CUSTODY ?= platform
# The operator's details for Impressum and Kontakt: a clearly marked demo operator.
demo: export VERBUND_OPERATOR_NAME ?= Demo-Betreiber Verbund (Demo, kein echter Betreiber)
demo: export VERBUND_OPERATOR_ADDRESS ?= Demostraße 1;99084 Erfurt
demo: export VERBUND_OPERATOR_EMAIL ?= kontakt@demo.verbund.invalid
demo: export VERBUND_OPERATOR_PHONE ?= +49 361 0000000 (Demo)
demo: export VERBUND_OPERATOR_RESPONSIBLE ?= Erika Mustermann (Demo)
demo: setup
	@echo "== Demodaten laden (Demo-Konten mit öffentlichen Passwörtern: nie in Produktion)"
	$(BIN)/verbund load-demo
	$(BIN)/verbund serve --with-worker --host $(HOST) --port $(PORT)

## test: the whole test suite
test: install assets
	$(BIN)/verbund compilemessages --ignore=.venv --ignore=node_modules -v0
	DJANGO_SETTINGS_MODULE=verbund.settings.test $(BIN)/pytest $(PYTEST_ARGS)

## lint: ruff, mypy, the domain boundaries and sizes, and migrations in step with the models
lint: install
	$(BIN)/ruff check src bench
	$(BIN)/ruff format --check src bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m verbund.core.sizes
	DJANGO_SETTINGS_MODULE=verbund.settings.test $(BIN)/verbund makemigrations --check --dry-run -v0

## bench: every benchmark in bench/, each printing its ratio against a baseline
bench: export VERBUND_HTTPS ?= false
bench: export VERBUND_KEY_CUSTODY ?= platform
bench: setup
	$(BIN)/verbund load-demo
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

## docs: regenerate docs/configuration.md from the settings
docs: install
	$(BIN)/verbund settings-docs

clean:
	rm -rf $(VENV) $(TOOLS) node_modules var
