"""The grading pipeline end to end, with the real nbgrader, on a temporary copy of the course.

One module-scoped course is generated and autograded once per assignment (fast mode,
as an instructor would by default) with several simulated students:

- ``solution``: every answer from the source notebook -> all autograded points;
- ``untouched``: the release as handed out -> 0 autograded points, no crash;
- ``partial``: the first question right, the others wrong (not just untouched) ->
  exactly the points of the first question.

A second course grades ``solution`` and ``partial`` again with full training
(COURSE_FAST_MODE=0) to prove fast mode changes no score.
"""

from __future__ import annotations

import csv
import html
import json
import re

import pytest
from nbformat.v4 import new_output

import _nbgrader_helpers as h
import corpus

pytestmark = pytest.mark.slow


def _written(assignment) -> dict[str, float]:
    """grade_id -> points of every written (manually graded) answer in the source notebook."""
    nb = h.read(h.notebook_path(h.REPO, "solutions", assignment))
    return {c.metadata.nbgrader["grade_id"]: float(c.metadata.nbgrader["points"]) for c in nb.cells
            if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")
            and c.metadata.nbgrader.get("solution")}


# Points per autograded question (test cell -> points), and written points, from the
# source notebooks' nbgrader metadata and the registry (utils.questions.registry).
POINTS = {a: {corpus.test_cell(a, q): p for q, p in corpus.points(a).items()} for a in h.ASSIGNMENTS}
WRITTEN = {a: _written(a) for a in h.ASSIGNMENTS}

# Plausible written answers, to be graded by hand.
WRITTEN_ANSWERS = {
    "red_wine": {"written_answer": "Batch normalization rescales the activations, so SGD could take sensible steps."},
    "spotify": {"written_dropout": "Yes, the gap between the curves got smaller.",
                "written_batchnorm": "It trained with batch normalization."},
}


def wrong_answers(assignment):
    """Plausible mistakes (corpus.WRONG) for every question but dropout, by answer cell."""
    return {corpus.answer_cell(assignment, q): code for q, code in corpus.WRONG[assignment].items() if q != "dropout"}


PARTIAL_POINTS = {a: POINTS[a][corpus.test_cell(a, "dropout")] for a in h.ASSIGNMENTS}


def _submissions(release, assignment):
    assert set(WRITTEN_ANSWERS[assignment]) == set(WRITTEN[assignment])
    assert set(corpus.WRONG[assignment]) == set(corpus.questions(assignment))
    dropout = corpus.answer_cell(assignment, "dropout")
    partial = {dropout: h.solution_sources(assignment)[dropout], **wrong_answers(assignment),
               **WRITTEN_ANSWERS[assignment]}
    return {
        "solution": h.solved(release, assignment),
        "untouched": release,
        "partial": _with_own_run(h.answer(release, partial), assignment),
    }


# What the partial student's own (full) run showed, handed in as outputs of the last
# code cell before the first written answer; one of them a script, which must not run.
OWN_RUN = "own-run: validation MAE 0.4321"
OWN_SCRIPT = "<script>document.title='own-run-pwned'</script>"


def _own_run_cell(nb, assignment):
    first_written = next(i for i, c in enumerate(nb.cells)
                         if c.metadata.get("nbgrader", {}).get("grade_id") in WRITTEN[assignment])
    return next(c for c in reversed(nb.cells[:first_written])
                if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("grade"))


def _with_own_run(nb, assignment):
    cell = _own_run_cell(nb, assignment)
    cell.outputs = [new_output("stream", name="stdout", text=OWN_RUN + "\n"),
                    new_output("display_data", data={"text/html": OWN_SCRIPT + "<b>own-run-bold</b>",
                                                     "text/plain": "x"})]
    return nb


def _grade(root, students, *, full=False):
    h.generate(root)
    for assignment in h.ASSIGNMENTS:
        release = h.read(h.notebook_path(root, "exercises", assignment))
        for student, nb in _submissions(release, assignment).items():
            if student in students:
                h.submit(root, student, assignment, nb)
        h.autograde(root, assignment, full=full)
    return {a: h.scores(root, a) for a in h.ASSIGNMENTS}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """One course, both assignments autograded once in fast mode, feedback and export done."""
    root = h.make_course(tmp_path_factory.mktemp("course"))
    scores = _grade(root, {"solution", "untouched", "partial"})
    for assignment in h.ASSIGNMENTS:
        h.nbgrader(root, "generate_feedback", assignment, "--force")
    h.nbgrader(root, "export")
    return root, scores


