"""The grading sandbox: student code cannot reach the course, the network or
unbounded resources, and a crash or hang in one cell does not lose the rest."""

import os
import resource
import shutil
import socket
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from utils.data import REPO_ROOT
from utils.sandbox import SandboxedExecute
from utils.sandbox.command import SandboxUnavailable

needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"),
    reason="bubblewrap is not installed (CI installs it; see README)",
)


def run(cells, tmp_path, *, locked=(), **traits):
    """Execute code cells in the sandbox; return each cell's outputs as text.
    Cells whose index is in ``locked`` are the instructor's read-only cells."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    for i in locked:
        nb.cells[i].metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True,
                                            "grade_id": f"setup{i}", "schema_version": 3}
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    workdir = tmp_path / "submission"
    workdir.mkdir(exist_ok=True)
    nb, _ = SandboxedExecute(timeout=traits.pop("timeout", 20), **traits).preprocess(
        nb, {"metadata": {"path": str(workdir)}})
    return [
        "".join(o.get("text", "") if o.output_type == "stream" else f"<{o.get('ename', o.output_type)}>"
                for o in cell.outputs)
        for cell in nb.cells
    ]


@needs_bwrap
def test_course_root_is_hidden_but_the_package_and_data_are_there(tmp_path):
    out = run([
        f"import os; print(sorted(os.listdir({str(REPO_ROOT)!r})))",
        "import utils.data; print(utils.data.load_red_wine().shape)",
        f"open({str(REPO_ROOT / 'pyproject.toml')!r})",
    ], tmp_path)
    visible = eval(out[0])
    assert "solutions" not in visible and "gradebook.db" not in visible and "submitted" not in visible
    assert {"utils", "data"} <= set(visible)
    assert out[1].strip() == "(1599, 12)"
    assert out[2] == "<FileNotFoundError>"


@needs_bwrap
def test_file_system_is_read_only_outside_the_scratch_copy(tmp_path):
    out = run([
        "open('answer.txt', 'w').write('ok'); print('scratch ok')",
        f"open({str(REPO_ROOT / 'data' / 'x.csv')!r}, 'w')",
        "open('/usr/evil', 'w')",
    ], tmp_path)
    assert out[0].strip() == "scratch ok"
    assert out[1] in ("<OSError>", "<PermissionError>")
    assert out[2] in ("<OSError>", "<PermissionError>")
    assert not (REPO_ROOT / "data" / "x.csv").exists()


@needs_bwrap
def test_no_network(tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        out = run([f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)"], tmp_path)
    finally:
        listener.close()
    assert out[0] in ("<ConnectionRefusedError>", "<OSError>", "<TimeoutError>")


@needs_bwrap
def test_kernel_death_and_hang_cost_only_their_own_cells(tmp_path):
    out = run(["x = 1", "import os; os._exit(3)", "print('after exit')",
               "while True: pass", "print('after loop')"], tmp_path, timeout=5)
    assert out[1] == "<KernelDied>"
    assert out[2].strip() == "after exit"
    assert "<CellTimeoutError>" in out[3] or "<KeyboardInterrupt>" in out[3]
    assert out[4].strip() == "after loop"


@needs_bwrap
def test_memory_limit(tmp_path):
    out = run(["x = bytearray(12 * 1024**3)", "print('still here')"], tmp_path, memory_limit_mb=4096)
    assert out[0] == "<MemoryError>"
    assert out[1].strip() == "still here"


@needs_bwrap
def test_huge_output_is_truncated(tmp_path):
    out = run(["for i in range(2_000_000): print(i)"], tmp_path, timeout=60)
    assert len(out[0].splitlines()) <= 1010


def test_forged_partial_credit_is_dropped():
    cell = nbformat.v4.new_code_cell("1000")
    cell.metadata["nbgrader"] = {"grade": True, "points": 1}
    forged = nbformat.v4.new_output("execute_result", data={"text/plain": "1000"}, execution_count=1)
    assert not SandboxedExecute._allowed(cell, forged)
    plain = nbformat.v4.new_code_cell("1000")
    assert SandboxedExecute._allowed(plain, forged)


def test_mismatched_result_notebook_fails_every_cell():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1"), nbformat.v4.new_code_cell("b")])
    forged = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('all good')")])
    SandboxedExecute()._take_outputs(nb, forged)
    assert all(c.outputs[0].ename == "GradingError" for c in nb.cells)


def test_missing_bwrap_refuses_instead_of_running_unprotected(monkeypatch, tmp_path):
    import utils.sandbox.command as command

    monkeypatch.setattr(command.shutil, "which", lambda name: None)
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        command.bwrap_command(tmp_path, tmp_path)


# ---------------------------------------------------------------- limits, one by one

@needs_bwrap
def test_cell_timeout_cuts_off_only_that_cell(tmp_path):
    started = time.monotonic()
    out = run(["import time; time.sleep(600)", "print('next')"], tmp_path, timeout=3)
    assert "<CellTimeoutError>" in out[0] or "<KeyboardInterrupt>" in out[0]
    assert out[1].strip() == "next"
    assert time.monotonic() - started < 60


@needs_bwrap
def test_cpu_time_limit_stops_a_busy_kernel(tmp_path):
    """The wall-clock timeout is far away; the CPU limit (prlimit) stops the loop."""
    started = time.monotonic()
    out = run(["while True: pass", "print('fresh kernel')"], tmp_path, timeout=120, cpu_time_limit=8)
    assert out[0] == "<KernelDied>"
    assert out[1].strip() == "fresh kernel"
    assert time.monotonic() - started < 60


@needs_bwrap
def test_file_size_limit(tmp_path):
    out = run(["open('big.bin', 'wb').write(b'x' * 20 * 1024**2)", "print('still here')"], tmp_path,
              file_size_limit_mb=10)
    assert out[0] == "<OSError>"  # EFBIG: Python ignores SIGXFSZ
    assert out[1].strip() == "still here"


@needs_bwrap
def test_set_up_cells_run_again_after_a_kernel_death(tmp_path):
    """The fresh kernel re-runs the read-only set-up (not the student's cells), so
    later cells find the course's imports; the dead kernel's variables are gone."""
    out = run(["import math; print('set-up')", "answer = 42", "import os; os.kill(os.getpid(), 9)",
               "print(round(math.pi, 2))", "print(answer)"], tmp_path, locked=(0,))
    assert out[0].strip() == "set-up"  # once: the replay's outputs are not kept
    assert out[2] == "<KernelDied>"
    assert out[3].strip() == "3.14"
    assert out[4] == "<NameError>"


# ---------------------------------------------------------------- what the kernel cannot reach

FORGER = r'''
import json, os, subprocess, sys, textwrap
forged = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
daemon = textwrap.dedent("""
    import glob, json, os, sys, time
    forged, worker = sys.argv[2], sys.argv[3]
    scratch = os.path.dirname(os.environ["COURSE_GRADING_DIR"])
    for _ in range(400):  # about 20 s: longer than the notebook runs
        for path in glob.glob(scratch + "/*.ipynb") + glob.glob(f"/proc/{worker}/fd/*"):
            try:
                with open(path, "w") as f:
                    f.write(forged)
            except OSError:
                pass
        time.sleep(0.05)
""")
subprocess.Popen([sys.executable, "-c", daemon, "FORGER-MARKER", json.dumps(forged), str(os.getppid())],
                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("daemon started")
'''


OPEN_WORKER_FDS = """
import os
fds, opened = os.listdir(f"/proc/{os.getppid()}/fd"), 0
for fd in fds:
    try:
        os.close(os.open(f"/proc/{os.getppid()}/fd/{fd}", os.O_WRONLY))
        opened += 1
    except OSError:
        pass
print(f"opened {opened} of the worker's descriptors" if fds else "no descriptors?")
"""


def _processes_with(marker: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker.encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            pass
    return found


@needs_bwrap
def test_kernel_cannot_forge_the_result_and_nothing_outlives_the_sandbox(tmp_path):
    """A background process keeps overwriting every notebook file in the scratch
    folder and every file descriptor of the worker (the kernel's parent) it can
    open. The result still comes back intact, and the process is gone once the
    sandbox is."""
    out = run([FORGER, "import time; time.sleep(2); print('real output')", OPEN_WORKER_FDS], tmp_path)
    assert out[0].strip() == "daemon started"
    assert out[1].strip() == "real output"
    assert out[2].strip() == "opened 0 of the worker's descriptors"
    assert _processes_with("FORGER-MARKER") == []


@needs_bwrap
def test_instructor_environment_does_not_reach_the_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "s3cret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cret")
    out = run(["import os; print([k for k, v in os.environ.items() if v == 's3cret'])",
               "import os; print(os.environ['NBGRADER_EXECUTION'])"], tmp_path)
    assert out[0].strip() == "[]"
    assert out[1] == "<KeyError>" or out[1].strip() == "autograde"


@needs_bwrap
def test_course_outside_the_repository_is_hidden_too(tmp_path, monkeypatch):
    """nbgrader's course root is the working directory; it need not be this
    repository, nor under /tmp or the home directory (here: /var/tmp)."""
    course = Path(tempfile.mkdtemp(dir="/var/tmp" if os.access("/var/tmp", os.W_OK) else None))
    try:
        (course / "gradebook.db").write_text("grades")
        (course / "solutions").mkdir()
        monkeypatch.chdir(course)
        out = run([f"import os; print(os.path.exists({str(course / 'gradebook.db')!r}), "
                   f"os.path.exists({str(course / 'solutions')!r}))"], tmp_path)
        assert out[0].strip() == "False False"
    finally:
        shutil.rmtree(course)


@needs_bwrap
def test_output_flood_reaches_neither_the_parent_nor_the_notebook(tmp_path):
    """200 MB written straight to the kernel's file descriptors 1 and 2: the cell
    keeps a bounded part, the next cell runs, and the grading process does not
    buffer the flood (its peak memory barely moves)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = run(["import os\nfor _ in range(1000): os.write(1, b'o' * 100_000); os.write(2, b'e' * 100_000)",
               "print('after')"], tmp_path, timeout=60)
    assert "output truncated by the grader" in out[0]
    assert len(out[0]) < 3_000_000
    assert out[1].strip() == "after"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 150 * 1024  # kB


@needs_bwrap
def test_files_handed_in_as_links_stay_out(tmp_path, monkeypatch):
    """nbgrader copies what a handed-in symbolic link points to (here the gradebook)
    into the folder it grades in; that copy must not reach the kernel."""
    course = tmp_path / "course"
    handed_in, graded = course / "submitted" / "s1" / "a", course / "autograded" / "s1" / "a"
    handed_in.mkdir(parents=True)
    graded.mkdir(parents=True)
    (course / "gradebook.db").write_text("everyone's grades")
    (handed_in / "notes.txt").symlink_to("../../../gradebook.db")
    (handed_in / "data.csv").write_text("1,2\n")
    for name in ("notes.txt", "data.csv"):  # as nbgrader's autograde does it
        shutil.copy(handed_in / name, graded / name)
    monkeypatch.chdir(course)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os; print(sorted(os.listdir('.')))")])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb, _ = SandboxedExecute(timeout=20).preprocess(
        nb, {"metadata": {"path": str(graded)}, "nbgrader": {"student": "s1", "assignment": "a"}})
    assert nb.cells[0].outputs[0].text.strip() == "['data.csv']"


def test_without_isolation_the_same_worker_runs(tmp_path):
    """--SandboxedExecute.isolation=none (no bubblewrap): same worker, same way back."""
    out = run(["print(6 * 7)", "import os; os._exit(1)", "print('after')"], tmp_path, isolation="none")
    assert out == ["42\n", "<KernelDied>", "after\n"]
