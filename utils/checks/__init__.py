"""Checks behind every graded question: instant feedback, hints, and grading.

In a notebook::

    from utils.checks import spotify as checks
    checks.dropout.check()      # correct / incorrect (what is wrong) / not attempted
    checks.dropout.hint()       # then hint(2)

Each question is defined once (``red_wine.py``, ``spotify.py``) and used three
ways: by the student, by the visible test cell, and by the hidden re-check
(``hidden.py``), which the trusted grader repeats outside the student's kernel.
"""

from __future__ import annotations


def find_question(qid: str):
    """The Question with id ``"<exercise>.<name>"``, e.g. ``"spotify.dropout"``."""
    from importlib import import_module

    exercise, _, name = qid.partition(".")
    if exercise not in ("red_wine", "spotify"):
        raise KeyError(qid)
    found = {q.qid: q for q in import_module(f"utils.checks.{exercise}").QUESTIONS}
    return found[qid]
