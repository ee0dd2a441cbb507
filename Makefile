# The habits of this project. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= 2

.DEFAULT_GOAL := help

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: install
install: $(STAMP) ## create .venv and install aimstors with its dev tools

.PHONY: test
test: $(STAMP) ## run the whole suite (SQLite and Postgres); installs first on a fresh machine
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

.PHONY: lint
lint: $(STAMP) ## ruff, mypy and the import-linter layering contracts
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

.PHONY: fmt
fmt: $(STAMP) ## format and autofix
	$(BIN)/ruff format src tests bench scripts
	$(BIN)/ruff check --fix src tests bench scripts

.PHONY: demo
demo: $(STAMP) ## an offline run on SQLite in a scratch directory
	@bash scripts/demo.sh

.PHONY: bench
bench: $(STAMP) ## run the benchmarks in bench/ and append to bench/RESULTS.md
	$(BIN)/python bench/job_queue.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python -m bench.sandbox
	$(BIN)/python bench/webhooks.py

.PHONY: docs
docs: $(STAMP) ## regenerate the reference pages in docs/ from the code
	$(BIN)/python scripts/gen_docs.py

.PHONY: migration
migration: $(STAMP) ## regenerate migration 0001 from the models (pre-release only)
	$(BIN)/python scripts/regen_initial_migration.py

.PHONY: clean
clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
