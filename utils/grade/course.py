"""The coordinator's side of the course: what to grade, what to ship, where results go.

Only this side touches the real course folder. It reads ``submitted/`` without
following symbolic links, reads the gradebook to build what a task needs, and is the
one writer of ``gradebook.db`` and ``autograded/`` (results are recorded one at a
time, in the order they arrive).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from utils.grade.task import safe_relative
from utils.grading.review import printable

STATE_FOLDER = ".parallel-grading"   # inside autograded/: nbgrader's globs never see a dot folder
STUDENT_TABLES = ("comment", "grade", "submitted_notebook", "submitted_assignment", "student")
DEFAULT_STRUCTURE = "{nbgrader_step}/{student_id}/{assignment_id}"
FLAG_PREFIX = "Flagged for review by the grader:"  # utils.grading.review's automatic comment


class CourseError(RuntimeError):
    """The course cannot be graded as asked (no gradebook, unknown assignment...)."""


@dataclass
class Found:
    """One ``submitted/<student>/<assignment>/`` folder to grade."""
    student: str
    folder: Path
    digest: str = ""
    size: int = 0


@dataclass
class Skipped:
    student: str
    reason: str


@dataclass
class Loaded:
    entries: list = field(default_factory=list)   # ("file", rel, mode, bytes) | ("dir", rel) | ("link", rel, exists)
    notes: list = field(default_factory=list)


@contextmanager
def _cwd(path: Path):
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _quiet_gradebook(db_url: str):
    from nbgrader.api import Gradebook

    return Gradebook(db_url)


class Course:
    """An nbgrader course folder, read with nbgrader's own configuration loading."""

    def __init__(self, root: Path, assignment: str, nbgrader_args: tuple[str, ...] = ()):
        from nbgrader.apps.autogradeapp import AutogradeApp

        self.root = Path(root).resolve()
        self.assignment = assignment
        with _cwd(self.root):
            app = AutogradeApp()
            app.initialize([*nbgrader_args], root=str(self.root))
        self.coursedir = app.coursedir
        self.create_student = bool(app.config.Autograde.get("create_student", True))
        if self.coursedir.directory_structure != DEFAULT_STRUCTURE:
            raise CourseError(f"CourseDirectory.directory_structure must be {DEFAULT_STRUCTURE!r} for parallel grading")
        self.db_url = self.coursedir.db_url
        if not self.db_url.startswith("sqlite:///"):
            raise CourseError(f"parallel grading needs an sqlite gradebook, not {self.db_url}")
        self.db_path = Path(self.db_url[len("sqlite:///"):])
        self.submitted_root = Path(self.coursedir.format_path(self.coursedir.submitted_directory, ".", ".")).resolve()
        self.autograded_root = Path(self.coursedir.format_path(self.coursedir.autograded_directory, ".", ".")).resolve()
        self.source_folder = Path(self.coursedir.format_path(self.coursedir.source_directory, ".", assignment))
        self.exclude = {s for s in self.coursedir.student_id_exclude.split(",") if s}
        self.state_file = self.autograded_root / STATE_FOLDER / f"{assignment}.jsonl"

    # ------------------------------------------------------------ checks and what every task gets

    def check(self) -> None:
        from nbgrader.api import MissingEntry

        if not self.db_path.is_file():
            raise CourseError(f"no gradebook at {self.db_path}: "
                              f"run nbgrader generate_assignment {self.assignment} first")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _quiet_gradebook(self.db_url) as gb:
                try:
                    gb.find_assignment(self.assignment)
                except MissingEntry:
                    raise CourseError(f"No assignment with ID '{self.assignment}' exists in the database: "
                                      f"did you forget 'nbgrader generate_assignment {self.assignment}'?") from None

    def config_bytes(self) -> bytes:
        path = self.root / "nbgrader_config.py"
        return path.read_bytes() if path.is_file() else b""

    def source_files(self) -> dict[str, bytes]:
        """The assignment's source folder but its notebooks: the files nbgrader copies over the
        student's (the notebooks' definitions are in the gradebook)."""
        found = {}
        for parent, dirs, files in os.walk(self.source_folder):
            dirs[:] = [d for d in dirs if d not in (".ipynb_checkpoints", "__pycache__")]
            for name in files:
                path = Path(parent) / name
                if path.is_file() and not name.endswith(".ipynb"):
                    found[path.relative_to(self.source_folder).as_posix()] = path.read_bytes()
        return found

    def template_gradebook(self) -> bytes:
        """The gradebook's definitions only: every student, submission, grade and comment removed."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="course-template-") as tmp:
            copy = Path(tmp) / "gradebook.db"
            source = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
            target = sqlite3.connect(copy)
            try:
                source.backup(target)
                for table in STUDENT_TABLES:
                    target.execute(f'DELETE FROM "{table}"')
                target.commit()
                target.execute("VACUUM")
            finally:
                source.close()
                target.close()
            return copy.read_bytes()

    @staticmethod
    def fingerprint(shared: dict) -> str:
        """What else decides a grade: configuration, source files, definitions, mode, options."""
        import tempfile

        digest = hashlib.sha256()
        digest.update(shared["config"])
        for rel in sorted(shared["source"]):
            digest.update(rel.encode() + b"\0" + hashlib.sha256(shared["source"][rel]).digest())
        with tempfile.TemporaryDirectory(prefix="course-template-") as tmp:
            (Path(tmp) / "g.db").write_bytes(shared["gradebook"])
            db = sqlite3.connect(Path(tmp) / "g.db")
            try:
                for line in db.iterdump():
                    digest.update(line.encode())
            finally:
                db.close()
        digest.update(json.dumps([shared["env"], shared["nbgrader_args"]], sort_keys=True).encode())
        return digest.hexdigest()

    # ------------------------------------------------------------ the submissions

    def discover(self, only: set[str] | None = None) -> tuple[list[Found], list[Skipped]]:
        """Every ``submitted/<student>/<assignment>/`` folder, as nbgrader's glob would find
        them (hidden folders and excluded students left out), minus symbolic links."""
        found, skipped = [], []
        if not self.submitted_root.is_dir():
            return found, skipped
        for entry in sorted(os.scandir(self.submitted_root), key=lambda e: e.name):
            student = entry.name
            if student.startswith(".") or student in self.exclude or (only and student not in only):
                continue
            if entry.is_symlink():
                skipped.append(Skipped(student, "the student's folder is a symbolic link: not graded"))
                continue
            if not entry.is_dir():
                continue
            folder = Path(entry.path) / self.assignment
            if folder.is_symlink():
                skipped.append(Skipped(student, "the submission folder is a symbolic link: not graded"))
                continue
            if not folder.is_dir():
                continue
            if not any(p.name.endswith(".ipynb") and not p.name.startswith(".") for p in folder.iterdir()):
                skipped.append(Skipped(student, "no notebook in the submission folder (nbgrader skips it too)"))
                continue
            digest, size = self._digest(folder)
            found.append(Found(student, folder, digest, size))
        return found, skipped

    @staticmethod
    def _walk(folder: Path):
        """(kind, path, relative path) of everything under ``folder``, links not followed."""
        for parent, dirs, files in os.walk(folder):
            for name in sorted(dirs):
                path = Path(parent) / name
                yield ("link" if path.is_symlink() else "dir"), path, path.relative_to(folder).as_posix()
            for name in sorted(files):
                path = Path(parent) / name
                mode = os.lstat(path).st_mode
                kind = "link" if stat.S_ISLNK(mode) else "file" if stat.S_ISREG(mode) else "other"
                yield kind, path, path.relative_to(folder).as_posix()

    def _digest(self, folder: Path) -> tuple[str, int]:
        digest, size = hashlib.sha256(), 0
        for kind, path, rel in self._walk(folder):
            digest.update(f"{kind}\0{rel}\0".encode("utf-8", "surrogateescape"))
            if kind == "file":
                with open(path, "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        digest.update(chunk)
                        size += len(chunk)
            elif kind == "link":
                digest.update(os.fsencode(os.readlink(path)))
            digest.update(b"\0")
        return digest.hexdigest(), size

    def load(self, found: Found) -> Loaded:
        loaded = Loaded()
        for kind, path, rel in self._walk(found.folder):
            safe_relative(rel)
            if kind == "file":
                loaded.entries.append(("file", rel, os.lstat(path).st_mode & 0o777, path.read_bytes()))
            elif kind == "dir":
                loaded.entries.append(("dir", rel))
            elif kind == "link":
                loaded.entries.append(("link", rel, os.path.exists(path)))
            else:
                loaded.notes.append(f"left out {printable(rel)}: not a regular file")
        return loaded

    def own_rows(self, student: str, placeholder: str) -> dict:
        """This student's rows for this assignment, renamed to ``placeholder``."""
        db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        try:
            def select(table, where, args):
                cursor = db.execute(f'SELECT * FROM "{table}" WHERE {where}', args)
                return [d[0] for d in cursor.description], [list(r) for r in cursor.fetchall()]

            rows = {}
            columns, found = select("student", "id = ?", (student,))
            for row in found:
                row[columns.index("id")] = placeholder
            rows["student"] = {"columns": columns, "rows": found}
            columns, subs = select("submitted_assignment", "student_id = ? AND assignment_id IN "
                                   "(SELECT id FROM assignment WHERE name = ?)", (student, self.assignment))
            for row in subs:
                row[columns.index("student_id")] = placeholder
            rows["submitted_assignment"] = {"columns": columns, "rows": subs}
            sub_ids = [r[columns.index("id")] for r in subs]
            marks = ",".join("?" * len(sub_ids)) or "NULL"
            columns, nbs = select("submitted_notebook", f"assignment_id IN ({marks})", sub_ids)
            rows["submitted_notebook"] = {"columns": columns, "rows": nbs}
            nb_ids = [r[columns.index("id")] for r in nbs]
            marks = ",".join("?" * len(nb_ids)) or "NULL"
            for table in ("grade", "comment"):
                columns, found = select(table, f"notebook_id IN ({marks})", nb_ids)
                rows[table] = {"columns": columns, "rows": found}
            return rows
        finally:
            db.close()

    def student_exists(self, student: str) -> bool:
        db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        try:
            return db.execute("SELECT 1 FROM student WHERE id = ?", (student,)).fetchone() is not None
        finally:
            db.close()

    # ------------------------------------------------------------ one grading at a time

    @contextmanager
    def lock(self):
        """Held while grading: a second parallel grading of the same course (which would
        write the same gradebook) stops at once instead."""
        import fcntl

        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.state_file.parent / "lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CourseError("another `python -m utils.grade` is grading this course; "
                                  "wait for it to finish") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # ------------------------------------------------------------ re-runs

    def state(self) -> dict[str, dict]:
        """student -> the last record of a parallel grading of this assignment."""
        records = {}
        if self.state_file.is_file():
            for line in self.state_file.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                    records[record["student"]] = record
                except (ValueError, KeyError, TypeError):
                    continue
        return records

    def unchanged(self, found: Found, fingerprint: str, state: dict[str, dict]) -> bool:
        """Graded before from exactly these files and this grading set-up, and still recorded."""
        record = state.get(found.student)
        if not record or record.get("outcome") != "graded" or record.get("digest") != found.digest \
                or record.get("fingerprint") != fingerprint:
            return False
        folder = self.autograded_folder(found.student)
        notebooks = record.get("notebooks") or []
        if not notebooks or not all((folder / f"{nb}.ipynb").is_file() for nb in notebooks):
            return False
        db = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        try:
            return db.execute("SELECT 1 FROM submitted_assignment s JOIN assignment a ON s.assignment_id = a.id "
                              "WHERE s.student_id = ? AND a.name = ?",
                              (found.student, self.assignment)).fetchone() is not None
        finally:
            db.close()

    def remember(self, found: Found, fingerprint: str, outcome: str, notebooks: list[str]) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"student": found.student, "digest": found.digest, "fingerprint": fingerprint,
                           "outcome": outcome, "notebooks": notebooks,
                           "at": datetime.now().isoformat(timespec="seconds")})
        with open(self.state_file, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    # ------------------------------------------------------------ recording a result

    def autograded_folder(self, student: str) -> Path:
        folder = Path(self.coursedir.format_path(self.coursedir.autograded_directory, student, self.assignment))
        resolved = folder.parent.resolve() / folder.name
        if resolved.parent.parent != self.autograded_root:
            raise CourseError(f"autograded folder of {printable(student)} is outside {self.autograded_root}")
        return resolved

    def record(self, student: str, outcome: dict) -> tuple[float, float] | None:
        """Write one student's result: the gradebook rows nbgrader wrote in the throw-away
        course, and the autograded folder (removed on failure, as nbgrader does).
        Returns (code score, its maximum) as the gradebook now has them."""
        marks = None
        if outcome.get("rows") is not None:
            marks = self._write_rows(student, outcome["rows"])
        folder = self.autograded_folder(student)
        if outcome["status"] == "graded":
            self._replace_folder(folder, outcome["files"])
        elif folder.exists() or folder.is_symlink():
            _remove(folder)
        return marks

    def _write_rows(self, student: str, rows: dict) -> tuple[float, float]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLAlchemy's notes from inside nbgrader's API
            with _quiet_gradebook(self.db_url) as gb:
                if self.create_student:
                    gb.update_or_create_student(student)
                else:
                    gb.find_student(student)
                submission = gb.update_or_create_submission(self.assignment, student)
                submission.timestamp = datetime.fromisoformat(rows["timestamp"]) if rows["timestamp"] else None
                for nb_name, nb_rows in rows["notebooks"].items():
                    notebook = gb.find_submission_notebook(nb_name, self.assignment, student)
                    notebook.late_submission_penalty = nb_rows["late_submission_penalty"]
                    grades = {g.name: g for g in notebook.grades}
                    for name, (auto_score, needs_manual) in nb_rows["grades"].items():
                        grades[name].auto_score = auto_score
                        grades[name].needs_manual_grade = needs_manual
                    comments = {c.name: c for c in notebook.comments}
                    for name, text in nb_rows["comments"].items():
                        comments[name].auto_comment = text
                gb.db.commit()
                return submission.code_score, submission.max_code_score

    def _replace_folder(self, folder: Path, files: list) -> None:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = folder.parent / f".{folder.name}.incoming-{uuid.uuid4().hex[:8]}"
        staging.mkdir()
        try:
            modes = []
            for entry in files:
                path = staging / safe_relative(entry[1])
                if entry[0] == "dir":
                    path.mkdir(parents=True, exist_ok=True)
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(entry[3])
                modes.append((path, entry[2]))
            for path, mode in modes:  # nbgrader's own permissions (read-only by default)
                path.chmod(mode)
            if folder.exists() or folder.is_symlink():
                _remove(folder)
            staging.rename(folder)
        except BaseException:
            _remove(staging)
            raise


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def flagged(rows: dict | None) -> dict[str, str]:
    """cell -> reason, for the questions the grader flagged for review."""
    found = {}
    for nb in (rows or {}).get("notebooks", {}).values():
        for name, text in nb["comments"].items():
            if text and text.startswith(FLAG_PREFIX):
                found[name] = text[len(FLAG_PREFIX):].strip()
    return found


