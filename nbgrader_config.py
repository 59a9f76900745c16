"""nbgrader configuration for the course. The repository root is the course directory.

Run every ``nbgrader`` command from this folder (it reads this file from the
working directory). Layout:

    solutions/<assignment>/<assignment>.ipynb   instructor source (solutions, hidden tests)
    exercises/<assignment>/<assignment>.ipynb   student version (nbgrader generate_assignment)
    submitted/<student>/<assignment>/           what students handed in
    autograded/, feedback/, gradebook.db         nbgrader's working state (gitignored)

Fast mode: while nbgrader autogrades (NBGRADER_EXECUTION=autograde) the training
cells run only a couple of epochs (utils.settings.fast_mode). The checks look at
model structure and set-up, never at trained metrics, so scores do not change.
Full training on request: ``COURSE_FAST_MODE=0 nbgrader autograde ...``.
"""

import warnings

from nbconvert.preprocessors import (
    ClearMetadataPreprocessor,
    CoalesceStreamsPreprocessor,
    CSSHTMLHeaderPreprocessor,
)
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from utils.grading import log_lines
from utils.grading.feedback import ClearHiddenTestsInFeedback
from utils.grading.own_outputs import ShowOwnOutputs, StashOwnOutputs
from utils.grading.review import FlagForReview
from utils.sandbox import SandboxedExecute
from utils.sanitize import SanitizeNotebook
from utils.sandbox.overwrite import OverwriteCells

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

# nbgrader 0.9.6 builds each submission's rows with relationships set in the
# constructor, so SQLAlchemy 2 notes three times per student that it does not
# cascade an object it adds a line later. Harmless, and it read like an error.
warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session")

# nbgrader logs handed-in file names and student ids as they are; a name holding a
# newline or an ANSI escape could forge a line in the instructor's terminal (#13).
# Its applications' messages show such characters escaped (utils/grading/log_lines.py).
log_lines.install()

# --- where things are -------------------------------------------------------
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"

# --- the student version ----------------------------------------------------
# Solution regions sit inside runnable starter code (e.g. between the layers of a
# Sequential), so the stub must be a comment: the released notebook still runs.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# --- autograding ------------------------------------------------------------
# nbgrader's default is 30 s per cell; a training cell takes longer in full mode
# on a slow laptop. A cell that runs longer than this is cut off and fails.
c.Execute.timeout = 600
# A student who deleted a test cell or a written-answer cell gets it back
# (scored as usual) instead of silently losing those points from the total.
c.OverwriteCells.add_missing_cells = True
# Locked cells carry checksums (set by generate_assignment); a changed locked cell
# is restored from the source at autograde time. Nothing to configure for that.

# nbgrader 0.9.6 stops grading a student who copied a test cell (and, in plain
# nbgrader, everyone after them) or deleted a written answer; the course's
# OverwriteCells fixes both (utils/sandbox/overwrite.py). Otherwise nbgrader's list,
# after putting aside the outputs the student handed in (utils/grading/own_outputs.py).
c.Autograde.sanitize_preprocessors = [
    StashOwnOutputs,
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    OverwriteCells,
    CheckCellMetadata,
]

# Student code runs in a sandbox that cannot see the gradebook, solutions/ or other
# students' files (utils/sandbox, README "What autograding guarantees"). It stands
# exactly where nbgrader's own Execute step stands; every other step is nbgrader's
# (this list is nbgrader 0.9.6's default with Execute replaced).
c.Autograde.autograde_preprocessors = [
    SandboxedExecute,
    # One output per progress-bar update ('\r' lines) rendered as a stack of boxes in the
    # formgrader and the feedback: merged, as JupyterLab shows them, into the final line.
    CoalesceStreamsPreprocessor,
    ShowOwnOutputs,  # the student's own outputs below the grader's: written answers quote them
    SanitizeNotebook,  # the course's: outputs and markdown made safe to render (below)
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    FlagForReview,
    AssignLatePenalties,
    CheckCellMetadata,
]

# nbconvert's own preprocessors are off unless enabled; this one also tidies submissions
# autograded before it was configured when the formgrader or the feedback renders them.
c.CoalesceStreamsPreprocessor.enabled = True

# --- showing submissions ------------------------------------------------------
# The formgrader (Manual Grading) and generate_feedback render a submission's markdown
# and outputs as HTML; unsanitized, a script in a written answer or in an output would
# run with the instructor's login (issue #13). Both build an nbconvert HTMLExporter from
# this configuration. SanitizeNotebook (above) already cleaned the autograded notebook;
# here the renderers clean again: JavaScript and widget outputs are not rendered, HTML
# outputs and every markdown cell pass through nh3 (nbgrader's templates render markdown
# without nbconvert's own sanitizing, hence the markdown2html filter), and the notebook
# is cleaned once more before each page is rendered (also for submissions autograded
# before this was configured). See utils/sanitize.py. The formgrader reads this when
# JupyterLab starts: restart it after a change.
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {
    "clean_html": "utils.sanitize.clean_html",  # nbconvert's shows a pandas table as tag soup
    "markdown2html": "utils.sanitize.markdown2html",
}
c.HTMLExporter.preprocessors = [
    "utils.sanitize.SanitizeNotebook",
    "utils.sanitize.EscapeResources",
    # In the formgrader only: each written answer's rubric, read from the source notebook,
    # below the student's answer (utils/grading/rubrics.py). Feedback never shows it.
    "utils.grading.rubrics.ShowRubrics",
]

# Feedback goes to the student: the hidden tests, which nbgrader restores into the
# graded notebook and shows in feedback by design (its issue #917), are cleared there.
# The test cells show the grader's verdict instead.
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, ClearHiddenTestsInFeedback]
