"""The grading sandbox: student code cannot reach the course, the grader, the
network or unbounded resources, and a crash or hang in one cell does not lose the rest.

Each attack below is written to succeed against a kernel run the plain way (as the
grading user, in its process tree, with its environment and terminal); the test
then checks what the sandbox leaves of it. ``SandboxedExecute`` runs here in the
test process, as nbgrader runs it (nbgrader's process is the grader).
"""

import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from utils import REPO_ROOT
from utils.sandbox import SandboxedExecute, execute
from utils.sandbox.command import SandboxUnavailable, visible_paths

needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"),
    reason="bubblewrap is not installed (CI installs it; see README)",
)


def _text(output) -> str:
    if output.output_type == "stream":
        return output.get("text", "")
    if output.output_type in ("display_data", "execute_result"):
        return output.get("data", {}).get("text/plain", "")
    return f"<{output.get('ename', output.output_type)}>"


def notebook(cells, *, locked=(), tests=()):
    """Code cells; those whose index is in ``locked`` are the instructor's read-only
    cells, those in ``tests`` are graded test cells."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    for i in locked:
        nb.cells[i].metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True,
                                            "grade_id": f"setup{i}", "schema_version": 3}
    for i in tests:
        nb.cells[i].metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 1,
                                            "grade_id": f"test{i}_check", "schema_version": 3}
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def run(cells, tmp_path, *, locked=(), tests=(), nbgrader=None, **traits):
    """Execute code cells in the sandbox; return each cell's outputs as text."""
    nb = notebook(cells, locked=locked, tests=tests)
    workdir = tmp_path / "submission"
    workdir.mkdir(exist_ok=True)
    resources = {"metadata": {"path": str(workdir)}, **({"nbgrader": nbgrader} if nbgrader else {})}
    nb, _ = SandboxedExecute(timeout=traits.pop("timeout", 20), **traits).preprocess(nb, resources)
    return ["".join(_text(o) for o in cell.outputs) for cell in nb.cells]


def _private_folder(parent: Path) -> Path:
    """A 0700 folder holding a 0600 file, both the grading user's."""
    folder = Path(tempfile.mkdtemp(prefix=".course-sandbox-test-", dir=parent))
    folder.chmod(0o700)
    secret = folder / "secret.txt"
    secret.write_text("private to the grading user")
    secret.chmod(0o600)
    return folder


# ---------------------------------------------------------------- what the kernel cannot read

@needs_bwrap
def test_course_root_is_hidden_but_the_package_and_data_are_there(tmp_path):
    out = run([
        f"import os; print(sorted(os.listdir({str(REPO_ROOT)!r})))",
        "import utils.data; print(utils.data.load_red_wine().shape)",
        f"open({str(REPO_ROOT / 'pyproject.toml')!r})",
    ], tmp_path)
    visible = set(eval(out[0]))
    shown = {p.relative_to(REPO_ROOT).parts[0] for p in visible_paths() if REPO_ROOT in p.parents}
    assert {"utils", "data"} <= visible <= shown | {"utils", "data"}
    assert out[1].strip() == "(1599, 12)"
    assert out[2] == "<FileNotFoundError>"


@needs_bwrap
def test_repository_clone_shows_only_the_package_and_the_data(tmp_path):
    """solutions/, .git/, tests/, the config and any gradebook of the repository are
    not there at all (the kernel would otherwise read them as their owner)."""
    hidden = [REPO_ROOT / name for name in ("solutions", ".git", "tests", "nbgrader_config.py", "gradebook.db",
                                             "exercises", "lessons", "README.md")]
    assert (REPO_ROOT / "solutions").is_dir() and (REPO_ROOT / ".git").exists()  # the attack has a target
    out = run([f"import os; print([p for p in {[str(p) for p in hidden]!r} if os.path.exists(p)])",
               "from utils.questions.question import reference_answer; "
               "print(reference_answer('red_wine', 'dropout_answer'))"], tmp_path)
    assert out[0].strip() == "[]"
    assert out[1].strip() == "None"  # what checks.<q>.solution() would show


