"""python -m utils.grade ASSIGNMENT [options] [--Class.trait=value ...]

Autograde every new or changed submission of ASSIGNMENT in parallel, with the course's
sandbox and judge (it runs ``nbgrader autograde`` for each submission), then print a
summary. Run it from the course root, like nbgrader. Options of the form
``--Class.trait=value`` are passed on to ``nbgrader autograde``
(e.g. ``--SandboxedExecute.timeout=60``). Exit status 1 if any submission failed.
"""

from __future__ import annotations

import argparse
import re
import sys

from utils.grade.course import CourseError
from utils.grade.run import MODES, TASK_TIMEOUT, default_workers, grade

TRAIT_OPTION = re.compile(r"--[A-Za-z_]\w*(\.[A-Za-z_]\w*)+=.*", re.DOTALL)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m utils.grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignment")
    parser.add_argument("--workers", type=int, default=None,
                        help=f"worker processes on this machine (default: one per core, here {default_workers()})")
    parser.add_argument("--scheduler", default=None,
                        help="address of a running Dask scheduler, e.g. tcp://host:8786, instead of this machine")
    parser.add_argument("--force", action="store_true", help="regrade every submission, changed or not")
    parser.add_argument("--mode", choices=sorted(MODES), default="fast",
                        help="fast: training cells run two epochs (the default; same scores); full: full training")
    parser.add_argument("--student", action="append", default=None, metavar="ID",
                        help="grade only this student (repeatable)")
    parser.add_argument("--task-timeout", type=float, default=TASK_TIMEOUT,
                        help=f"seconds one submission's grading may take in all (default {TASK_TIMEOUT})")
    parser.add_argument("--batch", type=int, default=1,
                        help="submissions per nbgrader run (default 1; more saves nbgrader's start-up)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar and no line per submission")
    parser.add_argument("--root", default=".", help="the course root (default: the current folder)")
    return parser


def parse(argv: list[str] | None = None) -> tuple[argparse.Namespace, tuple[str, ...]]:
    """The options, and the nbgrader options to pass on; exits on a bad command line."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    bad = [e for e in extra if not TRAIT_OPTION.fullmatch(e)]
    if bad:
        parser.error(f"unrecognized arguments: {' '.join(bad)}")
    if args.workers is not None and args.workers < 1 or args.batch < 1:
        parser.error("--workers and --batch must be at least 1")
    if args.scheduler and args.workers:
        parser.error("--workers is for this machine; a cluster's workers are started with `dask worker`")
    return args, tuple(extra)


def main(argv: list[str] | None = None) -> int:
    args, extra = parse(argv)
    try:
        summary = grade(args.root, args.assignment, workers=args.workers, scheduler=args.scheduler,
                        force=args.force, mode=args.mode, students=set(args.student) if args.student else None,
                        nbgrader_args=extra, task_timeout=args.task_timeout, batch=args.batch,
                        progress=not args.no_progress)
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(summary.text(), flush=True)
    return summary.exit_code


if __name__ == "__main__":
    sys.exit(main())
