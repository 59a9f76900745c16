"""The check engine: what a question is, how an answer is judged, and how the
verdict reaches the student and the grader.

- ``question``: the ``Question`` interface every kind of question implements
  (``evaluate`` for the student's instant check, ``describe`` and ``verdict_from``
  for the grader's re-judgement), hints, solutions and the ``Status`` enum;
- ``model_question``, ``model_spec``, ``compare``, ``live``: the "build this
  Keras model" kind;
- ``feedback``: the messages a student sees; ``hidden``: the hidden tests' call;
- ``registry``: which exercises and questions exist (the modules of
  ``utils.checks``) and which notebook cells belong to each.

The questions themselves, the course's content, live in ``utils.checks``.
"""

from __future__ import annotations


def find_question(qid: str):
    """The Question with id ``"<exercise>.<name>"``, e.g. ``"spotify.dropout"``."""
    from utils.questions.registry import find_question as find

    return find(qid)
