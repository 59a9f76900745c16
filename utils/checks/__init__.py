"""The questions of each exercise, one module per exercise (its nbgrader name).

In a notebook::

    from utils.checks import spotify as checks
    checks.dropout.check()      # correct / incorrect (what is wrong) / not attempted
    checks.dropout.hint()       # then hint(2)

A module here holds content only: its ``QUESTIONS``, each defined once with the
engine in ``utils.questions``, which finds them (``registry``), ties them to their
notebook cells, and uses each three ways: for the student's instant check, in the
visible test cell, and in the grader, which rebuilds the answer where no student
code ran and judges it with the same definition (``utils.grading``).
"""
