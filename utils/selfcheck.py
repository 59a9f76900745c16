"""``make check`` (student edition): run the exercises quickly and list where each stands.

    python -m utils.selfcheck [NOTEBOOK ...] [--save FOLDER]

Each notebook (by default every exercise under ``exercises/``) runs top to bottom in a
fresh kernel, as Run All does in JupyterLab, in fast mode (``COURSE_FAST_MODE=1``:
training cells run two epochs; the checks look at how a model is built, never at how
well it trained). It runs on a copy in memory: the notebook file is never written.
Then, per notebook:

- each question's check, as its check cell showed it: correct, incorrect (and what is
  wrong) or not attempted;
- the written answers that still say "YOUR ANSWER HERE";
- a cell that failed outside a check cell: the run stops there, as Run All does.

``--save FOLDER`` keeps the executed copies in FOLDER, to open and read.
The exit status is 0 when every notebook ran to its end (whatever the checks said),
1 when one stopped on an error or could not be run.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from utils.questions.registry import grade_id
from utils.settings import FAST_MODE_ENV

TEXT_STUB = "YOUR ANSWER HERE"  # nbgrader's stub for a written answer (ClearSolutions.text_stub)
CELL_TIMEOUT_S = 600
RAISES = "raises-exception"


@dataclass
class Report:
    path: Path
    checks: list[str] = field(default_factory=list)       # one line per question
    passed: int = 0
    unwritten: list[str] = field(default_factory=list)    # where a written answer is missing
    stopped: str | None = None                            # the cell the run stopped at, and why

    def lines(self) -> list[str]:
        out = [f"{self.path}"]
        out += [f"  {line}" for line in self.checks]
        out += [f"  ✎ Written answer under \"{where}\": not written yet" for where in self.unwritten]
        if self.stopped:
            out.append(f"  ! The run stopped at {self.stopped}")
        summary = f"{self.passed} of {len(self.checks)} checks correct"
        if self.unwritten:
            summary += f", {len(self.unwritten)} written answer(s) to write"
        out.append(f"  = {summary}.")
        return out


def default_notebooks(root: Path) -> list[Path]:
    """The released exercise of every exercise the course package knows."""
    from utils.questions.registry import exercises

    found = [root / "exercises" / name / f"{name}.ipynb" for name in exercises()]
    return [path for path in found if path.exists()]


def _grade_id(cell) -> str:
    return grade_id(cell) or ""


def _heading_before(cells, index: int) -> str:
    """The nearest section heading (# or ##) above cell ``index``."""
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith(("# ", "## ")):
                    return line.lstrip("# ").strip()
    return f"cell {index}"


def execute(path: Path):
    """The notebook after a run from the top (stopping at an error outside a check cell)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellControlSignal, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except (CellControlSignal, DeadKernelError, TimeoutError) as error:
        return nb, error
    return nb, None


def report(path: Path, nb, error: BaseException | None) -> Report:
    from utils.questions.registry import exercises, questions

    result = Report(path)
    cells = nb.cells
    exercise = path.stem if path.stem in exercises() else None
    for q in questions(exercise) if exercise else ():
        cell = next((c for c in cells if _grade_id(c) == q.test_cell), None)
        shown = [out.data["text/plain"] for out in (cell.get("outputs", []) if cell else [])
                 if out.output_type == "display_data" and "text/plain" in out.get("data", {})]
        if shown:
            result.checks.append(shown[-1].strip())
            result.passed += "Correct" in shown[-1].split("(", 1)[0]
        else:
            result.checks.append(f"– {q.title}: not checked (its check cell did not run)")
    for i, cell in enumerate(cells):
        nbgrader = cell.get("metadata", {}).get("nbgrader", {})
        if (cell.cell_type == "markdown" and nbgrader.get("solution")
                and cell.source.strip() in ("", TEXT_STUB)):
            result.unwritten.append(_heading_before(cells, i))
    for i, cell in enumerate(cells):
        errors = [out for out in cell.get("outputs", []) if out.output_type == "error"]
        if errors and RAISES not in cell.get("metadata", {}).get("tags", []):
            where = f"cell {i}" + (f" ({_grade_id(cell)})" if _grade_id(cell) else "")
            result.stopped = f"{where}: {errors[0].ename}: {errors[0].evalue}"
            break
    else:
        if error is not None:  # a timeout or a dead kernel leaves no error output
            last = (str(error).strip().splitlines() or [""])[-1]
            result.stopped = f"{type(error).__name__}: {last}"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.selfcheck", description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every exercise in exercises/")
    parser.add_argument("--save", type=Path, metavar="FOLDER", help="keep the executed copies here")
    args = parser.parse_args(argv)

    os.environ.setdefault(FAST_MODE_ENV, "1")  # the kernels inherit it
    notebooks = args.notebooks or default_notebooks(Path.cwd())
    if not notebooks:
        print("No exercise notebooks found: run this from the course folder.", file=sys.stderr)
        return 1
    print(f"Running {len(notebooks)} notebook(s) from the top, in fast mode; your files are not changed.\n")
    status = 0
    for path in notebooks:
        if not path.exists():
            print(f"{path}\n  ! not found\n")
            status = 1
            continue
        nb, error = execute(path)
        result = report(path, nb, error)
        print("\n".join(result.lines()) + "\n", flush=True)
        status |= result.stopped is not None
        if args.save:
            import nbformat

            target = args.save / path.name
            if target.resolve() == path.resolve():
                print(f"  (not saved: {target} is the notebook itself)", file=sys.stderr)
            else:
                args.save.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, target)
    print("Hand in an exercise when all its checks are correct and its written answers are written.")
    return status


if __name__ == "__main__":
    sys.exit(main())
