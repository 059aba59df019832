# AdmitAll: `make run` sets up and runs the demo city; `make test` sets up and runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench clean

$(BIN)/python:
	@echo "Setting up a virtual environment in $(VENV) (the first time only)…"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	@echo "Installing AdmitAll and the packages it needs (the first time, or when pyproject.toml changed)…"
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	@echo "Installing AdmitAll with its test tools (the first time, or when pyproject.toml changed)…"
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/admitall init
	$(BIN)/admitall demo
	$(BIN)/admitall serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	./scripts/system-packages
	$(BIN)/pytest

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/import_persons.py

clean:
	rm -rf $(VENV) admitall.db admitall.db-wal admitall.db-shm admitall.db.key test-artifacts
