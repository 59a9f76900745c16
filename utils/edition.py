"""The student edition: the course as students get it, built from this repository.

    python -m utils.edition build [DEST]          (make student-edition)

DEST defaults to ``build/student-edition/<course>-student-<version>-<commit>``; the
build writes that folder and ``<DEST>.zip`` beside it (one top-level folder, DEST's
name), which is what students get. The name changes with every commit, so a new
release unpacks beside an older one and never over a student's work.

What the edition holds, and where each part comes from:

- ``lessons/``: every file in the repository's ``lessons/``, as committed;
- ``exercises/<name>/``: the release folder of every exercise the course package
  knows (``utils.questions.registry.exercises()``), as released by
  ``nbgrader generate_assignment``: no solution code, no hidden tests;
- ``utils/``: the course package as it is (caches left out). It holds no solutions:
  ``checks.<q>.solution()`` reads them from ``solutions/``, which the edition does not
  have. The question definitions describe what each check expects, by design;
- ``data/manifest.toml`` and ``data/README.md``, never the datasets: ``make lab``
  downloads and verifies them;
- ``README.md``, ``Makefile`` and ``nbgrader_config.py`` from ``student_edition/``;
- ``pyproject.toml`` and ``environment.yml``, written from the repository's
  ``pyproject.toml`` (the same pins, without the test tools), so ``pip install -e .``
  and ``conda env create -f environment.yml`` work in the edition.

Never copied: ``solutions/``, tests, nbgrader's course configuration, gradebook and
submissions, the data files, caches and hidden files. Before the folder is put in
place, every notebook in it is checked for nbgrader's solution and hidden-test markers;
the build fails rather than hand out one that has them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

from utils import REPO_ROOT as ROOT  # noqa: E402
OWN_FILES = "student_edition"     # the edition's README.md, Makefile, nbgrader_config.py
STAMP = ".student-edition.json"   # marks a folder this module built (and may replace)
DATA_FILES = ("manifest.toml", "README.md")
# nbgrader's region markers, spelled so that this file (which the edition carries) holds none.
MARKERS = tuple(f"### {edge} {what}" for what in ("SOLUTION", "HIDDEN TESTS") for edge in ("BEGIN", "END"))


class EditionError(RuntimeError):
    """The edition cannot be built as asked; nothing was written."""


def _skipped(path: Path) -> bool:
    return any(part.startswith(".") or part == "__pycache__" for part in path.parts) or path.suffix == ".pyc"


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout


def _tracked(root: Path) -> set[Path] | None:
    """The files git tracks in ``root``, or None outside a git checkout."""
    listing = _git(root, "ls-files", "-z")
    return None if listing is None else {root / name for name in listing.split("\0") if name}


def _tree(folder: Path, into: str, tracked: set[Path] | None) -> list[tuple[Path, str]]:
    return [(path, f"{into}/{path.relative_to(folder).as_posix()}") for path in sorted(folder.rglob("*"))
            if path.is_file() and not _skipped(path.relative_to(folder))
            and (tracked is None or path in tracked)]


def files(root: Path = ROOT) -> list[tuple[Path, str]]:
    """(file in the repository, path in the edition) of everything copied as it is.

    In a git checkout, only files git tracks (as they are in the working tree), so work
    in progress that was never added stays out."""
    from utils.questions.registry import exercises

    tracked = _tracked(root)
    found = _tree(root / "lessons", "lessons", tracked)
    for name in exercises():
        release = root / "exercises" / name
        if not (release / f"{name}.ipynb").is_file():
            raise EditionError(f"exercises/{name}/{name}.ipynb is missing: release it first "
                               f"(nbgrader generate_assignment {name}, see README)")
        found += _tree(release, f"exercises/{name}", tracked)
    found += _tree(root / "utils", "utils", tracked)
    found += [(root / "data" / name, f"data/{name}") for name in DATA_FILES]
    found += _tree(root / OWN_FILES, ".", tracked)
    return [(source, target.removeprefix("./")) for source, target in found]


def uncommitted(root: Path, sources: list[Path]) -> list[str]:
    """Which of ``sources`` differ from the last commit (git status), for a warning."""
    listing = _git(root, "status", "--porcelain", "--", *(str(s.relative_to(root)) for s in sources))
    return [line[3:] for line in (listing or "").splitlines()]


def _project(root: Path) -> dict:
    with (root / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def pyproject(root: Path = ROOT) -> str:
    """The edition's pyproject.toml: the course package with the repository's pins."""
    data = _project(root)
    project, build = data["project"], data["build-system"]
    find = data["tool"]["setuptools"]["packages"]["find"]
    q = json.dumps  # a JSON string is a valid TOML basic string
    deps = "".join(f"    {q(d)},\n" for d in project["dependencies"])
    return (
        "# The course package (utils) and the packages the course needs, pinned to the versions\n"
        "# the course was tested with. `make lab` installs them: pip install -e .\n"
        "[build-system]\n"
        f"requires = [{', '.join(q(r) for r in build['requires'])}]\n"
        f"build-backend = {q(build['build-backend'])}\n\n"
        "[project]\n"
        f"name = {q(project['name'])}\n"
        f"version = {q(project['version'])}\n"
        f"description = {q(project['description'] + ' (student edition)')}\n"
        'readme = "README.md"\n'
        f"requires-python = {q(project['requires-python'])}\n"
        f"license = {q(project['license'])}\n"
        f"dependencies = [\n{deps}]\n\n"
        "[tool.setuptools.packages.find]\n"
        f"include = [{', '.join(q(i) for i in find['include'])}]\n"
    )


def environment(root: Path = ROOT) -> str:
    """The edition's environment.yml (conda, Binder): the same pins, then the course."""
    project = _project(root)["project"]
    python = re.search(r"^\s*-\s*python=(\S+)", (root / "environment.yml").read_text(), re.M)
    pins = "".join(f"      - {d}\n" for d in project["dependencies"])
    return (
        "# conda / Binder: conda env create -f environment.yml (then see README.md).\n"
        f"name: {project['name']}\n"
        "channels:\n  - conda-forge\ndependencies:\n"
        f"  - python={python.group(1) if python else '3.11'}\n"
        "  - pip\n  - pip:\n"
        f"{pins}      - -e .\n"
    )


