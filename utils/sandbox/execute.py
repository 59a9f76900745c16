"""``SandboxedExecute``: nbgrader's Execute step, with the student's code in a sandbox
and the scores decided where no student code ran.

nbgrader_config.py puts this class where nbgrader's ``Execute`` normally sits in
``Autograde.autograde_preprocessors``, so the plain ``nbgrader autograde``
command is the protected one. For each notebook it

1. drops what the student handed in as symbolic links (nbgrader has already
   copied the files they point to into the folder it grades in);
2. resets the metadata of test cells to nbgrader's own (a ``skip-execution`` tag
   or similar from the submission has no effect);
3. starts the judge (``utils.grading``) on the vetted answer cells, in a sandbox
   of its own, and meanwhile runs the notebook in a sandboxed kernel
   (``runner``, ``kernel``), within one wall-clock budget set from the source
   notebook;
4. scores each course question from the judge's verdict alone: the test cell's
   outputs become that verdict; an answer that cannot be judged safely scores 0
   and is flagged for manual review (``utils.grading.review``). Other test cells
   keep what the kernel produced, minus any partial-credit value; a test cell
   that never ran scores 0.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from traitlets import Bool, Enum, Integer

from utils.questions import feedback, registry
from utils.grading.judgement import Judgement, Review
from utils.grading.review import REVIEW_KEY, printable
from utils.sandbox import runner
from utils.sandbox.command import Limits, SandboxUnavailable, bwrap_command, prlimit_command
from utils.sandbox.kernel import kernel_manager_class, room_for_sockets

KERNEL_SCRATCH_PREFIX = "course-grade-"
RUNTIME = "home/runtime"   # in a scratch folder: the kernel's connection file and sockets

# The only variables of the instructor's environment that reach student code: what a
# notebook needs to run. Tokens, keys and passwords stay out (student code could print
# them into its notebook, which goes back to the student as feedback).
KERNEL_ENV = re.compile(r"PATH|PYTHONPATH|LD_LIBRARY_PATH|LANG|LANGUAGE|LC_\w+|TZ|TERM|PYTHONHASHSEED"
                        r"|COURSE_FAST_MODE|NBGRADER_EXECUTION|TF_\w+|KERAS_BACKEND|CUDA_VISIBLE_DEVICES"
                        r"|OMP_NUM_THREADS|MKL_\w+|OPENBLAS_\w+|MPLBACKEND")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
JUDGE_MARGIN = 60              # seconds the judge may take beyond the notebook's own run
STARTUP_MARGIN = 60            # per-submission allowance for kernel starts


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def kernel_scratch_base() -> str:
    """Where the kernel's scratch folder goes: the temporary folder (TMPDIR), or /tmp
    if that path leaves no room for the kernel's socket paths (kernel.MAX_SOCKET_PATH;
    a macOS TMPDIR nearly fills it)."""
    scratch_example = f"/{KERNEL_SCRATCH_PREFIX}x1y2z3w4/{RUNTIME}"  # as TemporaryDirectory names it
    for base in dict.fromkeys((tempfile.gettempdir(), "/tmp")):
        if os.path.isdir(base) and room_for_sockets(base + scratch_example):
            return base
    raise SandboxUnavailable(f"the temporary folder's path ({tempfile.gettempdir()}) is too long for the "
                             "kernel's sockets, and /tmp is missing: set TMPDIR to a short path")


class SandboxedExecute(Execute):
    isolation = Enum(["bwrap", "none"], default_value="bwrap", help=(
        "bwrap: student code sees only the system, Python and the course package; no network. "
        "none: resource limits only (for machines without bubblewrap)."
    )).tag(config=True)
    allow_network = Bool(False, help="Let student code reach the network.").tag(config=True)
    submission_timeout = Integer(900, help=(
        "Wall-clock seconds for one notebook at most. The budget is the cell timeout times "
        "the number of code cells in the source notebook, capped by this.")).tag(config=True)
    memory_limit_mb = Integer(Limits.memory_mb).tag(config=True)
    cpu_time_limit = Integer(Limits.cpu_seconds, help="CPU seconds for one notebook.").tag(config=True)
    file_size_limit_mb = Integer(Limits.file_size_mb).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources.get("nbgrader", {})
        workdir = Path(resources.get("metadata", {}).get("path") or ".")
        links = self._handed_in_links(info)
        self._drop_link_copies(workdir, links)
        for cell in nb.cells:
            if cell.cell_type == "code" and _nbgrader(cell).get("grade"):
                cell.metadata = NotebookNode(nbgrader=cell.metadata["nbgrader"])
        source = self._source_notebook(info)
        questions = registry.questions(info["assignment"]) \
            if info.get("assignment") in registry.exercises() and source is not None else ()
        setup = [c.source for c in (source.source_cells if source else [])
                 if c.cell_type == "code" and c.locked and registry.is_setup_cell(c.name)]
        code_cells = sum(c.cell_type == "code" for c in source.source_cells) if source else None
        wall = min(self.submission_timeout, (self.timeout or 600) * (code_cells or 10_000)) + STARTUP_MARGIN
        judgement = Judgement(questions, setup, nb)
        with tempfile.TemporaryDirectory(prefix=KERNEL_SCRATCH_PREFIX, dir=kernel_scratch_base()) as kernel_tmp, \
                tempfile.TemporaryDirectory(prefix="course-judge-") as judge_tmp:
            kernel_scratch, judge_scratch = self._scratch(Path(kernel_tmp)), self._scratch(Path(judge_tmp))
            work = kernel_scratch / "work"
            shutil.copytree(workdir, work, symlinks=True, dirs_exist_ok=True,
                            ignore=lambda folder, names: {n for n in names if n.endswith(".ipynb") or
                                                          Path(folder, n).is_symlink()})
            env = self._env()
            judgement.start(self._prefix(judge_scratch, judge_scratch / "work"), {**env, "MPLBACKEND": "Agg"},
                            str(judge_scratch / "work"))
            km = kernel_manager_class(self._prefix(kernel_scratch, work), str(kernel_scratch / RUNTIME))
            runner.execute(nb, str(work), timeout=self.timeout or 600, wall_seconds=wall,
                           kernel_manager_class=km, kernel_env=env)
            outcomes = judgement.finish(timeout=JUDGE_MARGIN + 30)
        self._score(nb, questions, outcomes, resources)
        return nb, resources

    # ------------------------------------------------------------ the sandbox

    @staticmethod
    def _scratch(root: Path) -> Path:
        for sub in ("work", "home", RUNTIME, "tmp"):
            (root / sub).mkdir(exist_ok=True)
        return root

    def _prefix(self, scratch: Path, workdir: Path) -> list[str]:
        limits = Limits(self.memory_limit_mb, self.cpu_time_limit, self.file_size_limit_mb)
        if self.isolation == "none":
            self.log.warning("Autograding WITHOUT isolation: student code can reach the gradebook.")
            return prlimit_command(limits)
        return [*bwrap_command(scratch, workdir, allow_network=self.allow_network), *prlimit_command(limits)]

    @staticmethod
    def _env() -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if KERNEL_ENV.fullmatch(k)}
        env.setdefault("NBGRADER_EXECUTION", "autograde")
        # Figures inline, as in JupyterLab: the grader reads the learning curves beside
        # the written answers (the judge, which draws nothing, gets Agg).
        env["MPLBACKEND"] = INLINE_BACKEND
        return env

    # ------------------------------------------------------------ what the student handed in

    def _handed_in_links(self, info: dict) -> set[Path]:
        """Files and folders the student handed in as symbolic links (relative paths)."""
        if not info.get("student") or not info.get("assignment"):
            return set()
        coursedir = CourseDirectory(config=self.config)
        folder = Path(coursedir.format_path(coursedir.submitted_directory, info["student"], info["assignment"]))
        links = set()
        for parent, dirs, files in os.walk(folder):
            links |= {(Path(parent) / n).relative_to(folder) for n in dirs + files if (Path(parent) / n).is_symlink()}
        return links

    def _drop_link_copies(self, workdir: Path, links: set[Path]) -> None:
        """nbgrader copied what each link points to (a gradebook, a solution,
        /proc/self/environ) into the folder it grades in, from where feedback would
        carry it back to the student. Those copies go, before anything runs."""
        for relative in links:
            path = workdir / relative
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
            self.log.warning("Dropped %s: it was handed in as a symbolic link", printable(relative))

    def _source_notebook(self, info: dict):
        if not info.get("db_url") or not info.get("assignment") or not info.get("notebook"):
            return None
        try:
            with Gradebook(info["db_url"]) as gb:
                source = gb.find_notebook(info["notebook"], info["assignment"])
                cells = [NotebookNode(name=c.name, source=c.source, cell_type=c.cell_type, locked=c.locked)
                         for c in source.source_cells]
            return NotebookNode(source_cells=cells)
        except MissingEntry:
            return None

    # ------------------------------------------------------------ scores

    def _score(self, nb, questions, outcomes: dict, resources) -> None:
        by_test_cell = {q.test_cell: q for q in questions}
        review = resources.setdefault(REVIEW_KEY, {})
        for cell in nb.cells:
            meta = _nbgrader(cell)
            if cell.cell_type != "code" or not meta.get("grade"):
                continue
            # A test cell's value would count as partial credit: the course's never return one.
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "execute_result"]
            if cell.get("execution_count") is None:
                cell.outputs = [runner.error_output("NotExecuted", "This test cell did not run, so it scores 0.")]
                continue
            q = by_test_cell.get(meta.get("grade_id"))
            if q is None:
                continue
            outcome = outcomes.get(q.qid, Review("The grader found no judgement for this question."))
            if isinstance(outcome, Review):
                review[meta["grade_id"]] = outcome.reason
                cell.outputs = _shown(q.title, "needs review", outcome.reason, "NeedsReview")
            else:
                cell.outputs = _shown(q.title, outcome.status, outcome.message,
                                      None if outcome.passed else "CheckFailed")
                self.log.info("%s: %s", q.qid, outcome.status)


def _shown(title: str, status: str, message: str, error: str | None) -> list[NotebookNode]:
    """The grader's verdict as the test cell's outputs: the check's box, and an error
    (which makes nbgrader score the cell 0) unless it passed."""
    shown = [NotebookNode(output_type="display_data", metadata={}, data={
        "text/html": feedback.box(title, status, message), "text/plain": feedback.plain(title, status, message)})]
    if error:
        shown.append(runner.error_output(error, message))
    return shown

