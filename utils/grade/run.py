"""The coordinator: grade an assignment's submissions on a Dask cluster, record the results.

Submissions are graded concurrently by Dask tasks (``utils.grade.task``), on a
LocalCluster of this machine (one worker process per core, one task at a time each)
or on an existing cluster (``scheduler="tcp://host:8786"``). This process alone writes
the real gradebook and ``autograded/``, one result at a time as they arrive, so
nothing ever races on the sqlite file.

- A task has a time limit (``task_timeout``); a hang costs only that submission.
- A worker that dies while grading: Dask runs the task again elsewhere. A task that
  takes down workers ``ALLOWED_FAILURES + 1`` times (``distributed.scheduler.allowed-failures``
  on a cluster you start yourself) is given one more chance alone, then fails alone,
  with that reason; workers get one task at a time (``worker-saturation`` 1.0), so a
  dying worker takes no queued submission with it.
- A batch (``batch > 1`` submissions per nbgrader run) that fails as a whole is split,
  and its submissions are graded one by one.
- Re-runs grade only new or changed submissions (content digest of the submitted folder
  and a fingerprint of the grading set-up, kept in ``autograded/.parallel-grading/``),
  unless ``force``.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from utils.grade import course as course_mod
from utils.grade.course import Course, Found, Skipped
from utils.grade.task import grade_batch, placeholder
from utils.grading.log_lines import shown

ALLOWED_FAILURES = 2          # a task that kills this many workers fails (LocalCluster)
LOST_TRIES = 3                # a task the scheduler drops (cancelled) is submitted again, this often
TASK_TIMEOUT = 1200           # seconds for one submission's nbgrader run (the sandbox's own limits are lower)
MODES = {"fast": {}, "full": {"COURSE_FAST_MODE": "0"}}


@dataclass
class Result:
    student: str
    status: str                     # graded, failed, error, unchanged
    reason: str = ""
    score: tuple | None = None      # (code score, maximum)
    flagged: dict = field(default_factory=dict)
    seconds: float = 0.0
    worker: str = ""
    notes: list = field(default_factory=list)


@dataclass
class Summary:
    assignment: str
    mode: str
    workers: int
    where: str
    seconds: float = 0.0
    results: list[Result] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def of(self, *statuses: str) -> list[Result]:
        return [r for r in self.results if r.status in statuses]

    @property
    def exit_code(self) -> int:
        return 1 if self.of("failed", "error") else 0

    def text(self) -> str:
        graded, failed, unchanged = self.of("graded"), self.of("failed", "error"), self.of("unchanged")
        flagged = [r for r in graded if r.flagged]
        lines = [f"{self.assignment}: {len(graded)} graded, {len(failed)} failed, {len(flagged)} flagged for "
                 f"review, {len(unchanged)} unchanged (not regraded), {len(self.skipped)} not graded; "
                 f"{self.seconds:.1f} s on {self.workers} worker{'s' if self.workers != 1 else ''} "
                 f"({self.where}, {self.mode} mode)"]
        if failed:
            lines.append("failed (no autograded notebook; grades left for manual grading as nbgrader leaves them):")
            lines += [f"  {shown(r.student)}: {shown(r.reason, 500)}" for r in failed]
        if flagged:
            lines.append("flagged for review (formgrader: the cell needs a manual grade; the reason is its comment):")
            for r in flagged:
                lines += [f"  {shown(r.student)}: {shown(cell)}: {shown(reason, 300)}"
                          for cell, reason in r.flagged.items()]
        if self.skipped:
            lines.append("not graded:")
            lines += [f"  {shown(s.student)}: {s.reason}" for s in self.skipped]
        if unchanged:
            lines.append("unchanged since they were last graded (use --force to regrade): "
                         + ", ".join(shown(r.student, 60) for r in unchanged[:20])
                         + (" ..." if len(unchanged) > 20 else ""))
        return "\n".join(lines)


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def start_client(workers: int | None, scheduler: str | None):
    """A Dask client: on the given scheduler, or on a LocalCluster of this machine.
    Returns ``(client, stop)``; ``stop()`` closes the client and whatever this call
    started, and removes the LocalCluster's scratch folder (Dask would leave a
    dask-scratch-space folder in the instructor's temporary folder)."""
    import dask
    from dask.distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler, timeout="30s")
        client.wait_for_workers(1, timeout=120)
        return client, client.close
    scratch = tempfile.TemporaryDirectory(prefix="course-dask-")
    # worker-saturation 1.0: a worker is handed one task at a time (the others wait at the
    # scheduler), so a worker that dies takes no innocent queued submission with it.
    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                          "distributed.scheduler.worker-saturation": 1.0,
                          "distributed.worker.daemon": False,
                          "temporary-directory": scratch.name}):
        cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, memory_limit=0,
                               silence_logs=logging.ERROR, local_directory=scratch.name)
    client = Client(cluster)

    def stop():
        client.close()
        cluster.close()
        scratch.cleanup()

    return client, stop


