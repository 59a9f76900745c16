"""The work one Dask task does: grade a batch of submissions in a throw-away course.

Runs on a Dask worker (this machine's LocalCluster or a remote one). Everything
comes in as bytes and plain data, nothing as a path of the instructor's machine:

- ``shared`` (the same for every task of a run, scattered once): the course's
  ``nbgrader_config.py``, the assignment's source folder, a definitions-only copy
  of the gradebook (assignments, notebooks, cells; no student, no grade), the
  nbgrader options and the training mode;
- ``batch``: for each submission, a placeholder student id (``student000`` ...), the
  files of ``submitted/<student>/<assignment>/`` as they were on disk (symbolic
  links recorded as links, never followed), and that student's own gradebook rows
  for this assignment (an earlier submission, manual scores, an extension), so that
  nbgrader sees exactly what it would see in the real course.

The task lays that out in a temporary folder and runs the real
``nbgrader autograde <assignment> --force`` there, as a subprocess with a time
limit, so the course's sandbox and judge (``nbgrader_config.py``) apply unchanged.
It returns, per placeholder, plain data: whether nbgrader graded it, the files of
its autograded folder, and the rows nbgrader wrote for it (timestamp, late penalty,
each grade's automatic score and manual-grading flag, each automatic comment). The
coordinator (``utils.grade.run``) alone writes them into the real course.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path, PurePosixPath

LOG_TAIL = 40_000            # characters of nbgrader's log kept per task
SOURCE, SUBMITTED, AUTOGRADED = "source", "submitted", "autograded"
LINK_TARGET = ".handed-in-link"  # what a handed-in link whose target exists points to here
MISSING_TARGET = ".no-such-file"  # ... and one whose target does not exist


def placeholder(index: int) -> str:
    return f"student{index:03d}"


def safe_relative(rel: str) -> PurePosixPath:
    """A relative path that stays inside the folder it is joined to."""
    parts = rel.split("/")
    if not rel or "\0" in rel or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"unsafe relative path {rel!r}")
    return PurePosixPath(rel)


def grade_batch(shared: dict, batch: list[dict]) -> dict:
    """Grade ``batch`` (see the module docstring); never raises for a submission's sake."""
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="course-parallel-"))
    try:
        result = _grade(tmp, shared, batch)
    except Exception as err:  # the task itself failed (disk full, a bad payload): all are errors
        result = {"students": {s["id"]: {"status": "error", "reason": f"the grading task failed: "
                                                                    f"{type(err).__name__}: {err}"}
                               for s in batch}, "log": ""}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["seconds"] = time.monotonic() - started
    result["worker"] = socket.gethostname()
    return result


# ---------------------------------------------------------------- the throw-away course

def _grade(tmp: Path, shared: dict, batch: list[dict]) -> dict:
    assignment = shared["assignment"]
    (tmp / "nbgrader_config.py").write_bytes(shared["config"])
    _write_files(tmp / SOURCE / assignment, [("file", rel, 0o644, data) for rel, data in shared["source"].items()], tmp)
    (tmp / "gradebook.db").write_bytes(shared["gradebook"])
    _insert_rows(tmp / "gradebook.db", [s["rows"] for s in batch])
    for student in batch:
        _write_files(tmp / SUBMITTED / student["id"] / assignment, student["files"], tmp)
    (tmp / LINK_TARGET).write_bytes(b"")

    returncode, log, timed_out = _run_nbgrader(tmp, shared)
    students = {}
    for student in batch:
        students[student["id"]] = _outcome(tmp, assignment, student["id"], returncode, log, timed_out,
                                           shared["timeout"])
    return {"students": students, "log": log[-LOG_TAIL:]}


