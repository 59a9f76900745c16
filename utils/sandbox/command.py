"""The command prefix that runs one student process (a kernel, or the judge) in isolation.

Uses existing tools only: bubblewrap for namespaces and mounts, prlimit for
resource limits. The file system inside is an allowlist, not the machine: the
system's programs and libraries (/usr), Python and the course environment, the
course package and its data (read-only), and one scratch folder (writable).
Nothing else exists there: no home directory, no course folder, no clone of the
repository, no /etc/shadow, no file private to the grading user.
"""

from __future__ import annotations

import os
import shutil
import site
import sys
from dataclasses import dataclass
from pathlib import Path

import utils
from utils.data import data_dir


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 8192        # address space; TensorFlow alone maps ~2.5 GB
    cpu_seconds: int = 3600      # CPU time for the whole notebook (both cores count)
    file_size_mb: int = 512      # largest file the notebook may write
    open_files: int = 1024


# System files a Python process reads at start-up; nothing secret. Bound when present.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "mime.types", "fonts")
# Merged-/usr distributions make these symbolic links into /usr; elsewhere they are folders.
TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


def visible_paths() -> list[Path]:
    """What the sandbox shows read-only besides /usr: Python, the environment, the
    course package and its data. Their parents are created empty inside."""
    package = Path(utils.__file__).resolve().parent
    user_site = Path(site.getusersitepackages())
    wanted = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix),
              Path(os.path.realpath(sys.executable)).parent.parent, package, data_dir().resolve(),
              *([user_site] if str(user_site) in sys.path else [])}
    kept = sorted(p.resolve() for p in wanted if p.exists() and p.resolve() != Path("/"))
    # A folder inside another one already shown adds nothing.
    return [p for p in kept if not any(q != p and q in p.parents for q in kept)]


def bwrap_command(scratch: Path, workdir: Path, *, allow_network: bool = False) -> list[str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so student code cannot be isolated "
            "from the gradebook. Install it (Debian/Ubuntu: sudo apt-get install bubblewrap) "
            "or, knowingly, autograde without isolation: --SandboxedExecute.isolation=none"
        )
    cmd = [bwrap, "--die-with-parent", "--new-session", "--unshare-all",
           "--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL"]
    if allow_network:
        cmd.append("--share-net")
    cmd += ["--ro-bind", "/usr", "/usr"]
    for name in TOP_LEVEL:
        top = Path("/") / name
        if top.is_symlink():
            cmd += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            cmd += ["--ro-bind", str(top), str(top)]
    for name in ETC_FILES:
        cmd += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    cmd += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for path in visible_paths():
        cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--bind", str(scratch), str(scratch), "--chdir", str(workdir)]
    home = scratch / "home"
    for name, value in {"HOME": home, "JUPYTER_RUNTIME_DIR": home / "runtime",
                        "IPYTHONDIR": home / "ipython", "MPLCONFIGDIR": home / "mpl",
                        "KERAS_HOME": home / "keras", "TMPDIR": scratch / "tmp"}.items():
        cmd += ["--setenv", name, str(value)]
    # jupyter_client tells a kernel its parent's PID, which means nothing in the
    # sandbox's own PID namespace (the kernel would think its parent died).
    # --die-with-parent does that job here.
    cmd += ["--unsetenv", "JPY_PARENT_PID"]
    return [*cmd, "--"]


def prlimit_command(limits: Limits) -> list[str]:
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        return []  # util-linux is on every Linux this course targets; degrade gracefully
    mb = 1024 * 1024
    return [prlimit, f"--as={limits.memory_mb * mb}", f"--cpu={limits.cpu_seconds}",
            f"--fsize={limits.file_size_mb * mb}", f"--nofile={limits.open_files}", "--"]
