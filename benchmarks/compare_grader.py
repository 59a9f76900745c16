"""Autograding time per submission: this checkout against an earlier one, interleaved.

Issue #13 asks that the hardened grader (sandboxed kernel driven from outside, the
judge) keep the time per submission within 1.5 x of the grader before it. Timing
the two on different days, or one after the other on a shared machine, mostly
measures the machine's load; so this script builds the same class for both
checkouts and grades one submission with each in turn (A, B, A, B, ...), each
run by the real ``nbgrader autograde --student`` with that checkout's
``nbgrader_config.py``, ``solutions/`` and ``utils`` (first on PYTHONPATH).

    git worktree add /tmp/baseline ed2a1dd^       # the grader before #13
    cp data/*.csv /tmp/baseline/data/
    .venv/bin/python benchmarks/compare_grader.py --baseline /tmp/baseline

It prints the median seconds per submission of each, their ratio, and the load
average meanwhile. Both run in fast mode unless ``--full``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import classroom as c  # benchmarks/classroom.py

from utils import REPO_ROOT


def course(checkout: Path, root: Path, assignment: str, size: int) -> list[str]:
    root.mkdir(parents=True)
    shutil.copy2(checkout / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(checkout / "solutions" / assignment, root / "solutions" / assignment)
    env = _env(checkout)
    subprocess.run([str(c.BIN / "nbgrader"), "generate_assignment", assignment, "--force"],
                     cwd=root, env=env, check=True, capture_output=True)
    return c.hand_in_class(root, assignment, size)


def _env(checkout: Path, full: bool = False) -> dict[str, str]:
    env = c.environment(full)
    env["PYTHONPATH"] = str(checkout)
    return env


def grade(checkout: Path, root: Path, assignment: str, student: str, full: bool) -> float:
    start = time.perf_counter()
    done = subprocess.run([str(c.BIN / "nbgrader"), "autograde", assignment, "--force", "--student", student],
                            cwd=root, env=_env(checkout, full), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{checkout}: autograde {student} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="an earlier checkout (git worktree)")
    parser.add_argument("--assignments", default=",".join(c.ASSIGNMENTS))
    parser.add_argument("--submissions", type=int, default=6, help="per exercise and checkout")
    parser.add_argument("--full", action="store_true", help="full mode instead of fast")
    args = parser.parse_args(argv)
    checkouts = {"baseline": args.baseline.resolve(), "current": REPO_ROOT}
    result = {"load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="compare-grader-") as tmp:
        for assignment in args.assignments.split(","):
            students = {name: course(path, Path(tmp) / name / assignment, assignment, args.submissions)
                        for name, path in checkouts.items()}
            times = {name: [] for name in checkouts}
            for i in range(args.submissions):  # interleaved, so that load drift hits both alike
                for name, path in checkouts.items():
                    times[name].append(grade(path, Path(tmp) / name / assignment, assignment,
                                             students[name][i], args.full))
            medians = {name: statistics.median(t) for name, t in times.items()}
            ratio = medians["current"] / medians["baseline"]
            print(f"{assignment} ({'full' if args.full else 'fast'}): median per submission "
                  f"baseline {medians['baseline']:.1f} s, current {medians['current']:.1f} s, "
                  f"ratio {ratio:.2f}", flush=True)
            result[assignment] = {"seconds": {k: [round(x, 2) for x in v] for k, v in times.items()},
                                  "median_s": {k: round(v, 2) for k, v in medians.items()}, "ratio": round(ratio, 2)}
    result["load_after"] = os.getloadavg()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
