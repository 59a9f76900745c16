"""Measure the course on this machine and print one line per figure.

    make benchmark            # or: .venv/bin/python benchmarks/run.py [--class-size 30] [--per-exercise 5]

P1  wall time to execute every notebook, as nbval does (pytest --nbval);
P2  median autograde time per submission, fast and full mode, and their ratio;
P3  wall time to autograde a class of N submissions per exercise, fast mode, serially
    (one ``nbgrader autograde`` run);
P4  per lesson notebook: wall time / time spent inside model.fit;
P5  the same class graded in parallel (``python -m utils.grade``, a LocalCluster) with
    1, 2 (and 4) workers: wall time, speed-up and parallel efficiency, scores compared
    with P3's;
P6  the floor: N x the CPU time of one unavoidable start (Python, TensorFlow, Keras
    and the checks) / cores, and the class's parallel wall time, fast and full mode,
    as a ratio to it;
P7  a paper estimate for 300 and 3000 submissions on a 16-core machine and on a
    10-node cluster (16 cores each), from the measured core-seconds per submission.

The last line is a JSON object with every figure. Targets (2-core CPU): P1 <= 300 s,
P2 fast <= 15 s and fast/full <= 0.25, P3 <= 600 s per exercise, P4 <= 1.3 per lesson;
P5 efficiency >= 0.8 at 2 workers and identical scores; P6 fast <= 1.5 x floor,
full <= 2.5 x floor.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import classroom as c  # benchmarks/classroom.py: a temporary course with a simulated class

REPO = c.REPO
FLOOR_IMPORTS = "import tensorflow, keras, utils.checks, " + ", ".join(f"utils.checks.{e}" for e in c.ASSIGNMENTS)
CLUSTER = {"machine_cores": 16, "nodes": 10, "cores_per_node": 16}

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


def grade_each(root: Path, assignment: str, students, *, full: bool) -> list[float]:
    times = []
    for student in students:
        start = time.perf_counter()
        c.run(root, str(c.BIN / "nbgrader"), "autograde", assignment, "--force", "--student", student, full=full)
        times.append(time.perf_counter() - start)
    return times


def serial_class(root: Path, assignment: str) -> float:
    c.reset_grades(root)
    start = time.perf_counter()
    c.run(root, str(c.BIN / "nbgrader"), "autograde", assignment, "--force")
    return time.perf_counter() - start


def parallel_class(root: Path, assignment: str, workers: int, *, full: bool = False, batch: int = 1) -> float:
    c.reset_grades(root)
    start = time.perf_counter()
    c.run(root, sys.executable, "-m", "utils.grade", assignment, "--workers", str(workers), "--force",
          "--no-progress", "--mode", "full" if full else "fast", "--batch", str(batch))
    return time.perf_counter() - start


def floor_cpu_seconds(repeat: int = 3) -> float:
    """CPU seconds (user + system) of the one start no submission can avoid: Python,
    TensorFlow, Keras and the checks (median of ``repeat``)."""
    cpu = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", FLOOR_IMPORTS], check=True, env=c.environment(),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(cpu)


def measure_class(assignment: str, args, skip: set[str], cores: int, floor_cpu: float | None) -> dict:
    got: dict = {}
    with tempfile.TemporaryDirectory(prefix="course-bench-") as tmp:
        root = c.make_course(Path(tmp) / "course", assignment)
        students = c.hand_in_class(root, assignment, args.class_size)
        if "P2" not in skip:
            sample = students[:args.per_exercise]
            fast = grade_each(root, assignment, sample, full=False)
            full = grade_each(root, assignment, sample, full=True)
            got["P2"] = {"fast_median_s": statistics.median(fast), "full_median_s": statistics.median(full),
                         "fast_over_full": statistics.median(fast) / statistics.median(full)}
            print(f"P2 {assignment}: median per submission fast {got['P2']['fast_median_s']:.1f} s, "
                  f"full {got['P2']['full_median_s']:.1f} s, fast/full {got['P2']['fast_over_full']:.2f} "
                  f"(n={args.per_exercise})", flush=True)
        reference = None
        if "P3" not in skip:
            got["P3_class_s"] = serial_class(root, assignment)
            reference = c.scores(root, assignment)
            print(f"P3 {assignment}: class of {args.class_size} in fast mode, serial nbgrader autograde: "
                  f"{got['P3_class_s']:.1f} s", flush=True)
        if "P5" not in skip:
            runs = {}
            for workers in args.workers:
                runs[workers] = {"wall_s": parallel_class(root, assignment, workers, batch=args.batch)}
                now = c.scores(root, assignment)
                reference = reference or now
                runs[workers]["identical_scores"] = now == reference
                print(f"P5 {assignment}: class of {args.class_size}, {workers} worker(s): "
                      f"{runs[workers]['wall_s']:.1f} s, scores identical to serial: "
                      f"{runs[workers]['identical_scores']}", flush=True)
            if 1 in runs:
                for workers, run in runs.items():
                    run["speedup"] = runs[1]["wall_s"] / run["wall_s"]
                    run["efficiency"] = run["speedup"] / workers
                print(f"P5 {assignment}: speed-up " + ", ".join(
                    f"{w} workers {r['speedup']:.2f} (efficiency {r['efficiency']:.2f})" for w, r in runs.items()),
                    flush=True)
            if "P3_class_s" in got:
                for run in runs.values():
                    run["vs_serial"] = got["P3_class_s"] / run["wall_s"]
            got["P5"] = runs
        if "P6" not in skip and floor_cpu is not None:
            floor = args.class_size * floor_cpu / cores
            fast_wall = (got.get("P5", {}).get(cores, {}).get("wall_s")
                         or parallel_class(root, assignment, cores, batch=args.batch))
            full_wall = parallel_class(root, assignment, cores, full=True, batch=args.batch)
            full_same = c.scores(root, assignment) == reference if reference else None
            got["P6"] = {"floor_s": floor, "fast_wall_s": fast_wall, "fast_ratio": fast_wall / floor,
                         "full_wall_s": full_wall, "full_ratio": full_wall / floor,
                         "full_scores_identical": full_same}
            print(f"P6 {assignment}: floor {floor:.1f} s ({args.class_size} x {floor_cpu:.2f} CPU s / {cores} cores); "
                  f"class in parallel on {cores} workers: fast {fast_wall:.1f} s = {fast_wall / floor:.2f} x floor, "
                  f"full {full_wall:.1f} s = {full_wall / floor:.2f} x floor (scores identical: {full_same})",
                  flush=True)
        wall = got.get("P6", {}).get("fast_wall_s") or got.get("P5", {}).get(cores, {}).get("wall_s")
        if wall and "P7" not in skip:
            per = wall * cores / args.class_size  # core-seconds per submission, start-up included
            full_per = got["P6"]["full_wall_s"] * cores / args.class_size if "P6" in got else None
            estimate = {"core_s_per_submission_fast": per, "core_s_per_submission_full": full_per}
            machine, cluster = CLUSTER["machine_cores"], CLUSTER["nodes"] * CLUSTER["cores_per_node"]
            for n in (300, 3000):
                estimate[f"{n}_on_{machine}_cores_s"] = n * per / machine
                estimate[f"{n}_on_{CLUSTER['nodes']}_nodes_s"] = n * per / cluster
                print(f"P7 {assignment}: {n} submissions (fast): {n * per / machine / 60:.1f} min on a {machine}-core "
                      f"machine, {n * per / cluster / 60:.1f} min on {CLUSTER['nodes']} nodes x "
                      f"{CLUSTER['cores_per_node']} cores ({per:.1f} core-s each)", flush=True)
            got["P7"] = estimate
    return got


def _rounded(value):
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--class-size", type=int, default=30)
    parser.add_argument("--per-exercise", type=int, default=5)
    parser.add_argument("--skip", default="", help="comma-separated figures to skip, e.g. P1,P3")
    parser.add_argument("--assignments", default=",".join(c.ASSIGNMENTS), help="comma-separated exercises")
    parser.add_argument("--workers", default="1,2,4", help="worker counts for P5, e.g. 1,2")
    parser.add_argument("--batch", type=int, default=1,
                        help="submissions per nbgrader run in the parallel runs (utils.grade --batch)")
    args = parser.parse_args(argv)
    if not 0 < args.per_exercise <= args.class_size:
        parser.error("--per-exercise must be between 1 and --class-size")
    skip = {s.strip().upper() for s in args.skip.split(",") if s.strip()}
    args.workers = [int(w) for w in args.workers.split(",") if w.strip()]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"

    figures: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                     "batch": args.batch, "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    print(f"machine: {figures['machine']}", flush=True)
    if "P1" not in skip:
        figures["P1_all_notebooks_s"] = round(p1_all_notebooks(), 1)
        print(f"P1 all {len(notebooks())} notebooks under nbval: {figures['P1_all_notebooks_s']:.1f} s", flush=True)
    floor_cpu = None
    if "P6" not in skip:
        floor_cpu = floor_cpu_seconds()
        figures["floor_cpu_s"] = round(floor_cpu, 2)
        print(f"P6 one unavoidable start (Python, TensorFlow, Keras, checks): {floor_cpu:.2f} CPU s", flush=True)
    if not {"P2", "P3", "P5", "P6", "P7"} <= skip:
        for assignment in [a for a in args.assignments.split(",") if a]:
            got = measure_class(assignment, args, skip, cores, floor_cpu)
            for key, value in got.items():
                figures[f"{key}_{assignment}"] = _rounded(value)
    if "P4" not in skip:
        for path in sorted((REPO / "lessons").glob("*.ipynb")):
            wall, fit = p4_overhead(path)
            ratio = wall / fit if fit else float("inf")
            figures[f"P4_{path.stem}"] = {"wall_s": round(wall, 1), "fit_s": round(fit, 1), "ratio": round(ratio, 2)}
            print(f"P4 {path.name}: wall {wall:.1f} s / fit {fit:.1f} s = {ratio:.2f}", flush=True)
    load = os.getloadavg()
    figures["load_average_at_end"] = [round(x, 2) for x in load]
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (other jobs share these cores)")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