# ---------------------------------------------------------------- the release itself

def _normalized(path):
    """What must not drift: cell ids, types, sources and metadata (nbgrader checksums
    included), and the kernelspec. Ignored: language_info and nbformat_minor, which
    depend on the environment that wrote the file, and outputs (cleared anyway)."""
    nb = h.read(path)
    return {
        "kernelspec": dict(nb.metadata.get("kernelspec", {})),
        "cells": [{"id": c.get("id"), "type": c.cell_type, "source": c.source,
                   "metadata": json.loads(json.dumps(c.metadata))} for c in nb.cells],
    }


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_committed_exercise_is_regenerated_from_solutions(course, assignment):
    root, _ = course
    fresh = h.notebook_path(root, "exercises", assignment)
    committed = h.notebook_path(h.REPO, "exercises", assignment)
    assert committed.is_file(), f"{committed} is missing: run nbgrader generate_assignment {assignment} --force"
    assert _normalized(committed) == _normalized(fresh), (
        f"exercises/{assignment} is stale: regenerate it from solutions/ "
        f"(nbgrader generate_assignment {assignment} --force)")
    nb = h.read(committed)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code"), "committed exercise has outputs"


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_release_has_no_solutions_or_hidden_tests(assignment):
    source = h.read(h.notebook_path(h.REPO, "solutions", assignment))
    release = h.read(h.notebook_path(h.REPO, "exercises", assignment))
    text = "\n".join(c.source for c in release.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
                   "regrade(", "sys.modules.pop"):
        assert marker not in text
    # No solution line survives, e.g. layers.BatchNormalization() where the student adds it.
    for cell, released in zip(source.cells, release.cells):
        assert cell.id == released.id
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            in_solution, solution_lines = False, []
            for line in cell.source.splitlines():
                if "### BEGIN SOLUTION" in line:
                    in_solution = True
                elif "### END SOLUTION" in line:
                    in_solution = False
                elif in_solution:
                    solution_lines.append(line)
            assert solution_lines, f"{cell.id} has no solution region"
            # The stub keeps the starter code runnable.
            assert "# YOUR CODE HERE" in released.source
            kept = [line for line in released.source.splitlines() if line.strip()]
            starter = [line for line in cell.source.splitlines() if line.strip()]
            assert all(line in starter for line in kept if line.strip() != "# YOUR CODE HERE")
            compile(released.source, cell.id, "exec")
        elif meta.get("solution"):
            assert released.source.strip() == "YOUR ANSWER HERE"
        else:
            if meta.get("grade"):
                assert "checks." in released.source and ".check()" in released.source
                assert "raises-exception" in released.metadata.get("tags", [])
            else:
                assert released.source == cell.source
        assert released.metadata["nbgrader"].get("locked", False) == meta.get("locked", False)
        if meta.get("locked"):
            assert released.metadata["nbgrader"].get("checksum")


# ---------------------------------------------------------------- autograding

