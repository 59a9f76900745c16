"""Build the command line that runs the notebook worker in isolation.

Uses existing tools only: bubblewrap for namespaces and mounts, prlimit for
resource limits.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from utils.data import REPO_ROOT


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 8192        # address space; TensorFlow alone maps ~2.5 GB
    cpu_seconds: int = 3600      # CPU time for the whole notebook (both cores count)
    file_size_mb: int = 512      # largest file the notebook may write
    open_files: int = 1024


def _hidden_roots(extra: list[Path] = ()) -> list[Path]:
    """Folders the kernel must not see: the course root (this repository and the
    nbgrader course being graded, if that is elsewhere) and the user's home."""
    roots = [REPO_ROOT]
    home = Path.home()
    if home.is_dir():
        roots.append(home)
    roots += [p for p in extra if p.is_dir()]
    # Never "/" (that would hide the system), nor a folder twice.
    return sorted({p for p in roots if p != Path(p.anchor)}, key=lambda p: len(p.parts))


def _needed_inside(hidden: list[Path]) -> list[Path]:
    """Paths under hidden folders that the worker needs read-only: the course
    package and data, and the Python installation (a venv in the course root,
    or a pyenv Python in the home directory)."""
    wanted = {REPO_ROOT / "utils", REPO_ROOT / "data", Path(sys.prefix), Path(sys.base_prefix),
              Path(sys.exec_prefix), Path(os.path.realpath(sys.executable)).parent.parent}
    return sorted(p for p in wanted
                  if p.exists() and any(p == h or h in p.parents for h in hidden))


def bwrap_command(scratch: Path, workdir: Path, *, allow_network: bool = False,
                  hide: list[Path] = ()) -> list[str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so student code cannot be isolated "
            "from the gradebook. Install it (Debian/Ubuntu: sudo apt-get install bubblewrap) "
            "or, knowingly, autograde without isolation: --SandboxedExecute.isolation=none"
        )
    hidden = _hidden_roots(list(hide))
    cmd = [bwrap, "--die-with-parent", "--new-session", "--unshare-all",
           "--unshare-user", "--uid", "65534", "--gid", "65534"]
    if allow_network:
        cmd.append("--share-net")
    cmd += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for root in hidden:
        cmd += ["--tmpfs", str(root)]
    for path in _needed_inside(hidden):
        cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--bind", str(scratch), str(scratch), "--chdir", str(workdir)]
    home = scratch / "home"
    for name, value in {"HOME": home, "JUPYTER_RUNTIME_DIR": home / "runtime",
                        "IPYTHONDIR": home / "ipython", "MPLCONFIGDIR": home / "mpl",
                        "KERAS_HOME": home / "keras", "TMPDIR": scratch / "tmp"}.items():
        cmd += ["--setenv", name, str(value)]
    return cmd


def prlimit_command(limits: Limits) -> list[str]:
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        return []  # util-linux is on every Linux this course targets; degrade gracefully
    mb = 1024 * 1024
    return [prlimit, f"--as={limits.memory_mb * mb}", f"--cpu={limits.cpu_seconds}",
            f"--fsize={limits.file_size_mb * mb}", f"--nofile={limits.open_files}", "--"]
