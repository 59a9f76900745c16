"""What every graded question is: an identity, one check, hints, a solution, and
the three steps grading needs.

A concrete kind of question (``model_question.ModelQuestion``: "build this
model") says how to judge an answer in three places:

- ``evaluate(value)`` in the student's kernel: the instant check;
- ``describe(value)`` in the grader's judge, where only vetted answer code ran:
  the answer as plain data (JSON);
- ``verdict_from(description)`` in the grader itself: the verdict that scores.

The same object serves the student (``check()``, ``hint()``), the visible test
cell (``check()`` raises when the answer is not right, so nbgrader withholds the
points) and the grader (``utils.grading``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum

from utils.questions import feedback

SHOW_SOLUTIONS_ENV = "COURSE_SHOW_SOLUTIONS"
# nbgrader's solution delimiters (spelled so that the package itself never contains one).
_SOLUTION_MARKER = re.compile(r"^\s*#{3}\s*(?:BEGIN|END) SOLUTION\s*$")
MISSING = object()


class Status(StrEnum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not attempted"


CORRECT, INCORRECT, NOT_ATTEMPTED = Status.CORRECT, Status.INCORRECT, Status.NOT_ATTEMPTED


@dataclass(frozen=True)
class Verdict:
    status: Status
    message: str

    @property
    def passed(self) -> bool:
        return self.status == CORRECT


@dataclass(frozen=True)
class Question:
    qid: str                            # "<exercise>.<question>", e.g. "spotify.dropout"
    title: str
    variable: str                       # the notebook variable that holds the answer
    hints: tuple[str, ...]

    # ------------------------------------------------------------ identity (registry.py)

    @property
    def exercise(self) -> str:
        return self.qid.partition(".")[0]

    @property
    def name(self) -> str:
        return self.qid.partition(".")[2]

    @property
    def answer_cell(self) -> str:
        """grade_id of the answer cell in solutions/<exercise>."""
        return f"{self.name}_answer"

    @property
    def test_cell(self) -> str:
        """grade_id of the test cell that grades this question."""
        return f"{self.name}_check"

    # ------------------------------------------------------------ judging (one per kind)

    def evaluate(self, value=MISSING) -> Verdict:
        """Judge a live object, or the notebook's variable when no value is given."""
        raise NotImplementedError

    def describe(self, value) -> dict:
        """In the judge: the answer as plain data, for ``verdict_from``."""
        raise NotImplementedError

    def verdict_from(self, description: dict) -> Verdict:
        """In the grader: the verdict on what ``describe`` reported."""
        raise NotImplementedError

    def _namespace_value(self, value):
        return _notebook_namespace().get(self.variable, MISSING) if value is MISSING else value

    # ------------------------------------------------------------ what students call

    def check(self, value=MISSING) -> None:
        """Show the verdict; raise (so a test cell fails) unless it is correct."""
        verdict = self.evaluate(value)
        feedback.show(self.title, verdict.status, verdict.message)
        if not verdict.passed:
            raise feedback.CheckFailed(self.title, verdict.status, verdict.message)

    def hint(self, level: int = 1) -> None:
        """Hints get more specific as ``level`` grows."""
        level = max(1, min(int(level) if isinstance(level, (int, float)) else 1, len(self.hints)))
        more = f" For a stronger hint: `hint({level + 1})`." if level < len(self.hints) else ""
        feedback.show(f"{self.title}: hint {level} of {len(self.hints)}", "hint", self.hints[level - 1] + more)

    def solution(self) -> None:
        """For instructors (COURSE_SHOW_SOLUTIONS=1): the answer cell of the source notebook."""
        if os.environ.get("NBGRADER_EXECUTION"):  # never into a notebook being graded
            feedback.show(self.title, "hint", "Solutions are not shown while a notebook is graded.")
            return
        if os.environ.get(SHOW_SOLUTIONS_ENV) != "1":
            feedback.show(self.title, "hint", "Solutions are shown by your instructor. "
                                              "Try `hint()` and `hint(2)` first.")
            return
        code = reference_answer(self.exercise, self.answer_cell)
        if code is None:
            feedback.show(self.title, "hint", "The reference solutions are not on this machine: "
                                              "they live in the instructor's solutions/ folder.")
            return
        feedback.show(f"{self.title}: solution", "solution", code)


@dataclass(frozen=True)
class DataQuestion(Question):
    """A question whose answer is data the student writes (numbers, choices), described
    as ``{"odd": "<what it is>"}`` when it can't be read."""
    form: str = ""                      # how the answer is written, for messages
    answer_word = "answer"              # "prediction", "diagnosis": in messages
    read_as = "an answer"               # "numbers", "choices": what ``read`` expects

    def read(self, value) -> dict:
        """The answer as plain JSON data, or {"odd": "<what it is>"}; may raise."""
        raise NotImplementedError

    def describe(self, value) -> dict:
        try:
            return self.read(value)
        except Exception as err:  # never a traceback from utils
            return {"odd": f"something that can't be read as {self.read_as} ({type(err).__name__})"}

    def evaluate(self, value=MISSING) -> Verdict:
        value = self._namespace_value(value)
        if value is MISSING:
            return Verdict(NOT_ATTEMPTED, f"There is no `{self.variable}` yet: run the answer cell first.")
        if value is None or value is Ellipsis:
            return Verdict(NOT_ATTEMPTED, f"`{self.variable}` is still {value!r}: write your {self.answer_word} "
                                          f"as {self.form}, then run the cell.")
        return self.verdict_from(self.describe(value))

    def unreadable(self, description) -> Verdict | None:
        """The verdict on a description that holds no answer to judge (None: it holds one)."""
        if not isinstance(description, dict):
            return Verdict(INCORRECT, f"`{self.variable}` can't be checked.")
        if "odd" in description:
            return Verdict(INCORRECT, f"`{self.variable}` is {str(description['odd'])[:160]}; "
                                      f"write it as {self.form}.")
        return None


def a_or_an(noun: str) -> str:
    """``"an int"``, ``"a str"``: a type name for messages."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def reference_answer(exercise: str, answer_cell: str) -> str | None:
    """The solution region of an answer cell, read from solutions/ (instructors only:
    the released package and notebooks carry no solution code)."""
    import nbformat

    from utils import REPO_ROOT
    from utils.questions.registry import grade_id

    path = REPO_ROOT / "solutions" / exercise / f"{exercise}.ipynb"
    try:
        cells = nbformat.read(path, as_version=4).cells
    except Exception:  # missing or unreadable: the instructor's folder is not here
        return None
    for cell in cells:
        if grade_id(cell) == answer_cell:
            lines = [line for line in cell.source.splitlines() if not _SOLUTION_MARKER.match(line)]
            return "\n".join(lines)
    return None


def _notebook_namespace() -> dict:
    """The variables of the running notebook (IPython's user namespace)."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            return shell.user_ns
    except ImportError:
        pass
    import __main__

    return vars(__main__)


