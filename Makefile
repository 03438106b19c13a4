# README's two commands: `make run` (API with demo data) and `make test` (lint, types, suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install dev lint types pytest openapi migrate demo clean

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

## test: install the dev tools, then lint, types and the whole suite on PostgreSQL
test: dev lint types pytest

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: dev
	$(BIN)/mypy --strict app

pytest: dev
	$(BIN)/pytest

openapi: install
	$(BIN)/dangjian openapi

migrate: install
	$(BIN)/dangjian migrate

demo: install
	$(BIN)/dangjian demo

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
