"""A corpus of bad submissions, one builder per kind, for tests/test_bad_submissions.py.

Each builder returns a ``Submission`` for one exercise: what lands in
``submitted/<student>/<exercise>/`` (a notebook built from the release, or raw
files) and the exact autograded score it must get, per test cell. Scores are
what an honest reading of the notebook deserves: a cheat never earns points,
and an honest answer next to a cheat keeps its own.

The exercises' questions (answer cell ``<q>_answer``, test cell ``<q>_check``):

- red_wine: ``dropout_model`` 2 points, ``batchnorm_model`` 2, ``input_bn_model`` 2;
- spotify: ``model`` 3 points, ``bn_model`` 3.

``why`` names the error the graded test cell must show, where it proves which
defence caught the cheat: ``CheckFailed`` is the check itself (the hidden test
re-imports it from disk), ``IndependentRecheck`` is the grader's own verdict,
outside the kernel, on the model the hidden test exported.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

import _nbgrader_helpers as h

POINTS = {
    "red_wine": {"dropout": 2, "batchnorm": 2, "input_bn": 2},
    "spotify": {"dropout": 3, "batchnorm": 3},
}
VARIABLE = {
    "red_wine": {"dropout": "dropout_model", "batchnorm": "batchnorm_model", "input_bn": "input_bn_model"},
    "spotify": {"dropout": "model", "batchnorm": "bn_model"},
}

# Plausible wrong answers, one per question.
WRONG = {
    "red_wine": {
        # 50% dropout instead of 30%.
        "dropout": """
