"""The hidden re-check: what the hidden tests call, and what the grader repeats.

A hidden test cell first drops every cached ``utils`` module, so ``regrade``
and the question definitions are read fresh from disk rather than taken from
whatever an earlier cell rebound or patched. ``regrade`` then

1. judges the model again in the kernel and fails the cell if it is wrong, and
2. when the grader asks for it (``COURSE_GRADING_DIR``, set by the grading
   sandbox), exports the model's serialized config there.

The grader then judges that export a third time, in its own process, with
``recheck`` (no Keras, no student code). That is the verdict student code cannot
reach: a patched check, a tampered builtin or an object that only pretends to
be a model gives no export, or an export of a wrong model, and the points are
withheld. A student could only pass it by producing a correct model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from utils.checks import find_question
from utils.checks.feedback import CheckFailed
from utils.checks.question import INCORRECT, Verdict

GRADING_DIR_ENV = "COURSE_GRADING_DIR"
MAX_EXPORT_BYTES = 4 * 1024 * 1024  # a model config is a few kB; anything huge is not one


def export_path(directory: str | os.PathLike, qid: str) -> Path:
    return Path(directory) / f"{qid}.json"


def regrade(qid: str) -> None:
    """Re-judge question ``qid`` from a fresh import; export for the grader."""
    from utils.checks import live
    from utils.checks.model_spec import NotAModel
    from utils.checks.question import _notebook_namespace

    q = find_question(qid)
    value = _notebook_namespace().get(q.variable)
    directory = os.environ.get(GRADING_DIR_ENV)
    if directory:
        try:
            exported = live.serialize(value, q.variable) if value is not None else {"missing": q.variable}
        except NotAModel as err:
            exported = {"not_a_model": str(err)}
        export_path(directory, qid).write_text(json.dumps(exported, default=str), encoding="utf-8")
    verdict = q.evaluate(value) if value is not None else q.evaluate(None)
    if not verdict.passed:
        raise CheckFailed(q.title, verdict.status, verdict.message)


def recheck(qid: str, directory: str | os.PathLike) -> Verdict:
    """The grader's own verdict on the model the kernel exported for ``qid``."""
    q = find_question(qid)
    path = export_path(directory, qid)
    try:
        if path.is_symlink() or not path.is_file():
            return Verdict(INCORRECT, "the hidden test did not export the model (the kernel stopped "
                                      "before it, or the grading code was tampered with)")
        if path.stat().st_size > MAX_EXPORT_BYTES:
            return Verdict(INCORRECT, "the exported model is too large to be a Keras model config")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return Verdict(INCORRECT, f"the exported model could not be read ({type(err).__name__})")
    if isinstance(data, dict) and "missing" in data:
        return Verdict(INCORRECT, f"there is no `{q.variable}` to grade")
    if isinstance(data, dict) and "not_a_model" in data:
        return Verdict(INCORRECT, str(data["not_a_model"])[:300])
    return q.evaluate_config(data)
