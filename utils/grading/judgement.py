"""The grader's side of judging: start the judge, read its report, decide each question.

Runs in nbgrader's (trusted) process. The answer cells are vetted here
(``vet.vet``); the judge process rebuilds their models in a sandbox; the
descriptions it reports are judged here with the question's own definition.
Every question ends in one of two outcomes:

- a ``Verdict`` (correct, incorrect, not attempted), which scores the test cell;
- a ``Review``: the answer could not be judged safely (refused by the vetting,
  failed or hung when rebuilt, an unreadable report); the test cell scores 0
  and is flagged for the instructor, with the reason.
"""

from __future__ import annotations

import ast
import json
import secrets
import subprocess
import sys
from dataclasses import dataclass

from utils.questions.question import NOT_ATTEMPTED, Question, Verdict
from utils.grading.vet import Refused, vet
from utils.questions.registry import grade_id

MAX_REPORT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Review:
    reason: str


def _answer_sources(nb, questions: tuple[Question, ...]) -> dict[str, str | None]:
    """qid -> the source of its answer cell in the submission (the last cell with
    that grade_id), or None if the cell is gone."""
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            for q in questions:
                if grade_id(cell) == q.answer_cell:
                    found[q.qid] = cell.source
    return {q.qid: found.get(q.qid) for q in questions}


class Judgement:
    """One submission's judgement: ``start`` before the notebook runs, ``finish`` after."""

    def __init__(self, questions: tuple[Question, ...], setup_sources: list[str], nb):
        self.questions = questions
        self.setup = setup_sources
        self.outcomes: dict[str, Verdict | Review] = {}
        self.jobs = []
        for q in questions:
            source = _answer_sources(nb, (q,))[q.qid]
            if source is None:
                self.outcomes[q.qid] = Verdict(NOT_ATTEMPTED, "The answer cell is missing from the notebook.")
                continue
            try:
                code = ast.unparse(vet(source))
            except Refused as why:
                self.outcomes[q.qid] = Review(f"The answer cell was not run by the grader: {why}.")
                continue
            self.jobs.append({"qid": q.qid, "variable": q.variable, "code": code})
        self.nonce = secrets.token_hex(16)
        self.process: subprocess.Popen | None = None

    def start(self, prefix: list[str], env: dict, cwd: str) -> None:
        if not self.jobs:
            return
        job = json.dumps({"nonce": self.nonce, "setup": self.setup, "answers": self.jobs})
        self.process = subprocess.Popen([*prefix, sys.executable, "-P", "-m", "utils.grading.judge"], cwd=cwd,
                                        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        try:  # the judge reads its whole job before anything else
            self.process.stdin.write(job.encode())
            self.process.stdin.close()
        except BrokenPipeError:
            pass
        self.process.stdin = None  # written: communicate() must not touch it again

    def finish(self, timeout: float) -> dict[str, Verdict | Review]:
        if self.process is not None:
            self._read_report(timeout)
        return self.outcomes

    def _read_report(self, timeout: float) -> None:
        try:
            out, _ = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            return self._all_jobs(Review(f"Rebuilding the answers took longer than {timeout:.0f} s."))
        if len(out) > MAX_REPORT_BYTES:
            return self._all_jobs(Review("The grader's rebuild of the answers reported too much."))
        try:
            report = json.loads(out.decode("utf-8"))
            assert isinstance(report, dict) and report.get("nonce") == self.nonce
            results = report["results"]
            assert isinstance(results, dict)
        except Exception:  # anything else on that channel: it cannot be trusted
            return self._all_jobs(Review("The grader's rebuild of the answers did not report cleanly "
                                         f"(exit status {self.process.returncode})."))
        by_id = {q.qid: q for q in self.questions}
        for job in self.jobs:
            self.outcomes[job["qid"]] = self._decide(by_id[job["qid"]], results.get(job["qid"]))

    def _all_jobs(self, outcome: Review) -> None:
        for job in self.jobs:
            self.outcomes[job["qid"]] = outcome

    @staticmethod
    def _decide(q: Question, result) -> Verdict | Review:
        if not isinstance(result, dict):
            return Review("The grader's rebuild of this answer reported nothing usable.")
        if "error" in result:
            return Review(f"Run alone after the set-up cells, the answer cell failed: {str(result['error'])[:300]}.")
        if "missing" in result:
            return Verdict(NOT_ATTEMPTED, f"The answer cell leaves `{q.variable}` undefined or None.")
        try:
            return q.verdict_from(result)
        except Exception as err:  # a description no judge would write
            return Review(f"The grader could not read the rebuilt answer ({type(err).__name__}).")
