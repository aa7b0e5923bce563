VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/tracker setup
	$(BIN)/uvicorn --factory app.main:create_app --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The suite runs on SQLite, then again on PostgreSQL when TEST_DATABASE_URL points at one; tests
# marked `once` (browser, fuzzing) run in the first pass only.
test: lint
	env -u TEST_DATABASE_URL $(BIN)/pytest -q
	if [ -n "$$TEST_DATABASE_URL" ]; then $(BIN)/pytest -q -m "not once"; fi

# Builds 100,000 tasks and 1,000,000 events (smaller: make bench BENCH_ARGS="--tasks 10000 --events 100000")
# and drives the API with wrk (installed here if missing); not part of `make test`.
bench: $(VENV)/.installed-dev
	command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
