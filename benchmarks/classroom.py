"""A temporary course with a simulated class, for the benchmark (benchmarks/run.py).

The same few steps the pipeline tests take (tests/_nbgrader_helpers.py), kept here so
the benchmark does not reach into tests/: copy the course's configuration and
sources, release the assignment, hand in notebooks built from the release, run
nbgrader or the parallel grader.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from utils.questions.registry import exercises

from utils import REPO_ROOT as REPO  # noqa: E402
ASSIGNMENTS = exercises()
BIN = Path(sys.executable).parent
_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


def notebook_path(root: Path, folder: str, assignment: str) -> Path:
    return root / folder / assignment / f"{assignment}.ipynb"


def environment(full: bool = False) -> dict[str, str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("NBGRADER_EXECUTION", None)
    env.pop("COURSE_FAST_MODE", None)
    if full:
        env["COURSE_FAST_MODE"] = "0"
    return env


def run(root: Path, *args: str, full: bool = False, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([*args], cwd=root, env=environment(full), capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done


def make_course(root: Path, assignment: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "solutions" / assignment, root / "solutions" / assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    run(root, str(BIN / "nbgrader"), "generate_assignment", assignment, "--force")
    return root


def answers(assignment: str) -> dict[str, str]:
    nb = nbformat.read(notebook_path(REPO, "solutions", assignment), as_version=4)
    return {c.metadata.nbgrader["grade_id"]: _MARKERS.sub("", c.source)
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}


def with_answers(release, chosen: dict[str, str]):
    nb = nbformat.reads(nbformat.writes(release), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in chosen:
            cell.source = chosen[cell.metadata.nbgrader["grade_id"]]
    return nb


def hand_in_class(root: Path, assignment: str, size: int) -> list[str]:
    """A mix like a real class: a third correct, a third partly correct, a third untouched."""
    release = nbformat.read(notebook_path(root, "exercises", assignment), as_version=4)
    solution = answers(assignment)
    first = next(iter(solution))
    kinds = [with_answers(release, solution), with_answers(release, {first: solution[first]}), release]
    students = [f"student{i:02d}" for i in range(size)]
    for i, student in enumerate(students):
        path = notebook_path(root, f"submitted/{student}", assignment)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(kinds[i % 3], path)
    return students


def reset_grades(root: Path) -> None:
    """Forget every grading (the next run grades everyone again)."""
    shutil.rmtree(root / "autograded", ignore_errors=True)


def scores(root: Path, assignment: str) -> dict[str, dict[str, tuple]]:
    """student -> cell -> (score, needs manual grade)."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry

    found = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
            for student in gb.students:
                try:
                    sub = gb.find_submission(assignment, student.id)
                except MissingEntry:
                    continue
                found[student.id] = {g.name: (g.score, g.needs_manual_grade) for nb in sub.notebooks for g in nb.grades}
    return found
