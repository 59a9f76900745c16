"""``SandboxedExecute``: nbgrader's Execute step, run in a sandbox.

nbgrader_config.py puts this class where nbgrader's ``Execute`` normally sits in
``Autograde.autograde_preprocessors``, so the plain ``nbgrader autograde``
command is the protected one.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Enum, Integer

from utils.checks.hidden import GRADING_DIR_ENV, recheck
from utils.sandbox.command import Limits, bwrap_command, prlimit_command

MAX_RESULT_BYTES = 64 * 1024 * 1024  # an executed notebook larger than this is rejected
# A hidden test names its question: regrade("spotify.dropout").
REGRADE_CALL = re.compile(r"""regrade\(\s*["']([\w.]+)["']\s*\)""")


def _error(name: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


class SandboxedExecute(Execute):
    isolation = Enum(["bwrap", "none"], default_value="bwrap", help=(
        "bwrap: hide the course root and home, no network, read-only system. "
        "none: only a scratch copy and resource limits (for machines without bubblewrap)."
    )).tag(config=True)
    allow_network = Bool(False, help="Let student code reach the network.").tag(config=True)
    memory_limit_mb = Integer(Limits.memory_mb).tag(config=True)
    cpu_time_limit = Integer(Limits.cpu_seconds, help="CPU seconds for one notebook.").tag(config=True)
    file_size_limit_mb = Integer(Limits.file_size_mb).tag(config=True)

    def preprocess(self, nb, resources):
        workdir = Path(resources.get("metadata", {}).get("path") or ".")
        with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
            scratch = Path(tmp)
            executed = self._run_in_scratch(nb, workdir, scratch)
            self._take_outputs(nb, executed)
            if not isinstance(executed, str):
                self._recheck_outside_the_kernel(nb, scratch / "grading")
        return nb, resources

    def _run_in_scratch(self, nb, workdir: Path, scratch: Path) -> NotebookNode | str:
        """Execute a copy of ``nb``; return the executed notebook or why it failed."""
        work = scratch / "work"
        # The student's other submitted files travel along; notebooks stay behind.
        shutil.copytree(workdir, work, ignore=shutil.ignore_patterns("*.ipynb"), dirs_exist_ok=True)
        for sub in ("home", "tmp", "grading"):
            (scratch / sub).mkdir(exist_ok=True)
        source, target = scratch / "in.ipynb", scratch / "out.ipynb"
        nbformat.write(nb, source)
        limits = Limits(self.memory_limit_mb, self.cpu_time_limit, self.file_size_limit_mb)
        worker = [sys.executable, "-m", "utils.sandbox.worker", str(source), str(target), str(self.timeout)]
        if self.isolation == "bwrap":
            cmd = [*bwrap_command(scratch, work, allow_network=self.allow_network),
                   *prlimit_command(limits), *worker]
        else:
            self.log.warning("Autograding WITHOUT isolation: student code can reach the gradebook.")
            cmd = [*prlimit_command(limits), *worker]
        code_cells = sum(c.cell_type == "code" for c in nb.cells)
        wall = (self.timeout or 600) * max(code_cells, 1) + 120
        try:
            env = {**os.environ, GRADING_DIR_ENV: str(scratch / "grading")}
            done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=wall)
        except subprocess.TimeoutExpired:
            return f"the notebook took longer than {math.ceil(wall)} s in total"
        if done.returncode != 0 or not target.is_file():
            self.log.error("Sandboxed execution failed (exit %s): %s", done.returncode, done.stderr[-2000:])
            return f"the grading sandbox stopped (exit code {done.returncode})"
        if target.stat().st_size > MAX_RESULT_BYTES:
            return "the executed notebook is too large (too much output)"
        try:
            return nbformat.read(target, as_version=4)
        except Exception as err:  # written by code the student controlled
            return f"the executed notebook could not be read ({type(err).__name__})"

    def _take_outputs(self, nb, executed: NotebookNode | str) -> None:
        """Copy outputs back cell by cell; the parent's cells (sources, metadata,
        points) are never replaced by what came out of the sandbox."""
        if not isinstance(executed, str) and not self._same_cells(nb, executed):
            executed = "the executed notebook does not match the submission"
        if isinstance(executed, str):
            self.log.error("Grading failed: %s", executed)
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs = [_error("GradingError", executed)]
            return
        for cell, ran in zip(nb.cells, executed.cells):
            if cell.cell_type == "code":
                cell.outputs = [o for o in ran.get("outputs", []) if self._allowed(cell, o)]
                cell.execution_count = ran.get("execution_count")

    def _recheck_outside_the_kernel(self, nb, grading_dir: Path) -> None:
        """Judge each hidden test's exported model here, in the trusted process.

        The kernel's own verdict could be forged by the student's code; this one
        reads only data (the exported config). A failed re-check adds an error to
        a test cell that passed in the kernel, so nbgrader scores it 0.
        """
        for cell in nb.cells:
            if cell.cell_type != "code" or not cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
                continue
            if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                continue  # already scores 0; one message is enough
            for qid in REGRADE_CALL.findall(cell.source):
                try:
                    verdict = recheck(qid, grading_dir)
                except KeyError:
                    continue  # not a course question: nothing to re-check
                if not verdict.passed:
                    self.log.info("Independent re-check of %s failed: %s", qid, verdict.message)
                    cell.outputs = [*cell.get("outputs", []),
                                    _error("IndependentRecheck", f"{qid}: {verdict.message}")]
                    break

    @staticmethod
    def _same_cells(nb, executed) -> bool:
        return len(nb.cells) == len(executed.cells) and all(
            a.get("id") == b.get("id") and a.cell_type == b.cell_type and a.source == b.source
            for a, b in zip(nb.cells, executed.cells))

    @staticmethod
    def _allowed(cell, output) -> bool:
        """A test cell's value counts as partial credit in nbgrader; the course's
        test cells never return one, so any such value is forged and dropped."""
        grade = cell.get("metadata", {}).get("nbgrader", {}).get("grade", False)
        return not (grade and output.get("output_type") == "execute_result")
