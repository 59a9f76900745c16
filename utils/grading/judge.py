"""The judge: rebuild each answer's model where no unvetted student code ever ran.

    python -P -m utils.grading.judge      (job on stdin, report on stdout)

Started by the grader inside its own sandbox (a separate one from the kernel's),
it runs the instructor's set-up cells, then each answer cell that passed
``vet.vet`` in notebook order, and serializes the model each question names.
The grader then judges those descriptions in its own process.

The answer cells see only what a model needs from the set-up: Keras and
TensorFlow, and plain data (numbers, strings, arrays). Each has a time limit.
Whatever they print goes nowhere; the report is one JSON document carrying the
job's nonce, so anything else on stdout makes the report unreadable (and the
grader then flags the questions for review instead of trusting it).
"""

from __future__ import annotations

import json
import numbers
import os
import signal
import sys
import types
import warnings

ANSWER_SECONDS = 60


class _TooLong(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _TooLong


def _shown_to_answers(namespace: dict) -> dict:
    """Keras, TensorFlow, NumPy and plain data from the set-up; nothing that reads files
    or holds the course's own functions (checks, training, plotting). NumPy's module is
    usable only as ``np.<array maths>`` (vet.NUMPY_NAMES)."""
    import numpy as np

    from utils.grading.vet import NUMPY_ALIASES

    def plain(value) -> bool:
        if isinstance(value, types.ModuleType):
            return value.__name__ in ("keras", "tensorflow", "numpy") or \
                value.__name__.split(".")[0] in ("keras", "tensorflow")
        if isinstance(value, (tuple, list)):
            return all(plain(v) for v in value)
        return isinstance(value, (numbers.Number, str, bool, np.ndarray, type(None)))

    def numpy_elsewhere(name: str, value) -> bool:  # the vetting knows NumPy only as np / numpy
        return value is np and name not in NUMPY_ALIASES

    return {"__builtins__": __builtins__, **{k: v for k, v in namespace.items()
                                            if not k.startswith("_") and plain(v) and not numpy_elsewhere(k, v)}}


def _describe(qid: str, value) -> dict:
    from utils.questions.registry import find_question

    return {"missing": True} if value is None else find_question(qid).describe(value)


def run(job: dict) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. tf.keras' input_shape= warning: nobody reads them here
        return _run(job)


def _run(job: dict) -> dict:
    namespace = {"__name__": "__main__"}
    for number, source in enumerate(job["setup"]):
        try:
            exec(compile(source, f"<set-up cell {number + 1}>", "exec"), namespace)
        except BaseException as err:  # the instructor's cell: report it, judge nothing
            return {item["qid"]: {"error": f"the set-up failed ({type(err).__name__}: {str(err)[:200]})"}
                    for item in job["answers"]}
    answers = _shown_to_answers(namespace)
    results = {}
    signal.signal(signal.SIGALRM, _on_alarm)
    for item in job["answers"]:
        signal.alarm(ANSWER_SECONDS)
        try:
            exec(compile(item["code"], f"<answer {item['qid']}>", "exec"), answers)
            # Describing may call the answer (a function question), so it is timed too.
            results[item["qid"]] = _describe(item["qid"], answers.get(item["variable"]))
            signal.alarm(0)
        except _TooLong:
            results[item["qid"]] = {"error": f"the answer ran longer than {ANSWER_SECONDS} s"}
        except BaseException as err:
            signal.alarm(0)
            results[item["qid"]] = {"error": f"{type(err).__name__}: {str(err)[:200]}"}
    return results


def main() -> int:
    job = json.loads(sys.stdin.read())
    report = os.fdopen(os.dup(1), "w", encoding="utf-8")
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    sys.stdout = sys.stderr = open(os.devnull, "w")
    results = run(job)
    json.dump({"nonce": job["nonce"], "results": results}, report, default=str)
    report.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
