"""Parallel grading (``python -m utils.grade``) against serial ``nbgrader autograde``,
end to end, with the real sandbox and judge (fast mode, red_wine).

Two identical courses receive the same small class: the solution, the untouched
release, a partly correct notebook, two kinds of the bad-submission corpus (a broken
file, a kernel that dies), a late submission, a student graded by hand before, a
student whose folder name holds control characters, and one who hands in symbolic
links (to the gradebook, the solution, a folder) beside a correct notebook. One course
is graded by ``nbgrader autograde``, the other by the parallel command on a LocalCluster of two workers, two submissions
per nbgrader run (``--batch 2``): every cell's
score and manual-grading flag, every automatic comment, timestamp and late penalty,
the autograded notebooks and the failures must be the same.

Then a real ``dask scheduler`` and two ``dask worker`` processes (127.0.0.1, free
ports) grade part of the class through ``--scheduler``, with the same scores.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import _nbgrader_helpers as h
import corpus

pytestmark = pytest.mark.slow

ASSIGNMENT = "red_wine"
KINDS = [corpus.solution, corpus.untouched, corpus.partial, corpus.invalid_json, corpus.exits]
LATE, REGRADE, ODD, LINKED = "late", "graded-before", "odd \x1b[31mname", "linked"
DUE, HANDED_IN = "2030-01-01 00:00:00 UTC", "2030-01-02 12:00:00 UTC"
CLUSTER_STUDENTS = ("solution", "partial", "invalid-json")
# As the README starts a scheduler: one task per worker at a time, a task fails after
# killing 3 workers.
SCHEDULER_ENV = {"DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0",
                 "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "2"}


def _build(root: Path, kinds=KINDS, extras: bool = True, same_as: Path | None = None) -> Path:
    """A course with the class handed in; ``same_as``: with exactly the submissions of that
    course (the corpus gives new cells fresh random ids each time it builds a notebook)."""
    h.make_course(root)
    h.generate(root, ASSIGNMENT)
    if same_as is None:
        _hand_in(root, kinds, extras)
    else:
        shutil.copytree(same_as / "submitted", root / "submitted", symlinks=True)
        if extras:
            (root / "submitted" / LINKED / ASSIGNMENT / "grades.db").unlink()
            (root / "submitted" / LINKED / ASSIGNMENT / "grades.db").symlink_to(root / "gradebook.db")
    if extras:
        _seed_gradebook(root)
    return root


def _hand_in(root: Path, kinds, extras: bool) -> None:
    release = h.read(h.notebook_path(root, "exercises", ASSIGNMENT))
    context = corpus.Context(course=root)
    handed_in = {corpus.student_name(kind): kind(release, ASSIGNMENT, context) for kind in kinds}
    if extras:
        handed_in[LATE] = corpus.solution(release, ASSIGNMENT, context)
        handed_in[REGRADE] = corpus.partial(release, ASSIGNMENT, context)
        handed_in[ODD] = corpus.solution(release, ASSIGNMENT, context)
        handed_in[LINKED] = corpus.solution(release, ASSIGNMENT, context)
        handed_in[LINKED].links = {"solution.txt": f"../../../solutions/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
                                   "grades.db": str(root / "gradebook.db"),
                                   "folder": "../../../solutions"}
    for student, sub in handed_in.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        if sub.notebook is not None:
            (folder / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(sub.notebook, indent=1), encoding="utf-8")
        for relative, data in sub.files.items():
            (folder / relative).write_bytes(data)
        for relative, target in sub.links.items():
            (folder / relative).symlink_to(target)
    if extras:
        (root / "submitted" / LATE / ASSIGNMENT / "timestamp.txt").write_text(HANDED_IN)


def _seed_gradebook(root: Path) -> None:
    """A due date (LATE is late), and REGRADE graded by hand before this autograde."""
    from nbgrader.api import Gradebook

    with warnings.catch_warnings(), Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        warnings.simplefilter("ignore")
        gb.update_or_create_assignment(ASSIGNMENT, duedate=DUE)
        gb.add_student(REGRADE)
        gb.add_submission(ASSIGNMENT, REGRADE)
        gb.find_grade("dropout_check", ASSIGNMENT, ASSIGNMENT, REGRADE).manual_score = 1.0
        gb.db.commit()


def _env() -> dict[str, str]:
    env = {**os.environ, "PATH": f"{h.BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("NBGRADER_EXECUTION", None)
    env.pop("COURSE_FAST_MODE", None)
    return env


def _parallel(root: Path, *args: str, timeout: float = 1500) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "utils.grade", ASSIGNMENT, "--no-progress", *args], cwd=root,
                          env=_env(), capture_output=True, text=True, timeout=timeout)


def _shown(outputs: list) -> list:
    """Outputs as a reader sees them: consecutive stream chunks joined (how the kernel
    splits them depends on timing), each line as it ends up after carriage returns."""
    if any(o.get("ename") == "KernelDied" for o in outputs):
        # what reached the notebook before the kernel died depends on timing: only the errors count
        outputs = [o for o in outputs if o.get("output_type") == "error"]
    shown = []
    for o in outputs:
        if o.get("output_type") == "stream" and shown and shown[-1][0] == "stream" and shown[-1][1] == o.get("name"):
            shown[-1] = ("stream", o.get("name"), shown[-1][2] + "".join(o.get("text", "")))
        elif o.get("output_type") == "stream":
            shown.append(("stream", o.get("name"), "".join(o.get("text", ""))))
        else:
            shown.append((o.get("output_type"), o.get("ename"), sorted(o.get("data", {}))))
    return [(kind, name, [line.rsplit("\r", 1)[-1] for line in text.split("\n")] if kind == "stream" else text)
            for kind, name, text in shown]


def _notebook_shape(path: Path) -> list:
    """What a grader reads in an autograded notebook: each cell's id, type, source,
    metadata (but when it ran) and outputs."""
    nb = h.read(path)
    return [(c.get("id"), c.cell_type, c.source,
             json.dumps({k: v for k, v in c.metadata.items() if k != "execution"}, sort_keys=True),
             _shown(c.get("outputs", []))) for c in nb.cells]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("parallel")
    serial = _build(base / "serial")
    parallel = _build(base / "parallel", same_as=serial)
    before = h.file_hashes(parallel / "submitted")
    started = time.monotonic()
    serial_run = h.nbgrader(serial, "autograde", ASSIGNMENT, "--force", check=False)
    serial_s = time.monotonic() - started
    started = time.monotonic()
    parallel_run = _parallel(parallel, "--workers", "2", "--batch", "2")  # batches here, single tasks below
    parallel_s = time.monotonic() - started
    return {"serial": serial, "parallel": parallel, "serial_run": serial_run, "parallel_run": parallel_run,
            "submitted_before": before, "serial_s": serial_s, "parallel_s": parallel_s}


def test_both_report_the_broken_notebook_and_exit_1(graded):
    assert graded["serial_run"].returncode == 1
    run = graded["parallel_run"]
    assert run.returncode == 1, run.stdout + run.stderr[-3000:]
    summary = run.stdout
    assert "8 graded, 1 failed" in summary, summary
    assert "invalid-json: nbformat.reader.NotJSONError" in summary or "invalid-json: " in summary
    assert "on 2 workers (this machine, fast mode)" in summary


def test_identical_scores_flags_comments_timestamps(graded):
    serial, parallel = h.scores(graded["serial"], ASSIGNMENT), h.scores(graded["parallel"], ASSIGNMENT)
    assert set(serial) == {corpus.student_name(k) for k in KINDS} | {LATE, REGRADE, ODD, LINKED}
    assert parallel == serial
    assert h.gradebook_rows(graded["parallel"]) == h.gradebook_rows(graded["serial"])
    # ... and the cases that make that comparison mean something:
    assert serial["solution"]["code"] == sum(corpus.points(ASSIGNMENT).values()) == 9  # red_wine
    assert serial["partial"]["code"] == 2
    assert serial[REGRADE]["cells"]["dropout_check"] == (1.0, True)   # manual grade kept, flagged
    late = [r for r in h.gradebook_rows(graded["parallel"])["submissions"] if r[0] == LATE]
    assert late and late[0][1].startswith("2030-01-02 12:00:00")
    broken = [r for r in h.gradebook_rows(graded["parallel"])["grades"] if r[0] == "invalid-json"]
    assert broken and all(auto is None and needs_manual for _, _, auto, _, needs_manual in broken)


def test_equivalent_autograded_notebooks_and_failures(graded):
    serial_root, parallel_root = graded["serial"], graded["parallel"]
    students = sorted(p.name for p in (serial_root / "autograded").iterdir() if not p.name.startswith("."))
    assert students == sorted(p.name for p in (parallel_root / "autograded").iterdir() if not p.name.startswith("."))
    assert "invalid-json" not in students and ODD in students
    for student in students:
        serial_folder, parallel_folder = (r / "autograded" / student / ASSIGNMENT for r in (serial_root, parallel_root))
        assert sorted(p.name for p in serial_folder.iterdir()) == sorted(p.name for p in parallel_folder.iterdir())
        assert _notebook_shape(parallel_folder / f"{ASSIGNMENT}.ipynb") == \
            _notebook_shape(serial_folder / f"{ASSIGNMENT}.ipynb"), student
        assert (parallel_folder / f"{ASSIGNMENT}.ipynb").stat().st_mode & 0o777 == \
            (serial_folder / f"{ASSIGNMENT}.ipynb").stat().st_mode & 0o777
    # what the links pointed to was never copied into autograded/ (the sandbox drops nbgrader's copies)
    graded_files = sorted(p.name for p in (parallel_root / "autograded" / LINKED / ASSIGNMENT).iterdir())
    assert graded_files == [f"{ASSIGNMENT}.ipynb"]


def test_submitted_files_untouched_and_names_escaped(graded):
    assert h.file_hashes(graded["parallel"] / "submitted") == graded["submitted_before"]
    run = graded["parallel_run"]
    assert "\x1b" not in run.stdout + run.stderr


def test_rerun_grades_nothing_unchanged(graded):
    run = _parallel(graded["parallel"], "--workers", "2")
    assert "0 graded, 1 failed" in run.stdout and "8 unchanged" in run.stdout, run.stdout
    assert h.scores(graded["parallel"], ASSIGNMENT) == h.scores(graded["serial"], ASSIGNMENT)


# ---------------------------------------------------------------- a real Dask cluster

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_real_scheduler_and_two_workers_give_identical_scores(graded, tmp_path):
    """The README's cluster recipe on one machine: ``dask scheduler`` and two ``dask worker``
    processes on 127.0.0.1, the grader talking to them with ``--scheduler``."""
    root = _build(tmp_path / "cluster", kinds=[corpus.solution, corpus.partial, corpus.invalid_json], extras=False)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(h.BIN / "dask")
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = []
    try:
        processes.append(subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            env={**_env(), **SCHEDULER_ENV}, stdout=open(logs / "scheduler.log", "w"), stderr=subprocess.STDOUT))
        for n in range(2):
            processes.append(subprocess.Popen(
                [dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--nworkers", "1",
                 "--no-dashboard", "--name", f"w{n}"],
                env=_env(), stdout=open(logs / f"worker{n}.log", "w"), stderr=subprocess.STDOUT))
        run = _parallel(root, "--scheduler", address, timeout=900)
        assert run.returncode == 1, run.stdout + run.stderr[-3000:]
        assert "2 graded, 1 failed" in run.stdout and f"({address}, fast mode)" in run.stdout, run.stdout
        assert "2 workers" in run.stdout
        got = h.scores(root, ASSIGNMENT)
        reference = h.scores(graded["serial"], ASSIGNMENT)
        assert got == {s: reference[s] for s in CLUSTER_STUDENTS}
        assert all(p.poll() is None for p in processes), "a Dask process stopped during grading"
    finally:
        _stop(processes)
    assert all(p.poll() is not None for p in processes)
