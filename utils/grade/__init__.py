"""Grade a class in parallel: ``python -m utils.grade ASSIGNMENT`` (``make grade A=...``).

nbgrader autogrades one submission after another, and two ``nbgrader autograde`` runs
must not share a gradebook. Here each submission is graded by a Dask task in a
throw-away course of its own, by the real ``nbgrader autograde`` with the course's
configuration (so the sandbox and the judge apply unchanged), and the coordinator
alone writes the results into the real gradebook and ``autograded/``:

- ``task``: what runs on a worker (bytes in, plain data out);
- ``course``: the coordinator's side of the course folder and gradebook;
- ``run``: the Dask cluster (local, or ``--scheduler tcp://host:8786``), progress,
  retries and time limits, the summary.
"""