def grade(root: str | Path, assignment: str, *, workers: int | None = None, scheduler: str | None = None,
          client=None, force: bool = False, mode: str = "fast", students: set[str] | None = None,
          nbgrader_args: tuple[str, ...] = (), task_timeout: float = TASK_TIMEOUT, batch: int = 1,
          progress: bool = True, stream=None, task: Callable = grade_batch) -> Summary:
    """Grade every new or changed submission of ``assignment`` in the course at ``root``."""
    started = time.monotonic()
    stream = stream or sys.stderr
    course = Course(Path(root), assignment, tuple(nbgrader_args))
    course.check()
    with course.lock():
        return _grade_locked(course, started, workers=workers, scheduler=scheduler, client=client, force=force,
                             mode=mode, students=students, nbgrader_args=nbgrader_args, task_timeout=task_timeout,
                             batch=batch, progress=progress, stream=stream, task=task)


def _grade_locked(course: Course, started: float, *, workers, scheduler, client, force, mode, students,
                  nbgrader_args, task_timeout, batch, progress, stream, task) -> Summary:
    from tqdm import tqdm

    assignment = course.assignment
    shared = {"assignment": assignment, "config": course.config_bytes(), "source": course.source_files(),
              "gradebook": course.template_gradebook(), "env": MODES[mode],
              "nbgrader_args": list(nbgrader_args), "timeout": float(task_timeout) * batch}
    fingerprint = course.fingerprint(shared)
    found, skipped = course.discover(students)
    state = course.state()
    todo, results = [], []
    for item in found:
        if not force and course.unchanged(item, fingerprint, state):
            results.append(Result(item.student, "unchanged"))
        elif not course.create_student and not course.student_exists(item.student):
            results.append(Result(item.student, "error", f"No student with ID '{item.student}' exists in the "
                                                         "database (Autograde.create_student is False)"))
        else:
            todo.append(item)

    own_client = client is None
    stop = None
    if own_client and todo:
        client, stop = start_client(workers, scheduler)
    summary = Summary(assignment, mode, _threads(client) if todo else 0,
                      scheduler or ("this machine" if own_client else str(getattr(client, "scheduler", "a cluster"))))
    summary.skipped = skipped
    try:
        if todo:
            tty = getattr(stream, "isatty", lambda: False)()
            bar = tqdm(total=len(todo), desc=f"grading {assignment}", unit="submission", file=stream,
                       disable=not progress, dynamic_ncols=True, smoothing=0.1, mininterval=0.5 if tty else 30)
            try:
                results += _run(client, course, shared, fingerprint, todo, batch, task, bar, stream)
            finally:
                bar.close()
    finally:
        if stop is not None:
            stop()
    summary.results = results
    summary.seconds = time.monotonic() - started
    return summary


def _threads(client) -> int:
    return max(1, sum(client.nthreads().values()))


