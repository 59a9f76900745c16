"""A corpus of bad submissions, one builder per kind, for tests/test_bad_submissions.py.

Each builder returns a ``Submission`` for one exercise: what lands in
``submitted/<student>/<exercise>/`` (a notebook built from the release, or raw
files, or symbolic links) and what autograding must make of it. The payloads
themselves are in ``tests/attacks/`` (one file per attack, read as text).

How the course grades (utils/sandbox/execute.py, utils/grading): the notebook runs
in a sandboxed kernel, but a question's score comes from the grader's judge, which
rebuilds the model from the answer cell alone, after the instructor's set-up cells,
in a sandbox of its own, once the answer cell passed an AST allowlist
(utils/grading/vet.py). So for each question's test cell ``<q>_check``:

- the judge's verdict is correct: full points, no error shown;
- incorrect or not attempted: 0, error ``CheckFailed``;
- the answer cannot be judged safely (refused by the vetting: imports beyond keras
  and tensorflow, attribute assignments, dunders, ``while``, ``class``, ...; or it
  fails or hangs when rebuilt alone): 0, error ``NeedsReview``, and the question
  is *flagged*: the grade needs manual grading and the answer cell's automatic
  comment starts with "Flagged for review";
- the test cell never ran (out of time): 0, error ``NotExecuted``.

What the kernel printed in a test cell is discarded, so an honest answer next to a
cheat keeps its points, and a cheat earns nothing even where it fools the kernel.

Points and answer variables are read from the source notebooks and the registry
(``points``, ``variable``), never typed here. Every builder's docstring ends in an
``Expected:`` line, and a test holds it to what the builder returns.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import nbformat

import _nbgrader_helpers as h
from utils.questions import registry

ATTACKS = Path(__file__).resolve().parent / "attacks"
SECRET = "corpus-secret-5d2e"           # in the instructor's environment while autograding,
SECRET_NAME = "COURSE_CORPUS_TOKEN"     # under this name (no payload carries the value)
CLASSMATE_MARK = "classmate-notes-3b9d"  # only in the well-behaved student's own notebook
FORGED_MARK = "forged-7c1e"             # in every log line a submission forges
FORGED_LINE = f"\x1b[2K\r[AutogradeApp | INFO] {FORGED_MARK}: every submission scored 6/6 \x1b[32mOK\x1b[0m\n"
FORGED_NAME_MARK = "forged-name-7c1e"
FORGED_NAME = f"x\x1b[2K\r[AutogradeApp | INFO] {FORGED_NAME_MARK}: every submission scored 6/6\n.txt"
DAEMON_MARKER = "corpus-daemon-7f3a"


def payload(name: str, **values) -> str:
    """The attack ``tests/attacks/<name>.py``, with ``@KEY@`` replaced by ``repr(value)``."""
    text = (ATTACKS / f"{name}.py").read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", repr(value))
    assert not re.search(r"@[A-Z_]+@", text), f"{name}: a placeholder is left"
    return "\n" + text


# ---------------------------------------------------------------- the exercises, from their sources

def questions(exercise: str) -> list[str]:
    """The names of the exercise's questions, in the registry's order."""
    return [q.name for q in registry.questions(exercise)]


@cache
def points(exercise: str) -> dict[str, float]:
    """Question name -> the points of its test cell in the source notebook."""
    nb = h.read(h.notebook_path(h.REPO, "solutions", exercise))
    by_id = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader.get("points")
             for c in nb.cells if "nbgrader" in c.metadata}
    return {q.name: float(by_id[q.test_cell]) for q in registry.questions(exercise)}


def variable(exercise: str, q: str) -> str:
    return registry.find_question(f"{exercise}.{q}").variable


def test_cell(exercise: str, q: str) -> str:
    return registry.find_question(f"{exercise}.{q}").test_cell


def answer_cell(exercise: str, q: str) -> str:
    return registry.find_question(f"{exercise}.{q}").answer_cell


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
        # The scaling of the original dropout paper (at inference), not Keras' inverted dropout.
        "kept_value": """
kept_value = (1.0, 0.7)
""",
        # Dropped, but the kept values not scaled up.
        "dropout_forward": """
def dropout_forward(x, rate, training, rng):
    if not training:
        return x
    return x * (rng.random(x.shape) >= rate)
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
        # Only the trainable parameters counted.
        "bn_params": """
bn_params = (256, 256)
""",
        # The batch's statistics in both modes, the moving averages never updated.
        "batchnorm_forward": """
def batchnorm_forward(x, gamma, beta, moving_mean, moving_var, training):
    mean, var = x.mean(axis=0), x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + 0.001) + beta, moving_mean, moving_var
""",
        # Runs A and C swapped.
        "diagnosis": """
diagnosis = {
    "A": ("overfitting", "add dropout"),
    "B": ("learning too slowly", "raise the learning rate"),
    "C": ("moving averages lagging", "smaller batches or a lower momentum"),
}
""",
    },
}


