# Waymark developer commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup lint typecheck imports test test-fast bench demo serve clean lock browser

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP) ## create .venv from the lock file

lock: ## re-resolve requirements.lock from pyproject.toml
	@test -x $(BIN)/uv || $(MAKE) setup
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --python-platform x86_64-manylinux_2_28 --generate-hashes -o requirements.lock

lint: setup ## ruff, mypy (strict on src/), import-linter
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

browser: ## install Debian's chromium for the dashboard tests (needs root or sudo)
	@bash scripts/install-chromium.sh

test: setup lint browser ## lint + the whole test suite
	@# servers under test start faster from bytecode (PYTHONDONTWRITEBYTECODE may be set)
	@$(BIN)/python -m compileall -q -j 2 src tests >/dev/null
	$(BIN)/pytest

test-fast: setup ## tests without lint and without slow tests
	$(BIN)/pytest -m "not slow and not browser" -x -q

bench: setup ## run the benchmarks, write bench/results.md
	$(BIN)/python -m bench.run

demo: setup ## start the server and stream a simulated population into it
	$(BIN)/waymark demo

serve: setup ## start the server on ./waymark-data
	$(BIN)/waymark serve

clean: ## remove the venv and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
