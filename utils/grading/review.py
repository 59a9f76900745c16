"""``FlagForReview``: hand the questions the grader could not judge safely to a person.

Runs after nbgrader's ``SaveAutoGrades`` (nbgrader_config.py). For each test
cell that ``SandboxedExecute`` listed under ``resources["course_review"]``, the
grade (already 0) is marked "needs manual grade", and the reason is written as
the automatic comment of the question's answer cell, where the formgrader shows
it beside the student's code.
"""

from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from utils.questions.registry import CHECK, ANSWER

REVIEW_KEY = "course_review"


def printable(text: str, limit: int = 300) -> str:
    """Student-influenced text (a file name, an error message) as it may appear in the
    instructor's log: control characters and ANSI escapes shown, not obeyed."""
    return str(text).encode("unicode_escape").decode("ascii")[:limit]


class FlagForReview(NbGraderPreprocessor):

    def preprocess(self, nb, resources):
        flagged = resources.get(REVIEW_KEY) or {}
        if not flagged:
            return nb, resources
        info = resources["nbgrader"]
        where = (info["notebook"], info["assignment"], info["student"])
        with Gradebook(info["db_url"]) as gb:
            for grade_id, reason in flagged.items():
                grade = gb.find_grade(grade_id, *where)
                grade.needs_manual_grade = True
                try:
                    comment = gb.find_comment(grade_id[: -len(CHECK)] + ANSWER, *where)
                    comment.auto_comment = f"Flagged for review by the grader: {reason}"
                except MissingEntry:
                    pass
                self.log.warning("%s needs manual review: %s", grade_id, printable(reason))
            gb.db.commit()
        return nb, resources
