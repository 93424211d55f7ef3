# soundstage: `make demo` and `make test` work on a fresh clone with only python3 and make.
# The virtual environment is (re)built whenever pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= demo-output

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,distributed]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/soundstage demo -o $(DEMO_DIR)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check acoustics design experiments tests

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache
