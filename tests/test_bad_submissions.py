"""Bad submissions (tests/corpus.py) graded end to end by the real ``nbgrader autograde``.

For each exercise, one temporary course receives every kind of the corpus (cheats,
crashes, hangs, floods, broken files) together with well-behaved students (a full
solution, the untouched release, a partly correct one), and ONE autograde run grades
them all, with a 20 s cell timeout (``--SandboxedExecute.timeout=20``; the course's
own 600 s would make the hangs take 10 minutes each). The two exercises' runs use two
courses and run side by side, since nbgrader cannot run two autogrades on one gradebook.

Checked: every student's exact score per test cell (and, for cheats, which defence
caught it), the exit status and the students it reports, that student code changed
nothing in the gradebook (definitions, a bystander's grades) or in ``submitted/``,
reached nothing outside its sandbox, and left no process behind.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import warnings
from pathlib import Path

import pytest

import _nbgrader_helpers as h
import corpus

pytestmark = pytest.mark.slow

CELL_TIMEOUT = 20
DEFINITION_TABLES = ("course", "assignment", "notebook", "base_cell", "source_cell", "grade_cells",
                     "solution_cells", "task_cells", "alembic_version")
BYSTANDER = "bystander"  # graded by hand before the run; has no submitted/ folder
CASES = [(a, kind) for a in h.ASSIGNMENTS for kind in corpus.KINDS]



def _course(root: Path, assignment: str) -> Path:
    h.make_course(root)
    # nbgrader 0.9.6 stops grading on a duplicated or deleted cell; the course's config
    # replaces its OverwriteCells with utils/sandbox/overwrite.py, which this corpus needs.
    assert "utils.sandbox.overwrite" in (root / "nbgrader_config.py").read_text()
    h.generate(root, assignment)
    return root


def _hand_in(root: Path, assignment: str) -> dict[str, corpus.Submission]:
    release = h.read(h.notebook_path(root, "exercises", assignment))
    context = corpus.Context(course=root)
    submissions = {}
    for kind in corpus.KINDS:
        student = corpus.student_name(kind)
        sub = kind(release, assignment, context)
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        if sub.notebook is not None:  # as is: nbformat.write would repair duplicated cell ids
            (folder / f"{assignment}.ipynb").write_text(json.dumps(sub.notebook, indent=1), encoding="utf-8")
        for relative, data in sub.files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_bytes(data)
        for relative, target in sub.links.items():
            (folder / relative).symlink_to(target)
        submissions[student] = sub
    return submissions


def _add_bystander(root: Path, assignment: str) -> None:
    """A student graded earlier (by hand), whom no student code may touch."""
    with h.gradebook(root) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's notes from inside nbgrader's API
        gb.add_student(BYSTANDER)
        gb.add_submission(assignment, BYSTANDER)
        grade = gb.find_grade("dropout_check", assignment, assignment, BYSTANDER)
        grade.manual_score = 1.0
        gb.db.commit()


def _bystander_rows(root: Path) -> list[tuple]:
    import sqlite3

    db = sqlite3.connect(f"file:{root / 'gradebook.db'}?mode=ro", uri=True)
    mine = ("SELECT n.id FROM submitted_notebook n JOIN submitted_assignment a ON n.assignment_id = a.id "
            "WHERE a.student_id = ?")
    try:
        rows = []
        for query in ("SELECT 'assignment', * FROM submitted_assignment WHERE student_id = ?",
                      f"SELECT 'notebook', * FROM submitted_notebook WHERE id IN ({mine})",
                      f"SELECT 'grade', * FROM grade WHERE notebook_id IN ({mine})",
                      f"SELECT 'comment', * FROM comment WHERE notebook_id IN ({mine})"):
            rows += map(tuple, db.execute(query, (BYSTANDER,)))
        return sorted(rows, key=repr)
    finally:
        db.close()


def _snapshot(root: Path) -> dict:
    return {"tables": h.table_rows(root, DEFINITION_TABLES), "bystander": _bystander_rows(root),
            "submitted": h.file_hashes(root / "submitted")}


def _start_autograde(root: Path, assignment: str, tmp: Path) -> subprocess.Popen:
    """nbgrader autograde in the background, with its own TMPDIR (where the sandbox's
    scratch folders go), so that leftovers can be counted exactly."""
    tmp.mkdir()
    env = {**os.environ, "PATH": f"{h.BIN}{os.pathsep}{os.environ.get('PATH', '')}", "TMPDIR": str(tmp)}
    env.pop("NBGRADER_EXECUTION", None)
    env.pop("COURSE_FAST_MODE", None)
    return subprocess.Popen([str(h.BIN / "nbgrader"), "autograde", assignment, "--force",
                             f"--SandboxedExecute.timeout={CELL_TIMEOUT}"],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Both exercises handed in and autograded once (side by side); everything the
    tests look at, collected."""
    prepared = {}
    for assignment in h.ASSIGNMENTS:
        root = _course(tmp_path_factory.mktemp(f"course-{assignment}"), assignment)
        submissions = _hand_in(root, assignment)
        _add_bystander(root, assignment)
        prepared[assignment] = (root, submissions, _snapshot(root))
    started = time.monotonic()
    processes = {a: _start_autograde(root, a, root.parent / f"tmp-{a}") for a, (root, _, _) in prepared.items()}
    results = {}
    try:
        for assignment, process in processes.items():
            log, _ = process.communicate(timeout=900)
            root, submissions, before = prepared[assignment]
            results[assignment] = {
                "root": root, "submissions": submissions, "before": before, "after": _snapshot(root),
                "returncode": process.returncode, "log": log, "seconds": time.monotonic() - started,
                "scores": h.scores(root, assignment), "tmp": root.parent / f"tmp-{assignment}",
            }
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return results


