"""Checks behind every graded question: instant feedback, hints, and grading.

In a notebook::

    from utils.checks import spotify as checks
    checks.dropout.check()      # correct / incorrect (what is wrong) / not attempted
    checks.dropout.hint()       # then hint(2)

Each question is defined once (``red_wine.py``, ``spotify.py``; ``registry.py``
finds them and ties them to their notebook cells) and used three ways: by the
student, by the visible test cell, and by the grader, which rebuilds the answer
where no student code ran and judges it with the same definition
(``utils.grading``).
"""

from __future__ import annotations


def find_question(qid: str):
    """The Question with id ``"<exercise>.<name>"``, e.g. ``"spotify.dropout"``."""
    from utils.checks.registry import find_question as find

    return find(qid)
