"""Written answers' rubrics: in the source notebooks, shown to graders in the formgrader,
and nowhere a student looks (issue #16, item 7).

The formgrader end to end, in a browser: test_browser_attacks.py (the bystander's page
shows the rubric, the feedback does not)."""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest
from traitlets.config import Config

import _nbgrader_helpers as h
from utils.grading import rubrics
from utils.grading.rubrics import ShowRubrics

WRITTEN = {(a, c.metadata.nbgrader["grade_id"]): c
           for a in h.ASSIGNMENTS
           for c in h.read(h.notebook_path(h.REPO, "solutions", a)).cells
           if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")}


def test_there_are_written_answers():
    assert len(WRITTEN) >= 3


@pytest.mark.parametrize("key", sorted(WRITTEN), ids="/".join)
def test_every_written_answer_has_a_complete_rubric(key):
    cell = WRITTEN[key]
    answer, rubric = rubrics.split(cell.source)
    assert rubric, f"{key}: no '#### Rubric' section under the reference answer"
    assert answer.strip() and "Rubric" not in answer
    stated = re.search(r"Rubric \((\d+(?:\.\d+)?) points?\)", rubric)
    assert stated and float(stated.group(1)) == float(cell.metadata.nbgrader["points"]), \
        "the rubric's heading states the cell's points"
    per_point = [float(p) for p in re.findall(r"\*\*(\d+(?:\.\d+)?) points?:", rubric)]
    assert sum(per_point) == float(cell.metadata.nbgrader["points"]), "what earns each point adds up"
    assert "*A strong answer" in rubric and "*A weak answer" in rubric


@pytest.mark.parametrize("assignment", h.ASSIGNMENTS)
def test_the_release_carries_no_rubric(assignment):
    release = h.notebook_path(h.REPO, "exercises", assignment).read_text(encoding="utf-8")
    assert "Rubric" not in release and "strong answer" not in release


def test_the_helpers_hand_in_answers_without_the_rubric():
    for (assignment, gid), _ in WRITTEN.items():
        assert "Rubric" not in h.solution_sources(assignment)[gid]


# ---------------------------------------------------------------- ShowRubrics

@pytest.fixture
def course(tmp_path):
    """A course folder with red_wine's source notebook, and its release as handed in."""
    shutil.copytree(h.REPO / "solutions" / "red_wine", tmp_path / "solutions" / "red_wine")
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.source_directory = "solutions"
    release = h.read(h.notebook_path(h.REPO, "exercises", "red_wine"))
    return config, release


def formgrader(notebook="red_wine", assignment="red_wine"):
    """What nbgrader's SubmissionHandler passes to the exporter."""
    return {"assignment_id": assignment, "notebook_id": notebook, "submission_id": "abc123", "index": 0,
            "total": 1, "base_url": "/", "student": "alice"}


def rubric_cells(nb):
    return [c for c in nb.cells if c.get("id", "").startswith("course-rubric-")]


def test_the_formgrader_shows_the_rubric_below_the_answer(course):
    config, release = course
    nb, _ = ShowRubrics(config=config).preprocess(release, formgrader())
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") or c.get("id") for c in nb.cells]
    at = ids.index("written_answer")
    assert ids[at + 1] == "course-rubric-written_answer"
    shown = nb.cells[at + 1]
    assert shown.cell_type == "markdown" and "nbgrader" not in shown.metadata
    assert "For graders only" in shown.source and "A weak answer" in shown.source
    assert len(rubric_cells(nb)) == 1


def test_feedback_and_other_renderings_show_no_rubric(course):
    config, release = course
    feedback = {"nbgrader": {"student": "alice", "assignment": "red_wine", "notebook": "red_wine"}}
    for resources in (feedback, {}, {**formgrader(), "submission_id": None}):
        nb, _ = ShowRubrics(config=config).preprocess(h.read(h.notebook_path(h.REPO, "exercises", "red_wine")),
                                                      resources)
        assert rubric_cells(nb) == [] and len(nb.cells) == len(release.cells)


@pytest.mark.parametrize("notebook", ["../spotify/spotify", "../../etc/passwd", "nope", "red_wine/../../x"])
def test_a_name_that_leads_elsewhere_shows_nothing(course, notebook):
    config, release = course
    nb, _ = ShowRubrics(config=config).preprocess(release, formgrader(notebook=notebook))
    assert rubric_cells(nb) == []


def test_a_duplicated_answer_gets_one_rubric_below_its_last_copy(course):
    config, release = course
    at = next(i for i, c in enumerate(release.cells)
              if c.metadata.get("nbgrader", {}).get("grade_id") == "written_answer")
    copy = nbformat.from_dict(dict(release.cells[at]))
    copy["id"] = "copy"
    release.cells.append(copy)
    nb, _ = ShowRubrics(config=config).preprocess(release, formgrader())
    assert len(rubric_cells(nb)) == 1 and nb.cells[-1].get("id") == "course-rubric-written_answer"


def test_a_student_cell_posing_as_a_rubric_is_kept_and_the_real_one_added(course):
    config, release = course
    fake = nbformat.v4.new_markdown_cell("> **For graders only** give full marks", id="course-rubric-written_answer")
    release.cells.insert(0, fake)
    nb, _ = ShowRubrics(config=config).preprocess(release, formgrader())
    assert nb.cells[0].source == fake.source  # nothing the student wrote disappears from the page
    assert sum("A weak answer" in c.source for c in rubric_cells(nb)) == 1
