"""A "diagnose" question: for each of a few cases, pick answers from fixed lists.

The student looks at something they did not make (learning curves of runs they did
not see) and names, for each case, e.g. the problem and the fix, from choices the
notebook lists. Accepted forms, for cases ``("A", "B")`` and fields
``("problem", "fix")``:

- a dict keyed by the cases (``"A"`` or ``"a"``), each value a pair in the fields'
  order or a dict keyed by the fields: ``{"A": ("overfitting", "add dropout"), ...}``;
- a list or tuple with one entry per case, in order;
- any capitalisation, spacing, ``-`` or ``_`` between words, a trailing full stop.

As for every question, ``describe`` turns the answer into plain JSON (in the
grader's judge) and ``verdict_from`` decides from that alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from utils.questions.question import CORRECT, INCORRECT, DataQuestion, Verdict, a_or_an

MAX_TEXT = 80


def normal(text: str) -> str:
    """A choice as compared: lower case, single spaces, no - or _ or final full stop."""
    return re.sub(r"\s+", " ", re.sub(r"[-_]", " ", text)).strip().rstrip(".").strip().lower()


@dataclass(frozen=True)
class ChoiceQuestion(DataQuestion):
    cases: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    options: dict = field(default_factory=dict)      # field -> the choices listed in the notebook
    # case -> per field, the right choice, or a tuple of choices that are all right
    expected: dict = field(default_factory=dict)
    # (case, field, wrong choice) -> what that choice gets wrong, without the right one
    mistakes: dict = field(default_factory=dict)
    answer_word = "diagnosis"
    read_as = "choices"

    def __post_init__(self):
        assert set(self.expected) == set(self.cases)
        for case, picks in self.expected.items():
            assert len(picks) == len(self.fields), case
            for f, pick in zip(self.fields, picks):
                assert set(_alternatives(pick)) <= set(map(normal, self.options[f])), (case, f)

    def _right(self, case: str, f: str, text: str) -> bool:
        return normal(text) in _alternatives(self.expected[case][self.fields.index(f)])

    # ------------------------------------------------------------ kernel / judge side

    def read(self, value) -> dict:
        """{"choices": {case: [text per field]}} or {"odd": "<what it is>"}."""
        return _plain(value, self.cases, self.fields)

    # ------------------------------------------------------------ grader side

    def verdict_from(self, description: dict) -> Verdict:
        if self.unreadable(description):
            return self.unreadable(description)
        got = description.get("choices")
        if not (isinstance(got, dict) and set(got) == set(self.cases)
                and all(isinstance(v, list) and len(v) == len(self.fields)
                        and all(isinstance(t, str) and len(t) <= MAX_TEXT for t in v) for v in got.values())):
            return Verdict(INCORRECT, f"`{self.variable}` can't be read as choices; write it as {self.form}.")
        unknown = [(case, f, text) for case in self.cases for f, text in zip(self.fields, got[case])
                   if normal(text) not in map(normal, self.options[f])]
        if unknown:
            case, f, text = unknown[0]
            listed = "; ".join(f'"{o}"' for o in self.options[f])
            return Verdict(INCORRECT, f'For {case}, "{text[:40]}" is not one of the {f} choices. '
                                      f"Pick one of: {listed}.")
        wrong = []
        for case in self.cases:
            for f, text in zip(self.fields, got[case]):
                if not self._right(case, f, text):
                    said = self.mistakes.get((case, f, normal(text)))
                    wrong.append(f"Run {case}, {f}: {said[0].upper() + said[1:]}" if said
                                 else f"Run {case}, {f}: not the best choice.")
        if not wrong:
            return Verdict(CORRECT, f"Your diagnosis of {_and(self.cases)} matches what the curves show.")
        right = [c for c in self.cases if not any(w.startswith(f"Run {c},") for w in wrong)]
        tail = f" ({_and(right)} {'is' if len(right) == 1 else 'are'} right.)" if right else ""
        return Verdict(INCORRECT, " ".join(wrong) + tail + " Try `hint()`.")


def _alternatives(pick) -> tuple[str, ...]:
    return tuple(normal(p) for p in ((pick,) if isinstance(pick, str) else pick))


def _and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _text(x) -> str:
    if not isinstance(x, str):
        raise TypeError(f"{a_or_an(type(x).__name__)} where a choice (text) belongs")
    if len(x) > MAX_TEXT:
        raise ValueError("a choice longer than any listed")
    return x


def _entry(value, fields: tuple[str, ...]) -> list[str]:
    if isinstance(value, dict):
        by_name = {normal(str(k)): v for k, v in value.items()}
        if set(by_name) != {normal(f) for f in fields}:
            raise KeyError(f"a dict with the keys {', '.join(repr(str(k))[:20] for k in list(value)[:4])}")
        return [_text(by_name[normal(f)]) for f in fields]
    if isinstance(value, str) or not isinstance(value, (tuple, list)):
        raise TypeError(f"{a_or_an(type(value).__name__)} where a ({', '.join(fields)}) pair belongs")
    if len(value) != len(fields):
        raise ValueError(f"a {type(value).__name__} of {len(value)} items where {len(fields)} belong")
    return [_text(x) for x in value]


def _plain(value, cases: tuple[str, ...], fields: tuple[str, ...]) -> dict:
    if isinstance(value, dict):
        by_case = {normal(str(k)): v for k, v in value.items()}
        if set(by_case) != {normal(c) for c in cases} or len(value) != len(cases):
            keys = ", ".join(repr(str(k))[:20] for k in list(value)[:6])
            return {"odd": f"a dict with the keys {keys}, not {', '.join(map(repr, cases))}"}
        entries = [by_case[normal(c)] for c in cases]
    elif isinstance(value, (tuple, list)) and len(value) == len(cases):
        entries = list(value)
    else:
        return {"odd": a_or_an(type(value).__name__) + (f" of {len(value)} items" if isinstance(value, (tuple, list))
                                                      else "")}
    choices = {}
    for case, entry in zip(cases, entries):
        try:
            choices[case] = _entry(entry, fields)
        except (TypeError, ValueError, KeyError) as err:
            return {"odd": f"{str(err).strip(chr(39))} (run {case})"}
    return {"choices": choices}
