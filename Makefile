VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-sqlite test-postgres lint format bench soak clean

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

# The suite runs on SQLite and, when TEST_DATABASE_URL points at one, on PostgreSQL: the two passes
# run side by side (one core each), each printing its output when it ends, and each ends with a
# 20-second soak of a real server on its database. Tests marked `once` (browser, fuzzing) run in
# the SQLite pass only.
test: lint
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: $(VENV)/.installed-dev
	env -u TEST_DATABASE_URL $(BIN)/pytest -q -p no:cacheprovider
	env -u SOAK_DATABASE_URL $(BIN)/python -m bench.soak --seconds 20

test-postgres: $(VENV)/.installed-dev
	if [ -n "$$TEST_DATABASE_URL" ]; then $(BIN)/pytest -q -p no:cacheprovider -m "not once" \
		&& SOAK_DATABASE_URL="$$TEST_DATABASE_URL" $(BIN)/python -m bench.soak --seconds 20; \
	else echo "TEST_DATABASE_URL is not set: the PostgreSQL pass is skipped"; fi

# Builds 100,000 tasks and 1,000,000 events (smaller: make bench BENCH_ARGS="--tasks 10000 --events 100000")
# and drives the API with wrk (installed here if missing); not part of `make test`.
bench: $(VENV)/.installed-dev
	command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# A real server under concurrent writers and readers, then every acknowledged write reconciled
# (make soak SOAK_ARGS="--writers 50 --seconds 180"); SOAK_DATABASE_URL names a scratch database,
# emptied first, else a new SQLite file is used.
soak: $(VENV)/.installed-dev
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
