"""One place that knows the exercises, their questions and their cells.

An exercise is a module of ``utils.checks`` with a ``QUESTIONS`` tuple; its name
is the nbgrader assignment (and notebook) name. A question ``<exercise>.<name>``
owns two cells of ``solutions/<exercise>/<exercise>.ipynb``, tied by grade_id:

- ``<name>_answer``: the answer cell (an nbgrader solution cell);
- ``<name>_check``: its test cell (graded; its points are the question's).

The instructor's set-up cells, which the grader's judge replays before the
answers, are the locked code cells whose grade_id is ``setup`` or ``data`` or
starts with ``setup_`` or ``data_``. ``tests/test_registry.py`` holds every
source notebook to this convention.
"""

from __future__ import annotations

import pkgutil
import re
from functools import cache
from importlib import import_module

ANSWER, CHECK = "_answer", "_check"
SETUP_CELL = re.compile(r"(setup|data)(_\w+)?")


@cache
def exercises() -> tuple[str, ...]:
    """Every exercise (assignment) name, from the modules that define QUESTIONS."""
    import utils.checks

    found = []
    for info in pkgutil.iter_modules(utils.checks.__path__):
        module = import_module(f"utils.checks.{info.name}")
        if isinstance(getattr(module, "QUESTIONS", None), tuple):
            found.append(info.name)
    return tuple(sorted(found))


def questions(exercise: str) -> tuple:
    if exercise not in exercises():
        raise KeyError(exercise)
    return import_module(f"utils.checks.{exercise}").QUESTIONS


def find_question(qid: str):
    """The Question with id ``"<exercise>.<name>"``, e.g. ``"spotify.dropout"``."""
    exercise, _, _ = qid.partition(".")
    found = {q.qid: q for q in questions(exercise)} if exercise in exercises() else {}
    return found[qid]


def question_of_test_cell(exercise: str, grade_id: str):
    """The question a test cell grades, or None (not a course question)."""
    if exercise not in exercises() or not grade_id.endswith(CHECK):
        return None
    return next((q for q in questions(exercise) if q.test_cell == grade_id), None)


def grade_id(cell) -> str | None:
    """An nbgrader cell's grade_id (None for a cell nbgrader does not track)."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def is_setup_cell(grade_id: str) -> bool:
    return SETUP_CELL.fullmatch(grade_id or "") is not None