@needs_bwrap
def test_private_files_home_and_system_secrets_are_not_there(tmp_path):
    """A 0600 file in a 0700 folder of the grading user, in its home, in /var/tmp and
    in a sibling of the sandbox's scratch folder (another submission's); /etc/shadow;
    the home directory shows nothing but the way to Python when Python lives there."""
    home = Path.home()
    places = [home, Path(tempfile.gettempdir())]
    if os.access("/var/tmp", os.W_OK):
        places.append(Path("/var/tmp"))
    folders = [_private_folder(p) for p in places]
    try:
        secrets = [str(f / "secret.txt") for f in folders]
        assert all(Path(s).read_text() for s in secrets)  # readable here, by the grading user
        out = run([
            "def attempt(path):\n"
            "    try:\n"
            "        return open(path).read()\n"
            "    except OSError as err:\n"
            "        return type(err).__name__\n"
            f"print([attempt(p) for p in {secrets + ['/etc/shadow', '/etc/gshadow']!r}])",
            f"import os; print(sorted(os.listdir({str(home)!r})) if os.path.isdir({str(home)!r}) else [])",
            "import os; print(os.path.expanduser('~'))",
        ], tmp_path)
        assert eval(out[0]) == ["FileNotFoundError"] * (len(secrets) + 2)
        way_to_python = {p.relative_to(home).parts[0] for p in visible_paths() if home in p.parents}
        assert set(eval(out[1])) <= way_to_python
        assert out[2].strip() != str(home)
    finally:
        for folder in folders:
            shutil.rmtree(folder)


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
def test_solution_is_not_shown_while_grading_even_when_asked_for(tmp_path):
    """COURSE_SHOW_SOLUTIONS=1 set inside the kernel, NBGRADER_EXECUTION removed: the
    check would read solutions/, which is not there."""
    ask = ("import os\nos.environ['COURSE_SHOW_SOLUTIONS'] = '1'\n{drop}"
           "from utils.checks import red_wine as checks\nchecks.dropout.solution()")
    out = run([ask.format(drop=""), ask.format(drop="os.environ.pop('NBGRADER_EXECUTION', None)\n")], tmp_path)
    assert "not shown while a notebook is graded" in out[0]
    assert "not on this machine" in out[1]
    assert not any("Dropout(0.3)" in text or "dropout_model =" in text for text in out)


@needs_bwrap
def test_instructor_environment_does_not_reach_the_kernel(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "s3cret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cret")
    monkeypatch.setenv("COURSE_SHOW_SOLUTIONS", "1")
    out = run(["import os; print([k for k, v in os.environ.items() if v == 's3cret'])",
               "import os; print(os.environ['NBGRADER_EXECUTION'], 'COURSE_SHOW_SOLUTIONS' in os.environ)",
               "print(open('/proc/1/environ', 'rb').read().count(b's3cret'))"], tmp_path)
    assert out[0].strip() == "[]"
    assert out[1].strip() == "autograde False"
    assert out[2].strip() in ("0", "<PermissionError>")


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


# ---------------------------------------------------------------- the grader, its log and terminal

# Both attacks act only where they can see no process beyond their own few: should the
# sandbox ever lose its PID namespace, they would otherwise stop (or kill) every process
# of this user on the machine. The test then fails on what they saw instead.
STOP_EVERYONE = """
import os, signal
grader = {grader}
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print("parent", os.getppid(), "sees", pids, "grader visible:", os.path.exists(f"/proc/{{grader}}"))
if os.path.exists(f"/proc/{{grader}}") or len(pids) > 5:
    print("NOT ISOLATED: attack withheld")
else:
    for target in [os.getppid(), -1, *pids]:
        if target != os.getpid():
            try:
                os.kill(target, signal.SIGSTOP)
            except OSError as err:
                print("SIGSTOP", target, type(err).__name__)
    try:
        os.kill(grader, signal.SIGSTOP)
    except OSError as err:
        print("SIGSTOP grader", type(err).__name__)
    print("stopped what it could")
"""
KILL_EVERYONE = """
import os, signal
pids = sorted((int(p) for p in os.listdir("/proc") if p.isdigit()), key=lambda p: p == os.getpid())
if os.path.exists("/proc/{grader}") or len(pids) > 5:
    print("NOT ISOLATED: attack withheld")
else:
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
"""


