"""Rubrics for the written answers: in the formgrader, for graders, and nowhere else.

A written answer's rubric lives in the source notebook (solutions/), in the answer's
own solution cell, under the reference answer, from a ``#### Rubric`` heading on:
what earns each point, with one strong and one weak example. nbgrader replaces the
whole cell in the release, so students never see it, and the student edition and the
exchange carry no solutions/.

``ShowRubrics`` runs in the HTML exporter (nbgrader_config.py). When the formgrader
renders a submission for manual grading, it adds each rubric right below the
student's answer, read from the source notebook in the course folder, never from the
submission. For any other rendering (the feedback a student gets back) it adds nothing.
"""

from __future__ import annotations

import re

import nbformat
from nbconvert.preprocessors import Preprocessor

RUBRIC_HEADING = re.compile(r"^#{2,4}\s+Rubric\b.*$", re.MULTILINE)
RUBRIC_CELL_ID = "course-rubric-{grade_id}"
# What the formgrader's submission page passes to the exporter (nbgrader's
# SubmissionHandler); generate_feedback's resources carry none of it.
FORMGRADER_KEYS = ("submission_id", "assignment_id", "notebook_id")


def split(source: str) -> tuple[str, str | None]:
    """(the reference answer, the rubric or None) of a written answer's source."""
    found = RUBRIC_HEADING.search(source)
    if found is None:
        return source, None
    return source[:found.start()].rstrip() + "\n", source[found.start():].strip() + "\n"


def rubrics(source_nb) -> dict[str, str]:
    """grade_id -> rubric, for every graded markdown solution cell that has one."""
    found = {}
    for cell in source_nb.cells:
        info = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "markdown" and info.get("solution") and info.get("grade"):
            rubric = split(cell.source)[1]
            if rubric:
                found[info["grade_id"]] = rubric
    return found


class ShowRubrics(Preprocessor):
    """Below each written answer on the formgrader's page, the grader's rubric."""

    def preprocess(self, nb, resources):
        if not all(isinstance(resources.get(key), (str, int)) for key in FORMGRADER_KEYS):
            return nb, resources
        found = self._rubrics(str(resources["assignment_id"]), str(resources["notebook_id"]))
        if not found:
            return nb, resources
        cells, out = list(nb.cells), []
        for i, cell in enumerate(cells):
            out.append(cell)
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            later = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in cells[i + 1:]]
            if gid in found and gid not in later and cell.cell_type == "markdown":
                out.append(self._rubric_cell(gid, found[gid]))
        nb.cells = out
        return nb, resources

    def _rubrics(self, assignment: str, notebook: str) -> dict[str, str]:
        from pathlib import Path

        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(parent=self)
        folder = Path(coursedir.format_path(coursedir.source_directory, ".", assignment)).resolve()
        path = (folder / f"{notebook}.ipynb").resolve()
        if path.parent != folder:  # a name from the gradebook, never a way out of the folder
            return {}
        try:
            return rubrics(nbformat.read(path, as_version=4))
        except Exception as err:  # no source here: the page shows without rubrics
            self.log.warning("No rubrics for %s/%s: %s", assignment, notebook, type(err).__name__)
            return {}

    @staticmethod
    def _rubric_cell(grade_id: str, rubric: str):
        text = ("> **For graders only** (from the source notebook; students never see this)\n>\n"
                + "\n".join(f"> {line}".rstrip() for line in rubric.splitlines()))
        return nbformat.v4.new_markdown_cell(text, id=RUBRIC_CELL_ID.format(grade_id=grade_id))
