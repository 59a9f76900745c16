"""Grade written answers beside the numbers the student saw.

Autograding re-runs every notebook, in fast mode by default (a couple of epochs),
so the grader's outputs are not the curves and gaps a student's written answer
quotes from their own full run. nbgrader clears a submission's outputs before it
executes; these two steps keep them and show them again:

- ``StashOwnOutputs`` (first of nbgrader's sanitize steps, before ``ClearOutput``)
  puts each code cell's handed-in outputs aside, bounded in size;
- ``ShowOwnOutputs`` (right after the sandboxed execution) appends them to the
  cell below the grader's own outputs, under a label saying whose they are.

They are the student's claim, not a measurement: a student can hand in any
outputs. They never reach a score (test cells keep only the grader's verdict)
and they are sanitized like every other output before anything renders them.
"""

from __future__ import annotations

import copy
import json

from nbconvert.preprocessors import CoalesceStreamsPreprocessor
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade

STASH = "course_own_outputs"          # a cell-metadata key; a handed-in one is dropped
CELL_LIMIT = 1_000_000                # characters of JSON kept per cell ...
NOTEBOOK_LIMIT = 5_000_000            # ... and per notebook; beyond that, a note instead
KEPT_TYPES = {"stream", "display_data", "execute_result", "error"}
LABEL = "The student's own run, as handed in (not re-run; the grader's run is above):"


def _as_shown(output) -> NotebookNode | None:
    """A handed-in output as plain display data: no execution count, and an error
    as text, so that nothing of it looks like the grader's run or its verdict."""
    kind = output.get("output_type")
    if kind not in KEPT_TYPES:
        return None
    if kind == "stream":
        return NotebookNode(output_type="stream", name="stdout", text=str(output.get("text", "")))
    if kind == "error":
        text = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
        return NotebookNode(output_type="stream", name="stdout", text=text)
    data = output.get("data")
    if not isinstance(data, dict):
        return None
    return NotebookNode(output_type="display_data", data=copy.deepcopy(data),
                        metadata=copy.deepcopy(output.get("metadata") or {}))


def _label(text: str) -> NotebookNode:
    return NotebookNode(output_type="display_data", metadata={},
                        data={"text/html": f"<p><b>{text}</b></p>", "text/plain": text})


class StashOwnOutputs(NbGraderPreprocessor):
    """Put each code cell's handed-in outputs aside before nbgrader clears them."""

    def preprocess(self, nb, resources):
        budget = NOTEBOOK_LIMIT
        for cell in nb.cells:
            cell.get("metadata", {}).pop(STASH, None)  # only this step writes it
            if cell.cell_type != "code" or is_grade(cell):
                continue
            shown = [o for o in map(_as_shown, cell.get("outputs") or []) if o is not None]
            if shown:  # progress-bar updates as JupyterLab shows them: the last one
                shown = CoalesceStreamsPreprocessor().preprocess_cell(NotebookNode(outputs=shown), {}, 0)[0].outputs
            if not shown:
                continue
            size = len(json.dumps(shown))
            if size > min(CELL_LIMIT, budget):
                shown = [NotebookNode(output_type="stream", name="stdout",
                                      text=f"({size:,} characters of outputs: too large to show)\n")]
            else:
                budget -= size
            cell.metadata[STASH] = shown
        return nb, resources


class ShowOwnOutputs(NbGraderPreprocessor):
    """Append the stashed outputs below the grader's, under a label."""

    def preprocess(self, nb, resources):
        for cell in nb.cells:
            shown = cell.get("metadata", {}).pop(STASH, None)
            if cell.cell_type != "code" or is_grade(cell) or not isinstance(shown, list) or not shown:
                continue
            cell.outputs = [*cell.get("outputs", []), _label(LABEL), *shown]
        return nb, resources