# ---------------------------------------------------------------- the batch

@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_batch_finishes_and_reports_exactly_the_broken_notebooks(runs, assignment):
    run = runs[assignment]
    failed = {s for s, sub in run["submissions"].items() if sub.outcome == "failed"}
    reported = set(re.findall(rf"There was an error processing assignment '{assignment}' for student '([^']+)'",
                              run["log"]))
    assert reported == failed, run["log"][-5000:]
    assert run["returncode"] == 1  # nbgrader's status when any student failed
    graded = {s for s, sub in run["submissions"].items() if sub.outcome == "graded"}
    assert graded <= set(run["scores"]), "the batch stopped before grading everyone"


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_short_cell_timeout_took_effect(runs, assignment):
    """With the course's 600 s per cell, the hangs alone would take 10 minutes."""
    run = runs[assignment]
    assert run["seconds"] < 600
    outputs = h.outputs_of(run["root"], "hangs", assignment)
    answer = [o.get("ename") for o in outputs["dropout_answer"] if o.get("output_type") == "error"]
    assert "CellTimeoutError" in answer, answer
    if assignment == "spotify":  # the loop ignored the interrupt: the kernel was replaced
        assert any("did not stop when interrupted" in o.get("evalue", "") for o in outputs["dropout_answer"])


# ---------------------------------------------------------------- every student's score

