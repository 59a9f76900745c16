"""Executes one notebook inside the sandbox: ``python -m utils.sandbox.worker IN OUT TIMEOUT``.

It runs nbgrader's own ``Execute`` preprocessor, so timeouts and error
recording behave exactly as in plain nbgrader, with one addition: if the
kernel dies (``os._exit``, a segfault, the memory limit), that cell gets an
error and the remaining cells run in a fresh kernel, so the rest still grades.
"""

from __future__ import annotations

import sys

import nbformat
from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, LimitOutput

KERNEL_DIED = NotebookNode(
    output_type="error", ename="KernelDied",
    evalue="The kernel stopped while running this cell (os._exit, a crash, or a resource limit).",
    traceback=["KernelDied: the kernel stopped while running this cell; "
               "the cells after it ran in a fresh kernel."],
)


class _TrackingExecute(Execute):
    """Execute that remembers which cell it is running."""
    current_index = -1

    def preprocess_cell(self, cell, resources, index):
        self.current_index = index
        return super().preprocess_cell(cell, resources, index)


def execute(nb: NotebookNode, workdir: str, timeout: int) -> NotebookNode:
    start = 0
    while start < len(nb.cells):
        part = nbformat.v4.new_notebook(metadata=nb.metadata)
        part.cells = nb.cells[start:]  # the same cell objects: outputs land in nb
        runner = _TrackingExecute(timeout=timeout)
        try:
            runner.preprocess(part, {"metadata": {"path": workdir}})
            break
        except DeadKernelError:
            died_at = start + max(runner.current_index, 0)
            nb.cells[died_at].outputs = [*nb.cells[died_at].get("outputs", []), KERNEL_DIED]
            start = died_at + 1
    nb, _ = LimitOutput().preprocess(nb, {})
    return nb


def main(argv: list[str]) -> int:
    source, target, timeout = argv
    nb = nbformat.read(source, as_version=4)
    executed = execute(nb, workdir=".", timeout=int(timeout))
    nbformat.write(executed, target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
