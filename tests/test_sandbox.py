"""The grading sandbox: student code cannot reach the course, the network or
unbounded resources, and a crash or hang in one cell does not lose the rest."""

import os
import shutil
import socket

import nbformat
import pytest

from utils.data import REPO_ROOT
from utils.sandbox import SandboxedExecute
from utils.sandbox.command import SandboxUnavailable

needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"),
    reason="bubblewrap is not installed (CI installs it; see README)",
)


def run(cells, tmp_path, **traits):
    """Execute code cells in the sandbox; return each cell's outputs as text."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
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
