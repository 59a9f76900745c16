"""Helpers for tests that drive the real nbgrader on a temporary copy of the course.

A course copy holds ``nbgrader_config.py`` and ``solutions/``; ``utils`` is not
copied (it is installed, editable, in the environment that runs nbgrader and the
grading kernel). Simulated students are notebooks built from the release:
``solved`` fills in every answer from the source, ``answer`` fills in chosen ones.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat

from utils.grading import rubrics
from utils.questions.registry import exercises

from utils import REPO_ROOT as REPO  # noqa: E402
ASSIGNMENTS = exercises()
BIN = Path(sys.executable).parent
_SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def notebook_path(root: Path, folder: str, assignment: str) -> Path:
    return root / folder / assignment / f"{assignment}.ipynb"


def make_course(root: Path) -> Path:
    """A fresh nbgrader course in ``root``: the config and the source notebooks."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "solutions", root / "solutions",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return root


def nbgrader(root: Path, *args: str, env: dict[str, str] | None = None, check: bool = True,
             timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in the course; the venv's bin/ is put on PATH (alembic)."""
    full_env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    full_env.pop("NBGRADER_EXECUTION", None)
    full_env.pop("COURSE_FAST_MODE", None)
    full_env.update(env or {})
    done = subprocess.run([str(BIN / "nbgrader"), *args], cwd=root, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} exited {done.returncode}:\n"
                             f"{done.stdout[-3000:]}\n{done.stderr[-6000:]}")
    return done


def generate(root: Path, *assignments: str) -> None:
    for assignment in assignments or ASSIGNMENTS:
        nbgrader(root, "generate_assignment", assignment, "--force")


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def solution_sources(assignment: str) -> dict[str, str]:
    """grade_id -> the source's answer for every solution cell (markers removed; a written
    answer without the graders' rubric under it, as a student would write it)."""
    nb = read(notebook_path(REPO, "solutions", assignment))
    return {c.metadata.nbgrader["grade_id"]: rubrics.split(_SOLUTION_MARKERS.sub("", c.source))[0]
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def answer(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of the release with the given answer cells (by grade_id) replaced."""
    nb = nbformat.reads(nbformat.writes(release), as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def solved(release: nbformat.NotebookNode, assignment: str, only: set[str] | None = None):
    """The release with the source's answers in all (or ``only`` these) solution cells."""
    answers = solution_sources(assignment)
    if only is not None:
        answers = {k: v for k, v in answers.items() if k in only}
    return answer(release, answers)


def submit(root: Path, student: str, assignment: str, nb: nbformat.NotebookNode) -> Path:
    path = notebook_path(root, f"submitted/{student}", assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def autograde(root: Path, assignment: str, *, full: bool = False, extra: tuple[str, ...] = ()):
    env = {"COURSE_FAST_MODE": "0"} if full else {}
    return nbgrader(root, "autograde", assignment, "--force", *extra, env=env)


def gradebook(root: Path):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{root / 'gradebook.db'}")


def scores(root: Path, assignment: str) -> dict[str, dict]:
    """student -> autograded score, its maximum, written maximum, manual-grading flag,
    and the score of every graded cell."""
    result = {}
    with gradebook(root) as gb:
        for student in gb.students:
            try:
                sub = gb.find_submission(assignment, student.id)
            except Exception:  # MissingEntry: this student did not submit it
                continue
            nb = sub.notebooks[0]
            result[student.id] = {
                "code": sub.code_score, "max_code": sub.max_code_score,
                "max_written": sub.max_written_score,
                "needs_manual_grade": sub.needs_manual_grade,
                "cells": {g.name: (g.score, g.needs_manual_grade) for g in nb.grades},
            }
    return result


def gradebook_rows(root: Path) -> dict:
    """Everything autograde writes per student, by names: submission timestamp, late
    penalty, every grade (automatic, manual, flag) and automatic comment."""
    db = sqlite3.connect(f"file:{root / 'gradebook.db'}?mode=ro", uri=True)
    try:
        joins = ("FROM submitted_notebook sn JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
                 "JOIN student st ON sa.student_id = st.id")
        return {
            "submissions": sorted(db.execute(f"SELECT st.id, sa.timestamp, sn.late_submission_penalty {joins}")),
            "grades": sorted(db.execute("SELECT st.id, c.name, g.auto_score, g.manual_score, g.needs_manual_grade "
                                        "FROM grade g JOIN base_cell c ON g.cell_id = c.id "
                                        "JOIN submitted_notebook sn ON g.notebook_id = sn.id "
                                        "JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
                                        "JOIN student st ON sa.student_id = st.id"), key=repr),
            "comments": sorted(db.execute("SELECT st.id, c.name, m.auto_comment "
                                          "FROM comment m JOIN base_cell c ON m.cell_id = c.id "
                                          "JOIN submitted_notebook sn ON m.notebook_id = sn.id "
                                          "JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
                                          "JOIN student st ON sa.student_id = st.id"), key=repr),
        }
    finally:
        db.close()


# ---------------------------------------------------------------- for the bad-submission corpus

def file_hashes(folder: Path) -> dict[str, str]:
    """relative path -> sha256 of every file under ``folder`` (symlinks by their target text)."""
    import hashlib

    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(folder))] = "link:" + os.readlink(path)
        elif path.is_file():
            found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def table_rows(root: Path, tables: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Every row of the given gradebook tables, read-only and sorted (for before/after checks)."""
    db = sqlite3.connect(f"file:{root / 'gradebook.db'}?mode=ro", uri=True)
    try:
        return {t: sorted(map(tuple, db.execute(f"SELECT * FROM {t}")), key=repr) for t in tables}
    finally:
        db.close()


def outputs_of(root: Path, student: str, assignment: str) -> dict[str, list]:
    """grade_id -> the outputs of that cell in the student's autograded notebook (the last
    cell with that grade_id, which is the one nbgrader grades)."""
    nb = read(notebook_path(root, f"autograded/{student}", assignment))
    found = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id and cell.cell_type == "code":
            found[grade_id] = cell.get("outputs", [])
    return found
