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

.PHONY: setup lab test test-latest data html benchmark student-edition clean-env

setup: $(VENV)/.installed $(VENV)/.lab-configured data

# Reinstall only when the declared dependencies change.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# Which nbgrader tools JupyterLab shows, and no news pop-up (utils/lab_extensions.py);
# re-applied whenever that file changes.
$(VENV)/.lab-configured: $(VENV)/.installed utils/lab_extensions.py
	$(BIN)/python -m utils.lab_extensions instructor
	touch $@

data: $(VENV)/.installed
	$(BIN)/python -m utils.data fetch

# Containers (Binder, CI) often run as root, which JupyterLab refuses without a flag.
AS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

lab: setup
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(AS_ROOT) $(LAB_ARGS)

# Every test, then (unless PYTEST_ARGS picks tests) the notebooks once more on a
# second numeric path: TF_ENABLE_ONEDNN_OPTS=1 makes TensorFlow use other CPU
# kernels, so its last digits move as they do on another CPU. Stored outputs must
# agree on both, within the tolerance of utils/nbval_tolerance.py. Only lessons/
# and solutions/ store outputs (exercises/ is released without), so only they
# run again.
test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)
ifeq ($(strip $(PYTEST_ARGS)),)
	$(MAKE) --no-print-directory test-onednn
endif

.PHONY: test-onednn
test-onednn: setup
	TF_ENABLE_ONEDNN_OPTS=1 $(BIN)/python -m pytest lessons solutions

# The lessons as static HTML for hosting, from their stored outputs (nothing is
# executed, no data needed): build/html/<lesson>.html.
HTML_DIR := $(CURDIR)/build/html

html: $(VENV)/.installed
	$(BIN)/jupyter nbconvert --to html --output-dir "$(HTML_DIR)" lessons/*.ipynb

# The course as students get it, without solutions or hidden tests (utils/edition.py):
# build/student-edition/<name>/ and <name>.zip. Hand out the zip; see README.
student-edition: $(VENV)/.installed
	$(BIN)/python -m utils.edition build $(EDITION_ARGS)

# Timings on this machine (P1-P4, see benchmarks/run.py); not part of `make test`.
benchmark: setup
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# Autograde an assignment in parallel (utils.grade; README, instructor section):
#   make grade A=spotify                     one worker per core on this machine
#   make grade A=spotify GRADE_ARGS="--scheduler tcp://host:8786"   on a Dask cluster
.PHONY: grade
grade: setup
	@test -n "$(A)" || { echo "usage: make grade A=<assignment> [GRADE_ARGS=...]" >&2; exit 2; }
	$(BIN)/python -m utils.grade $(A) $(GRADE_ARGS)

# Optional: the same suite against the newest releases of every dependency, in a
# separate environment (.venv-latest), to catch library drift before students do.
LATEST := $(CURDIR)/.venv-latest
UNPINNED = $(shell $(PYTHON) -c 'import re, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; print(" ".join(re.split("[=<>!~; ]", r)[0] for r in p["dependencies"] + p["optional-dependencies"]["test"]))')

test-latest:
	test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST)/bin/python -m pip install --quiet --upgrade $(UNPINNED)
	$(LATEST)/bin/python -m pip install --quiet --no-deps -e .
	$(LATEST)/bin/python -m pip list --format=freeze | grep -iE '^(tensorflow|keras|pandas|matplotlib|nbgrader|nbval|jupyterlab|scikit-learn|pytest)' || true
	$(LATEST)/bin/python -m utils.lab_extensions instructor
	$(LATEST)/bin/python -m utils.data fetch
	PATH="$(LATEST)/bin:$$PATH" $(LATEST)/bin/python -m pytest $(PYTEST_ARGS)

clean-env:
	rm -rf $(VENV) $(LATEST)