@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_solution_gets_every_autograded_point(course, assignment):
    _, scores = course
    got = scores[assignment]["solution"]
    assert got["max_code"] == sum(POINTS[assignment].values())
    assert got["max_written"] == sum(WRITTEN[assignment].values())
    assert got["code"] == got["max_code"]
    assert {k: v[0] for k, v in got["cells"].items() if k in POINTS[assignment]} == POINTS[assignment]


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_untouched_release_gets_zero_without_crashing(course, assignment):
    root, scores = course
    got = scores[assignment]["untouched"]
    assert got["code"] == 0
    assert not got["needs_manual_grade"]  # unchanged written answers are scored 0 automatically
    graded = h.read(h.notebook_path(root, "autograded/untouched", assignment))
    # Every code cell ran (the grader did not stop at the first failed check).
    assert all(c.get("execution_count") for c in graded.cells if c.cell_type == "code")


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_partly_correct_gets_exactly_its_correct_questions(course, assignment):
    _, scores = course
    got = scores[assignment]["partial"]
    assert got["code"] == PARTIAL_POINTS[assignment]
    dropout = corpus.test_cell(assignment, "dropout")
    assert got["cells"][dropout][0] == POINTS[assignment][dropout]


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_written_answers_need_manual_grading(course, assignment):
    _, scores = course
    for student in ("solution", "partial"):
        got = scores[assignment][student]
        assert got["needs_manual_grade"]
        for cell in WRITTEN[assignment]:
            assert got["cells"][cell][1], f"{student}: {cell} should need manual grading"
        for cell in POINTS[assignment]:
            assert not got["cells"][cell][1]


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_feedback_shows_the_check_messages(course, assignment):
    root, _ = course
    for student in ("solution", "untouched", "partial"):
        page = h.notebook_path(root, f"feedback/{student}", assignment).with_suffix(".html")
        assert page.is_file()
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
        assert "Grade cell: dropout_check" in text and "checks.dropout.check()" in text
        # The check's own message (its coloured box and the raised error) is shown.
        if student == "untouched":
            assert re.search(r"not attempted", text, re.IGNORECASE), "the check's message is missing"
        if student == "partial":
            assert re.search(r"incorrect", text, re.IGNORECASE), "the check's message is missing"


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_written_answers_are_graded_beside_the_students_own_numbers(course, assignment):
    """The grader re-runs in fast mode; the student's answer quotes their own run. The
    formgrader (autograded notebook) and the feedback show both, the student's labelled."""
    root, _ = course
    nb = h.read(h.notebook_path(root, "autograded/partial", assignment))
    texts = [o.get("text") or str(o.get("data", {}).get("text/plain", ""))
             for o in _own_run_cell(nb, assignment).outputs]
    label = next(i for i, t in enumerate(texts) if "student's own run" in t)
    assert label > 0, "the grader's own outputs come first"
    assert OWN_RUN in "".join(texts[label:])
    page = h.notebook_path(root, "feedback/partial", assignment).with_suffix(".html").read_text(encoding="utf-8")
    assert OWN_RUN in page and "own-run-bold" in page and "own-run-pwned" not in page
    # Students who handed in no outputs get no such section.
    solved = h.read(h.notebook_path(root, "autograded/solution", assignment))
    assert not any("student's own run" in str(o) for c in solved.cells for o in c.get("outputs", []))


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_progress_bars_show_as_their_last_line(course, assignment):
    """Each '\\r' update of a progress bar was once an output of its own, which the
    formgrader and the feedback showed as a stack of boxes."""
    root, _ = course
    nb = h.read(h.notebook_path(root, "autograded/solution", assignment))
    streams = 0
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        for first, second in zip(outputs, outputs[1:]):
            assert not (first.output_type == second.output_type == "stream" and first.name == second.name)
        for out in outputs:
            if out.output_type == "stream":
                streams += 1
                assert not re.search(r"\r[^\n]", out.text), out.text[:200]
    assert streams, "the training cells printed nothing"


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_the_graders_run_keeps_its_figures(course, assignment):
    """The learning curves the written answers discuss are in the autograded notebook
    (the formgrader) and in the feedback."""
    root, _ = course
    nb = h.read(h.notebook_path(root, "autograded/solution", assignment))
    assert any("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    page = h.notebook_path(root, "feedback/solution", assignment).with_suffix(".html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page


def test_grades_export_to_csv(course):
    root, scores = course
    with open(root / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    got = {(r["assignment"], r["student_id"]): float(r["raw_score"]) for r in rows}
    for assignment in h.ASSIGNMENTS:
        for student, s in scores[assignment].items():
            assert got[(assignment, student)] == s["code"]  # written answers not graded yet
    for assignment in h.ASSIGNMENTS:
        total = sum(POINTS[assignment].values()) + sum(WRITTEN[assignment].values())
        assert {float(r["max_score"]) for r in rows if r["assignment"] == assignment} == {total}


def _epochs_trained(root, student, assignment):
    """The epoch counts the training cells printed ("60 epochs: ...")."""
    nb = h.read(h.notebook_path(root, f"autograded/{student}", assignment))
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.get("name") == "stdout")
    return [int(n) for n in re.findall(r"^(\d+) epochs", text, re.MULTILINE)]


def test_fast_and_full_mode_give_identical_scores(course, tmp_path):
    fast_root, fast = course
    full_root = h.make_course(tmp_path / "full")
    full = _grade(full_root, {"solution", "partial"}, full=True)
    for assignment in h.ASSIGNMENTS:
        for student in ("solution", "partial"):
            assert full[assignment][student]["cells"] == fast[assignment][student]["cells"], (assignment, student)
            # ... and the two runs really trained differently.
            fast_epochs = _epochs_trained(fast_root, student, assignment)
            full_epochs = _epochs_trained(full_root, student, assignment)
            assert fast_epochs and max(fast_epochs) <= 2
            assert len(full_epochs) == len(fast_epochs) and min(full_epochs) >= 30