@dataclass
class Submission:
    """What one student hands in for one exercise, and what autograding must make of it."""
    notebook: nbformat.NotebookNode | None = None   # written as <exercise>.ipynb
    files: dict[str, bytes] = field(default_factory=dict)  # raw files (relative path -> bytes)
    links: dict[str, str] = field(default_factory=dict)    # symlinks (relative path -> target)
    scores: dict[str, float] | None = None   # test cell -> points, when graded
    review: set[str] = field(default_factory=set)          # test cells flagged for manual review
    # What the kernel itself says of each answer (the witness cell), where an attack
    # fools it: question name -> "correct" or the exception the kernel's check raised.
    witness: dict[str, str] | None = None
    # "graded": scored as ``scores`` says. "failed": nbgrader reports an error for this
    # student (the command exits 1), writes no autograded notebook and leaves every grade
    # unset and flagged for manual grading. "absent": nbgrader does not see it at all.
    outcome: str = "graded"

    @property
    def total(self) -> float | None:
        return None if self.scores is None else float(sum(self.scores.values()))

    def error(self, cell: str) -> str | None:
        """The error the graded test cell must show (None: it passed)."""
        if cell in self.review:
            return "NeedsReview"
        return None if self.scores[cell] > 0 else "CheckFailed"


@dataclass(frozen=True)
class Context:
    """Where the temporary course lives (the cheater aims at it)."""
    course: Path


def expect(exercise: str, *, earned=(), flagged=()) -> dict:
    """Full points for the questions ``earned``, 0 for the rest; the test cells of the
    questions ``flagged`` need review. Names of questions the exercise does not have
    are ignored (a builder serves both exercises)."""
    pts = points(exercise)
    assert not set(earned) & set(flagged)
    return {"scores": {test_cell(exercise, q): (p if q in earned else 0.0) for q, p in pts.items()},
            "review": {test_cell(exercise, q) for q in flagged if q in pts}}


def correct(exercise: str, q: str) -> str:
    return h.solution_sources(exercise)[answer_cell(exercise, q)]


def correct_as(exercise: str, q: str, name: str) -> str:
    """The correct model under another name (for a forgery to copy)."""
    return correct(exercise, q).replace(variable(exercise, q), name)


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


def with_answers(release, exercise: str, answers: dict[str, str]):
    """The release with answer cells replaced: {"dropout": code, ...}."""
    return h.answer(release, {answer_cell(exercise, q): code for q, code in answers.items()})


def with_witness(nb, exercise: str):
    """The notebook with the witness cell (tests/attacks/witness.py) appended."""
    nb.cells.append(_code(payload("witness", QUESTIONS=[(q, f"{exercise}.{q}") for q in questions(exercise)])))
    return nb


# ============================================================ well-behaved students

def solution(release, exercise, ctx):
    """Every answer from the source notebook, and a note of the student's own in a
    markdown cell (the ``links`` student points a link at this notebook).
    Expected: red_wine 9, spotify 11."""
    nb = h.solved(release, exercise)
    nb.cells.append(nbformat.v4.new_markdown_cell(f"My notes: {CLASSMATE_MARK}"))
    return Submission(nb, **expect(exercise, earned=questions(exercise)))


def untouched(release, exercise, ctx):
    """The release as handed out: every question "not attempted", no crash.
    Expected: red_wine 0, spotify 0."""
    return Submission(release, **expect(exercise))


def partial(release, exercise, ctx):
    """The first question right, the others wrong: exactly the first question's points.
    Expected: red_wine 2, spotify 3."""
    answers = {q: (correct(exercise, q) if q == "dropout" else WRONG[exercise][q]) for q in questions(exercise)}
    return Submission(with_answers(release, exercise, answers), **expect(exercise, earned={"dropout"}))