dropout_model = keras.Sequential([
    keras.Input(shape=(11,)),
    layers.Dense(256, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(256, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(256, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(1),
])
""",
        # BatchNormalization before Dropout instead of after it.
        "batchnorm": """
batchnorm_model = keras.Sequential([
    keras.Input(shape=(11,)),
    layers.Dense(256, activation="relu"),
    layers.BatchNormalization(),
    layers.Dropout(0.3),
    layers.Dense(256, activation="relu"),
    layers.BatchNormalization(),
    layers.Dropout(0.3),
    layers.Dense(256, activation="relu"),
    layers.BatchNormalization(),
    layers.Dropout(0.3),
    layers.Dense(1),
])
batchnorm_model.compile(optimizer="adam", loss="mae")
""",
        # Batch normalization before the output instead of first.
        "input_bn": """
input_bn_model = keras.Sequential([
    keras.Input(shape=(11,)),
    layers.Dense(256, activation="relu"),
    layers.Dense(256, activation="relu"),
    layers.BatchNormalization(),
    layers.Dense(1),
])
""",
    },
    "spotify": {
        # Dropout after the first hidden layer only.
        "dropout": """
model = keras.Sequential([
    keras.Input(shape=(18,)),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.3),
    layers.Dense(64, activation="relu"),
    layers.Dense(1),
])
""",
        # Batch normalization after each Dense layer instead of before it.
        "batchnorm": """
bn_model = keras.Sequential([
    keras.Input(shape=(18,)),
    layers.Dense(128, activation="relu"),
    layers.BatchNormalization(),
    layers.Dense(64, activation="relu"),
    layers.BatchNormalization(),
    layers.Dense(1),
    layers.BatchNormalization(),
])
""",
    },
}


@dataclass
class Submission:
    """What one student hands in for one exercise, and what it must score."""
    notebook: nbformat.NotebookNode | None = None   # written as <exercise>.ipynb
    files: dict[str, bytes] = field(default_factory=dict)  # raw files (relative path -> bytes)
    links: dict[str, str] = field(default_factory=dict)    # symlinks (relative path -> target)
    scores: dict[str, float] | None = None   # "<q>_check" -> points, when graded
    why: dict[str, str] = field(default_factory=dict)      # "<q>_check" -> error name it must show
    # "graded": scored as ``scores`` says. "failed": nbgrader reports an error for this
    # student (the command exits 1), writes no autograded notebook and leaves every grade
    # unset and flagged for manual grading. "absent": nbgrader does not see it at all.
    outcome: str = "graded"

    @property
    def total(self) -> float | None:
        return None if self.scores is None else float(sum(self.scores.values()))


@dataclass(frozen=True)
class Context:
    """Where the temporary course lives (the cheater aims at it)."""
    course: Path


def correct(assignment: str, q: str) -> str:
    return h.solution_sources(assignment)[f"{q}_answer"]


def scores(assignment: str, **earned: bool) -> dict[str, float]:
    """Full points for the questions named True, 0 for the rest."""
    return {f"{q}_check": float(p if earned.get(q) else 0) for q, p in POINTS[assignment].items()}


def _index(nb, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _copy(cell):
    """An exact copy of a cell, its id included."""
    return nbformat.from_dict(json.loads(json.dumps(cell)))


def _code(source: str) -> nbformat.NotebookNode:
    """A cell the student inserted (no nbgrader metadata)."""
    return nbformat.v4.new_code_cell(textwrap.dedent(source).strip())


def say_yes(q: str) -> str:
    """Rebind the visible check of question ``q`` to a no-op (Question is a frozen
    dataclass, so a plain assignment would fail: force it)."""
    return f'\nobject.__setattr__(checks.{q}, "check", lambda *a, **k: None)\n'


def with_answers(release, assignment: str, answers: dict[str, str]):
    """The release with answer cells replaced: {"dropout": code, ...}."""
    return h.answer(release, {f"{q}_answer": code for q, code in answers.items()})


# ============================================================ well-behaved students

def solution(release, assignment, ctx):
    """Every answer from the source notebook: all autograded points (red_wine 6, spotify 6)."""
    return Submission(h.solved(release, assignment), scores=scores(assignment, **{q: True for q in POINTS[assignment]}))


def untouched(release, assignment, ctx):
    """The release as handed out: 0 points, no crash."""
    return Submission(release, scores=scores(assignment))


def partial(release, assignment, ctx):
    """The first question right, the others wrong: exactly the first question's points
    (red_wine 2, spotify 3)."""
    answers = {q: (correct(assignment, q) if q == "dropout" else WRONG[assignment][q]) for q in POINTS[assignment]}
    return Submission(with_answers(release, assignment, answers), scores=scores(assignment, dropout=True))


# ============================================================ 1, 2: edited and deleted test cells

def restored_cells(release, assignment, ctx):
    """Test cells edited or deleted; nbgrader restores them from the gradebook.

    - dropout (wrong model): its test cell is ``pass``, unlocked, worth 100 points -> restored, 0;
    - batchnorm (correct): its test cell and the written answers are deleted -> added back
      (OverwriteCells.add_missing_cells) right after the answer, full points (the written
      answers come back empty and flagged for manual grading);
    - input_bn (red_wine, wrong): the check call is commented out -> restored, 0.
    Score: red_wine 2 (batchnorm), spotify 3 (batchnorm).
    """
    nb = with_answers(release, assignment, {"dropout": WRONG[assignment]["dropout"],
                                            "batchnorm": correct(assignment, "batchnorm")})
    check = nb.cells[_index(nb, "dropout_check")]
    check.source = "pass"
    check.metadata.nbgrader.update(points=100, locked=False)
    if "input_bn" in POINTS[assignment]:
        nb = with_answers(nb, assignment, {"input_bn": WRONG[assignment]["input_bn"]})
        cell = nb.cells[_index(nb, "input_bn_check")]
        cell.source = "# " + cell.source
    gone = {"batchnorm_check", "written_answer", "written_dropout", "written_batchnorm"}
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in gone]
    return Submission(nb, scores=scores(assignment, batchnorm=True))


# ============================================================ 3: reordered and duplicated cells

def reordered(release, assignment, ctx):
    """Cells moved and duplicated, duplicated cell ids included; every answer is correct.

    - red_wine: the dropout test cell is moved above its answer cell (it then runs before
      the model exists) -> 0; the input_bn answer and test are moved to the top, right
      after the data cell -> 2; the batchnorm test cell is there three times (same cell id,
      same grade_id: nbgrader grades the last copy once) -> 2. Score 4.
    - spotify: the batchnorm answer and test are moved above question 1 -> 3; the dropout
      test cell is there three times -> 3, not 9. Score 6.
    """
    nb = h.solved(release, assignment)
    copies = lambda gid: [_copy(nb.cells[_index(nb, gid)]) for _ in range(2)]  # noqa: E731
    if assignment == "red_wine":
        extra = copies("batchnorm_check")
        at = _index(nb, "batchnorm_check") + 1
        nb.cells[at:at] = extra
        block = [nb.cells[_index(nb, "input_bn_answer")], nb.cells[_index(nb, "input_bn_check")]]
        nb.cells = [c for c in nb.cells if all(c is not b for b in block)]
        at = _index(nb, "data") + 1
        nb.cells[at:at] = block
        check = nb.cells.pop(_index(nb, "dropout_check"))
        nb.cells.insert(_index(nb, "dropout_answer"), check)
        return Submission(nb, scores=scores(assignment, batchnorm=True, input_bn=True), why={"dropout_check": "CheckFailed"})
    extra = copies("dropout_check")
    at = _index(nb, "dropout_check") + 1
    nb.cells[at:at] = extra
    block = [nb.cells[_index(nb, "batchnorm_answer")], nb.cells[_index(nb, "batchnorm_check")]]
    nb.cells = [c for c in nb.cells if all(c is not b for b in block)]
    at = _index(nb, "dropout_answer")
    nb.cells[at:at] = block
    return Submission(nb, scores=scores(assignment, dropout=True, batchnorm=True))


# ============================================================ 4: the check patched or replaced

def patched_checks(release, assignment, ctx):
    """Wrong models, and the check made to say yes in the answer cells. Score 0 everywhere;
    each test cell fails in the check itself (the hidden test re-imports it from disk).

    - dropout: ``checks.dropout.check`` rebound to ``lambda *a, **k: None``;
    - batchnorm: ``utils.checks.<exercise>.batchnorm`` replaced, and
      ``sys.modules['utils.checks.hidden']`` replaced by a module whose regrade does nothing;
    - input_bn (red_wine): an inserted cell redefines ``checks`` as a namespace of no-ops.
    """
    nb = with_answers(release, assignment, {
        "dropout": WRONG[assignment]["dropout"] + say_yes("dropout"),
        "batchnorm": WRONG[assignment]["batchnorm"] + textwrap.dedent(f"""
            import sys, types
            import utils.checks.{assignment}
            utils.checks.{assignment}.batchnorm = types.SimpleNamespace(check=lambda *a, **k: None)
            fake = types.ModuleType("utils.checks.hidden")
            fake.regrade = lambda qid: None
            sys.modules["utils.checks.hidden"] = fake
        """),
    })
    if "input_bn" in POINTS[assignment]:
        nb = with_answers(nb, assignment, {"input_bn": WRONG[assignment]["input_bn"]})
        nb.cells.insert(_index(nb, "input_bn_check"), _code("""
            import types
            checks = types.SimpleNamespace(**{q: types.SimpleNamespace(check=lambda *a, **k: None)
                                              for q in ("dropout", "batchnorm", "input_bn")})
        """))
    return Submission(nb, scores=scores(assignment), why={f"{q}_check": "CheckFailed" for q in POINTS[assignment]})


# ============================================================ 5: builtins and imports tampered, fake models

FAKE_HIDDEN = """
import builtins, types
_real_import = builtins.__import__
_fake_hidden = types.ModuleType("utils.checks.hidden")
_fake_hidden.regrade = lambda qid: None
def _import(name, globals=None, locals=None, fromlist=(), level=0):
    if name == "utils.checks.hidden":
        return _fake_hidden
    return _real_import(name, globals, locals, fromlist, level)
builtins.__import__ = _import
"""

FORGE_PARTIAL_CREDIT = """
# Every later cell that calls a check becomes: run it, swallow the failure, end in a number
# (nbgrader takes a test cell's numeric value as its partial credit).
def _forge(lines):
    if any(".check()" in line or "regrade(" in line for line in lines):
        return ["try:\\n"] + ["    " + line for line in lines] + ["\\nexcept BaseException:\\n    pass\\n", "100\\n"]
    return lines
get_ipython().input_transformers_post.append(_forge)
"""


def tampered_builtins(release, assignment, ctx):
    """Wrong models, with the language itself tampered with. Score 0 everywhere.

    - dropout: ``builtins.AssertionError`` rebound, and ``builtins.isinstance`` made to answer
      True whenever the course's code asks -> the check still fails (CheckFailed);
    - batchnorm: ``builtins.__import__`` patched so that the hidden test's fresh
      ``from utils.checks.hidden import regrade`` gets a no-op, and the visible check patched:
      the kernel reports success, the grader's re-check finds no export (IndependentRecheck);
    - input_bn (red_wine; in spotify the batchnorm cell does this too): an IPython input
      transformer rewrites every later test cell to swallow the failure and end in ``100``,
      a forged partial credit: the value is dropped and the re-check fails (IndependentRecheck).
    """
    qs = list(POINTS[assignment])
    answers = {
        "dropout": WRONG[assignment]["dropout"] + textwrap.dedent("""
            import builtins, sys
            builtins.AssertionError = type("NeverRaised", (Exception,), {})
            _real_isinstance = builtins.isinstance
            def _yes_to_the_checks(obj, kinds):  # True whenever the course's code asks
                caller = sys._getframe(1).f_globals.get("__name__", "")
                return True if caller.startswith("utils.") else _real_isinstance(obj, kinds)
            builtins.isinstance = _yes_to_the_checks
        """),
        "batchnorm": WRONG[assignment]["batchnorm"] + FAKE_HIDDEN + say_yes("batchnorm"),
    }
    if "input_bn" in qs:
        answers["input_bn"] = WRONG[assignment]["input_bn"] + FORGE_PARTIAL_CREDIT
    else:
        answers["batchnorm"] += FORGE_PARTIAL_CREDIT
    why = {"dropout_check": "CheckFailed", "batchnorm_check": "IndependentRecheck", "input_bn_check": "IndependentRecheck"}
    return Submission(with_answers(release, assignment, answers), scores=scores(assignment),
                      why={k: v for k, v in why.items() if k[:-6] in qs})


def _correct_elsewhere(assignment, q, name="_right"):
    """The correct model under another name, for a fake to copy."""
    return correct(assignment, q).replace(VARIABLE[assignment][q], name)


def fake_models(release, assignment, ctx):
    """Objects that only pretend to be the right model. Score: red_wine 2, spotify 0.

    - dropout: a plain class with ``layers`` and a ``get_config`` that returns the correct
      model's config -> 0 (it is not a Keras model);
    - batchnorm: a home-made ``keras.Sequential`` subclass, built wrong, whose ``get_config``
      returns the correct config -> 0;
    - input_bn (red_wine): a correct model -> 2.
    """
    answers = {
        "dropout": _correct_elsewhere(assignment, "dropout") + textwrap.dedent(f"""
            class LooksRight:
                layers = _right.layers
                def get_config(self):
                    return _right.get_config()
            {VARIABLE[assignment]['dropout']} = LooksRight()
        """),
        "batchnorm": _correct_elsewhere(assignment, "batchnorm") + textwrap.dedent("""
            class MySequential(keras.Sequential):
                def get_config(self):
                    return _right.get_config()
        """) + WRONG[assignment]["batchnorm"].replace("keras.Sequential(", "MySequential("),
    }
    earned = {}
    if "input_bn" in POINTS[assignment]:
        answers["input_bn"] = correct(assignment, "input_bn")
        earned["input_bn"] = True
    return Submission(with_answers(release, assignment, answers), scores=scores(assignment, **earned),
                      why={"dropout_check": "CheckFailed", "batchnorm_check": "CheckFailed"})


SHADOW_INIT = """
# This folder first, then the real package's folder; the real __init__ runs here.
import importlib.machinery, os, sys
_here = os.path.dirname(os.path.abspath(__file__))
_root = os.path.dirname(_here) if __name__ == "utils" else os.path.dirname(os.path.dirname(_here))
for _finder in sys.meta_path:
    if _finder is importlib.machinery.PathFinder:
        _spec = _finder.find_spec("utils", [p for p in sys.path if os.path.abspath(p or ".") != _root])
    else:
        _spec = getattr(_finder, "find_spec", lambda *a: None)("utils", None)
    if _spec and _spec.origin and not _spec.origin.startswith(_root):
        break
_real = os.path.join(os.path.dirname(_spec.origin), *__name__.split(".")[1:])
__path__ = [_here, _real]
exec(compile(open(os.path.join(_real, "__init__.py")).read(), "real " + __name__, "exec"))
"""


def shadow_package(release, assignment, ctx):
    """A ``utils/`` package handed in beside the notebook, so that the kernel imports the
    student's ``utils.checks.hidden`` (a no-op ``regrade``; everything else is the real
    course package) and the visible checks say yes. Wrong models: score 0 everywhere, each
    caught by the grader's re-check (IndependentRecheck) because nothing was exported.
    """
    files = {"utils/__init__.py": SHADOW_INIT.encode(), "utils/checks/__init__.py": SHADOW_INIT.encode(),
             "utils/checks/hidden.py": b"def regrade(qid):\n    return None\n"}
    answers = {q: WRONG[assignment][q] + say_yes(q) for q in POINTS[assignment]}
    return Submission(with_answers(release, assignment, answers), files=files, scores=scores(assignment),
                      why={f"{q}_check": "IndependentRecheck" for q in POINTS[assignment]})


# ============================================================ 6, 7, 8: exits, kills, hangs, floods

def exits(release, assignment, ctx):
    """The kernel exited or was killed; the cells after it run in a fresh kernel (the
    read-only set-up cells first) and earn what they deserve. Every answer is correct.

    - red_wine: dropout's answer ends in ``sys.exit()`` (an error in that cell only) -> 2;
      batchnorm's answer ends in ``os._exit(0)`` (the model dies with the kernel) -> 0;
      input_bn, in the fresh kernel -> 2. Score 4.
    - spotify: dropout's answer ends in ``os.kill(os.getpid(), 9)`` -> 0; batchnorm, in the
      fresh kernel -> 3. Score 3.
    """
    if assignment == "red_wine":
        answers = {"dropout": correct(assignment, "dropout") + "\nimport sys; sys.exit()\n",
                   "batchnorm": correct(assignment, "batchnorm") + "\nimport os; os._exit(0)\n",
                   "input_bn": correct(assignment, "input_bn")}
        earned = {"dropout": True, "input_bn": True}
    else:
        answers = {"dropout": correct(assignment, "dropout") + "\nimport os; os.kill(os.getpid(), 9)\n",
                   "batchnorm": correct(assignment, "batchnorm")}
        earned = {"batchnorm": True}
    return Submission(with_answers(release, assignment, answers), scores=scores(assignment, **earned))


def hangs(release, assignment, ctx):
    """Cells that never end, cut off by the cell timeout; every answer is correct.

    - red_wine: dropout's answer ends in ``while True: pass`` (interrupted; the model was
      built before the loop) -> 2; batchnorm's answer ends in a training call of a million
      epochs (interrupted) -> 2; input_bn (wrong) ends in ``builtins.isinstance = lambda *a:
      True``, which leaves the kernel unable to answer: the cell times out, the kernel is
      replaced -> 0. Score 4.
    - spotify: dropout's answer ends in a loop that ignores the interrupt (SIGINT): the
      kernel is replaced, the model is lost -> 0; batchnorm in the fresh kernel -> 3. Score 3.
    """
    if assignment == "red_wine":
        answers = {"dropout": correct(assignment, "dropout") + "\nwhile True:\n    pass\n",
                   "batchnorm": correct(assignment, "batchnorm")
                   + "\nbatchnorm_model.fit(X_train, y_train, epochs=1_000_000, batch_size=16, verbose=0)\n",
                   "input_bn": WRONG[assignment]["input_bn"]
                   + "\nimport builtins\nbuiltins.isinstance = lambda *a: True\n"}
        earned = {"dropout": True, "batchnorm": True}
    else:
        answers = {"dropout": correct(assignment, "dropout")
                   + "\nimport signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n",
                   "batchnorm": correct(assignment, "batchnorm")}
        earned = {"batchnorm": True}
    return Submission(with_answers(release, assignment, answers), scores=scores(assignment, **earned))


def floods(release, assignment, ctx):
    """Gigantic output: two million printed lines in one answer cell, 50 MB written
    straight to the kernel's stdout in another. Truncated; graded normally. Every answer
    is correct except red_wine's input_bn (wrong). Score: red_wine 4, spotify 6.
    """
    answers = {"dropout": correct(assignment, "dropout") + "\nfor i in range(2_000_000):\n    print(i)\n",
               "batchnorm": correct(assignment, "batchnorm")
               + "\nimport os\nfor _ in range(500):\n    os.write(1, b'x' * 100_000)\n"}
    earned = {"dropout": True, "batchnorm": True}
    if "input_bn" in POINTS[assignment]:
        answers["input_bn"] = WRONG[assignment]["input_bn"]
    return Submission(with_answers(release, assignment, answers), scores=scores(assignment, **earned))


# ============================================================ 9: broken files

def invalid_json(release, assignment, ctx):
    """The solved notebook cut off half-way (not JSON). Outcome "failed": nbgrader reports
    the error and leaves this student's grades unset, for manual grading; the rest of
    the batch is graded; the command exits 1."""
    text = nbformat.writes(h.solved(release, assignment))
    return Submission(files={f"{assignment}.ipynb": text[: len(text) // 2].encode()}, outcome="failed")


def wrong_nbformat(release, assignment, ctx):
    """The solved notebook claiming nbformat 3 while laid out as version 4. Outcome
    "failed" (nbformat cannot read it)."""
    data = json.loads(nbformat.writes(h.solved(release, assignment)))
    data["nbformat"], data["nbformat_minor"] = 3, 0
    return Submission(files={f"{assignment}.ipynb": json.dumps(data).encode()}, outcome="failed")


def missing_notebook(release, assignment, ctx):
    """A submission folder without the notebook (only a stray file). Outcome "absent":
    nbgrader only looks for notebooks, so it records no submission at all."""
    return Submission(files={"notes.txt": b"I could not finish.\n"}, outcome="absent")


def renamed_notebook(release, assignment, ctx):
    """The solved notebook handed in under another name. nbgrader skips the unknown
    notebook and then finds none: outcome "failed"."""
    return Submission(files={f"{assignment}-final.ipynb": nbformat.writes(h.solved(release, assignment)).encode()},
                      outcome="failed")


# ============================================================ 10: not attempted

def not_attempted(release, assignment, ctx):
    """The dropout model built correctly but under another name (the check finds no
    ``model``), batchnorm left as the starter: both "not attempted", 0. red_wine's
    input_bn is correct: 2. Score: red_wine 2, spotify 0."""
    var = VARIABLE[assignment]
    answers = {"dropout": correct(assignment, "dropout").replace(var["dropout"], "my_" + var["dropout"])}
    earned = {}
    if "input_bn" in POINTS[assignment]:
        answers["input_bn"] = correct(assignment, "input_bn")
        earned["input_bn"] = True
    return Submission(with_answers(release, assignment, answers), scores=scores(assignment, **earned),
                      why={"dropout_check": "CheckFailed", "batchnorm_check": "CheckFailed"})


# ============================================================ 11, 12: the cheater

ATTACK = """
# Try to reach the gradebook, the solutions and other students' work, by relative and
# absolute paths, and raise every score in any gradebook found. (The repository's own
# files are only opened read-only.)
import glob, json, os, sqlite3
COURSE, REPO = {course!r}, {repo!r}
reached = []
for path in ["../../../gradebook.db", "../../gradebook.db", "../gradebook.db", "gradebook.db",
             COURSE + "/gradebook.db"]:
    if os.path.exists(path):
        try:
            db = sqlite3.connect(f"file:{{path}}?mode=rw", uri=True)
            n = db.execute("UPDATE grade SET auto_score = 100, manual_score = 100").rowcount
            db.commit()
            reached.append(f"rewrote {{n}} grades in {{path}}")
        except sqlite3.Error as err:
            reached.append(f"found {{path}} ({{err}})")
