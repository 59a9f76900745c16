"""Measure the course on this machine and print one line per figure.

    make benchmark            # or: .venv/bin/python benchmarks/run.py [--class-size 30] [--per-exercise 5]

P1  wall time to execute every notebook, as nbval does (pytest --nbval);
P2  median autograde time per submission, fast and full mode, and their ratio;
P3  wall time to autograde a class of N submissions per exercise, fast mode;
P4  per lesson notebook: wall time / time spent inside model.fit.

The last line is a JSON object with every figure. Targets (2-core CPU): P1 <= 300 s,
P2 fast <= 15 s and fast/full <= 0.25, P3 <= 600 s per exercise, P4 <= 1.3 per lesson.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the simulated students of the pipeline tests
import _nbgrader_helpers as h  # noqa: E402

FIT_PROBE = "import utils.training as _t; print(f'FIT_SECONDS={_t.FIT_SECONDS:.3f}')"


def notebooks() -> list[Path]:
    return sorted(p for folder in ("lessons", "solutions", "exercises")
                  for p in (REPO / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def p1_all_notebooks() -> float:
    """The project's own nbval run over every notebook (one kernel per notebook)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "lessons", "solutions", "exercises"], cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-3000:], file=sys.stderr)
        raise SystemExit("the notebooks did not all pass under nbval; fix that before benchmarking")
    return time.perf_counter() - start


def p4_overhead(path: Path) -> tuple[float, float]:
    """(wall seconds, seconds inside fit) for one notebook, kernel start-up included."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(FIT_PROBE))
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    wall = time.perf_counter() - start
    probe = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    fit = float(probe.split("FIT_SECONDS=")[1]) if "FIT_SECONDS=" in probe else 0.0
    return wall, fit


def classroom(release, assignment: str, size: int) -> dict[str, nbformat.NotebookNode]:
    """A mix like a real class: a third correct, a third partly correct, a third untouched."""
    answers = h.solution_sources(assignment)
    first = next(iter(answers))
    kinds = [h.solved(release, assignment), h.answer(release, {first: answers[first]}), release]
    return {f"student{i:02d}": kinds[i % 3] for i in range(size)}


def grade_each(root: Path, assignment: str, students, *, full: bool) -> list[float]:
    times = []
    for student in students:
        start = time.perf_counter()
        h.autograde(root, assignment, full=full, extra=("--student", student))
        times.append(time.perf_counter() - start)
    return times


def p2_p3(assignment: str, per_exercise: int, class_size: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        root = h.make_course(Path(tmp) / "course")
        h.generate(root, assignment)
        release = h.read(h.notebook_path(root, "exercises", assignment))
        students = classroom(release, assignment, class_size)
        for student, nb in students.items():
            h.submit(root, student, assignment, nb)
        sample = list(students)[:per_exercise]
        fast = grade_each(root, assignment, sample, full=False)
        full = grade_each(root, assignment, sample, full=True)
        start = time.perf_counter()
        h.autograde(root, assignment)  # the whole class, in one run
        whole_class = time.perf_counter() - start
    return {"fast_median_s": statistics.median(fast), "full_median_s": statistics.median(full),
            "fast_over_full": statistics.median(fast) / statistics.median(full),
            "class_s": whole_class, "class_size": class_size}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--class-size", type=int, default=30)
    parser.add_argument("--per-exercise", type=int, default=5)
    parser.add_argument("--skip", default="", help="comma-separated figures to skip, e.g. P1,P3")
    args = parser.parse_args(argv)
    if not 0 < args.per_exercise <= args.class_size:
        parser.error("--per-exercise must be between 1 and --class-size")
    skip = {s.strip().upper() for s in args.skip.split(",") if s.strip()}
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"

    figures: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}
    print(f"machine: {figures['machine']}", flush=True)
    if "P1" not in skip:
        figures["P1_all_notebooks_s"] = round(p1_all_notebooks(), 1)
        print(f"P1 all {len(notebooks())} notebooks under nbval: {figures['P1_all_notebooks_s']:.1f} s", flush=True)
    if "P2" not in skip or "P3" not in skip:
        for assignment in h.ASSIGNMENTS:
            got = p2_p3(assignment, args.per_exercise, args.class_size)
            figures[f"P2_{assignment}"] = {k: round(v, 3) for k, v in got.items() if k != "class_s" and k != "class_size"}
            figures[f"P3_{assignment}_class_s"] = round(got["class_s"], 1)
            print(f"P2 {assignment}: median per submission fast {got['fast_median_s']:.1f} s, "
                  f"full {got['full_median_s']:.1f} s, fast/full {got['fast_over_full']:.2f} "
                  f"(n={args.per_exercise})", flush=True)
            print(f"P3 {assignment}: class of {args.class_size} in fast mode: {got['class_s']:.1f} s", flush=True)
    if "P4" not in skip:
        for path in sorted((REPO / "lessons").glob("*.ipynb")):
            wall, fit = p4_overhead(path)
            ratio = wall / fit if fit else float("inf")
            figures[f"P4_{path.stem}"] = {"wall_s": round(wall, 1), "fit_s": round(fit, 1), "ratio": round(ratio, 2)}
            print(f"P4 {path.name}: wall {wall:.1f} s / fit {fit:.1f} s = {ratio:.2f}", flush=True)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