def unusual_styles(release, exercise, ctx):
    """Correct answers in unusual but legal styles; the vetting lets every one through
    and the judge rebuilds each as correct: full marks, nothing flagged.

    - red_wine dropout: the functional API, ``activation=keras.activations.relu``,
      named and seeded ``layers.Dropout(0.3, seed=1, name="drop1")``;
    - red_wine batchnorm: ``.add()`` in a for loop over a helper function that returns
      a block of layers, and a ``compile(...)`` of its own (allowed: the question asks
      only for the layers);
    - red_wine input_bn: ``from tensorflow import keras``, ``input_shape=`` on the first
      layer (no keras.Input), ``layers.Activation("relu")`` and ``layers.ReLU()``;
    - spotify dropout: a helper function returning blocks with ``layers.ReLU()`` and
      named, seeded Dropout layers, added with ``.add()`` in a for loop;
    - spotify batchnorm: ``from tensorflow import keras``, ``input_shape=``,
      ``activation=keras.activations.relu`` and ``layers.Activation("relu")``;
    - red_wine kept_value: a dict in the other order, with a fraction and an int;
    - red_wine dropout_forward: ``from numpy import where``, ``import numpy``, float64
      arithmetic and a loop over rows;
    - spotify bn_params: a list of arithmetic, floats included;
    - spotify diagnosis: a list, not a dict, of a dict and pairs, in odd capitalisation and
      spelling, and the other right fix for run A;
    - spotify batchnorm_forward: ``from numpy import sqrt, zeros_like``, a loop over the
      features, lists for the moving averages, the update written as a step.

    Expected: red_wine 9, spotify 11."""
    styles = {
        "red_wine": {
            "dropout": """
                inputs = keras.Input(shape=(11,))
                x = inputs
                for i in range(3):
                    x = layers.Dense(256, activation=keras.activations.relu, name=f"hidden{i}")(x)
                    x = layers.Dropout(0.3, seed=i + 1, name=f"drop{i + 1}")(x)
                dropout_model = keras.Model(inputs, layers.Dense(1)(x))
                dropout_model.summary()
            """,
            "batchnorm": """
                def block(units):
                    return [layers.Dense(units, activation="relu"), layers.Dropout(0.3), layers.BatchNormalization()]

                batchnorm_model = keras.Sequential()
                batchnorm_model.add(keras.Input(shape=(11,)))
                for _ in range(3):
                    for layer in block(256):
                        batchnorm_model.add(layer)
                batchnorm_model.add(layers.Dense(1))
                batchnorm_model.compile(optimizer=keras.optimizers.Adam(), loss=keras.losses.MeanAbsoluteError())
            """,
            "input_bn": """
                from tensorflow import keras
                input_bn_model = keras.Sequential([
                    keras.layers.BatchNormalization(input_shape=(11,)),
                    keras.layers.Dense(256), keras.layers.Activation("relu"),
                    keras.layers.Dense(256), keras.layers.ReLU(),
                    keras.layers.Dense(1),
                ])
            """,
            "kept_value": """
                kept_value = {"inference": 1, "training": 10 / 7}
            """,
            "dropout_forward": """
                from numpy import where
                import numpy


                def dropout_forward(x, rate, training, rng):
                    if training and rate > 0:
                        draws = rng.random(x.shape)
                        out = where(draws < rate, 0.0, numpy.asarray(x, dtype=numpy.float64))
                        for i in range(out.shape[0]):
                            out[i] = out[i] / (1 - rate)
                        return out
                    return np.asarray(x)
            """,
        },
        "spotify": {
            "dropout": """
                def block(units):
                    return [layers.Dense(units), layers.ReLU(), layers.Dropout(0.3, seed=units, name=f"drop{units}")]

                model = keras.Sequential()
                model.add(keras.Input(shape=(18,)))
                for units in (128, 64):
                    for layer in block(units):
                        model.add(layer)
                model.add(layers.Dense(1))
            """,
            "batchnorm": """
                from tensorflow import keras
                bn_model = keras.Sequential([
                    keras.layers.BatchNormalization(input_shape=(18,)),
                    keras.layers.Dense(128, activation=keras.activations.relu),
                    keras.layers.BatchNormalization(),
                    keras.layers.Dense(64), keras.layers.Activation("relu"),
                    keras.layers.BatchNormalization(),
                    keras.layers.Dense(1),
                ])
            """,
            "bn_params": """
                bn_params = [4.0 * 128, 128 + 128]
            """,
            "batchnorm_forward": """
                from numpy import sqrt, zeros_like


                def batchnorm_forward(x, gamma, beta, moving_mean, moving_var, training):
                    out = zeros_like(x, dtype="float64")
                    new_mean, new_var = list(moving_mean), list(moving_var)
                    for j in range(x.shape[1]):
                        m, v = (x[:, j].mean(), x[:, j].var()) if training else (moving_mean[j], moving_var[j])
                        out[:, j] = gamma[j] * (x[:, j] - m) / sqrt(v + 1e-3) + beta[j]
                        if training:
                            new_mean[j] = moving_mean[j] + 0.01 * (m - moving_mean[j])
                            new_var[j] = moving_var[j] + 0.01 * (v - moving_var[j])
                    return out, new_mean, new_var
            """,
            "diagnosis": """
                diagnosis = [{"fix": "Standardize the inputs.", "problem": "Moving-averages lagging"},
                             ("learning_too_slowly", "raise the learning rate"),
                             ["OVERFITTING", "add dropout"]]
            """,
        },
    }[exercise]
    answers = {q: textwrap.dedent(code).strip() + "\n" for q, code in styles.items()}
    return Submission(with_answers(release, exercise, answers), **expect(exercise, earned=questions(exercise)))


# ============================================================ 1, 2: edited and deleted test cells

def restored_cells(release, exercise, ctx):
    """Test cells edited or deleted; nbgrader restores them from the gradebook.

    - dropout (wrong model): its test cell is ``pass``, unlocked, worth 100 points -> restored, 0;
    - batchnorm (correct): its test cell and the written answers are deleted -> added back
      (OverwriteCells.add_missing_cells) right after the answer, full points (the written
      answers come back empty and flagged for manual grading);
    - input_bn (red_wine, wrong): the check call is commented out -> restored, 0.

    Expected: red_wine 2, spotify 3."""
    nb = with_answers(release, exercise, {"dropout": WRONG[exercise]["dropout"],
                                          "batchnorm": correct(exercise, "batchnorm")})
    check = nb.cells[_index(nb, test_cell(exercise, "dropout"))]
    check.source = "pass"
    check.metadata.nbgrader.update(points=100, locked=False)
    if "input_bn" in questions(exercise):
        nb = with_answers(nb, exercise, {"input_bn": WRONG[exercise]["input_bn"]})
        cell = nb.cells[_index(nb, test_cell(exercise, "input_bn"))]
        cell.source = "# " + cell.source
    gone = {test_cell(exercise, "batchnorm"), "written_answer", "written_dropout", "written_batchnorm"}
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in gone]
    return Submission(nb, **expect(exercise, earned={"batchnorm"}))