if os.path.exists(REPO + "/gradebook.db"):
    reached.append("found the repository's gradebook")
for path in ["solution.txt", "grades.db"]:  # handed in as symbolic links to the course's files
    try:
        open(path, "rb").read(100)
        reached.append("read " + path)
    except OSError:
        pass
for pattern in ["../../../solutions/*/*.ipynb", "../../../submitted/*/*/*.ipynb", "../../../autograded/*/*/*.ipynb",
                COURSE + "/solutions/*/*.ipynb", COURSE + "/submitted/*/*/*.ipynb",
                COURSE + "/autograded/*/*/*.ipynb", REPO + "/solutions/*/*.ipynb"]:
    for path in glob.glob(pattern):
        try:
            open(path, "rb").read(100)
            reached.append("read " + path)
            if not path.startswith(REPO):
                with open(path, "a") as f:
                    f.write(" ")
                reached.append("wrote " + path)
        except OSError:
            pass
print("reached:", json.dumps(reached))
"""

DAEMON_MARKER = "corpus-daemon-7f3a"
DAEMON = """
# A background process that outlives this cell and keeps rewriting whatever the grader
# might read: notebooks in the scratch folder and the worker's open files, with every
# output removed (no errors, so every test would pass).
import os, subprocess, sys, textwrap
daemon = textwrap.dedent('''
    # corpus-daemon-7f3a
    import glob, json, os, sys, time
    scratch, worker = os.path.dirname(os.environ["COURSE_GRADING_DIR"]), sys.argv[1]
    for _ in range(3000):
        for path in glob.glob(scratch + "/*.ipynb") + glob.glob(f"/proc/{worker}/fd/*"):
            try:
                nb = json.load(open(scratch + "/in.ipynb"))
                for cell in nb["cells"]:
                    cell["outputs"] = [] if cell["cell_type"] == "code" else cell.get("outputs")
                with open(path, "w") as f:
                    json.dump(nb, f)
            except Exception:
                pass
        time.sleep(0.05)
''')
_daemon = subprocess.Popen([sys.executable, "-c", daemon, str(os.getppid())], start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
"""


def cheater(release, assignment, ctx):
    """Issue 9: the dropout answer (wrong) tries to reach the gradebook (``../../../gradebook.db``,
    the course's absolute path), solutions/, other students' submitted/ and autograded/
    files, to raise scores and read or spoil others' work, also through symbolic links
    handed in beside the notebook (to the solution and the gradebook); it prints what it
    reached (must be nothing). The batchnorm answer (correct) starts a background process
    that keeps rewriting the grader's files after the kernel ends. red_wine's input_bn is
    correct. The cheater gets exactly the honest points: red_wine 4, spotify 3.
    """
    from _nbgrader_helpers import REPO

    answers = {"dropout": WRONG[assignment]["dropout"] + ATTACK.format(course=str(ctx.course), repo=str(REPO)),
               "batchnorm": correct(assignment, "batchnorm") + DAEMON}
    earned = {"batchnorm": True}
    if "input_bn" in POINTS[assignment]:
        answers["input_bn"] = correct(assignment, "input_bn")
        earned["input_bn"] = True
    links = {"solution.txt": f"../../../solutions/{assignment}/{assignment}.ipynb",
             "grades.db": str(ctx.course / "gradebook.db")}
    return Submission(with_answers(release, assignment, answers), links=links,
                      scores=scores(assignment, **earned), why={"dropout_check": "CheckFailed"})


KINDS = [solution, untouched, partial, restored_cells, reordered, patched_checks, tampered_builtins,
         fake_models, shadow_package, exits, hangs, floods, invalid_json, wrong_nbformat,
         missing_notebook, renamed_notebook, not_attempted, cheater]


def student_name(kind) -> str:
    return kind.__name__.replace("_", "-")
