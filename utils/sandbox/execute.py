"""``SandboxedExecute``: nbgrader's Execute step, run in a sandbox.

nbgrader_config.py puts this class where nbgrader's ``Execute`` normally sits in
``Autograde.autograde_preprocessors``, so the plain ``nbgrader autograde``
command is the protected one.
"""

from __future__ import annotations

import io
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
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from traitlets import Bool, Enum, Integer

from utils.checks.hidden import GRADING_DIR_ENV, recheck
from utils.sandbox.command import Limits, bwrap_command, prlimit_command

MAX_RESULT_BYTES = 64 * 1024 * 1024  # an executed notebook larger than this is rejected
# A hidden test names its question: regrade("spotify.dropout").
REGRADE_CALL = re.compile(r"""regrade\(\s*["']([\w.]+)["']\s*\)""")
# The only variables of the instructor's environment the kernel gets: what a
# notebook needs to run. Tokens, keys and passwords stay out (student code could
# print them into its notebook, which goes back to the student as feedback).
KERNEL_ENV = re.compile(r"PATH|LD_LIBRARY_PATH|HOME|LANG|LANGUAGE|LC_\w+|TZ|TERM|PYTHONPATH|PYTHONHASHSEED"
                        r"|COURSE_\w+|NBGRADER_\w+|TF_\w+|KERAS_BACKEND|CUDA_VISIBLE_DEVICES"
                        r"|OMP_NUM_THREADS|MKL_\w+|OPENBLAS_\w+|JUPYTER_PATH|MPLBACKEND")


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
            executed = self._run_in_scratch(nb, workdir, scratch, self._handed_in_links(resources))
            self._take_outputs(nb, executed)
            if not isinstance(executed, str):
                self._recheck_outside_the_kernel(nb, scratch / "grading")
        return nb, resources

    def _run_in_scratch(self, nb, workdir: Path, scratch: Path, links: set[Path] = frozenset()) -> NotebookNode | str:
        """Execute a copy of ``nb``; return the executed notebook or why it failed."""
        work = scratch / "work"

        def left_behind(folder, names):  # notebooks, and what the student handed in as links
            here = Path(folder).relative_to(workdir)
            return {n for n in names if n.endswith(".ipynb") or here / n in links}

        # The student's other submitted files travel along.
        shutil.copytree(workdir, work, ignore=left_behind, symlinks=True, dirs_exist_ok=True)
        for sub in ("home", "tmp", "grading"):
            (scratch / sub).mkdir(exist_ok=True)
        source = scratch / "in.ipynb"
        nbformat.write(nb, source)
        limits = Limits(self.memory_limit_mb, self.cpu_time_limit, self.file_size_limit_mb)
        # The executed notebook comes back through this file: opened here, outside
        # the sandbox, with no name; only the worker holds it (see worker.main).
        # A file in the scratch folder could be rewritten by the student's code.
        result = tempfile.TemporaryFile()
        log = tempfile.TemporaryFile()  # the worker's messages; a file, so their size is capped
        # -P: the worker never imports from its working folder, which the kernel can write.
        worker = [sys.executable, "-P", "-m", "utils.sandbox.worker", str(source), str(result.fileno()),
                  str(self.timeout)]
        if self.isolation == "bwrap":
            cmd = [*bwrap_command(scratch, work, allow_network=self.allow_network, hide=self._course_paths()),
                   *prlimit_command(limits), *worker]
        else:
            self.log.warning("Autograding WITHOUT isolation: student code can reach the gradebook.")
            cmd = [*prlimit_command(limits), *worker]
        code_cells = sum(c.cell_type == "code" for c in nb.cells)
        wall = (self.timeout or 600) * max(code_cells, 1) + 120
        env = {k: v for k, v in os.environ.items() if KERNEL_ENV.fullmatch(k)}
        env[GRADING_DIR_ENV] = str(scratch / "grading")
        with result, log:
            try:
                done = subprocess.run(cmd, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                      pass_fds=(result.fileno(),), timeout=wall)
            except subprocess.TimeoutExpired:
                return f"the notebook took longer than {math.ceil(wall)} s in total"
            size = os.fstat(result.fileno()).st_size
            if done.returncode != 0 or size == 0:
                log.seek(max(0, os.fstat(log.fileno()).st_size - 2000))
                self.log.error("Sandboxed execution failed (exit %s): %s", done.returncode,
                               log.read().decode("utf-8", "replace"))
                return f"the grading sandbox stopped (exit code {done.returncode})"
            if size > MAX_RESULT_BYTES:
                return "the executed notebook is too large (too much output)"
            result.seek(0)
            try:
                return nbformat.read(io.TextIOWrapper(result, encoding="utf-8"), as_version=4)
            except Exception as err:  # written by the worker, next to code the student controlled
                return f"the executed notebook could not be read ({type(err).__name__})"

    def _handed_in_links(self, resources) -> set[Path]:
        """Files the student handed in as symbolic links (relative paths). nbgrader
        copies what they point to (the gradebook, a solution, ...) into the folder
        it grades in; those copies must not reach the kernel."""
        info = resources.get("nbgrader", {})
        if not info.get("student") or not info.get("assignment"):
            return set()
        coursedir = CourseDirectory(config=self.config)
        folder = Path(coursedir.format_path(coursedir.submitted_directory, info["student"], info["assignment"]))
        links = set()
        for parent, dirs, files in os.walk(folder):
            links |= {(Path(parent) / n).relative_to(folder) for n in dirs + files if (Path(parent) / n).is_symlink()}
        return links

    def _course_paths(self) -> list[Path]:
        """The course being graded and its gradebook's folder, wherever they are
        (the course need not be this repository): hidden from the kernel too."""
        coursedir = CourseDirectory(config=self.config)
        paths = [Path(coursedir.root).resolve()]
        if coursedir.db_url.startswith("sqlite:///"):
            paths.append(Path(coursedir.db_url[len("sqlite:///"):]).resolve().parent)
        return paths

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
