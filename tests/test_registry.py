"""The registry's naming convention holds in every source notebook.

Each question ``<exercise>.<name>`` has exactly one answer cell ``<name>_answer``
(an nbgrader solution cell, code) and one test cell ``<name>_check`` (graded,
locked, with points), the answer first; every graded code cell is some
question's test cell; every exercise has set-up cells the judge can replay,
and none of them trains a model.
"""

from __future__ import annotations

import nbformat
import pytest
from nbgrader.utils import is_grade, is_locked, is_solution

from utils.questions import registry
from utils import REPO_ROOT


def source_cells(exercise: str) -> dict[str, tuple[int, nbformat.NotebookNode]]:
    nb = nbformat.read(REPO_ROOT / "solutions" / exercise / f"{exercise}.ipynb", as_version=4)
    return {c.metadata.nbgrader["grade_id"]: (i, c) for i, c in enumerate(nb.cells) if "nbgrader" in c.metadata}


def test_every_exercise_has_a_source_notebook_and_back():
    on_disk = sorted(p.name for p in (REPO_ROOT / "solutions").iterdir() if p.is_dir())
    assert list(registry.exercises()) == on_disk


@pytest.mark.parametrize("exercise", registry.exercises())
def test_each_question_owns_an_answer_cell_and_a_test_cell(exercise):
    cells = source_cells(exercise)
    for q in registry.questions(exercise):
        assert q.qid == f"{exercise}.{q.name}" and q.exercise == exercise
        (at_answer, answer), (at_test, test) = cells[q.answer_cell], cells[q.test_cell]
        assert answer.cell_type == "code" and is_solution(answer) and not is_grade(answer)
        assert test.cell_type == "code" and is_grade(test) and is_locked(test) and not is_solution(test)
        assert test.metadata.nbgrader["points"] > 0
        assert at_answer < at_test
        assert registry.question_of_test_cell(exercise, q.test_cell) is q


@pytest.mark.parametrize("exercise", registry.exercises())
def test_every_graded_code_cell_belongs_to_a_question(exercise):
    graded = {gid for gid, (_, c) in source_cells(exercise).items() if c.cell_type == "code" and is_grade(c)}
    assert graded == {q.test_cell for q in registry.questions(exercise)}


@pytest.mark.parametrize("exercise", registry.exercises())
def test_set_up_cells_are_locked_code_that_trains_nothing(exercise):
    setup = [c for gid, (_, c) in source_cells(exercise).items() if registry.is_setup_cell(gid)]
    assert setup, "the judge needs the imports and the data"
    for cell in setup:
        assert cell.cell_type == "code" and is_locked(cell) and not is_grade(cell) and not is_solution(cell)
        assert ".fit(" not in cell.source and "train(" not in cell.source.replace("_train", "")


def test_unknown_names_are_not_questions():
    assert registry.question_of_test_cell("no_such_exercise", "dropout_check") is None
    assert registry.question_of_test_cell(registry.exercises()[0], "written_answer") is None
    with pytest.raises(KeyError):
        registry.find_question("no_such_exercise.dropout")