def _run(client, course: Course, shared: dict, fingerprint: str, todo: list[Found], batch: int,
         task: Callable, bar, stream) -> list[Result]:
    from dask.distributed import wait

    queue = deque([todo[i:i + batch], batch > 1] for i in range(0, len(todo), batch))
    pending: dict = {}   # future -> (items, split_allowed, notes by placeholder, submitted at)
    results: list[Result] = []
    failures = 0
    counter = 0
    tries: dict[str, int] = {}
    killed_before: dict[str, bool] = {}

    def finish(result: Result) -> None:
        nonlocal failures
        results.append(result)
        if result.status in ("failed", "error"):
            failures += 1
            bar.set_postfix(failed=failures, refresh=False)
        bar.update(1)
        if bar.disable:
            return
        if result.status == "graded":
            marks = f"{result.score[0]:g}/{result.score[1]:g}" if result.score else "graded"
            extra = f", flagged for review: {', '.join(map(shown, result.flagged))}" if result.flagged else ""
            bar.write(f"  {shown(result.student, 60)}: {marks} ({result.seconds:.0f} s{extra})", file=stream)
        else:
            bar.write(f"  {shown(result.student, 60)}: FAILED: {shown(result.reason, 300)}", file=stream)

    def submit(items: list[Found], split_allowed: bool) -> None:
        nonlocal counter
        jobs, names, notes = [], {}, {}
        for index, item in enumerate(items):
            name = placeholder(index)
            try:
                loaded = course.load(item)
                jobs.append({"id": name, "files": loaded.entries, "rows": course.own_rows(item.student, name)})
                names[name], notes[name] = item, loaded.notes
            except (OSError, ValueError) as err:
                finish(Result(item.student, "error", f"could not read the submission: {type(err).__name__}: {err}"))
        if not jobs:
            return
        counter += 1
        # ``shared`` (a few hundred kB) travels with each task rather than scattered once:
        # scattered data dies with the workers holding it, and a hostile submission may
        # take every worker down.
        future = client.submit(task, shared, jobs, key=f"grade-{course.assignment}-{counter}-{os.getpid()}",
                               pure=False, retries=0)
        pending[future] = (names, split_allowed, notes, time.monotonic())

    def take(future) -> None:
        names, split_allowed, notes, _ = pending.pop(future)
        if future.status == "cancelled":  # the scheduler dropped it (restarted, or lost track of it)
            again = [item for item in names.values() if tries.setdefault(item.student, 0) < LOST_TRIES]
            for item in names.values():
                tries[item.student] += 1
                if item not in again:
                    finish(Result(item.student, "error", f"the cluster dropped its grading task {LOST_TRIES} times"))
            if again:
                queue.appendleft([again, split_allowed])
            return
        if future.status != "finished":
            error = future.exception() if future.status == "error" else None
            killed = type(error).__name__ == "KilledWorker"
            reason = (f"grading it stopped Dask workers {ALLOWED_FAILURES + 1} times, twice over (KilledWorker)"
                      if killed else f"the grading task failed: {type(error).__name__}: {error}")
            if split_allowed and len(names) > 1:
                queue.extendleft([[item], False] for item in reversed(list(names.values())))
                return
            for item in names.values():
                # A task waiting on a worker that dies counts as suspect too: one more chance
                # alone, so that only the submission that keeps killing workers fails.
                if killed and not killed_before.get(item.student):
                    killed_before[item.student] = True
                    queue.appendleft([[item], False])
                else:
                    finish(Result(item.student, "error", reason))
            return
        data = future.result()
        future.release()
        retry = []
        for name, item in names.items():
            outcome = data["students"].get(name) or {"status": "error", "reason": "the task returned no result"}
            if outcome["status"] == "error" and split_allowed and len(names) > 1:
                retry.append(item)
                continue
            reason = str(outcome.get("reason", "")).replace(name, item.student)
            result = Result(item.student, outcome["status"], reason, seconds=data.get("seconds", 0.0),
                            worker=data.get("worker", ""), notes=notes.get(name, []))
            if outcome["status"] in ("graded", "failed"):
                try:
                    result.score = course.record(item.student, outcome)
                except Exception as err:  # a disk or database problem here: reported, others go on
                    result.status, result.reason = "error", f"could not record the result: {type(err).__name__}: {err}"
                else:
                    result.flagged = course_mod.flagged(outcome.get("rows"))
                    notebooks = sorted({e[1][:-6] for e in outcome.get("files", [])
                                        if e[0] == "file" and "/" not in e[1] and e[1].endswith(".ipynb")})
                    course.remember(item, fingerprint, outcome["status"], notebooks)
            finish(result)
        queue.extendleft([[item], False] for item in reversed(retry))

    backstop = shared["timeout"] * (ALLOWED_FAILURES + 2) + 300
    while queue or pending:
        while queue and len(pending) < _threads(client) + 1:
            items, split_allowed = queue.popleft()
            submit(items, split_allowed)
        if not pending:
            continue
        try:
            done, _ = wait(list(pending), timeout=2, return_when="FIRST_COMPLETED")
        except TimeoutError:  # nothing finished within the 2 s: refresh the bar, check the backstop
            done = ()
        except Exception as err:  # FuturesCancelledError: take the cancelled ones below
            if type(err).__name__ != "FuturesCancelledError":
                raise
            done = [f for f in pending if f.status == "cancelled"]
        for future in done:
            take(future)
        now = time.monotonic()
        for future, (names, _, _, at) in list(pending.items()):
            if now - at > backstop:
                client.cancel(future)
                pending.pop(future)
                for item in names.values():
                    finish(Result(item.student, "error", f"no result after {backstop:.0f} s"))
        if getattr(stream, "isatty", lambda: False)():
            bar.refresh()  # the elapsed time and ETA move while a long submission runs
    return results
