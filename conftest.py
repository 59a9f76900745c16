"""Project-wide pytest configuration.

nbval runs every notebook in lessons/, solutions/ and exercises/ (see
pyproject.toml). Three things are configured here, once for all notebooks:

- DeprecationWarning and UserWarning raised in a notebook kernel become errors,
  so library drift fails CI before students meet it. The kernel inherits
  PYTHONWARNINGS from the environment it is started in; we set it only while
  nbval starts a kernel, so other subprocesses (nbgrader, jupyter) are unaffected.
- A total time budget for all notebooks together (ini option
  ``nbval_total_timeout``); the per-cell limit is nbval's own --nbval-cell-timeout.
- How outputs are compared: through ``utils.nbval_tolerance`` (loaded below as
  a plugin), text and whole numbers exactly, decimal numbers within
  ``ABS_TOL + REL_TOL * |stored|`` = 0.005 + 10% of the stored value, because
  seeded TensorFlow reproduces its last digits on one CPU only. The rule, how
  its numbers were measured and why a flipped claim still fails are in that
  module's docstring and the README. ``make test`` runs the notebooks a second
  time under TF_ENABLE_ONEDNN_OPTS=1 (other CPU kernels), where the stored
  outputs must pass too.
"""

from __future__ import annotations

import os
import time
import warnings

import pytest

pytest_plugins = ("utils.nbval_tolerance",)

NOTEBOOK_WARNINGS = "error::DeprecationWarning,error::UserWarning"
_nbval_started_at: float | None = None


def pytest_addoption(parser):
    parser.addini("nbval_total_timeout", "seconds that all notebooks together may take", default="1500")


def _is_notebook_cell(item) -> bool:
    return type(item).__name__ == "NbCellItem"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    global _nbval_started_at
    if not _is_notebook_cell(item):
        yield
        return
    budget = float(item.config.getini("nbval_total_timeout"))
    _nbval_started_at = _nbval_started_at or time.monotonic()
    spent = time.monotonic() - _nbval_started_at
    if spent > budget:
        pytest.fail(f"the notebooks together exceeded their {budget:.0f} s budget ({spent:.0f} s)")
    previous = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = NOTEBOOK_WARNINGS
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("PYTHONWARNINGS", None)
        else:
            os.environ["PYTHONWARNINGS"] = previous


@pytest.fixture
def strict_warnings():
    """DeprecationWarning and UserWarning as errors in the test itself, as in a lesson;
    figures are closed afterwards."""
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        warnings.simplefilter("error", UserWarning)
        yield
    plt.close("all")
