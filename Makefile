# README's two commands: `make run` (API with demo data) and `make test` (lint, types, suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist workers, one database each): measured best on 2 cores.
TEST_WORKERS ?= 2
# `make test-latest`: a separate venv with the newest releases the pyproject allows.
LATEST_VENV ?= .venv-latest

.PHONY: run test install dev lint types pytest openapi migrate demo synth clean lock test-latest ts-client

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs come from the lock files (exact versions with hashes), then the project itself
# without dependencies. `make lock` regenerates them after a change to pyproject.toml.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

## run: install, migrate, load the demo county once, serve on http://$(HOST):$(PORT)
run: install
	$(BIN)/dangjian migrate
	$(BIN)/dangjian demo
	$(BIN)/dangjian serve --host $(HOST) --port $(PORT) --no-migrate

## test: install the dev tools, then lint, types and the whole suite on PostgreSQL,
## then the TypeScript client generated from openapi/openapi.json compiled strictly
test: dev lint types pytest ts-client

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: dev
	$(BIN)/mypy --strict app

pytest: dev
	$(BIN)/pytest -n $(TEST_WORKERS)

## lock: re-resolve requirements.lock and requirements-dev.lock from pyproject.toml (uv)
lock: | $(BIN)/python
	$(BIN)/python -m uv --version >/dev/null 2>&1 || $(BIN)/pip install --quiet uv
	$(BIN)/python -m uv pip compile pyproject.toml --python-version 3.11 --generate-hashes \
		--quiet -o requirements.lock
	$(BIN)/python -m uv pip compile pyproject.toml --extra dev --python-version 3.11 \
		--generate-hashes --quiet -o requirements-dev.lock

## test-latest: the scheduled-style job: a fresh venv with the newest allowed releases
## (ignoring the lock), then lint, types and the whole suite
test-latest:
	rm -rf $(LATEST_VENV)
	$(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/pip install --quiet --upgrade pip
	$(LATEST_VENV)/bin/pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
	$(LATEST_VENV)/bin/pip list --format=freeze
	$(LATEST_VENV)/bin/ruff check .
	$(LATEST_VENV)/bin/mypy --strict app
	$(LATEST_VENV)/bin/pytest -n $(TEST_WORKERS)

## ts-client: generate clients/typescript/schema.d.ts from openapi/openapi.json with the
## pinned openapi-typescript and compile the example under tsc --strict (Node 20 + npm)
ts-client:
	cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error \
		&& npx --no-install openapi-typescript ../../openapi/openapi.json -o schema.d.ts \
			--default-non-nullable false \
		&& npx --no-install tsc --noEmit --strict -p . \
		&& ! grep -nE '(:|as|<)[[:space:]]*any\b' example.ts \
		&& ! grep -vE '^[[:space:]]*(\*|/\*\*)' schema.d.ts | grep -nE '(:|<|\||,)[[:space:]]*any\b'

openapi: install
	$(BIN)/dangjian openapi

migrate: install
	$(BIN)/dangjian migrate

demo: install
	$(BIN)/dangjian demo

# Synthetic benchmark data: COPY into the tables with their plain indexes dropped,
# indexes built after, with a progress bar. `make synth MEMBERS=1000000`.
MEMBERS ?= 100000
ORGS ?= 3000
synth: install
	$(BIN)/dangjian synth --orgs $(ORGS) --members $(MEMBERS)

clean:
	rm -rf $(VENV) $(LATEST_VENV) var .mypy_cache .ruff_cache
