"""Executes one notebook inside the sandbox: ``python -m utils.sandbox.worker IN RESULT_FD TIMEOUT``.

It runs nbgrader's own ``Execute`` preprocessor, so timeouts and error
recording behave exactly as in plain nbgrader, with these additions:

- if the kernel dies (``os._exit``, a segfault, the memory or CPU limit) or a
  cell cannot be interrupted at its timeout (it ignores SIGINT), that cell gets
  an error and the remaining cells run in a fresh kernel, after the notebook's
  read-only set-up cells have run there again, so the rest still grades;
- the executed notebook goes back through a file descriptor the parent opened
  outside the sandbox, never through a path the kernel could write;
- no cell can hand back more than ``MAX_CELL_OUTPUT`` characters, and the
  kernel's own stdout/stderr go nowhere (ipykernel still captures them as outputs).
"""

from __future__ import annotations

import copy
import ctypes
import os
import subprocess
import sys

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, LimitOutput

KERNEL_DIED = NotebookNode(
    output_type="error", ename="KernelDied",
    evalue="The kernel stopped while running this cell (os._exit, a crash, or a resource limit).",
    traceback=["KernelDied: the kernel stopped while running this cell; "
               "the cells after it ran in a fresh kernel."],
)
UNINTERRUPTIBLE = NotebookNode(
    output_type="error", ename="CellTimeoutError",
    evalue="The cell ran past its time limit and did not stop when interrupted.",
    traceback=["CellTimeoutError: the cell ran past its time limit and ignored the interrupt; "
               "the cells after it ran in a fresh kernel."],
)
MAX_CELL_OUTPUT = 2_000_000   # characters of output kept per cell; errors are always kept
MAX_ERROR_TEXT = 20_000       # characters kept of an error's message and of each traceback line
TRUNCATED = "\n... output truncated by the grader ...\n"


def _size(content: dict) -> int:
    return len(content.get("text", "")) + sum(len(str(v)) for v in (content.get("data") or {}).values())


class _TrackingExecute(Execute):
    """Execute that remembers which cell it is running and bounds what cells output."""
    current_index = -1
    _output_size, _truncated = 0, False

    def preprocess_cell(self, cell, resources, index):
        self.current_index = index
        self._output_size, self._truncated = 0, False
        return super().preprocess_cell(cell, resources, index)

    async def async_start_new_kernel(self, **kwargs):
        # The kernel's raw stdout/stderr would otherwise flow, unbounded, to the
        # trusted parent; ipykernel still forwards them to the notebook as outputs.
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        return await super().async_start_new_kernel(**kwargs)

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] != "error":  # an error decides a grade: never dropped
            self._output_size += _size(msg.get("content", {}))
            if self._output_size > MAX_CELL_OUTPUT:
                if not self._truncated:
                    self._truncated = True
                    outs.append(nbformat.v4.new_output("stream", name="stdout", text=TRUNCATED))
                return None
        out = super().output(outs, msg, display_id, cell_index)
        if out is not None and out.get("output_type") == "error":
            out.evalue = str(out.get("evalue", ""))[:MAX_ERROR_TEXT]
            out.traceback = [str(line)[:MAX_ERROR_TEXT] for line in out.get("traceback", [])[:200]]
        return out


def _is_setup(cell) -> bool:
    """A read-only cell of the instructor's (locked; neither an answer nor a test).

    nbgrader restores the source of locked cells before execution. A student who
    marks a cell of their own as locked only gets their own code run again."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("locked") and not meta.get("grade") and not meta.get("solution")


def execute(nb: NotebookNode, workdir: str, timeout: int) -> NotebookNode:
    start, replay = 0, True
    while start < len(nb.cells):
        # After a death, the fresh kernel first re-runs the set-up (imports, data),
        # its outputs discarded, so later answers and checks find what they need.
        setup = [copy.deepcopy(c) for c in nb.cells[:start] if _is_setup(c)] if replay else []
        part = nbformat.v4.new_notebook(metadata=nb.metadata)
        part.cells = setup + nb.cells[start:]  # the same cell objects: outputs land in nb
        runner = _TrackingExecute(timeout=timeout, shutdown_kernel="immediate")
        try:
            runner.preprocess(part, {"metadata": {"path": workdir}})
            break
        except (DeadKernelError, CellTimeoutError) as stop:
            at = max(runner.current_index, 0) - len(setup)
            if at < 0:  # it stopped again while re-running the set-up: carry on without it
                replay = False
                continue
            why = KERNEL_DIED if isinstance(stop, DeadKernelError) else UNINTERRUPTIBLE
            nb.cells[start + at].outputs = [*nb.cells[start + at].get("outputs", []), why]
            start += at + 1
    nb, _ = LimitOutput().preprocess(nb, {})
    return nb


def _not_dumpable() -> None:
    """Other processes of the sandbox user (the kernel) may then neither open
    /proc/<worker>/fd nor ptrace this process. The kernel itself, exec'ed, is dumpable."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def main(argv: list[str]) -> int:
    source, result_fd, timeout = argv
    fd = int(result_fd)
    os.set_inheritable(fd, False)  # the kernel must not inherit the way back to the parent
    _not_dumpable()
    nb = nbformat.read(source, as_version=4)
    executed = execute(nb, workdir=".", timeout=int(timeout))
    with os.fdopen(fd, "w", encoding="utf-8") as result:
        nbformat.write(executed, result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
