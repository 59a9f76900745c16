"""Run a student's notebook where it cannot reach the gradebook.

During ``nbgrader autograde`` the student's code runs as the instructor. The
course therefore replaces nbgrader's ``Execute`` step (see nbgrader_config.py)
with ``SandboxedExecute``:

- the trusted nbgrader process keeps the gradebook, restores locked cells
  before execution and scores afterwards, exactly as usual;
- only the execution happens in a scratch copy, inside bubblewrap (``bwrap``):
  the repository, the course being graded (wherever it is) and the home
  directory are hidden (the gradebook, solutions/, submitted/ and autograded/
  of other students), the rest of the file system is read-only, there is no
  network, the instructor's environment variables stay out (except what a
  notebook needs), and prlimit caps memory, CPU time and file size;
- files the student handed in as symbolic links stay out (nbgrader copies
  what they point to, e.g. the gradebook, into the folder it grades in);
- the executed notebook comes back through a file descriptor the kernel cannot
  reach, so nothing the student leaves running can rewrite it, and nothing they
  start outlives the sandbox (its own PID namespace);
- the parent takes back only the cells' outputs, matched by cell id, and
  ignores any partial-credit value a test cell could forge.

``overwrite.OverwriteCells`` replaces nbgrader's in the sanitize step, so that
a duplicated or deleted cell cannot stop grading (nbgrader 0.9.6 bugs).

What is not covered, and needs a container or VM: fork bombs and host-wide
memory or disk pressure beyond the per-process limits, and reading world-readable
files outside the course root. Code inside the kernel can still fake its own
results; hidden tests re-check independently, and a forged result can only
ever affect the forger's own notebook.
"""

from utils.sandbox.execute import SandboxedExecute

__all__ = ["SandboxedExecute"]