def _commit(root: Path) -> str:
    return (_git(root, "rev-parse", "--short", "HEAD") or "local").strip()


def default_dest(root: Path = ROOT) -> Path:
    project = _project(root)["project"]
    return root / "build" / "student-edition" / f"{project['name']}-student-{project['version']}-{_commit(root)}"


def marked_notebooks(folder: Path) -> list[str]:
    """Notebooks under ``folder`` with a cell holding a solution or hidden-test marker."""
    import nbformat

    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if any(marker in cell.source for marker in MARKERS):
                found.append(f"{path.relative_to(folder)}, cell {i}")
    return found


def _check_dest(dest: Path, root: Path) -> None:
    if dest in (root, *root.parents):
        raise EditionError(f"{dest} holds the course itself; choose another folder")
    for part in (root / name for name in ("lessons", "exercises", "solutions", "utils", "data", OWN_FILES)):
        if dest == part or part in dest.parents or dest in part.parents:
            raise EditionError(f"{dest} would overlap the course's own {part}; choose another folder")
    if dest.exists() and not (dest / STAMP).is_file():
        raise EditionError(f"{dest} exists and is not an edition this command built; "
                           "nothing was changed (move it away, or choose another folder)")


def build(dest: Path | None = None, root: Path = ROOT) -> tuple[Path, Path]:
    """Write the edition folder ``dest`` and ``dest``.zip; returns both paths."""
    dest = Path(dest or default_dest(root)).resolve()
    _check_dest(dest, root)
    project = _project(root)["project"]
    copied = files(root)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    staging.chmod(0o755)  # mkdtemp's 0700 would travel with the folder
    try:
        for source, target in copied:
            (staging / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, staging / target)
        (staging / "pyproject.toml").write_text(pyproject(root), encoding="utf-8")
        (staging / "environment.yml").write_text(environment(root), encoding="utf-8")
        written = sorted(path.relative_to(staging).as_posix() for path in staging.rglob("*") if path.is_file())
        (staging / STAMP).write_text(json.dumps({
            "course": project["name"], "version": project["version"], "commit": _commit(root),
            "files": written,
        }, indent=2) + "\n", encoding="utf-8")
        leaks = marked_notebooks(staging)
        if leaks:
            raise EditionError("solution or hidden-test markers in " + "; ".join(leaks)
                               + ": is exercises/ released from solutions/? Nothing was written.")
        archive = dest.parent / f"{dest.name}.zip"
        partial = Path(f"{staging}.zip")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(staging.rglob("*")):
                z.write(path, f"{dest.name}/{path.relative_to(staging).as_posix()}")
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
        os.replace(partial, archive)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        Path(f"{staging}.zip").unlink(missing_ok=True)
    return dest, archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.edition", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="write the student edition folder and its zip")
    make.add_argument("dest", nargs="?", type=Path, help="the edition folder (default: build/student-edition/...)")
    args = parser.parse_args(argv)
    try:
        folder, archive = build(args.dest)
    except EditionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    changed = uncommitted(ROOT, [source for source, _ in files(ROOT)])
    if changed:
        print("warning: built from files with uncommitted changes (commit, then build again):\n  "
              + "\n  ".join(changed), file=sys.stderr)
    print(f"student edition: {folder}\n             zip: {archive}\n"
          "Hand out the zip; students follow its README.md (make lab, make check).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