# ============================================================ 3: reordered and duplicated cells

def reordered(release, exercise, ctx):
    """Cells moved and duplicated, duplicated cell ids included; every answer is correct,
    and every test cell ran, so each gets the judge's verdict on its answer.

    - red_wine: the dropout test cell is moved above its answer cell (in the kernel it
      runs before the model exists, but the judge rebuilds the answer) -> 2; the input_bn
      answer and test are moved to the top, right after the data cell -> 2; the batchnorm
      test cell is there three times (same cell id, same grade_id: nbgrader grades the
      last copy once) -> 2.
    - spotify: the batchnorm answer and test are moved above question 1 -> 3; the dropout
      test cell is there three times -> 3, not 9.
    - the predict-then-run, diagnosis and implement-it answers stay where they are -> full points.

    Expected: red_wine 9, spotify 11."""
    nb = h.solved(release, exercise)
    copies = lambda gid: [_copy(nb.cells[_index(nb, gid)]) for _ in range(2)]  # noqa: E731
    if exercise == "red_wine":
        extra = copies("batchnorm_check")
        at = _index(nb, "batchnorm_check") + 1
        nb.cells[at:at] = extra
        block = [nb.cells[_index(nb, "input_bn_answer")], nb.cells[_index(nb, "input_bn_check")]]
        nb.cells = [c for c in nb.cells if all(c is not b for b in block)]
        at = _index(nb, "data") + 1
        nb.cells[at:at] = block
        check = nb.cells.pop(_index(nb, "dropout_check"))
        nb.cells.insert(_index(nb, "dropout_answer"), check)
    else:
        extra = copies("dropout_check")
        at = _index(nb, "dropout_check") + 1
        nb.cells[at:at] = extra
        block = [nb.cells[_index(nb, "batchnorm_answer")], nb.cells[_index(nb, "batchnorm_check")]]
        nb.cells = [c for c in nb.cells if all(c is not b for b in block)]
        at = _index(nb, "dropout_answer")
        nb.cells[at:at] = block
    return Submission(nb, **expect(exercise, earned=questions(exercise)))


# ============================================================ 4: the check patched or replaced

def patched_checks(release, exercise, ctx):
    """Wrong models, and the check made to say yes. Score 0 everywhere.

    - dropout: ``checks.dropout.check`` rebound with ``object.__setattr__`` in the answer
      cell -> refused (a built-in beyond the pure ones, a dunder): flagged;
    - batchnorm: ``utils.checks.<exercise>.batchnorm`` replaced and
      ``sys.modules['utils.questions.hidden']`` replaced in the answer cell -> refused (it
      imports sys and types, assigns attributes): flagged;
    - input_bn (red_wine): an inserted cell redefines ``checks`` as a namespace of no-ops;
      the answer cell itself is a plain wrong model -> judged incorrect (CheckFailed).

    Expected: red_wine 0 (flagged: dropout, batchnorm), spotify 0 (flagged: dropout, batchnorm)."""
    nb = with_answers(release, exercise, {
        "dropout": WRONG[exercise]["dropout"] + say_yes("dropout"),
        "batchnorm": WRONG[exercise]["batchnorm"] + textwrap.dedent(f"""
            import sys, types
            import utils.checks.{exercise}
            utils.checks.{exercise}.batchnorm = types.SimpleNamespace(check=lambda *a, **k: None)
            fake = types.ModuleType("utils.questions.hidden")
            fake.regrade = lambda qid: None
            sys.modules["utils.questions.hidden"] = fake
        """),
    })
    if "input_bn" in questions(exercise):
        nb = with_answers(nb, exercise, {"input_bn": WRONG[exercise]["input_bn"]})
        nb.cells.insert(_index(nb, test_cell(exercise, "input_bn")), _code("""
            import types
            checks = types.SimpleNamespace(**{q: types.SimpleNamespace(check=lambda *a, **k: None)
                                              for q in ("dropout", "batchnorm", "input_bn")})
        """))
    return Submission(nb, **expect(exercise, flagged={"dropout", "batchnorm"}))


# ============================================================ 5: builtins and imports tampered, fake models

