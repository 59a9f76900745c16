"""utils.grade without TensorFlow: the course side, the task's time limit, and the Dask
coordination (retries, a worker that dies, re-runs) with stand-in tasks on a real
LocalCluster. The real grading, serial against parallel, is in test_parallel_pipeline.py.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import sys
import warnings
from pathlib import Path

import pytest

import _nbgrader_helpers as h
from utils.grade import run as grade_run
from utils.grade.__main__ import main as grade_main, parse as grade_parse
from utils.grade.course import Course, CourseError
from utils.grade.task import failure_reason, grade_batch, safe_relative

ASSIGNMENT = "a"


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A minimal nbgrader course: assignment ``a`` with one notebook ``a`` and one graded
    cell, no students yet."""
    from nbgrader.api import Gradebook

    monkeypatch.setenv("PATH", f"{h.BIN}{os.pathsep}{os.environ.get('PATH', '')}")  # alembic
    root = tmp_path / "course"
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    (root / "source" / ASSIGNMENT / "data.txt").write_text("shared with every student\n")
    (root / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.source_directory = "source"\n')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
            gb.add_assignment(ASSIGNMENT)
            gb.add_notebook(ASSIGNMENT, ASSIGNMENT)
            gb.add_grade_cell("q_check", ASSIGNMENT, ASSIGNMENT, max_score=2, cell_type="code")
            gb.add_solution_cell("q_answer", ASSIGNMENT, ASSIGNMENT)
    return root


def hand_in(root: Path, student: str, content: bytes = b"{}") -> Path:
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{ASSIGNMENT}.ipynb").write_bytes(content)
    return folder


# ---------------------------------------------------------------- stand-in tasks (run on Dask workers)

def fake_task(shared, batch):
    """Grades instantly: 2 points, unless the notebook says ``die`` (the worker process
    exits) or ``fail`` (nbgrader reported an error for it)."""
    students = {}
    for job in batch:
        notebook = next(e[3] for e in job["files"] if e[0] == "file" and e[1].endswith(".ipynb"))
        if notebook == b"die":
            os._exit(3)
        rows = {"timestamp": None, "notebooks": {ASSIGNMENT: {
            "late_submission_penalty": None, "grades": {"q_check": [0.0 if notebook == b"fail" else 2.0, False]},
            "comments": {"q_answer": None}}}}
        if notebook == b"fail":
            students[job["id"]] = {"status": "failed", "reason": f"broken notebook of {job['id']}", "rows": rows}
        else:
            students[job["id"]] = {"status": "graded", "rows": rows,
                                   "files": [("file", f"{ASSIGNMENT}.ipynb", 0o444, notebook)]}
    return {"students": students, "log": "", "seconds": 0.01, "worker": "fake"}


@pytest.fixture(scope="module")
def client():
    """A real LocalCluster with two worker processes, as ``python -m utils.grade`` starts it."""
    client, stop = grade_run.start_client(2, None)
    yield client
    stop()


def by_student(summary) -> dict[str, grade_run.Result]:
    return {r.student: r for r in summary.results}


# ---------------------------------------------------------------- small pieces

@pytest.mark.parametrize("rel", ["../x", "/etc/passwd", "a/../../b", "", "a//b", "a/./b", "a\0b"])
def test_unsafe_relative_paths_are_refused(rel):
    with pytest.raises(ValueError):
        safe_relative(rel)


def test_safe_relative_path_is_kept():
    assert str(safe_relative("data/x.csv")) == "data/x.csv"


def test_failure_reason_is_the_last_line_of_the_students_traceback():
    log = "\n".join([
        "[AutogradeApp | INFO] Creating/updating student with ID 'student001': {}",
        "[AutogradeApp | ERROR] There was an error processing assignment: /tmp/x/submitted/student001/a",
        "[AutogradeApp | ERROR] Traceback (most recent call last):",
        '  File "nbformat/reader.py", line 14, in parse_json',
        "nbformat.reader.NotJSONError: Notebook does not appear to be JSON: '{\\n \"cells\"...",
        "",
        "[AutogradeApp | INFO] Creating/updating student with ID 'student002': {}",
    ])
    assert failure_reason(log, "student001", "a").startswith("nbformat.reader.NotJSONError: Notebook does not")
    assert failure_reason("[AutogradeApp | ERROR] No notebooks found", "student009", "a") == "No notebooks found"


def test_discovery_follows_nbgrader_and_never_follows_links(course, tmp_path):
    alice = hand_in(course, "alice")
    (alice / "notes").mkdir()
    (alice / "notes" / "n.txt").write_text("mine")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # reading it would block: a link to it must never be read
    (alice / "pipe.txt").symlink_to(fifo)
    (alice / "gone.txt").symlink_to(tmp_path / "does-not-exist")
    (alice / "secrets").symlink_to(course)  # a folder
    hand_in(course, ".hidden")                      # nbgrader's glob does not see it either
    hand_in(course, "eve\x1b[2J\nname")             # found; only ever shown escaped
    (course / "submitted" / "linked").symlink_to(course / "submitted" / "alice")
    (course / "submitted" / "empty" / ASSIGNMENT).mkdir(parents=True)
    (course / "submitted" / "empty" / ASSIGNMENT / "notes.txt").write_text("no notebook")
    hand_in(course, "excluded")
    c = Course(course, ASSIGNMENT, ("--CourseDirectory.student_id_exclude=excluded",))
    found, skipped = c.discover()
    assert [f.student for f in found] == ["alice", "eve\x1b[2J\nname"]
    assert {s.student: s.reason for s in skipped} == {
        "linked": "the student's folder is a symbolic link: not graded",
        "empty": "no notebook in the submission folder (nbgrader skips it too)"}
    loaded = c.load(found[0])
    entries = {e[1]: e for e in loaded.entries}
    assert entries["pipe.txt"] == ("link", "pipe.txt", True)
    assert entries["gone.txt"] == ("link", "gone.txt", False)
    assert entries["secrets"] == ("link", "secrets", True)
    assert entries["notes"] == ("dir", "notes")
    assert entries["notes/n.txt"][3] == b"mine"
    assert entries[f"{ASSIGNMENT}.ipynb"][0] == "file"
    before = found[0].digest
    (alice / "notes" / "n.txt").write_text("changed")
    assert c.discover()[0][0].digest != before


def test_template_gradebook_keeps_definitions_and_no_student(course):
    from nbgrader.api import Gradebook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            gb.add_student("bob", first_name="Bob")
            gb.add_submission(ASSIGNMENT, "bob", extension=__import__("datetime").timedelta(days=2))
            gb.find_grade("q_check", ASSIGNMENT, ASSIGNMENT, "bob").manual_score = 1.5
            gb.db.commit()
    c = Course(course, ASSIGNMENT)
    template = course / "template.db"
    template.write_bytes(c.template_gradebook())
    db = sqlite3.connect(template)
    counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("student", "submitted_assignment", "submitted_notebook", "grade", "comment",
                        "assignment", "notebook", "grade_cells")}
    db.close()
    assert counts == {"student": 0, "submitted_assignment": 0, "submitted_notebook": 0, "grade": 0, "comment": 0,
                      "assignment": 1, "notebook": 1, "grade_cells": 1}
    rows = c.own_rows("bob", "student000")
    student = dict(zip(rows["student"]["columns"], rows["student"]["rows"][0]))
    assert student["id"] == "student000" and student["first_name"] == "Bob"
    sub = dict(zip(rows["submitted_assignment"]["columns"], rows["submitted_assignment"]["rows"][0]))
    assert sub["student_id"] == "student000" and sub["extension"]
    grade = dict(zip(rows["grade"]["columns"], rows["grade"]["rows"][0]))
    assert grade["manual_score"] == 1.5
    assert "bob" not in json.dumps(rows)


