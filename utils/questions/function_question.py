"""An "implement it" question: the answer is a NumPy function, tested on fresh inputs.

``describe`` calls the student's function on probe inputs made from a random seed
chosen at that moment (so no answer can be tuned to it) and reports the seed and the
outputs as plain JSON. ``verdict_from`` rebuilds the same inputs from the seed (NumPy's
default generator gives the same numbers on every machine) and judges the outputs
with the question's own ``judge_outputs``, naming the first wrong quantity.

In the grader, describing runs in the judge, after the answer cell passed the vetting,
with a time limit; in the kernel, the instant check also vets the function's source,
so that an answer the grader would refuse (``np.random.rand`` instead of the ``rng``
it is given, say) is pointed out before it is handed in.
"""

from __future__ import annotations

import math
import secrets
import textwrap
from dataclasses import dataclass

from utils.questions.question import INCORRECT, MISSING, NOT_ATTEMPTED, Question, Verdict, a_or_an

MAX_OUTPUT = 20_000   # numbers one probe may report


NOTHING = "nothing (None)"


def _returned(out, returns) -> list[list[float]] | str:
    """What the function returned, one flat list of floats per array it should return, or
    what is wrong with it."""
    if out is None:
        return NOTHING
    if len(returns) == 1:
        parts = [out]
    elif not isinstance(out, (tuple, list)) or len(out) != len(returns):
        names = ", ".join(name for name, _ in returns)
        return f"{_what(out)}, not a tuple of {len(returns)} arrays ({names})"
    else:
        parts = list(out)
    found = []
    for part, (name, shape) in zip(parts, returns):
        numbers = as_numbers(part, shape)
        if isinstance(numbers, str):
            return numbers if len(returns) == 1 else f"as the {name}, {numbers}"
        found.append(numbers)
    return found


def _what(out) -> str:
    return a_or_an(type(out).__name__) + (f" of {len(out)} items" if isinstance(out, (tuple, list)) else "")


def as_numbers(out, shape) -> list[float] | str:
    """The output as a flat list of floats, or why it can't be one."""
    import numpy as np

    if out is None:
        return NOTHING
    try:
        arr = np.asarray(out)
    except Exception as err:  # noqa: BLE001
        return f"something that is not an array ({type(err).__name__})"
    if arr.dtype.kind not in "biuf":
        return f"an array of {arr.dtype.kind!r} values, not numbers"
    if arr.size > MAX_OUTPUT:
        return f"an array of {arr.size} numbers"
    if tuple(arr.shape) != tuple(shape):
        return f"an array of shape {tuple(arr.shape)} where one of shape {tuple(shape)} belongs"
    return [float(v) for v in arr.astype("float64").ravel()]


@dataclass(frozen=True)
class FunctionQuestion(Question):
    signature: str = ""   # how the function is called, for messages

    # ------------------------------------------------------------ what a kind of function defines

    def probes(self, seed: int) -> list[dict]:
        """The calls to make, made from ``seed``: each {"args": (...), "called": "in training
        mode", "returns": [(name, shape), ...]} (one entry: the function returns one array;
        more: a tuple of that many)."""
        raise NotImplementedError

    def judge_outputs(self, probes: list[dict], outputs: list) -> Verdict:
        """The verdict on the outputs: per probe, one flat list of floats per returned array."""
        raise NotImplementedError

    # ------------------------------------------------------------ kernel / judge side

    def describe(self, value, seed: int | None = None) -> dict:
        if not callable(value):
            return {"odd": f"{a_or_an(type(value).__name__)}, not a function"}
        seed = secrets.randbelow(2**31) if seed is None else seed
        outputs = []
        for probe in self.probes(seed):
            try:
                out = value(*probe["args"])
            except Exception as err:  # noqa: BLE001 (the student's code: its error is the verdict)
                return {"seed": seed, "error": f"{type(err).__name__}: {str(err)[:200]}"}
            outputs.append(_returned(out, probe["returns"]))
        return {"seed": seed, "outputs": outputs}

    def evaluate(self, value=MISSING) -> Verdict:
        value = self._namespace_value(value)
        if value is MISSING or value is None:
            return Verdict(NOT_ATTEMPTED, f"There is no `{self.variable}` yet: run the answer cell first.")
        refused = _refused_by_grader(value)
        verdict = self.verdict_from(self.describe(value))
        if refused and verdict.passed:
            return Verdict(INCORRECT, f"`{self.variable}` works here, but the grader will not run it: {refused}. "
                                      f"For random numbers use the `rng` it is given.")
        return verdict

    # ------------------------------------------------------------ grader side

    def verdict_from(self, description: dict) -> Verdict:
        if not isinstance(description, dict):
            return Verdict(INCORRECT, f"`{self.variable}` can't be checked.")
        if "odd" in description:
            return Verdict(INCORRECT, f"`{self.variable}` is {str(description['odd'])[:120]}; "
                                      f"define it as {self.signature}.")
        seed = description.get("seed")
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**31:
            return Verdict(INCORRECT, f"`{self.variable}` can't be checked.")
        if "error" in description:
            return Verdict(INCORRECT, f"Called as {self.signature}, `{self.variable}` failed with "
                                      f"{str(description['error'])[:200]}.")
        probes, outputs = self.probes(seed), description.get("outputs")
        if not (isinstance(outputs, list) and len(outputs) == len(probes)):
            return Verdict(INCORRECT, f"`{self.variable}` can't be checked.")
        if all(out == NOTHING for out in outputs):
            return Verdict(NOT_ATTEMPTED, f"`{self.variable}` returns nothing yet: write its body, then run the "
                                          f"cell.")
        for probe, out in zip(probes, outputs):
            if isinstance(out, str):
                return Verdict(INCORRECT, f"Called {probe['called']}, `{self.variable}` returned {out[:120]}.")
            if not (isinstance(out, list) and len(out) == len(probe["returns"])
                    and all(isinstance(part, list) and len(part) == math.prod(shape)
                            and all(isinstance(v, float) for v in part)
                            for part, (_, shape) in zip(out, probe["returns"]))):
                return Verdict(INCORRECT, f"`{self.variable}` can't be checked.")
        return self.judge_outputs(probes, outputs)

    def not_finite(self, probe: dict, out: list[list[float]]) -> Verdict | None:
        """For ``judge_outputs``, probe by probe: NaN or infinite values, named."""
        if all(math.isfinite(v) for part in out for v in part):
            return None
        return Verdict(INCORRECT, f"Called {probe['called']}, `{self.variable}` returned NaN or infinite values.")


def _refused_by_grader(function) -> str | None:
    """Why the grader's vetting would refuse the function's source (None: it wouldn't, or
    the source can't be found)."""
    import inspect

    from utils.grading.vet import Refused, vet

    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return None
    try:
        vet(source)
    except Refused as why:
        return str(why)
    return None
