"""What the hidden tests call: the question judged again from a fresh import.

A hidden test cell first drops every cached ``utils`` module, so ``regrade`` and
the question definitions are read fresh from disk rather than taken from
whatever an earlier cell rebound or patched. This verdict is for the notebook's
reader; the score comes from the grader's own judgement, made where no student
code ran (``utils.grading``).
"""

from __future__ import annotations

from utils.questions import find_question
from utils.questions.feedback import CheckFailed


def regrade(qid: str) -> None:
    """Re-judge question ``qid`` from a fresh import; fail the cell unless correct."""
    q = find_question(qid)
    verdict = q.evaluate()
    if not verdict.passed:
        raise CheckFailed(q.title, verdict.status, verdict.message)