def test_a_course_without_the_assignment_is_refused(course):
    with pytest.raises(CourseError, match="generate_assignment"):
        Course(course, "nope").check()


def test_the_task_time_limit_stops_nbgrader(course):
    """The real task, with a limit nbgrader cannot meet: an error for that submission, nothing left behind."""
    c = Course(course, ASSIGNMENT)
    folder = hand_in(course, "slow")
    found = c.discover()[0][0]
    shared = {"assignment": ASSIGNMENT, "config": c.config_bytes(), "source": c.source_files(),
              "gradebook": c.template_gradebook(), "env": {}, "nbgrader_args": [], "timeout": 0.3}
    result = grade_batch(shared, [{"id": "student000", "files": c.load(found).entries,
                                   "rows": c.own_rows("slow", "student000")}])
    assert result["students"]["student000"] == {
        "status": "error", "reason": "grading took longer than the task's limit of 0 s"}
    assert (folder / f"{ASSIGNMENT}.ipynb").read_bytes() == b"{}"


# ---------------------------------------------------------------- the coordinator on a real LocalCluster

def test_results_are_recorded_and_reruns_grade_only_changes(course, client):
    for student in ("alice", "bob", "carol"):
        hand_in(course, student, student.encode())
    hand_in(course, "dave", b"fail")
    first = grade_run.grade(course, ASSIGNMENT, client=client, task=fake_task, progress=False)
    got = by_student(first)
    assert {s: r.status for s, r in got.items()} == {"alice": "graded", "bob": "graded", "carol": "graded",
                                                      "dave": "failed"}
    assert got["alice"].score == (2.0, 2.0) and got["dave"].reason == "broken notebook of dave"
    assert first.exit_code == 1
    graded = course / "autograded" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert graded.read_bytes() == b"alice" and stat.S_IMODE(graded.stat().st_mode) == 0o444
    assert not (course / "autograded" / "dave").exists()
    scores = h.scores(course, ASSIGNMENT)
    assert scores["alice"]["cells"] == {"q_check": (2.0, False)}
    assert scores["dave"]["cells"] == {"q_check": (0.0, False)}  # as the task reported it

    second = grade_run.grade(course, ASSIGNMENT, client=client, task=fake_task, progress=False)
    assert {s: r.status for s, r in by_student(second).items()} == {
        "alice": "unchanged", "bob": "unchanged", "carol": "unchanged", "dave": "failed"}
    assert "unchanged since they were last graded" in second.text()

    hand_in(course, "bob", b"bob, corrected")
    third = grade_run.grade(course, ASSIGNMENT, client=client, task=fake_task, progress=False)
    assert {s for s, r in by_student(third).items() if r.status == "graded"} == {"bob"}
    assert (course / "autograded" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes() == b"bob, corrected"

    forced = grade_run.grade(course, ASSIGNMENT, client=client, task=fake_task, progress=False, force=True)
    assert {s for s, r in by_student(forced).items() if r.status == "graded"} == {"alice", "bob", "carol"}


def test_a_submission_that_kills_workers_fails_alone(course, client):
    """Dask runs a task again when its worker dies; after ALLOWED_FAILURES deaths the
    submission fails with that reason. In a batch, the others are then graded one by one."""
    hand_in(course, "alice", b"alice")
    hand_in(course, "bob", b"die")
    hand_in(course, "carol", b"carol")
    summary = grade_run.grade(course, ASSIGNMENT, client=client, task=fake_task, progress=False, batch=2)
    got = by_student(summary)
    assert {s: r.status for s, r in got.items()} == {"alice": "graded", "bob": "error", "carol": "graded"}
    assert "KilledWorker" in got["bob"].reason
    assert "bob" not in h.scores(course, ASSIGNMENT)
    assert "bob: grading it stopped" in summary.text()


def test_progress_and_summary_escape_student_names(course, client, capsys):
    hand_in(course, "eve\x1b[31m\rred", b"fail")
    summary = grade_run.grade(course, ASSIGNMENT, client=client, task=fake_task, progress=True, stream=sys.stderr)
    err = capsys.readouterr().err
    assert "eve\\x1b[31m\\rred: FAILED" in err and "\x1b[31m" not in err
    assert "\x1b" not in summary.text() and "eve\\x1b[31m\\rred" in summary.text()


def test_command_line_passes_only_nbgrader_trait_options():
    with pytest.raises(SystemExit):
        grade_main(["a", "--bogus"])
    with pytest.raises(SystemExit):
        grade_main(["a", "--workers", "0"])


def test_readme_cluster_recipe_is_the_tested_one():
    """The README's commands: the ones tests/test_parallel_pipeline.py runs on 127.0.0.1."""
    import re
    import shlex

    readme = (h.REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Grading a class in parallel, or on a cluster", 1)[1].split("\n### ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)
    commands = [line.split("  #")[0].strip() for line in block.strip().splitlines()]
    assert commands[0] == "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION=1.0 dask scheduler --port 8786"
    assert commands[1] == "dask worker tcp://host:8786 --nworkers $(nproc) --nthreads 1"
    make_args = shlex.split(commands[2])
    assert make_args[:3] == ["make", "grade", "A=spotify"]
    args, extra = grade_parse(["spotify", *shlex.split(make_args[3].split("=", 1)[1])])
    assert args.scheduler == "tcp://host:8786" and extra == ()
    assert "make grade A=spotify " in readme.split("**4. Autograde.**", 1)[1].split("**5.", 1)[0]
    pipeline = (h.REPO / "tests" / "test_parallel_pipeline.py").read_text(encoding="utf-8")
    for piece in ('"scheduler", "--host", "127.0.0.1", "--port"', '"worker", address', '"--nthreads", "1"',
                  '"DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"', '"--scheduler", address'):
        assert piece in pipeline


def test_one_grading_of_a_course_at_a_time(course, capsys):
    c = Course(course, ASSIGNMENT)
    with c.lock():
        with pytest.raises(CourseError, match="another"):
            with Course(course, ASSIGNMENT).lock():
                pass
        assert grade_main([ASSIGNMENT, "--root", str(course), "--no-progress"]) == 2
    assert "is grading this course" in capsys.readouterr().err


# A second LocalCluster beside the module's: distributed says its HTTP port is taken, and
# may leak the socket it probed the port with.
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
@pytest.mark.filterwarnings("ignore:Port 8787 is already in use:UserWarning")
def test_a_local_cluster_leaves_nothing_in_the_temporary_folder(tmp_path, monkeypatch):
    """Dask's workers keep a scratch folder (dask-scratch-space) in the temporary folder
    and leave it behind; the grader's LocalCluster keeps its own and removes it."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    client, stop = grade_run.start_client(1, None)
    try:
        assert client.submit(sum, [1, 2]).result(timeout=60) == 3
    finally:
        stop()
    assert list(tmp_path.iterdir()) == []