@needs_bwrap
def test_kernel_cannot_see_or_signal_the_grader(tmp_path):
    """SIGSTOP to its parent and to every process it can see (one by one, and kill(-1)),
    then SIGKILL to all of them, then SIGSTOP to itself: the kernel lives in its own PID
    namespace, so the grader is untouched, grading finishes well within the budget, and
    the cells after each attack still run."""
    started = time.monotonic()
    out = run([STOP_EVERYONE.format(grader=os.getpid()), "print('still answering')",
               KILL_EVERYONE.format(grader=os.getpid()), "print('fresh kernel')",
               "import os, signal; os.kill(os.getpid(), signal.SIGSTOP)", "print('after the stop')"],
              tmp_path, timeout=5)
    elapsed = time.monotonic() - started
    seen = out[0].splitlines()[0]
    assert "parent 1 " in seen and "grader visible: False" in seen, seen
    assert eval(seen.split("sees ")[1].split(" grader")[0]) == [1, 2]  # bwrap's init and the kernel
    assert "SIGSTOP grader ProcessLookupError" in out[0] and "stopped what it could" in out[0]
    assert out[1].strip() == "still answering"
    assert out[2] == "<KernelDied>"
    assert out[3].strip() == "fresh kernel"
    assert "<CellTimeoutError>" in out[4]  # stopped, it could not be interrupted: replaced
    assert out[5].strip() == "after the stop"
    assert elapsed < 90


FORGED = "\\x1b[2K\\r[AutogradeApp | INFO] forged-7c1e: every submission scored 6/6\\n"
FORGE_LOG = f"""
import os, sys
forged = "{FORGED}"
print(forged)
print(forged, file=sys.stderr)
sys.__stdout__.write(forged); sys.__stdout__.flush()
sys.__stderr__.write(forged); sys.__stderr__.flush()
os.write(1, forged.encode()); os.write(2, forged.encode())
reached = []
for path in ["/proc/1/fd/1", "/proc/1/fd/2", "/dev/tty", f"/proc/{{os.getppid()}}/fd/0", "/dev/console"]:
    try:
        with open(path, "w") as f:
            f.write(forged)
        reached.append(path)
    except OSError:
        pass
print("opened:", reached)
"""


@needs_bwrap
def test_kernel_cannot_write_to_the_instructors_log_or_terminal(tmp_path, capfd):
    """Forged nbgrader log lines with ANSI escapes, printed, written to the kernel's
    file descriptors 1 and 2, to its parent's and to /dev/tty: they stay in the
    notebook (the student's own) and never reach the grading process's stdout or stderr."""
    out = run([FORGE_LOG, "print('next')"], tmp_path)
    captured = capfd.readouterr()
    assert "forged-7c1e" in out[0]  # the attack ran, and its prints are the notebook's
    assert out[1].strip() == "next"
    assert "forged-7c1e" not in captured.out + captured.err
    assert "\x1b" not in captured.out + captured.err
    assert "--existing" not in captured.out + captured.err  # nor the kernel's own start-up chatter


# ---------------------------------------------------------------- crashes, hangs, limits

@needs_bwrap
def test_kernel_death_and_hang_cost_only_their_own_cells(tmp_path):
    out = run(["x = 1", "import os; os._exit(3)", "print('after exit')",
               "while True: pass", "print('after loop')"], tmp_path, timeout=5)
    assert out[1] == "<KernelDied>"
    assert out[2].strip() == "after exit"
    assert "<CellTimeoutError>" in out[3] or "<KeyboardInterrupt>" in out[3]
    assert out[4].strip() == "after loop"


@needs_bwrap
def test_cell_timeout_cuts_off_only_that_cell(tmp_path):
    started = time.monotonic()
    out = run(["import time; time.sleep(600)", "print('next')"], tmp_path, timeout=3)
    assert "<CellTimeoutError>" in out[0] or "<KeyboardInterrupt>" in out[0]
    assert out[1].strip() == "next"
    assert time.monotonic() - started < 60


@needs_bwrap
def test_wall_budget_comes_from_the_source_notebook(tmp_path, monkeypatch):
    """The source notebook has 3 code cells, so the budget is 3 cell timeouts (plus the
    start-up allowance). The submission adds 50 cells that each sleep just under the
    cell timeout: no more time than the budget, the cells beyond it say OutOfTime, and
    a test cell that never ran says NotExecuted."""
    from nbgrader.api import Gradebook

    timeout, margin = 4, 6
    monkeypatch.setattr(execute, "STARTUP_MARGIN", margin)
    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(db) as gb:
        gb.add_assignment("a")
        gb.add_notebook("nb", "a")
        for i in range(3):
            gb.add_source_cell(f"cell{i}", "nb", "a", cell_type="code", source="pass", locked=False)
    budget = 3 * timeout + margin
    cells = ["print('first')"] + ["import time; time.sleep(3.5)"] * 50 + ["print('last')", "pass"]
    started = time.monotonic()
    out = run(cells, tmp_path, tests=(len(cells) - 1,), timeout=timeout,
              nbgrader={"db_url": db, "assignment": "a", "notebook": "nb"})
    elapsed = time.monotonic() - started
    assert out[0].strip() == "first"
    assert elapsed < budget + 15, elapsed
    sleepers = out[1:51]
    cut = sleepers.index("<OutOfTime>")
    assert 0 < cut < budget / 3.5 + 1
    assert all(text == "" for text in sleepers[:cut - 1])  # the last one may have been cut short
    assert all(text == "<OutOfTime>" for text in out[1 + cut:-1])
    assert out[-1] == "<NotExecuted>"


