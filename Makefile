# Two commands for a newcomer (see README):
#   make lab    set everything up, then open the course in JupyterLab
#   make test   set everything up, then run every test
# Both are idempotent: a second run only re-verifies the data.

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
# nbgrader runs the `alembic` executable when it creates a gradebook.
export PATH := $(BIN):$(PATH)

LAB_ARGS ?=
PYTEST_ARGS ?=

.PHONY: setup lab test data html clean-env

setup: $(VENV)/.installed data

# Reinstall only when the declared dependencies change.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m utils.lab_extensions
	touch $@

data: $(VENV)/.installed
	$(BIN)/python -m utils.data fetch

lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(LAB_ARGS)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean-env:
	rm -rf $(VENV)
