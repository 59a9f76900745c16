"""For maintainers: run notebooks and store their outputs, for nbval to compare.

    .venv/bin/python -m utils.store_outputs [NOTEBOOK ...]

Each notebook (default: every lesson and every source notebook in solutions/)
runs top to bottom in a fresh
kernel with DeprecationWarning and UserWarning as errors, as under nbval (see
conftest.py). Its outputs are then stored the way nbval compares them:

- consecutive stream outputs are merged and carriage returns applied, so a
  progress bar keeps only its final line (nbval does the same before comparing);
- TensorFlow's C++ log lines on stderr are dropped. ipykernel captures fd 2 in
  JupyterLab and nbconvert but not under pytest, so nbval never sees them and
  a stored copy would fail the comparison;
- widget views (ipywidgets) are dropped. Their state is not stored, so a stored
  view would only show "Error displaying widget: model not found" when the
  notebook is opened; the cell shows its widget once the student runs it (such a
  cell carries nbval's ``nbval-ignore-output`` tag).

Prints each notebook's wall time.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert.preprocessors import CoalesceStreamsPreprocessor

from utils import REPO_ROOT

NOTEBOOK_WARNINGS = "error::DeprecationWarning,error::UserWarning"  # as conftest.py
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
TF_NATIVE_LOG = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWEF]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] .*)$"
)


def _without_native_logs(outputs):
    kept = []
    for output in outputs:
        if output.output_type == "stream" and output.name == "stderr":
            lines = [line for line in output.text.splitlines(keepends=True)
                     if not TF_NATIVE_LOG.match(line.rstrip("\n"))]
            if not lines:
                continue
            output.text = "".join(lines)
        kept.append(output)
    return kept


def run(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    metadata = dict(nb.metadata)  # keep it: the kernel would add its Python version
    os.environ["PYTHONWARNINGS"] = NOTEBOOK_WARNINGS
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=False, record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    coalesce = CoalesceStreamsPreprocessor()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.outputs = [output for output in _without_native_logs(cell.outputs)
                            if WIDGET_VIEW not in output.get("data", {})]
            coalesce.preprocess_cell(cell, {}, index)
    nb.metadata = nbformat.from_dict(metadata)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [*sorted(REPO_ROOT.glob("lessons/*.ipynb")),
                                        *sorted(REPO_ROOT.glob("solutions/*/*.ipynb"))]
    for path in paths:
        print(f"{path.name}: {run(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