@needs_bwrap
def test_cpu_time_limit_stops_a_busy_kernel(tmp_path):
    """The wall-clock timeout is far away; the CPU limit (prlimit) stops the loop."""
    started = time.monotonic()
    out = run(["while True: pass", "print('fresh kernel')"], tmp_path, timeout=120, cpu_time_limit=8)
    assert out[0] == "<KernelDied>"
    assert out[1].strip() == "fresh kernel"
    assert time.monotonic() - started < 60


@needs_bwrap
def test_memory_limit(tmp_path):
    out = run(["x = bytearray(12 * 1024**3)", "print('still here')"], tmp_path, memory_limit_mb=4096)
    assert out[0] == "<MemoryError>"
    assert out[1].strip() == "still here"


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


@needs_bwrap
def test_huge_output_is_truncated(tmp_path):
    out = run(["for i in range(2_000_000): print(i)"], tmp_path, timeout=60)
    assert len(out[0].splitlines()) <= 1010


@needs_bwrap
def test_output_flood_reaches_neither_the_parent_nor_the_notebook(tmp_path):
    """200 MB written straight to the kernel's file descriptors 1 and 2: the cell
    keeps a bounded part, the next cell runs, and the grading process does not
    buffer the flood (its peak memory barely moves)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = run(["import os\nfor _ in range(1000): os.write(1, b'o' * 100_000); os.write(2, b'e' * 100_000)",
               "print('after')"], tmp_path, timeout=60)
    # The kernel sends what it captured in batches: cut at MAX_CELL_OUTPUT, or, should one
    # batch exceed the kernel's MAX_MESSAGE_BYTES, dropped unread and the kernel replaced.
    assert "output truncated by the grader" in out[0] or out[0].endswith("<CellTimeoutError>")
    assert len(out[0]) < 3_000_000
    assert out[1].strip() == "after"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 150 * 1024  # kB


@needs_bwrap
def test_one_huge_message_is_refused_unread(tmp_path):
    """One print of a 300 MB string: the grader would take it in whole (860 MB of its own
    memory before this limit) and only then cut it. Refused unread instead; the cell
    fails, the next runs in a fresh kernel."""
    from utils.sandbox.kernel import MAX_MESSAGE_BYTES

    assert MAX_MESSAGE_BYTES < 300_000_000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = run(["print('x' * 300_000_000)", "print('after')"], tmp_path, timeout=120)
    assert out[0] == "<CellTimeoutError>"
    assert out[1].strip() == "after"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 100 * 1024  # kB


# ---------------------------------------------------------------- what outlives the kernel

DAEMON = r'''
import os, subprocess, sys, textwrap
daemon = textwrap.dedent("""
    import glob, os, time
    for _ in range(400):  # about 20 s: longer than the notebook runs
        for path in glob.glob(os.environ["HOME"] + "/**", recursive=True) + glob.glob("/proc/1/fd/*"):
            try:
                with open(path, "w") as f:
                    f.write("forged")
            except OSError:
                pass
        time.sleep(0.05)
