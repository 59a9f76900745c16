"""Adding an exercise touches its own files only.

In a temporary copy of the course, a throw-away third exercise is added as
exactly two files: one tiny source notebook (solutions/tiny/tiny.ipynb) and one
question module (utils/checks/tiny.py). Nothing else is edited. It then goes
through the instructor's route: generate, autograde (a correct, a wrong and an
untouched student) and feedback, graded by the course's sandbox and judge, with
no false alarm in the log and no hidden-test code in the feedback.
"""

from __future__ import annotations

import os
import shutil
import textwrap

import nbformat
import pytest

import _nbgrader_helpers as h

pytestmark = pytest.mark.slow

QUESTION_MODULE = '''
"""A throw-away exercise: one question."""
from utils.questions.model_question import ModelQuestion, dense, dropout_layer

dropout = ModelQuestion(
    qid="tiny.dropout", title="Question 1, dropout", variable="net",
    n_inputs=4, expected=(dense(8, "relu"), dropout_layer(0.5), dense(1)), starter=(dense(8, "relu"), dense(1)),
    hints=("A Dropout layer goes between the two Dense layers.", "layers.Dropout(0.5) after the 8-unit layer."),
)
QUESTIONS = (dropout,)
'''

ANSWER = """net = keras.Sequential([
    keras.Input(shape=(4,)),
    layers.Dense(8, activation="relu"),
    ### BEGIN SOLUTION
    layers.Dropout(0.5),
    ### END SOLUTION
    layers.Dense(1),
])"""


def _cell(kind: str, source: str, grade_id: str, *, grade=False, solution=False, locked=False, points=None):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(textwrap.dedent(source).strip())
    cell.metadata["nbgrader"] = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id,
                                 "schema_version": 3, **({"points": points} if points else {})}
    return cell


def tiny_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[
        _cell("markdown", "# A tiny exercise", "title", locked=True),
        _cell("code", "import keras\nfrom keras import layers\nfrom utils.checks import tiny as checks",
              "setup", locked=True),
        _cell("code", ANSWER, "dropout_answer", solution=True),
        _cell("code", 'checks.dropout.check()\n### BEGIN HIDDEN TESTS\nfrom utils.questions.hidden import regrade\n'
                      'regrade("tiny.dropout")\n### END HIDDEN TESTS',
              "dropout_check", grade=True, locked=True, points=1),
    ])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def test_a_third_exercise_needs_only_its_own_two_files(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(h.REPO / "utils", course / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(h.REPO / "solutions", course / "solutions", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy2(h.REPO / "nbgrader_config.py", course)
    # The two new files; everything else is as in the repository.
    (course / "utils" / "checks" / "tiny.py").write_text(QUESTION_MODULE)
    (course / "solutions" / "tiny").mkdir()
    nbformat.write(tiny_notebook(), course / "solutions" / "tiny" / "tiny.ipynb")

    # This copy's utils, not the repository's, for nbgrader and the grading kernels.
    env = {"PYTHONPATH": str(course), "COURSE_DATA_DIR": str(h.REPO / "data")}
    h.nbgrader(course, "generate_assignment", "tiny", "--force", env=env)
    release = h.read(h.notebook_path(course, "exercises", "tiny"))
    assert "BEGIN SOLUTION" not in nbformat.writes(release)
    wrong = h.answer(release, {"dropout_answer": ANSWER.replace("0.5", "0.2").replace("### BEGIN SOLUTION\n", "")
                                                 .replace("### END SOLUTION\n", "")})
    right = h.answer(release, {"dropout_answer": h._SOLUTION_MARKERS.sub("", ANSWER)})
    h.submit(course, "right", "tiny", right)
    h.submit(course, "wrong", "tiny", wrong)
    h.submit(course, "untouched", "tiny", release)
    graded = h.nbgrader(course, "autograde", "tiny", "--force", env=env)
    h.nbgrader(course, "generate_feedback", "tiny", "--force", env=env)
    # Honest submissions raise no alarm: no "checksum changed" (nbgrader #1961), no SAWarning.
    assert "WARNING" not in graded.stdout + graded.stderr and "Warning" not in graded.stdout + graded.stderr

    scores = h.scores(course, "tiny")
    assert scores["right"]["cells"]["dropout_check"] == (1.0, False)
    assert scores["wrong"]["cells"]["dropout_check"] == (0.0, False)
    assert scores["untouched"]["cells"]["dropout_check"] == (0.0, False)
    feedback = (course / "feedback" / "wrong" / "tiny" / "tiny.html").read_text()
    assert "rate 0.2" in feedback  # the grader's verdict...
    assert "regrade" not in feedback and "HIDDEN" not in feedback  # ...not the hidden test's code
    generated = ("exercises/", "submitted/", "autograded/", "feedback/", "gradebook.db")
    new = {str(p.relative_to(course)) for p in course.rglob("*")
           if p.is_file() and "__pycache__" not in p.parts and not (h.REPO / p.relative_to(course)).exists()}
    assert {p for p in new if not p.startswith(generated)} == {"utils/checks/tiny.py", "solutions/tiny/tiny.ipynb"}
    changed = [str(p.relative_to(course)) for p in course.rglob("*") if p.is_file() and "__pycache__" not in p.parts
               and (h.REPO / p.relative_to(course)).is_file() and not str(p.relative_to(course)).startswith(generated)
               and p.read_bytes() != (h.REPO / p.relative_to(course)).read_bytes()]
    assert changed == [], os.linesep.join(changed)