def tampered_builtins(release, exercise, ctx):
    """Wrong models, with the language itself tampered with. Score 0 everywhere, all flagged.

    - dropout: ``builtins.AssertionError`` rebound and ``builtins.isinstance`` made to
      answer True whenever the course's code asks -> refused (it imports builtins, sys);
    - batchnorm: ``builtins.__import__`` patched so that the hidden test's fresh
      ``from utils.questions.hidden import regrade`` gets a no-op, and the visible check
      patched -> refused;
    - input_bn (red_wine; in spotify the batchnorm cell does this too): an IPython input
      transformer rewrites every later test cell to swallow the failure and end in ``100``
      (a forged partial credit, dropped). This cell passes the vetting (``get_ipython``
      is no built-in), but rebuilt alone it fails (NameError: there is no IPython in the
      judge) -> flagged.

    Expected: red_wine 0 (flagged: dropout, batchnorm, input_bn), spotify 0 (flagged: dropout, batchnorm)."""
    answers = {
        "dropout": WRONG[exercise]["dropout"] + payload("yes_to_the_checks"),
        "batchnorm": WRONG[exercise]["batchnorm"] + payload("fake_hidden_import") + say_yes("batchnorm"),
    }
    if "input_bn" in questions(exercise):
        answers["input_bn"] = WRONG[exercise]["input_bn"] + payload("forge_partial_credit")
    else:
        answers["batchnorm"] += payload("forge_partial_credit")
    return Submission(with_answers(release, exercise, answers),
                      **expect(exercise, flagged={"dropout", "batchnorm", "input_bn"}))


def fake_models(release, exercise, ctx):
    """Objects that only pretend to be the right model; each needs a class definition,
    which the vetting refuses.

    - dropout: a plain class with ``layers`` and a ``get_config`` that returns the correct
      model's config -> flagged;
    - batchnorm: a home-made ``keras.Sequential`` subclass, built wrong, whose ``get_config``
      returns the correct config -> flagged;
    - input_bn (red_wine): a correct model -> 2.

    Expected: red_wine 2 (flagged: dropout, batchnorm), spotify 0 (flagged: dropout, batchnorm)."""
    answers = {
        "dropout": correct_as(exercise, "dropout", "_right") + textwrap.dedent(f"""
            class LooksRight:
                layers = _right.layers
                def get_config(self):
                    return _right.get_config()
            {variable(exercise, 'dropout')} = LooksRight()
        """),
        "batchnorm": correct_as(exercise, "batchnorm", "_right") + textwrap.dedent("""
            class MySequential(keras.Sequential):
                def get_config(self):
                    return _right.get_config()
        """) + WRONG[exercise]["batchnorm"].replace("keras.Sequential(", "MySequential("),
    }
    if "input_bn" in questions(exercise):
        answers["input_bn"] = correct(exercise, "input_bn")
    return Submission(with_answers(release, exercise, answers),
                      **expect(exercise, earned={"input_bn"}, flagged={"dropout", "batchnorm"}))


def shadow_package(release, exercise, ctx):
    """A ``utils/`` package handed in beside the notebook, which the kernel imports first
    (it runs in the submission's folder): the real course package, except that every
    check says yes and the hidden tests' ``regrade`` does nothing. The answers are plain
    wrong models. The kernel's own checks all pass (the witness cell); the judge runs in
    a folder of its own (``python -P``), never sees the package, and judges each answer
    incorrect (CheckFailed): nothing to review.

    Expected: red_wine 0, spotify 0."""
    init = payload("shadow_init").encode()
    files = {"utils/__init__.py": init, "utils/questions/__init__.py": init,
             "utils/questions/hidden.py": b"def regrade(qid):\n    return None\n"}
    nb = with_witness(with_answers(release, exercise, {q: WRONG[exercise][q] for q in questions(exercise)}), exercise)
    return Submission(nb, files=files, **expect(exercise), witness={q: "correct" for q in questions(exercise)})


# ============================================================ 6, 7, 8: exits, kills, hangs, floods

KILL_FROM_A_TRAINING_CALL = ('\n{var}.summary(print_fn=lambda *args, **kwargs: '
                             'get_ipython().run_cell("import os; os._exit(0)"))\n')


def exits(release, exercise, ctx):
    """The kernel exited or was killed; the cells after it run in a fresh kernel (the
    read-only set-up cells first). Every model is correct.

    - red_wine: dropout's answer ends in ``sys.exit()`` (an error in that cell only),
      batchnorm's in ``os._exit(0)`` (the kernel dies): both import what the vetting
      refuses -> flagged. input_bn's answer passes the vetting, yet kills the kernel from
      a ``summary(print_fn=...)`` call (the judge skips training and summary calls) ->
      its test cell, run in the fresh kernel, gets the judge's verdict: 2.
    - spotify: dropout's answer ends in ``os.kill(os.getpid(), 9)`` -> flagged;
      batchnorm's kills the kernel from ``summary(print_fn=...)`` -> 3.

    Expected: red_wine 2 (flagged: dropout, batchnorm), spotify 3 (flagged: dropout)."""
    if exercise == "red_wine":
        answers = {"dropout": correct(exercise, "dropout") + "\nimport sys; sys.exit()\n",
                   "batchnorm": correct(exercise, "batchnorm") + "\nimport os; os._exit(0)\n",
                   "input_bn": correct(exercise, "input_bn")
                   + KILL_FROM_A_TRAINING_CALL.format(var=variable(exercise, "input_bn"))}
        return Submission(with_answers(release, exercise, answers),
                          **expect(exercise, earned={"input_bn"}, flagged={"dropout", "batchnorm"}))
    answers = {"dropout": correct(exercise, "dropout") + "\nimport os; os.kill(os.getpid(), 9)\n",
               "batchnorm": correct(exercise, "batchnorm")
               + KILL_FROM_A_TRAINING_CALL.format(var=variable(exercise, "batchnorm"))}
    return Submission(with_answers(release, exercise, answers), **expect(exercise, earned={"batchnorm"},
                                                                          flagged={"dropout"}))