def _write_files(folder: Path, entries: list, tmp: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        kind, rel = entry[0], safe_relative(entry[1])
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "dir":
            path.mkdir(exist_ok=True)
        elif kind == "file":
            path.write_bytes(entry[3])
            path.chmod(entry[2] & 0o755 | 0o600)
        elif kind == "link":
            # nbgrader copies what a link points to into the folder it grades in, and the
            # sandbox then drops that copy; here the link points to an empty file (or, if its
            # target did not exist where it was handed in, to nothing), so nothing of this
            # machine is read, and nbgrader does what it would have done in the course.
            path.symlink_to(tmp / (LINK_TARGET if entry[2] else MISSING_TARGET))
        else:
            raise ValueError(f"unknown entry kind {kind!r}")


def _insert_rows(db_path: Path, row_sets: list[dict]) -> None:
    """The students' own rows (already renamed to their placeholders), as they are in the
    real gradebook, into the definitions-only copy."""
    db = sqlite3.connect(db_path)
    try:
        for rows in row_sets:
            for table in ("student", "submitted_assignment", "submitted_notebook", "grade", "comment"):
                block = rows.get(table)
                if not block or not block["rows"]:
                    continue
                columns = ", ".join(f'"{c}"' for c in block["columns"])
                marks = ", ".join("?" * len(block["columns"]))
                db.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', block["rows"])
        db.commit()
    finally:
        db.close()


def _run_nbgrader(tmp: Path, shared: dict) -> tuple[int | None, str, bool]:
    env = {k: v for k, v in os.environ.items() if k not in ("NBGRADER_EXECUTION", "COURSE_FAST_MODE")}
    env.update(shared["env"])
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    cmd = [sys.executable, "-m", "nbgrader", "autograde", shared["assignment"], "--force",
           f"--CourseDirectory.root={tmp}", f"--CourseDirectory.db_url=sqlite:///{tmp / 'gradebook.db'}",
           f"--CourseDirectory.source_directory={SOURCE}",
           f"--CourseDirectory.submitted_directory={SUBMITTED}",
           f"--CourseDirectory.autograded_directory={AUTOGRADED}",
           "--CourseDirectory.directory_structure={nbgrader_step}/{student_id}/{assignment_id}",
           "--CourseDirectory.student_id_exclude=", "--Autograde.create_student=True",
           *shared["nbgrader_args"]]
    process = subprocess.Popen(cmd, cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = process.communicate(timeout=shared["timeout"])
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, _ = process.communicate()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, out.decode("utf-8", "replace"), timed_out


# ---------------------------------------------------------------- what came out

def _outcome(tmp: Path, assignment: str, student: str, returncode, log: str, timed_out: bool, timeout) -> dict:
    named = f"There was an error processing assignment '{assignment}' for student '{student}'" in log
    folder = tmp / AUTOGRADED / student / assignment
    if timed_out:
        return {"status": "error", "reason": f"grading took longer than the task's limit of {timeout:.0f} s"}
    if returncode == 0 or (returncode == 1 and not named and folder.is_dir()):
        status = "graded"
    elif returncode == 1 and named:
        status = "failed"
    else:
        last = [line for line in log.strip().splitlines() if line.strip()][-1:] or ["(no output)"]
        return {"status": "error", "reason": f"nbgrader exited with status {returncode}: {last[0][:300]}"}
    outcome = {"status": status, "rows": _read_rows(tmp / "gradebook.db", assignment, student)}
    if status == "graded":
        outcome["files"] = _read_files(folder)
    else:
        outcome["reason"] = failure_reason(log, student, assignment)
    return outcome


def failure_reason(log: str, student: str, assignment: str) -> str:
    """The error nbgrader logged for this student: the last line of its traceback, or its message."""
    lines = log.splitlines()
    marker = re.compile(rf"There was an error processing assignment: "
                        rf".*[/\\]{re.escape(student)}[/\\]{re.escape(assignment)}$")
    for at, line in enumerate(lines):
        if marker.search(line):
            block = []
            for following in lines[at + 1:]:
                if following.startswith("[") and block:
                    break
                block.append(following)
            text = [b.strip() for b in block if b.strip() and not b.startswith("[")]
            if text:
                return text[-1][:500]
    errors = [line for line in lines if "| ERROR]" in line and "There was an error" not in line]
    return errors[0].split("]", 1)[-1].strip()[:500] if errors else "nbgrader reported an error"


def _read_rows(db_path: Path, assignment: str, student: str) -> dict | None:
    """What nbgrader wrote for ``student`` (None if it recorded no submission)."""
    from nbgrader.api import Gradebook, MissingEntry

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's notes from inside nbgrader's API
        with Gradebook(f"sqlite:///{db_path}") as gb:
            try:
                submission = gb.find_submission(assignment, student)
            except MissingEntry:
                return None
            notebooks = {}
            for nb in submission.notebooks:
                notebooks[nb.name] = {
                    "late_submission_penalty": nb.late_submission_penalty,
                    "grades": {g.name: [g.auto_score, bool(g.needs_manual_grade)] for g in nb.grades},
                    "comments": {c.name: c.auto_comment for c in nb.comments},
                }
            timestamp = submission.timestamp
            return {"timestamp": timestamp.isoformat() if timestamp else None, "notebooks": notebooks}


def _read_files(folder: Path) -> list:
    found = []
    for parent, dirs, files in os.walk(folder):
        for name in sorted(files):
            path = Path(parent) / name
            if path.is_symlink() or not path.is_file():
                continue
            found.append(("file", path.relative_to(folder).as_posix(), path.stat().st_mode & 0o777, path.read_bytes()))
        for name in sorted(dirs):
            if not (Path(parent) / name).is_symlink():
                found.append(("dir", (Path(parent) / name).relative_to(folder).as_posix()))
    return found