""")
subprocess.Popen([sys.executable, "-c", daemon, "FORGER-MARKER"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("daemon started")
'''


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
def test_background_process_changes_nothing_and_does_not_outlive_the_sandbox(tmp_path):
    """A process started in its own session keeps overwriting every file of the
    sandbox's home (the kernel's connection file among them) and the descriptors of
    the sandbox's first process. Later outputs still come back intact, and the process
    is gone once the sandbox is."""
    out = run([DAEMON, "import time; time.sleep(2); print('real output')", "print('and more')"], tmp_path)
    assert out == ["daemon started\n", "real output\n", "and more\n"]
    assert _processes_with("FORGER-MARKER") == []


# ---------------------------------------------------------------- what the grader keeps

def test_test_cells_keep_no_partial_credit_and_unrun_ones_score_zero():
    """nbgrader takes a test cell's numeric value as partial credit: the grader drops
    every execute_result of a test cell (other cells keep theirs), and a test cell
    that never ran gets an error, so that it scores 0 rather than full points."""
    nb = notebook(["1000", "1000", "1000"], tests=(0, 1))
    forged = nbformat.v4.new_output("execute_result", data={"text/plain": "1000"}, execution_count=1)
    nb.cells[0].outputs, nb.cells[0].execution_count = [forged], 1
    nb.cells[1].outputs, nb.cells[1].execution_count = [forged], None
    nb.cells[2].outputs, nb.cells[2].execution_count = [forged], 1
    SandboxedExecute()._score(nb, (), {}, {})
    assert nb.cells[0].outputs == []
    assert [o.ename for o in nb.cells[1].outputs] == ["NotExecuted"]
    assert nb.cells[2].outputs == [forged]


def test_test_cells_lose_the_submissions_tags_and_metadata(monkeypatch, tmp_path):
    """A skip-execution tag (nbclient would not run the cell, so it would raise nothing)
    or any other metadata on a test cell is replaced by nbgrader's own before it runs."""
    import utils.sandbox.runner as runner

    nb = notebook(["raise AssertionError", "x = 1"], tests=(0,))
    for cell in nb.cells:
        cell.metadata["tags"] = ["skip-execution"]
        cell.metadata["jupyter"] = {"source_hidden": True}
    seen = []
    monkeypatch.setattr(runner, "execute", lambda nb, workdir, **kw: seen.extend(dict(c.metadata) for c in nb.cells))
    SandboxedExecute(isolation="none").preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert list(seen[0]) == ["nbgrader"] and "tags" not in seen[0]
    assert seen[1]["tags"] == ["skip-execution"]  # the student's own cell: the student's choice


def test_missing_bwrap_refuses_instead_of_running_unprotected(monkeypatch, tmp_path):
    import utils.sandbox.command as command

    monkeypatch.setattr(command.shutil, "which", lambda name: None)
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        command.bwrap_command(tmp_path, tmp_path)


@needs_bwrap
def test_files_handed_in_as_links_stay_out(tmp_path, monkeypatch):
    """nbgrader copies what a handed-in symbolic link points to (here the gradebook)
    into the folder it grades in; that copy must not reach the kernel, and is gone
    from the graded folder (from where feedback would carry it back)."""
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
    nb = notebook(["import os; print(sorted(os.listdir('.')))"])
    nb, _ = SandboxedExecute(timeout=20).preprocess(
        nb, {"metadata": {"path": str(graded)}, "nbgrader": {"student": "s1", "assignment": "a"}})
    assert nb.cells[0].outputs[0].text.strip() == "['data.csv']"
    assert sorted(p.name for p in graded.iterdir()) == ["data.csv"]


def test_without_isolation_the_same_runner_runs(tmp_path):
    """--SandboxedExecute.isolation=none (no bubblewrap): the same runner, the same kernel
    restarts."""
    out = run(["print(6 * 7)", "import os; os._exit(1)", "print('after')"], tmp_path, isolation="none")
    assert out == ["42\n", "<KernelDied>", "after\n"]


@needs_bwrap
def test_a_long_temporary_folder_path_still_grades(tmp_path):
    """The kernel's sockets are files in its scratch folder, and a socket's path may
    not exceed 107 bytes. Under a long TMPDIR (a nested CI folder; a macOS one comes
    close) the grader could not connect to the kernel ("File name too long"), and
    nbgrader, grading several notebooks in one process, later hung for good while
    clearing up the failed attempt (found by grading the corpus in parallel)."""
    long_tmp = tmp_path / ("a-long-temporary-folder-" * 3)
    long_tmp.mkdir()
    script = ("import sys; sys.path.insert(0, %r)\n"
              "from test_sandbox import run\n"
              "from pathlib import Path\n"
              "print(run(['print(6 * 7)'], Path(%r)))\n") % (str(Path(__file__).parent), str(tmp_path))
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, "TMPDIR": str(long_tmp)},
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "['42\\n']" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    assert list(long_tmp.iterdir()) == []  # and the scratch folders were cleared up there