def hangs(release, exercise, ctx):
    """Cells that never end, cut off by the cell timeout; every model is built before.

    - red_wine: dropout's answer ends in ``while True: pass`` (interrupted) -> refused (a
      while loop): flagged; batchnorm's ends in a training call of a million epochs
      (interrupted; the judge skips training calls) -> 2; input_bn (wrong) ends in
      ``builtins.isinstance = lambda *a: True``, which leaves the kernel unable to answer:
      the cell times out, the kernel is replaced -> refused (it imports builtins): flagged.
    - spotify: dropout's answer ends in a loop that ignores the interrupt (SIGINT): the
      kernel is replaced -> refused: flagged; batchnorm's ends in
      ``for _ in range(10**12): pass``, which the vetting allows: interrupted in the
      kernel, and cut off after the judge's time limit per answer -> flagged.

    Expected: red_wine 2 (flagged: dropout, input_bn), spotify 0 (flagged: dropout, batchnorm)."""
    if exercise == "red_wine":
        answers = {"dropout": correct(exercise, "dropout") + "\nwhile True:\n    pass\n",
                   "batchnorm": correct(exercise, "batchnorm")
                   + "\nbatchnorm_model.fit(X_train, y_train, epochs=1_000_000, batch_size=16, verbose=0)\n",
                   "input_bn": WRONG[exercise]["input_bn"]
                   + "\nimport builtins\nbuiltins.isinstance = lambda *a: True\n"}
        return Submission(with_answers(release, exercise, answers),
                          **expect(exercise, earned={"batchnorm"}, flagged={"dropout", "input_bn"}))
    answers = {"dropout": correct(exercise, "dropout")
               + "\nimport signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n",
               "batchnorm": correct(exercise, "batchnorm") + "\nfor _ in range(10**12):\n    pass\n"}
    return Submission(with_answers(release, exercise, answers), **expect(exercise, flagged={"dropout", "batchnorm"}))


def floods(release, exercise, ctx):
    """Gigantic output: two million printed lines in one answer cell (legal: the judge
    prints them to nowhere), 50 MB written straight to the kernel's stdout with ``os``
    in another (refused). Truncated in the notebook, or refused unread where one message
    is too large (that cell then fails and the kernel is replaced). red_wine's input_bn
    is wrong.

    Expected: red_wine 2 (flagged: batchnorm), spotify 3 (flagged: batchnorm)."""
    answers = {"dropout": correct(exercise, "dropout") + "\nfor i in range(2_000_000):\n    print(i)\n",
               "batchnorm": correct(exercise, "batchnorm")
               + "\nimport os\nfor _ in range(500):\n    os.write(1, b'x' * 100_000)\n"}
    if "input_bn" in questions(exercise):
        answers["input_bn"] = WRONG[exercise]["input_bn"]
    return Submission(with_answers(release, exercise, answers),
                      **expect(exercise, earned={"dropout"}, flagged={"batchnorm"}))


def stops(release, exercise, ctx):
    """Issue #13 (5): the dropout answer (correct model) sends SIGSTOP to its parent and
    to every process it can see, itself last (tests/attacks/stop_everyone.py). In its
    own PID namespace it sees only the sandbox's first process (which ignores it) and
    itself: the kernel stops, the cell times out, the kernel is replaced, the rest is
    graded, and the submission costs no more than its budget. The answer imports os
    and signal -> flagged. The other answers are correct.

    Expected: red_wine 7 (flagged: dropout), spotify 8 (flagged: dropout)."""
    answers = {q: correct(exercise, q) for q in questions(exercise)}
    answers["dropout"] += payload("stop_everyone")
    return Submission(with_answers(release, exercise, answers),
                      **expect(exercise, earned=set(questions(exercise)) - {"dropout"}, flagged={"dropout"}))


# ============================================================ 9: broken files

