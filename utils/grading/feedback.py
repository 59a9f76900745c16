"""What feedback shows the student: not the hidden tests.

nbgrader restores hidden tests into the graded notebook and, by design (its
issue #917), shows them in the feedback. The course's test cells show the
grader's verdict as their output, so the code behind it can go.
"""

from __future__ import annotations

from nbgrader.preprocessors import ClearHiddenTests
from traitlets import List


class ClearHiddenTestsInFeedback(ClearHiddenTests):
    # nbconvert's HTML exporter configures this trait on every preprocessor it runs;
    # nbgrader's base class has it but not as configurable, which only makes a warning.
    display_data_priority = List(ClearHiddenTests.display_data_priority.default_value).tag(config=True)
