# README's two commands: `make run` (API with demo data) and `make test` (lint, types, suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install dev lint types pytest openapi migrate demo clean ts-client

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
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
	$(BIN)/pytest

## ts-client: generate clients/typescript/schema.d.ts from openapi/openapi.json with the
## pinned openapi-typescript and compile the example under tsc --strict (Node 20 + npm)
ts-client:
	cd clients/typescript && npm ci --no-audit --no-fund --loglevel=error \
		&& npx --no-install openapi-typescript ../../openapi/openapi.json -o schema.d.ts \
		&& npx --no-install tsc --noEmit --strict -p . \
		&& ! grep -nE '(:|as|<)[[:space:]]*any\b' example.ts

openapi: install
	$(BIN)/dangjian openapi

migrate: install
	$(BIN)/dangjian migrate

demo: install
	$(BIN)/dangjian demo

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