@pytest.mark.parametrize("assignment, kind", CASES, ids=[f"{a}-{k.__name__}" for a, k in CASES])
def test_exact_score(runs, assignment, kind):
    run = runs[assignment]
    student = corpus.student_name(kind)
    sub = run["submissions"][student]
    autograded = h.notebook_path(run["root"], f"autograded/{student}", assignment)
    if sub.outcome == "absent":
        assert student not in run["scores"]
        return
    got = run["scores"][student]
    points = {f"{q}_check": float(p) for q, p in corpus.POINTS[assignment].items()}
    assert got["max_code"] == sum(points.values())
    if sub.outcome == "failed":
        assert not autograded.exists()
        assert got["needs_manual_grade"]
        with h.gradebook(run["root"]) as gb:
            grades = gb.find_submission(assignment, student).notebooks[0].grades
            assert all(g.auto_score is None and g.needs_manual_grade for g in grades)
        return
    cells = {name: score for name, (score, manual) in got["cells"].items() if name in points}
    assert cells == sub.scores, kind.__doc__
    assert got["code"] == sub.total
    assert not any(got["cells"][name][1] for name in points), "a test cell was left for manual grading"
    outputs = h.outputs_of(run["root"], student, assignment)
    for cell, error in sub.why.items():
        assert error in [o.get("ename") for o in outputs[cell] if o.get("output_type") == "error"], (cell, outputs[cell])
    for cell in points:  # a test cell's value would count as partial credit: never kept
        assert not [o for o in outputs[cell] if o.get("output_type") == "execute_result"]


# ---------------------------------------------------------------- what a kind must also show

@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_kernel_deaths_are_recorded_and_the_rest_ran(runs, assignment):
    run = runs[assignment]
    nb = h.read(h.notebook_path(run["root"], "autograded/exits", assignment))
    killer = "batchnorm_answer" if assignment == "red_wine" else "dropout_answer"
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    at = ids.index(killer)
    assert [o.ename for o in nb.cells[at].outputs if o.output_type == "error"] == ["KernelDied"]
    assert all(c.execution_count for c in nb.cells[at + 1:] if c.cell_type == "code")


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_gigantic_output_is_truncated(runs, assignment):
    """nbgrader keeps 1000 lines per cell; the grader's worker keeps at most
    MAX_CELL_OUTPUT characters per cell (the 50 MB come as one long line)."""
    from utils.sandbox.worker import MAX_CELL_OUTPUT

    run = runs[assignment]
    path = h.notebook_path(run["root"], "autograded/floods", assignment)
    outputs = h.outputs_of(run["root"], "floods", assignment)
    printed = {cell: "".join(o.get("text", "") for o in outputs[cell]) for cell in ("dropout_answer", "batchnorm_answer")}
    assert "Output truncated" in printed["dropout_answer"]  # nbgrader's LimitOutput
    assert "output truncated by the grader" in printed["batchnorm_answer"]
    assert all(len(text) <= MAX_CELL_OUTPUT + 100 for text in printed.values())
    assert path.stat().st_size < 2 * MAX_CELL_OUTPUT + 1_000_000


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_cheater_reached_nothing(runs, assignment):
    run = runs[assignment]
    outputs = h.outputs_of(run["root"], "cheater", assignment)
    printed = "".join(o.get("text", "") for o in outputs["dropout_answer"])
    assert printed.strip() == "reached: []"


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_gradebook_changed_only_by_the_grader(runs, assignment):
    """The assignment's definitions (sources, solutions, points, checksums) and a
    bystander's grades are exactly as before the run; the only rows student code
    could have raised are its own, and their exact values are checked above."""
    run = runs[assignment]
    assert run["after"]["tables"] == run["before"]["tables"]
    assert run["after"]["bystander"] == run["before"]["bystander"] and run["before"]["bystander"]
    assert run["scores"][BYSTANDER]["cells"]["dropout_check"] == (1.0, True)


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_submitted_files_are_untouched(runs, assignment):
    run = runs[assignment]
    assert run["after"]["submitted"] == run["before"]["submitted"]
    assert len(run["before"]["submitted"]) >= len(corpus.KINDS)


def test_nothing_is_left_running_or_lying_around(runs):
    leftovers = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and corpus.DAEMON_MARKER.encode() in (proc / "cmdline").read_bytes():
                leftovers.append(int(proc.name))
        except OSError:
            pass
    assert leftovers == [], "a student's background process outlived the grading sandbox"
    for run in runs.values():
        assert list(run["tmp"].iterdir()) == [], "the grader left files in its temporary folder"
