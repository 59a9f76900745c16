"""Bad submissions (tests/corpus.py) graded end to end by the real ``nbgrader autograde``.

For each exercise, one temporary course receives every kind of the corpus (cheats,
attacks on the grader, crashes, hangs, floods, broken files) together with
well-behaved students (a full solution, the untouched release, a partly correct one,
correct answers in unusual styles), and ONE autograde run grades them all, with a
45 s cell timeout (``--SandboxedExecute.timeout=45``; the course's own 600 s would
make the hangs take 10 minutes each; 20 s proved too short for the set-up cell's
``import keras`` on a busy 2-core machine); then ``generate_feedback`` runs once. The two
exercises' runs use two courses and run side by side, since nbgrader cannot run two
autogrades on one gradebook. The log carries timestamps, to time each submission.

Checked: every student's exact score per test cell, which test cells are flagged for
review (and why, in the gradebook) and the error each shows; the exit status and the
students it reports; that student code changed nothing in the gradebook (definitions,
a bystander's grades) or in ``submitted/``, reached nothing outside its sandbox
(files, links, the instructor's environment, log and terminal, other processes), fooled
the kernel where the corpus says it does but never the grader, and left no process
behind.

Then the same submissions, copied byte for byte into a fresh course per exercise, are
graded by the parallel command (``python -m utils.grade``, issue #18): every grade,
flag, comment and failure must be the serial run's, with the same guarantees.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import warnings
from datetime import datetime
from pathlib import Path

import pytest

import _nbgrader_helpers as h
import corpus

pytestmark = pytest.mark.slow

CELL_TIMEOUT = 45
DEFINITION_TABLES = ("course", "assignment", "notebook", "base_cell", "source_cell", "grade_cells",
                     "solution_cells", "task_cells", "alembic_version")
BYSTANDER = "bystander"  # graded by hand before the run; has no submitted/ folder
CASES = [(a, kind) for a in h.ASSIGNMENTS for kind in corpus.KINDS]
LOG_FORMAT = ("--Application.log_format=%(asctime)s [%(name)s | %(levelname)s] %(message)s",
              "--Application.log_datefmt=%H:%M:%S")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # anything but \t and \n
# The forged file name as nbgrader's log shows it (it indents what follows a newline).
LOGGED_FORGED_NAME = re.escape(corpus.FORGED_NAME).replace(re.escape("\n"), r"\n\s*")


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


def _start(root: Path, tmp: Path, *args: str) -> subprocess.Popen:
    """nbgrader in the background, with the instructor's secret in its environment and
    its own TMPDIR (where the sandbox's scratch folders go), so that leftovers can be
    counted exactly."""
    tmp.mkdir(exist_ok=True)
    return subprocess.Popen([str(h.BIN / "nbgrader"), *args, *LOG_FORMAT], cwd=root, env=_start_env(tmp),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _start_env(tmp: Path) -> dict[str, str]:
    env = {**os.environ, "PATH": f"{h.BIN}{os.pathsep}{os.environ.get('PATH', '')}", "TMPDIR": str(tmp),
           corpus.SECRET_NAME: corpus.SECRET}
    env.pop("NBGRADER_EXECUTION", None)
    env.pop("COURSE_FAST_MODE", None)
    return env


def _output(process: subprocess.Popen, timeout: float) -> str:
    """What the command printed, exactly as a terminal receives it (text mode would
    turn a carriage return into a newline)."""
    out, _ = process.communicate(timeout=timeout)
    return out.decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Both exercises handed in, autograded once and given feedback once (side by side);
    everything the tests look at, collected."""
    prepared = {}
    for assignment in h.ASSIGNMENTS:
        root = _course(tmp_path_factory.mktemp(f"course-{assignment}"), assignment)
        submissions = _hand_in(root, assignment)
        _add_bystander(root, assignment)
        prepared[assignment] = (root, submissions, _snapshot(root))
    started = time.monotonic()
    processes = {a: _start(root, root.parent / f"tmp-{a}", "autograde", a, "--force",
                           f"--SandboxedExecute.timeout={CELL_TIMEOUT}")
                 for a, (root, _, _) in prepared.items()}
    results, feedback = {}, {}
    try:
        for assignment, process in processes.items():
            log = _output(process, timeout=2400)
            root, submissions, before = prepared[assignment]
            results[assignment] = {
                "root": root, "submissions": submissions, "before": before, "after": _snapshot(root),
                "returncode": process.returncode, "log": log, "seconds": time.monotonic() - started,
                "scores": h.scores(root, assignment), "tmp": root.parent / f"tmp-{assignment}",
            }
            feedback[assignment] = _start(root, root.parent / f"tmp-{assignment}", "generate_feedback",
                                          assignment, "--force")
        for assignment, process in feedback.items():
            log = _output(process, timeout=600)
            results[assignment].update(feedback_log=log, feedback_returncode=process.returncode)
    finally:
        for process in [*processes.values(), *feedback.values()]:
            if process.poll() is None:
                process.kill()
                process.wait()
    each = ", ".join(f"{a} autograde {r['seconds']:.0f} s" for a, r in results.items())
    print(f"\ncorpus fixture: {time.monotonic() - started:.0f} s for autograde and feedback of both exercises ({each})")
    return results


def _lines(log: str) -> list[str]:
    """The log as a terminal shows it: a carriage return starts a line too."""
    return re.split(r"\r\n|\r|\n", log)


def _seconds_per_student(log: str, assignment: str) -> dict[str, float]:
    """From the timestamped log: how long nbgrader spent autograding each notebook."""
    stamp = re.compile(r"^(\d\d:\d\d:\d\d) \[AutogradeApp \| \w+\] (.*)$")
    started, took = {}, {}
    for line in log.split("\n"):
        m = stamp.match(line)
        if not m:
            continue
        at = datetime.strptime(m.group(1), "%H:%M:%S")
        if m.group(2).startswith("Autograding ") and "/autograded/" in m.group(2):
            started[m.group(2).split("/autograded/")[1].split("/")[0]] = at
        elif m.group(2).startswith("Writing ") and "/autograded/" in m.group(2):
            student = m.group(2).split("/autograded/")[1].split("/")[0]
            if student in started and student not in took:
                took[student] = (at - started[student]).total_seconds() % 86400
    return took


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


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
    assert run["feedback_returncode"] == 0, run["feedback_log"][-3000:]


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_short_cell_timeout_took_effect(runs, assignment):
    """With the course's 600 s per cell, the hangs alone would take 10 minutes."""
    run = runs[assignment]
    assert _seconds_per_student(run["log"], assignment)["hangs"] < 600
    outputs = h.outputs_of(run["root"], "hangs", assignment)
    answer = [o.get("ename") for o in outputs["dropout_answer"] if o.get("output_type") == "error"]
    assert "CellTimeoutError" in answer, answer
    if assignment == "spotify":  # the loop ignored the interrupt: the kernel was replaced
        assert any("did not stop when interrupted" in o.get("evalue", "") for o in outputs["dropout_answer"])


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_set_up_ran_in_every_kernel(runs, assignment):
    """Everything the kernel side of this corpus shows (kernel deaths, the witness cells,
    what the cheater reached) needs the set-up cell to finish within CELL_TIMEOUT; on a
    machine too busy for that, say so rather than fail obscurely below."""
    run = runs[assignment]
    for student, sub in run["submissions"].items():
        if sub.outcome == "graded":
            errors = [o.get("ename") for o in h.outputs_of(run["root"], student, assignment)["setup"]
                      if o.get("output_type") == "error"]
            assert errors == [], (f"{student}: the set-up cell failed ({errors}): the machine may be too busy "
                                  f"for the {CELL_TIMEOUT} s cell timeout")


# ---------------------------------------------------------------- every student's score

@pytest.mark.parametrize("assignment, kind", CASES, ids=[f"{a}-{k.__name__}" for a, k in CASES])
def test_exact_score(runs, assignment, kind):
    """Each test cell's exact score, its flag for review, the error it shows (the
    grader's verdict, never what the kernel printed) and the answer cell's comment."""
    run = runs[assignment]
    student = corpus.student_name(kind)
    sub = run["submissions"][student]
    autograded = h.notebook_path(run["root"], f"autograded/{student}", assignment)
    if sub.outcome == "absent":
        assert student not in run["scores"]
        return
    got = run["scores"][student]
    points = {corpus.test_cell(assignment, q): p for q, p in corpus.points(assignment).items()}
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
    assert {name for name in points if got["cells"][name][1]} == sub.review, kind.__doc__
    outputs = h.outputs_of(run["root"], student, assignment)
    for cell in points:
        shown = [o.get("ename") for o in outputs[cell] if o.get("output_type") == "error"]
        assert shown == ([sub.error(cell)] if sub.error(cell) else []), (cell, outputs[cell])
        assert [o.output_type for o in outputs[cell]][:1] == ["display_data"]  # the verdict's box
        assert not [o for o in outputs[cell] if o.get("output_type") == "execute_result"]  # no partial credit
    with h.gradebook(run["root"]) as gb:
        for q in corpus.questions(assignment):
            comment = gb.find_comment(corpus.answer_cell(assignment, q), assignment, assignment, student)
            flagged = (comment.auto_comment or "").startswith("Flagged for review")
            assert flagged == (corpus.test_cell(assignment, q) in sub.review), (q, comment.auto_comment)


@pytest.mark.parametrize("kind", corpus.KINDS, ids=[k.__name__ for k in corpus.KINDS])
def test_docstrings_state_the_expectations(runs, kind):
    """Each builder's docstring ends in ``Expected: red_wine N (flagged: ...), spotify M``
    (or ``failed``/``absent``); it must say what the builder returns."""
    claim = re.search(r"Expected: (.*?)\.?\s*$", kind.__doc__, re.DOTALL).group(1)
    for assignment in h.ASSIGNMENTS:
        sub = runs[assignment]["submissions"][corpus.student_name(kind)]
        if sub.outcome != "graded":
            assert claim == sub.outcome
            continue
        m = re.search(rf"{assignment} (\d+)(?: \(flagged: ([a-z_, ]+)\))?", claim)
        assert m, claim
        flagged = {corpus.test_cell(assignment, q.strip()) for q in (m.group(2) or "").split(",") if q.strip()}
        assert (float(m.group(1)), flagged) == (sub.total, sub.review), (assignment, claim)


# ---------------------------------------------------------------- what a kind must also show

KERNEL_KILLERS = {"red_wine": ("batchnorm_answer", "input_bn_answer"),
                  "spotify": ("dropout_answer", "batchnorm_answer")}


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_kernel_deaths_are_recorded_and_the_rest_ran(runs, assignment):
    run = runs[assignment]
    nb = h.read(h.notebook_path(run["root"], "autograded/exits", assignment))
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    for killer in KERNEL_KILLERS[assignment]:
        at = ids.index(killer)
        assert [o.ename for o in nb.cells[at].outputs if o.output_type == "error"] == ["KernelDied"], killer
        assert all(c.execution_count for c in nb.cells[at + 1:] if c.cell_type == "code")


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_gigantic_output_is_truncated(runs, assignment):
    """nbgrader keeps 1000 lines per cell; the grader's runner keeps at most
    MAX_CELL_OUTPUT characters per cell (the 50 MB come as one long line), and refuses
    unread any message over the kernel's MAX_MESSAGE_BYTES (the cell then fails and the
    kernel is replaced: which happens depends on how the kernel batches what it captured)."""
    from utils.sandbox.runner import MAX_CELL_OUTPUT

    run = runs[assignment]
    path = h.notebook_path(run["root"], "autograded/floods", assignment)
    outputs = h.outputs_of(run["root"], "floods", assignment)
    printed = {cell: "".join(o.get("text", "") for o in outputs[cell])
               for cell in ("dropout_answer", "batchnorm_answer")}
    assert "Output truncated" in printed["dropout_answer"]  # nbgrader's LimitOutput
    refused = [o for o in outputs["batchnorm_answer"] if o.get("ename") == "CellTimeoutError"]
    assert "output truncated by the grader" in printed["batchnorm_answer"] or refused
    assert all(len(text) <= MAX_CELL_OUTPUT + 100 for text in printed.values())
    assert path.stat().st_size < 2 * MAX_CELL_OUTPUT + 1_000_000


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_cheater_reached_nothing(runs, assignment):
    run = runs[assignment]
    outputs = h.outputs_of(run["root"], "cheater", assignment)
    printed = "".join(o.get("text", "") for o in outputs["dropout_answer"])
    assert printed.strip() == "reached: []"


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_forgeries_fool_the_kernel_but_not_the_grader(runs, assignment):
    """The witness cell shows what the student's own kernel concluded: each forgery the
    corpus says fools it did (so the attack is live), while the grades above are 0."""
    run = runs[assignment]
    for student, sub in run["submissions"].items():
        if sub.witness is None:
            continue
        nb = h.read(h.notebook_path(run["root"], f"autograded/{student}", assignment))
        printed = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", [])
                          if o.get("output_type") == "stream")
        said = re.search(r"^WITNESS (.*)$", printed, re.MULTILINE)
        assert said, (student, nb.cells[-1].get("outputs"))
        assert json.loads(said.group(1)) == sub.witness, student
        assert run["scores"][student]["code"] == 0


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_test_cells_ran_despite_skip_execution_tags(runs, assignment):
    """forges-grading tagged every test cell skip-execution (nbclient would skip them,
    and nbgrader give full points for a cell without an error): they ran all the same."""
    run = runs[assignment]
    submitted = h.read(h.notebook_path(run["root"], "submitted/forges-grading", assignment))
    graded = h.read(h.notebook_path(run["root"], "autograded/forges-grading", assignment))
    tests = {corpus.test_cell(assignment, q) for q in corpus.questions(assignment)}
    assert all("skip-execution" in c.metadata.get("tags", []) for c in submitted.cells
               if c.metadata.get("nbgrader", {}).get("grade_id") in tests)
    ran = [c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") in tests]
    assert len(ran) == len(tests)
    assert all(c.execution_count and "skip-execution" not in c.metadata.get("tags", []) for c in ran)


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_linked_files_reach_neither_autograded_nor_feedback(runs, assignment):
    """nbgrader copied what each handed-in file link points to (the log says so); the
    grader dropped every copy, so autograded/links/ and feedback/links/ hold only the
    notebook and its page, and nothing of any link's target is in them."""
    run = runs[assignment]
    root = run["root"]
    for name, (_target, mark) in corpus.LINKED.items():
        path = root / "submitted" / "links" / assignment / name
        if path.is_file():  # the attack is live: the target holds what would betray it
            assert mark.encode() in path.read_bytes() or name == "environ.txt", name
            assert re.search(rf"Copying \S*/links/{assignment}/{re.escape(name)} -> ", run["log"]), name
        assert f"Dropped {name}: it was handed in as a symbolic link" in run["log"], name
    autograded, feedback = root / "autograded" / "links" / assignment, root / "feedback" / "links" / assignment
    assert sorted(_files(autograded)) == [f"{assignment}.ipynb"]
    assert sorted(_files(feedback)) == [f"{assignment}.html"]
    for folder in (autograded, feedback):
        for relative, data in _files(folder).items():
            for name, (_, mark) in corpus.LINKED.items():
                assert mark.encode() not in data, (relative, name)


def test_instructors_environment_is_in_no_notebook_or_page(runs):
    """nbgrader ran with a token in its environment (corpus.SECRET_NAME); no kernel, no
    judge and no copied /proc/self/environ brought it into any student's files."""
    for run in runs.values():
        for top in ("autograded", "feedback"):
            for relative, data in _files(run["root"] / top).items():
                assert corpus.SECRET.encode() not in data, relative


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_stopped_kernel_costs_at_most_its_budget(runs, assignment):
    """stops SIGSTOPped its parent and every process it could see: it saw only its own
    sandbox (its first process, which ignores the signal, and itself), the cell timed out,
    the kernel was replaced, and the notebook took no longer than its wall budget."""
    from utils.sandbox.execute import STARTUP_MARGIN, SandboxedExecute

    run = runs[assignment]
    outputs = h.outputs_of(run["root"], "stops", assignment)
    printed = "".join(o.get("text", "") for o in outputs["dropout_answer"] if o.get("output_type") == "stream")
    assert re.search(r"parent 1 sees \[1, 2\]", printed), printed
    assert any("did not stop when interrupted" in o.get("evalue", "") for o in outputs["dropout_answer"])
    source = h.read(h.notebook_path(h.REPO, "solutions", assignment))
    cap = SandboxedExecute().submission_timeout
    budget = min(cap, CELL_TIMEOUT * sum(c.cell_type == "code" for c in source.cells)) + STARTUP_MARGIN
    took = _seconds_per_student(run["log"], assignment)
    assert took["stops"] <= budget, (took["stops"], budget)


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_forged_log_lines_never_reach_the_instructor(runs, assignment):
    """forges-log printed fake ``[AutogradeApp | INFO]`` lines with ANSI escapes to every
    stream it could reach, and made the grader quote one in a reason for review. The
    notebook keeps what the kernel printed; the autograde and feedback logs show the
    quoted reason escaped on one line, and nothing else of it."""
    run = runs[assignment]
    outputs = h.outputs_of(run["root"], "forges-log", assignment)
    assert corpus.FORGED_MARK in "".join(o.get("text", "") for o in outputs["dropout_answer"])  # the attack ran
    quoted = False
    for log in (run["log"], run["feedback_log"]):
        # nbgrader's own lines that name the forged file are the subject of the next test
        pieces = _lines(re.sub(LOGGED_FORGED_NAME, "<the forged file name>", log))
        assert not [p for p in pieces if p.lstrip().startswith(f"[AutogradeApp | INFO] {corpus.FORGED_MARK}")]
        for piece in pieces:
            assert not CONTROL.search(piece), repr(piece)
            if corpus.FORGED_MARK in piece:
                assert "batchnorm_check needs manual review" in piece and "\\x1b[2K\\r" in piece, piece
                quoted = True
    assert quoted, "the grader did not quote the forged reason: the attack did not reach the log"


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_file_names_cannot_forge_log_lines(runs, assignment):
    pieces = _lines(runs[assignment]["log"])
    assert not [p for p in pieces if p.lstrip().startswith(f"[AutogradeApp | INFO] {corpus.FORGED_NAME_MARK}")]


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


# ---------------------------------------------------------------- the same corpus, graded in parallel

PARALLEL_ARGS = ("--workers", "2", "--batch", "3")


@pytest.fixture(scope="module")
def parallel_runs(runs, tmp_path_factory):
    """Issue #18: the very same submissions (copied byte for byte, links as links) in a
    fresh course per exercise, with the same bystander, graded by the parallel command
    (``python -m utils.grade``: a LocalCluster of two workers, three submissions per
    nbgrader run, the same cell timeout), one exercise after the other."""
    results = {}
    for assignment, serial in runs.items():
        root = _course(tmp_path_factory.mktemp(f"parallel-{assignment}"), assignment)
        shutil.copytree(serial["root"] / "submitted", root / "submitted", symlinks=True)
        grades_link = root / "submitted" / "links" / assignment / "grades.db"
        grades_link.unlink()  # it pointed at the serial course's gradebook: now at this one's
        grades_link.symlink_to(root / "gradebook.db")
        _add_bystander(root, assignment)
        before = _snapshot(root)
        tmp = root.parent / f"tmp-parallel-{assignment}"
        tmp.mkdir()
        started = time.monotonic()
        done = subprocess.run([str(h.BIN / "python"), "-m", "utils.grade", assignment, "--no-progress",
                               *PARALLEL_ARGS, f"--SandboxedExecute.timeout={CELL_TIMEOUT}"],
                              cwd=root, env=_start_env(tmp), capture_output=True, text=True, timeout=2400)
        results[assignment] = {"root": root, "before": before, "after": _snapshot(root), "done": done,
                               "scores": h.scores(root, assignment), "tmp": tmp,
                               "seconds": time.monotonic() - started}
    print("\nparallel corpus: " + ", ".join(f"{a} {r['seconds']:.0f} s" for a, r in results.items()))
    return results


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_parallel_path_gives_the_serial_scores_flags_and_comments(runs, parallel_runs, assignment):
    """Every student's every cell: score, manual score, flag for review, automatic
    comment, timestamp and late penalty, exactly as serial ``nbgrader autograde`` wrote them."""
    serial, parallel = runs[assignment], parallel_runs[assignment]
    assert parallel["scores"] == serial["scores"], parallel["done"].stdout[-3000:]
    assert h.gradebook_rows(parallel["root"]) == h.gradebook_rows(serial["root"])
    assert len(serial["scores"]) >= len(corpus.KINDS) - 3  # the corpus did reach both gradebooks


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_parallel_path_reports_exactly_the_broken_notebooks(runs, parallel_runs, assignment):
    done = parallel_runs[assignment]["done"]
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    submissions = runs[assignment]["submissions"]
    failed = {s for s, sub in submissions.items() if sub.outcome == "failed"}
    graded = {s for s, sub in submissions.items() if sub.outcome == "graded"}
    flagged = {s for s, sub in submissions.items() if sub.outcome == "graded" and sub.review}
    assert f"{assignment}: {len(graded)} graded, {len(failed)} failed, {len(flagged)} flagged" in done.stdout, \
        done.stdout
    listed = done.stdout.split("failed (no autograded notebook", 1)[1].split("flagged for review", 1)[0]
    assert {line.split(":", 1)[0].strip() for line in listed.splitlines()[1:] if line.strip()} == failed


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_parallel_path_keeps_the_gradebook_and_submissions_safe(parallel_runs, assignment):
    run = parallel_runs[assignment]
    assert run["after"]["tables"] == run["before"]["tables"]
    assert run["after"]["bystander"] == run["before"]["bystander"] and run["before"]["bystander"]
    assert run["after"]["submitted"] == run["before"]["submitted"]
    shown = run["done"].stdout + run["done"].stderr
    for piece in _lines(shown):  # as a terminal shows it: forged lines and escapes arrive quoted
        assert not CONTROL.search(piece), repr(piece)
        assert not piece.lstrip().startswith(("[AutogradeApp | INFO] " + corpus.FORGED_MARK,
                                              "[AutogradeApp | INFO] " + corpus.FORGED_NAME_MARK)), piece
    assert corpus.SECRET not in shown


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


def test_nothing_is_left_after_parallel_grading_either(parallel_runs):
    test_nothing_is_left_running_or_lying_around(parallel_runs)
