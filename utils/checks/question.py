"""A graded question is data (what the answer must be, hints, a solution) plus one check.

The same ``Question`` serves the student (``check()``, ``hint()``), the visible
test cell (``check()`` raises when the answer is not right, so nbgrader withholds
the points) and the hidden re-checks (``evaluate_config`` on an exported model,
in a process the student's code never touched).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from utils.checks import feedback
from utils.checks.compare import diagnose
from utils.checks.model_spec import Compiled, Layer, ModelSpec, NotAModel, describe

CORRECT, INCORRECT, NOT_ATTEMPTED = "correct", "incorrect", "not attempted"
SHOW_SOLUTIONS_ENV = "COURSE_SHOW_SOLUTIONS"
_MISSING = object()


@dataclass(frozen=True)
class Verdict:
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == CORRECT


@dataclass(frozen=True)
class Question:
    qid: str                            # "<exercise>.<question>", e.g. "spotify.dropout"
    title: str
    variable: str                       # the notebook variable that holds the answer
    n_inputs: int
    expected: tuple[Layer, ...]
    starter: tuple[Layer, ...]
    hints: tuple[str, ...]
    wording: str = "after"              # "after"/"before": how placements are described
    compile_as: Compiled | None = None  # required compile settings, if the question sets them
    starter_compile: Compiled | None = None

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

    # ------------------------------------------------------------ judging

    def judge(self, spec: ModelSpec) -> Verdict:
        if self._is_starter(spec):
            return Verdict(NOT_ATTEMPTED, f"`{self.variable}` is still the starter model. "
                                          f"Edit the answer cell, run it, then check again.")
        problem = diagnose(spec, self.expected, n_inputs=self.n_inputs, wording=self.wording)
        if problem is None and self.compile_as is not None:
            problem = self._compile_problem(spec.compiled)
        if problem:
            return Verdict(INCORRECT, problem)
        return Verdict(CORRECT, f"`{self.variable}` is built as the question asks.")

    def _is_starter(self, spec: ModelSpec) -> bool:
        same_layers = len(spec.layers) == len(self.starter) and all(
            a.same_as(b) for a, b in zip(spec.layers, self.starter))
        return same_layers and (self.compile_as is None or spec.compiled in (None, self.starter_compile))

    def _compile_problem(self, compiled: Compiled | None) -> str | None:
        want = self.compile_as
        if compiled is None:
            return f"`{self.variable}` is not compiled yet: keep the .compile(...) call of the starter code."
        if compiled.optimizer != want.optimizer:
            return (f"`{self.variable}` is compiled with the {compiled.optimizer} optimizer; "
                    f"the question asks for a different one.")
        if compiled.loss != want.loss:
            return f"The loss is {compiled.loss_words}; the question asks for {want.loss_words}."
        return None

    def evaluate_config(self, serialized) -> Verdict:
        """Judge a serialized model (from the kernel or an exported file)."""
        try:
            return self.judge(describe(serialized))
        except NotAModel as err:
            return Verdict(INCORRECT, f"`{self.variable}` can't be checked: {err}.")
        except Exception as err:  # a config no Keras would write: never a traceback from utils
            return Verdict(INCORRECT, f"`{self.variable}` can't be checked ({type(err).__name__}).")

    def evaluate(self, value=_MISSING) -> Verdict:
        """Judge a live object, or the notebook's variable when no value is given."""
        from utils.checks import live

        if value is _MISSING:
            value = _notebook_namespace().get(self.variable, _MISSING)
        if value is _MISSING:
            return Verdict(NOT_ATTEMPTED, f"There is no `{self.variable}` yet: run the answer cell first.")
        if value is None:
            return Verdict(NOT_ATTEMPTED, f"`{self.variable}` is None: build the model in the answer cell.")
        try:
            return self.evaluate_config(live.serialize(value, self.variable))
        except NotAModel as err:
            return Verdict(INCORRECT, f"{err}.")
        except Exception as err:
            return Verdict(INCORRECT, f"`{self.variable}` can't be checked ({type(err).__name__}).")

    # ------------------------------------------------------------ what students call

    def check(self, value=_MISSING) -> None:
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


def reference_answer(exercise: str, answer_cell: str) -> str | None:
    """The solution region of an answer cell, read from solutions/ (instructors only:
    the released package and notebooks carry no solution code)."""
    from pathlib import Path

    import nbformat

    path = Path(__file__).resolve().parents[2] / "solutions" / exercise / f"{exercise}.ipynb"
    try:
        cells = nbformat.read(path, as_version=4).cells
    except Exception:  # missing or unreadable: the instructor's folder is not here
        return None
    for cell in cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == answer_cell:
            lines = [line for line in cell.source.splitlines() if "### BEGIN SOLUTION" not in line
                     and "### END SOLUTION" not in line]
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


def dense(units: int, activation: str = "linear") -> Layer:
    return Layer("Dense", units=units, activation=activation)


def dropout_layer(rate: float) -> Layer:
    return Layer("Dropout", rate=rate)


def batchnorm_layer() -> Layer:
    return Layer("BatchNormalization")
