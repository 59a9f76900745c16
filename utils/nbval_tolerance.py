"""How nbval compares a notebook's stored outputs with a fresh run (for maintainers).

nbval compares every text output exactly. Seeded TensorFlow is bitwise
reproducible on one CPU only: another CPU, or TensorFlow's other numeric path
(``TF_ENABLE_ONEDNN_OPTS=1``, other kernels), moves the last digits of a short
run and a few percent of a long one. This module, a pytest plugin loaded from
``conftest.py``, lets nbval accept exactly those differences:

1. Each output (stdout, stderr, ``text/plain``, ``text/html``, ...; a pandas
   table in either form) is cut into numbers and the text between them. The text
   must be the same, except for spaces and tabs next to a number and the
   length of a run of them (a table realigns when a number gains a digit).
2. Whole numbers must be the same: counts, shapes, sizes, parameter counts,
   epochs, seeds, percentages of a progress bar.
3. Decimal numbers (``0.5314``, ``-0.0617``, ``1e-05``) may differ by
   ``ABS_TOL + REL_TOL * |stored value|`` (see the constants below).
4. ``nan`` and ``inf`` are words: they equal only themselves, so a number that
   became NaN, or NaN that became a number, fails.

The rest is nbval's own comparison: the number and kind of outputs must match;
images are not compared. A claim that flips fails: a stored gap of +0.016
accepts +0.016 ± 0.0066, nowhere near the +0.15 of a network without dropout
(tests/test_output_tolerance.py feeds the rule such flipped outputs).

How the tolerance was chosen: every lesson and solution notebook ran on the
development machine (x86-64, 2 cores) with oneDNN on (``TF_ENABLE_ONEDNN_OPTS=1``),
with oneDNN limited to AVX2 (``ONEDNN_MAX_CPU_ISA=AVX2``, as on a CPU without
AVX-512) and on one thread (``TF_NUM_INTRAOP_THREADS=1``, oneDNN off and on), and
every printed decimal number was compared with the stored one. The largest moves:

    lesson 1, dropout (30 epochs)           0.0139 on 0.5314 (2.6%); gaps 0.0019
    lesson 2, SGD experiments               0.0001
    lesson 2, worked example (60 epochs)    0.0302 on 0.528 (5.7%)
    Red Wine exercise (last-10-epoch means) 0.0179 on 0.969, 0.0170 on 0.582 (2.9%)
    Spotify exercise                        0.0010 on 0.2027 (0.5%)

The tolerance is at least 1.9 times each of them. Figures that moved by more
(the epoch of the best validation loss, 53 -> 48; a single epoch's loss after
60 epochs, up to 7.5%) are no longer printed.
"""

from __future__ import annotations

import copy
import math
import re

ABS_TOL = 0.005
REL_TOL = 0.10

# A number stands alone: not part of a word or code (dense_1, #2e7d32, 34m) or
# of a version (3.11.7); a full stop after it is punctuation. A decimal number
# carries its sign, which is part of its value (a gap of -0.001 may become +0.001).
_NUMBER = re.compile(
    r"(?<![\w#])(?<!\d\.)"
    r"(?:(?P<decimal>[-+]?(?:\d+\.\d+(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+))|(?P<whole>\d+))"
    r"(?![\w])(?!\.\d)"
)
_BLANKS = re.compile(r"[ \t]+")


def _layout_free(text: str) -> str:
    """Text between two numbers, without the blanks that only align columns."""
    return _BLANKS.sub(" ", text).strip(" ")


def split(text: str) -> list[str]:
    """``text`` as [text, number, text, number, ..., text] (always odd length)."""
    parts, last = [], 0
    for match in _NUMBER.finditer(text):
        parts += [text[last:match.start()], match.group()]
        last = match.end()
    parts.append(text[last:])
    return parts


def _is_decimal(token: str) -> bool:
    return "." in token or "e" in token.lower()


def numbers_agree(stored: str, new: str) -> bool:
    """Rule 2 and 3 for one pair of number tokens."""
    if stored == new:
        return True
    if not (_is_decimal(stored) and _is_decimal(new)):
        return False
    a, b = float(stored), float(new)
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= ABS_TOL + REL_TOL * abs(a)


def reconcile(stored: str, new: str) -> str:
    """``new``, with every difference that the rule allows replaced by the stored
    text. It equals ``stored`` exactly when the two agree; otherwise what remains
    different is what the rule rejects (which keeps nbval's diff readable)."""
    a, b = split(stored), split(new)
    if len(a) != len(b):
        return new
    kept = []
    for i, (x, y) in enumerate(zip(a, b)):
        if i % 2:
            kept.append(x if numbers_agree(x, y) else y)
        else:
            kept.append(x if _layout_free(x) == _layout_free(y) else y)
    return "".join(kept)


def agree(stored: str, new: str) -> bool:
    """True if ``new`` is ``stored`` up to the differences the rule allows."""
    return stored == new or reconcile(stored, new) == stored


# ------------------------------------------------------------------ nbval outputs


def _texts(outputs):
    """(key, output, field) for every compared text in a list of outputs, keyed
    the way nbval pairs them: the stream's name, or the MIME type."""
    for output in outputs:
        if output.get("output_type") == "stream":
            yield output.get("name"), output, "text"
        for mime, value in (output.get("data") or {}).items():
            if isinstance(value, str):
                yield mime, output["data"], mime


def reconcile_outputs(new: list, stored: list, sanitize=lambda s: s) -> list:
    """A copy of a cell's ``new`` outputs in which every text that agrees with its
    stored counterpart (paired per key and in order, as nbval pairs them) is
    replaced by the stored text, so that nbval's exact comparison accepts it."""
    new = copy.deepcopy(new)
    pairs: dict[str, list] = {}
    for key, container, field in _texts(stored):
        pairs.setdefault(key, [[], []])[0].append(container[field])
    for key, container, field in _texts(new):
        pairs.setdefault(key, [[], []])[1].append((container, field))
    for stored_texts, new_slots in pairs.values():
        if len(stored_texts) != len(new_slots):
            continue  # nbval reports the different number of outputs
        for text, (container, field) in zip(stored_texts, new_slots):
            if agree(sanitize(text), sanitize(container[field])):
                container[field] = text
    return new


def pytest_configure(config):
    """Make nbval compare through the rule above (when nbval is installed)."""
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:
        return
    if getattr(IPyNbCell.compare_outputs, "within_tolerance", False):
        return
    exact = IPyNbCell.compare_outputs

    def compare_outputs(self, test, ref, skip_compare=None):
        return exact(self, reconcile_outputs(test, ref, self.sanitize), ref, skip_compare)

    compare_outputs.within_tolerance = True
    IPyNbCell.compare_outputs = compare_outputs
