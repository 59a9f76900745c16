"""The student's own outputs, kept through autograding and shown labelled below the
grader's (utils/grading/own_outputs.py). The whole route, through nbgrader and the
feedback, is in test_nbgrader_pipeline.py."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from utils.grading.own_outputs import CELL_LIMIT, LABEL, STASH, ShowOwnOutputs, StashOwnOutputs


def _graded(nb, grader_outputs):
    """Stash, clear (as nbgrader's ClearOutput), 'execute', show."""
    nb, _ = StashOwnOutputs().preprocess(nb, {})
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)  # nbgrader writes and re-reads between phases
    for cell, outputs in zip(nb.cells, grader_outputs):
        if cell.cell_type == "code":
            cell.outputs = outputs
    nb, _ = ShowOwnOutputs().preprocess(nb, {})
    return nb


def _grader_says(text):
    return [new_output("stream", name="stdout", text=text)]


def test_own_outputs_follow_the_graders_under_a_label():
    cell = new_code_cell("train()", outputs=[
        new_output("stream", name="stdout", text="50 epochs: gap +0.05\n"),
        new_output("execute_result", data={"text/plain": "0.43"}, execution_count=7),
        new_output("error", ename="ValueError", evalue="bad", traceback=["\x1b[31mTraceback"]),
    ])
    nb = _graded(new_notebook(cells=[cell]), [_grader_says("2 epochs: gap +0.01\n")])
    out = nb.cells[0].outputs
    assert out[0].text == "2 epochs: gap +0.01\n"
    assert out[1].data["text/plain"] == LABEL
    assert out[2].text == "50 epochs: gap +0.05\n"
    # Nothing of the student's looks like the grader's run: no execution count, errors as text.
    assert out[3].output_type == "display_data" and "execution_count" not in out[3]
    assert out[4].output_type == "stream" and out[4].text == "ValueError: bad"
    assert STASH not in nb.cells[0].metadata


def test_test_cells_keep_only_the_graders_outputs():
    cell = new_code_cell("checks.dropout.check()", outputs=[new_output("stream", name="stdout", text="Correct!")])
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "dropout_check", "points": 2, "locked": True}
    nb = _graded(new_notebook(cells=[cell]), [_grader_says("Incorrect")])
    assert [o.text for o in nb.cells[0].outputs] == ["Incorrect"]


def test_a_forged_stash_is_dropped():
    forged = new_code_cell("x = 1")
    forged.metadata[STASH] = [new_output("stream", name="stdout", text="Correct! 100 points")]
    text = new_markdown_cell("answer")
    text.metadata[STASH] = "anything"
    nb = _graded(new_notebook(cells=[forged, text]), [_grader_says("ok"), None])
    assert [o.text for o in nb.cells[0].outputs] == ["ok"]
    assert STASH not in nb.cells[1].metadata


def test_no_outputs_handed_in_adds_nothing():
    nb = _graded(new_notebook(cells=[new_code_cell("x = 1")]), [_grader_says("ok")])
    assert [o.text for o in nb.cells[0].outputs] == ["ok"]


def test_huge_outputs_become_a_note():
    big = new_output("stream", name="stdout", text="x" * (CELL_LIMIT + 10))
    nb = _graded(new_notebook(cells=[new_code_cell("spam()", outputs=[big])]), [[]])
    out = nb.cells[0].outputs
    assert len(out) == 2 and "too large to show" in out[1].text


def test_progress_bar_updates_become_one_line():
    updates = [new_output("stream", name="stdout", text=f"\r{i}/3 epochs") for i in range(4)]
    nb = _graded(new_notebook(cells=[new_code_cell("train()", outputs=updates)]), [[]])
    assert [o.get("text") for o in nb.cells[0].outputs[1:]] == ["3/3 epochs"]