def invalid_json(release, exercise, ctx):
    """The solved notebook cut off half-way (not JSON): nbgrader reports the error and
    leaves this student's grades unset, for manual grading; the rest of the batch is
    graded; the command exits 1.
    Expected: failed."""
    text = nbformat.writes(h.solved(release, exercise))
    return Submission(files={f"{exercise}.ipynb": text[: len(text) // 2].encode()}, outcome="failed")


def wrong_nbformat(release, exercise, ctx):
    """The solved notebook claiming nbformat 3 while laid out as version 4 (nbformat
    cannot read it).
    Expected: failed."""
    data = json.loads(nbformat.writes(h.solved(release, exercise)))
    data["nbformat"], data["nbformat_minor"] = 3, 0
    return Submission(files={f"{exercise}.ipynb": json.dumps(data).encode()}, outcome="failed")


def missing_notebook(release, exercise, ctx):
    """A submission folder without the notebook (only a stray file): nbgrader only looks
    for notebooks, so it records no submission at all.
    Expected: absent."""
    return Submission(files={"notes.txt": b"I could not finish.\n"}, outcome="absent")


def renamed_notebook(release, exercise, ctx):
    """The solved notebook handed in under another name: nbgrader skips the unknown
    notebook and then finds none.
    Expected: failed."""
    return Submission(files={f"{exercise}-final.ipynb": nbformat.writes(h.solved(release, exercise)).encode()},
                      outcome="failed")


# ============================================================ 10: not attempted

def not_attempted(release, exercise, ctx):
    """The dropout model built correctly but under another name (the judge finds no
    ``model``), batchnorm left as the starter: both "not attempted" (CheckFailed), 0.
    red_wine's input_bn is correct.
    Expected: red_wine 2, spotify 0."""
    var = variable(exercise, "dropout")
    answers = {"dropout": correct(exercise, "dropout").replace(var, "my_" + var)}
    if "input_bn" in questions(exercise):
        answers["input_bn"] = correct(exercise, "input_bn")
    return Submission(with_answers(release, exercise, answers), **expect(exercise, earned={"input_bn"}))


# ============================================================ 11, 12: the cheater, links

def cheater(release, exercise, ctx):
    """The dropout answer (wrong) tries to reach the gradebook
    (``../../../gradebook.db``, the course's absolute path), solutions/, the repository,
    other students' submitted/ and autograded/ files, the instructor's environment and
    the reference answer, also through symbolic links handed in beside the notebook (to
    the solution and the gradebook); it prints what it reached, which must be nothing.
    The batchnorm answer (correct) starts a background process that keeps rewriting
    whatever the grader might read after the cell ends. Both import what the vetting
    refuses -> flagged. red_wine's input_bn is correct.

    Expected: red_wine 2 (flagged: dropout, batchnorm), spotify 0 (flagged: dropout, batchnorm)."""
    answers = {"dropout": WRONG[exercise]["dropout"] + payload("reach_everything", COURSE=str(ctx.course),
                                                                REPO=str(h.REPO), TOKEN=SECRET_NAME, EXERCISE=exercise),
               "batchnorm": correct(exercise, "batchnorm") + payload("daemon", MARKER=DAEMON_MARKER)}
    if "input_bn" in questions(exercise):
        answers["input_bn"] = correct(exercise, "input_bn")
    links = {"solution.txt": f"../../../solutions/{exercise}/{exercise}.ipynb",
             "grades.db": str(ctx.course / "gradebook.db")}
    return Submission(with_answers(release, exercise, answers), links=links,
                      **expect(exercise, earned={"input_bn"}, flagged={"dropout", "batchnorm"}))


# What the ``links`` student hands in as symbolic links, and what each file's content
# would betray, were it carried into autograded/ or feedback/.
LINKED = {
    "answers.txt": ("../../../solutions/{exercise}/{exercise}.ipynb", "### BEGIN SOLUTION"),  # the course's solutions
    "grades.db": ("{course}/gradebook.db", "SQLite format 3"),
    "classmate.json": ("../../solution/{exercise}/{exercise}.ipynb", CLASSMATE_MARK),  # another student's notebook
    "environ.txt": ("/proc/self/environ", SECRET),  # nbgrader's own environment, as it copies
    "course": ("../../..", "c.CourseDirectory.source_directory"),  # the whole course folder
}


def links(release, exercise, ctx):
    """Issue #13 (2): the solved notebook, with symbolic links handed in beside it to the
    course's solutions notebook, the gradebook, another student's submitted notebook,
    /proc/self/environ and the course folder (``LINKED``). nbgrader copies what each
    file link points to into autograded/; the grader drops those copies before anything
    runs, so nothing of theirs reaches autograded/ or, after ``generate_feedback``,
    feedback/. The answers are graded as usual.

    Expected: red_wine 9, spotify 11."""
    made = {name: target.format(exercise=exercise, course=ctx.course) for name, (target, _) in LINKED.items()}
    return Submission(h.solved(release, exercise), links=made, **expect(exercise, earned=questions(exercise)))


# ============================================================ 13: the log

def forges_log(release, exercise, ctx):
    """Issue #13 (6): fake ``[AutogradeApp | INFO] ... scored 6/6`` lines with ANSI escapes
    (tests/attacks/forge_log.py), aimed at the instructor's terminal and log:

    - the dropout answer (correct model) prints them to stdout and stderr, writes them
      to file descriptors 1 and 2, the original streams, /proc/1/fd/1 and 2, its
      parent's descriptors and /dev/tty (the kernel's own output goes nowhere; the
      notebook keeps what it printed) -> refused (os, sys): flagged;
    - the batchnorm answer (correct model) passes the vetting and then calls
      ``layers.Activation(<the forged line>)``, which fails: Keras repeats the argument
      in its error, which the grader quotes as the reason for review -> flagged, and
      the log shows the reason escaped, on one line;
    - a file handed in beside the notebook is named like a forged line (nbgrader itself
      logs the name as it copies the file: see test_bad_submissions);
    - red_wine's input_bn is correct.

    Expected: red_wine 2 (flagged: dropout, batchnorm), spotify 0 (flagged: dropout, batchnorm)."""
    answers = {"dropout": correct(exercise, "dropout") + payload("forge_log", FORGED=FORGED_LINE),
               "batchnorm": correct(exercise, "batchnorm") + f"\nlayers.Activation({FORGED_LINE!r})\n"}
    if "input_bn" in questions(exercise):
        answers["input_bn"] = correct(exercise, "input_bn")
    return Submission(with_answers(release, exercise, answers), files={FORGED_NAME: b"a note\n"},
                      **expect(exercise, earned={"input_bn"}, flagged={"dropout", "batchnorm"}))


# ============================================================ 14: self-forgery

def forges_keras(release, exercise, ctx):
    """Issue #13 (7): wrong models that describe themselves as correct, by changing Keras
    in the kernel. Each fools the kernel's own checks, visible and hidden (the witness
    cell); each needs what the vetting refuses (attribute assignment, imports, a class),
    so the grader never runs it: 0 and flagged.

    - red_wine dropout: a look-alike ``Dropout`` class that drops nothing, bound into
      ``keras.layers`` (tests/attacks/lookalike_dropout.py);
    - red_wine batchnorm, spotify batchnorm: ``keras.Sequential.get_config`` replaced
      (forge_get_config.py);
    - red_wine input_bn, spotify dropout: ``keras.saving.serialize_keras_object`` patched
      (forge_serialize.py);
    - the predict-then-run, diagnosis and implement-it answers (no model to forge) stay unanswered
      -> 0, not flagged.

    Expected: red_wine 0 (flagged: dropout, batchnorm, input_bn), spotify 0 (flagged: dropout, batchnorm)."""
    def forged(q, attack):
        right = f"_right_{q}"
        return (correct_as(exercise, q, right) + WRONG[exercise][q]
                + payload(attack, RIGHT=_Name(right), VARIABLE=_Name(variable(exercise, q))))

    if exercise == "red_wine":
        dropout = payload("lookalike_dropout") + correct(exercise, "dropout")  # right layout, fake layers
        answers = {"dropout": dropout, "batchnorm": forged("batchnorm", "forge_get_config"),
                   "input_bn": forged("input_bn", "forge_serialize")}
    else:
        answers = {"dropout": forged("dropout", "forge_serialize"),
                   "batchnorm": forged("batchnorm", "forge_get_config")}
    nb = with_witness(with_answers(release, exercise, answers), exercise)
    return Submission(nb, **expect(exercise, flagged=answers),
                      witness={q: ("correct" if q in answers else "CheckFailed") for q in questions(exercise)})


def forges_grading(release, exercise, ctx):
    """Issue #13 (7): wrong models, and the grading itself forged from the kernel.

    - every test cell tagged ``skip-execution`` (nbclient would not run it, so it would
      raise nothing and nbgrader would give full points): the grader resets the test
      cells' metadata, so they run and get the judge's verdict;
    - dropout: a ``sys.meta_path`` hook swaps ``serialize`` in every fresh import of
      ``utils.questions.live``, so that the wrong model is described as the correct one,
      even in the hidden test (tests/attacks/swap_serialize_on_import.py): the kernel
      says correct (the witness cell) -> refused: flagged;
    - every other answer (batchnorm, red_wine's input_bn, the predict-then-run values):
      the correct answer's description written as a fake export file wherever a grader
      might look (fake_export.py) -> refused: flagged.

    Expected: red_wine 0 (flagged: dropout, batchnorm, input_bn, kept_value, dropout_forward),
    spotify 0 (flagged: dropout, batchnorm, bn_params, diagnosis, batchnorm_forward)."""
    def exported(q):
        right = f"_right_{q}"
        return (correct_as(exercise, q, right) + WRONG[exercise][q]
                + payload("fake_export", RIGHT=_Name(right), QID=f"{exercise}.{q}"))

    answers = {"dropout": correct_as(exercise, "dropout", "_right") + WRONG[exercise]["dropout"]
               + payload("swap_serialize_on_import", RIGHT=_Name("_right"),
                         VARIABLE_NAME=variable(exercise, "dropout"))}
    answers.update({q: exported(q) for q in questions(exercise) if q != "dropout"})
    nb = with_witness(with_answers(release, exercise, answers), exercise)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            cell.metadata["tags"] = [*cell.metadata.get("tags", []), "skip-execution"]
    witness = {q: ("correct" if q == "dropout" else "CheckFailed") for q in questions(exercise)}
    return Submission(nb, **expect(exercise, flagged=questions(exercise)), witness=witness)


class _Name(str):
    """A placeholder value written as a bare name (a variable), not as a string."""

    def __repr__(self) -> str:
        return str(self)


KINDS = [solution, untouched, partial, unusual_styles, restored_cells, reordered, patched_checks,
         tampered_builtins, fake_models, shadow_package, exits, hangs, floods, stops, invalid_json,
         wrong_nbformat, missing_notebook, renamed_notebook, not_attempted, cheater, links, forges_log,
         forges_keras, forges_grading]


def student_name(kind) -> str:
    return kind.__name__.replace("_", "-")
