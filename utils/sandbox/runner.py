"""Runs a notebook cell by cell in sandboxed kernels, from the grader's process.

It is nbgrader's own ``Execute`` preprocessor, so cell timeouts and error
recording behave exactly as in plain nbgrader, with these additions:

- the kernel runs in the sandbox (``kernel.SandboxedKernelManager``), with only
  the environment variables it is given;
- if the kernel dies (``os._exit``, a segfault, the memory or CPU limit) or a
  cell cannot be interrupted at its timeout (it ignores SIGINT), that cell gets
  an error and the remaining cells run in a fresh kernel, after the notebook's
  read-only set-up cells have run there again, so the rest still grades;
- the whole notebook has one wall-clock budget (``deadline``); cells it leaves
  no time for are not run, and say so;
- no cell can hand back more than ``MAX_CELL_OUTPUT`` characters, and the
  kernel's own stdout/stderr go nowhere (ipykernel still captures them as outputs).
"""

from __future__ import annotations

import copy
import subprocess
import time

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, LimitOutput
from nbgrader.utils import is_grade, is_locked, is_solution


def error_output(name: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


KERNEL_DIED = error_output("KernelDied", "The kernel stopped while running this cell (os._exit, a crash, "
                                         "or a resource limit); the cells after it ran in a fresh kernel.")
UNINTERRUPTIBLE = error_output("CellTimeoutError", "The cell ran past its time limit and did not stop when "
                                                   "interrupted; the cells after it ran in a fresh kernel.")
MAX_CELL_OUTPUT = 2_000_000   # characters of output kept per cell; errors are always kept
MAX_ERROR_TEXT = 20_000       # characters kept of an error's message and of each traceback line
TRUNCATED = "\n... output truncated by the grader ...\n"


class OutOfTime(Exception):
    """The notebook's wall-clock budget is spent."""


def _size(content: dict) -> int:
    return len(content.get("text", "")) + sum(len(str(v)) for v in (content.get("data") or {}).values())


class _TrackingExecute(Execute):
    """Execute that remembers which cell it runs, bounds what cells output, and
    gives no cell more time than the notebook has left."""
    current_index = -1
    deadline = float("inf")
    kernel_env: dict | None = None
    _output_size, _truncated = 0, False

    def preprocess_cell(self, cell, resources, index):
        self.current_index = index
        self._output_size, self._truncated = 0, False
        if cell.cell_type == "code":
            left = self.deadline - time.monotonic()
            if left <= 1:
                raise OutOfTime
            self.timeout = int(min(self.cell_timeout, left))
        return super().preprocess_cell(cell, resources, index)

    async def async_start_new_kernel(self, **kwargs):
        # The kernel's raw stdout/stderr go nowhere; ipykernel still forwards what
        # it prints to the notebook as outputs.
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        if self.kernel_env is not None:
            kwargs["env"] = dict(self.kernel_env)
        return await super().async_start_new_kernel(**kwargs)

    # nbclient binds its synchronous wrapper to its own coroutine when the class is
    # defined (start_new_kernel = run_sync(async_start_new_kernel)), so without this
    # line the override above is never called: the kernel would inherit the whole
    # environment of the grader and write to its terminal.
    start_new_kernel = run_sync(async_start_new_kernel)

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


def is_setup(cell) -> bool:
    """A read-only cell of the instructor's (locked; neither an answer nor a test).

    nbgrader restores the source of locked cells before execution. A student who
    marks a cell of their own as locked only gets their own code run again."""
    return cell.cell_type == "code" and is_locked(cell) and not is_grade(cell) and not is_solution(cell)


def execute(nb: NotebookNode, workdir: str, *, timeout: int, wall_seconds: float,
            kernel_manager_class=None, kernel_env: dict | None = None) -> NotebookNode:
    """Run ``nb`` in place; see the module docstring."""
    deadline = time.monotonic() + wall_seconds
    start, replay = 0, True
    while start < len(nb.cells):
        # After a death, the fresh kernel first re-runs the set-up (imports, data),
        # its outputs discarded, so later answers and checks find what they need.
        setup = [copy.deepcopy(c) for c in nb.cells[:start] if is_setup(c)] if replay else []
        part = nbformat.v4.new_notebook(metadata=nb.metadata)
        part.cells = setup + nb.cells[start:]  # the same cell objects: outputs land in nb
        extra = {"kernel_manager_class": kernel_manager_class} if kernel_manager_class else {}
        runner = _TrackingExecute(timeout=timeout, shutdown_kernel="immediate", **extra)
        runner.cell_timeout, runner.deadline, runner.kernel_env = timeout, deadline, kernel_env
        try:
            runner.preprocess(part, {"metadata": {"path": workdir}})
            break
        except OutOfTime:
            at = max(runner.current_index, 0) - len(setup)
            for cell in nb.cells[start + max(at, 0):]:
                if cell.cell_type == "code":
                    cell.outputs = [*cell.get("outputs", []), error_output(
                        "OutOfTime", f"Not run: the notebook used up its {wall_seconds:.0f} s for grading.")]
            break
        except (DeadKernelError, CellTimeoutError) as stop:
            at = max(runner.current_index, 0) - len(setup)
            if at < 0:  # it stopped again while re-running the set-up: carry on without it
                replay = False
                continue
            why = KERNEL_DIED if isinstance(stop, DeadKernelError) else UNINTERRUPTIBLE
            nb.cells[start + at].outputs = [*nb.cells[start + at].get("outputs", []), copy.deepcopy(why)]
            start += at + 1
    nb, _ = LimitOutput().preprocess(nb, {})
    return nb
