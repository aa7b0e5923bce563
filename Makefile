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

# The suite runs on SQLite, then again on PostgreSQL when TEST_DATABASE_URL points at one.
test: lint
	env -u TEST_DATABASE_URL $(BIN)/pytest -q
	if [ -n "$$TEST_DATABASE_URL" ]; then $(BIN)/pytest -q; fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
