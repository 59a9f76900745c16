"""A "predict, then run" question: the answer is one number or a few, not a model.

The student writes what they expect (a parameter count, a value a layer puts out)
before running the code that shows it; the check accepts every way of writing the
same numbers and names a known mistake when it recognises one.

Accepted forms, for a question with the parts ``("total", "trainable")``:

- a tuple, a list or a 1-D NumPy array in that order: ``(512, 256)``, ``[512.0, 256]``;
- a dict keyed by the parts' names: ``{"total": 512, "trainable": 256}``;
- for a question with one part, the number itself;
- ints, floats that are whole (``4.0``) where whole numbers are asked for, NumPy
  scalars, and expressions (``4 * 128``) that give any of these.

``describe`` turns whatever the variable holds into plain JSON (numbers, or the
kind of thing it is); ``verdict_from`` decides in the grader from that alone, so
a forged description can say no more than "these are my numbers".
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from utils.questions.question import CORRECT, INCORRECT, DataQuestion, Verdict

MAX_NUMBERS = 16


@dataclass(frozen=True)
class Mistake:
    """A recognised wrong answer: ``values`` has one entry per part, None for "any"."""
    values: tuple
    message: str


@dataclass(frozen=True)
class ValueQuestion(DataQuestion):
    parts: tuple[str, ...] = ()          # the names of the numbers, in the documented order
    expected: tuple[float, ...] = ()
    whole: bool = True                   # whole numbers (counts) or any real number
    tolerance: float = 0.0               # absolute, per number (for whole numbers: 0)
    mistakes: tuple[Mistake, ...] = ()
    answer_word = "prediction"
    read_as = "numbers"

    # ------------------------------------------------------------ kernel / judge side

    def read(self, value) -> dict:
        """{"numbers": [...]} or {"odd": "<what it is>"}."""
        return _plain(value, self.parts)

    # ------------------------------------------------------------ grader side

    def verdict_from(self, description: dict) -> Verdict:
        if self.unreadable(description):
            return self.unreadable(description)
        got = description.get("numbers")
        if not (isinstance(got, list) and 0 < len(got) <= MAX_NUMBERS
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in got)):
            return Verdict(INCORRECT, f"`{self.variable}` can't be read as numbers; write it as {self.form}.")
        if len(got) != len(self.parts):
            return Verdict(INCORRECT, f"`{self.variable}` holds {_count(len(got))}; the question asks for "
                                      f"{_count(len(self.parts))}, written as {self.form}.")
        for name, x in zip(self.parts, got):
            if not math.isfinite(x):
                return Verdict(INCORRECT, f"The {name} is {x}, not a number you can predict.")
            if self.whole and x != round(x):
                return Verdict(INCORRECT, f"The {name} is {x:g}; a count of parameters is a whole number.")
        if all(self._same(x, w) for x, w in zip(got, self.expected)):
            return Verdict(CORRECT, f"`{self.variable}` matches what the code gives.")
        for mistake in self.mistakes:
            if all(w is None or self._same(x, w) for x, w in zip(got, mistake.values)):
                return Verdict(INCORRECT, mistake.message)
        wrong = [name for name, x, w in zip(self.parts, got, self.expected) if not self._same(x, w)]
        right = [name for name in self.parts if name not in wrong]
        said = f" (the {' and the '.join(right)} {'is' if len(right) == 1 else 'are'} right)" if right else ""
        return Verdict(INCORRECT, f"The {' and the '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} "
                                  f"not what the code gives{said}. Try `hint()`.")

    def _same(self, x: float, want: float) -> bool:
        return abs(x - want) <= self.tolerance + 1e-9 * max(1.0, abs(want))


def _count(n: int) -> str:
    return f"{n} number" + ("" if n == 1 else "s")


def _number(x) -> float | None:
    """A plain float for an int, float or NumPy scalar (not a bool); None otherwise."""
    if isinstance(x, bool) or type(x).__name__ == "bool_":
        return None
    if isinstance(x, numbers.Real):
        return float(x)
    return None


def _plain(value, parts: tuple[str, ...]) -> dict:
    single = _number(value)
    if single is not None:
        return {"numbers": [single]}
    if isinstance(value, (str, bytes)):
        return {"odd": f"a {type(value).__name__} ({value!r:.30})"}
    if isinstance(value, dict):
        if set(map(str, value)) != set(parts) or len(value) != len(parts):
            keys = ", ".join(repr(str(k))[:20] for k in list(value)[:5])
            return {"odd": f"a dict with the keys {keys}, not {', '.join(map(repr, parts))}"}
        value = [value[next(k for k in value if str(k) == p)] for p in parts]
    elif type(value).__name__ == "ndarray":
        if getattr(value, "ndim", 0) != 1:
            return {"odd": f"an array of shape {tuple(value.shape)}"}
        value = list(value.tolist())
    elif not isinstance(value, (tuple, list)):
        return {"odd": f"a {type(value).__name__}"}
    if len(value) > MAX_NUMBERS:
        return {"odd": f"a {type(value).__name__} of {len(value)} items"}
    found = [_number(x) for x in value]
    if any(x is None for x in found):
        bad = next(x for x, f in zip(value, found) if f is None)
        return {"odd": f"a {type(value).__name__} holding a {type(bad).__name__}"}
    return {"numbers": found}
