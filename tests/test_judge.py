"""The grader's judgement of answer cells: vetting (utils.grading.vet) and rebuilding
(utils.grading.judge), with verdicts from the questions' own definitions.

Correct answers in every legal style must be rebuilt and judged correct; answers
that could change how a model describes itself, or reach the judge's report, must
be refused before anything runs. The judge runs here in-process, after the real
set-up cells of the source notebooks (the pipeline runs it in a sandbox).
"""

from __future__ import annotations

import ast
import textwrap

import nbformat
import pytest

from utils.questions import registry
from utils.grading import judge
from utils.grading.judgement import Judgement, Review
from utils.grading.vet import Refused, vet
from utils import REPO_ROOT

pytestmark = pytest.mark.slow

# Correct answers to spotify.dropout (Dense 128 relu, Dropout 0.3, Dense 64 relu, Dropout 0.3, Dense 1).
SPOTIFY_DROPOUT_STYLES = {
    "functional": """
        inputs = keras.Input(shape=(18,))
        x = layers.Dense(128, activation="relu")(inputs)
        x = layers.Dropout(0.3)(x)
        x = layers.Dense(64, activation="relu")(x)
        x = layers.Dropout(0.3)(x)
        model = keras.Model(inputs, layers.Dense(1)(x))
    """,
    "add_loop": """
        model = keras.Sequential()
        model.add(keras.Input(shape=(18,)))
        for units in (128, 64):
            model.add(layers.Dense(units, activation="relu"))
            model.add(layers.Dropout(0.3))
        model.add(layers.Dense(1))
    """,
    "helper_block": """
        def block(units, rate=0.3):
            return [layers.Dense(units, activation="relu"), layers.Dropout(rate)]

        model = keras.Sequential([keras.Input(shape=(18,)), *block(128), *block(64), layers.Dense(1)])
    """,
    "nested_model": """
        hidden = keras.Sequential([layers.Dense(128, activation="relu"), layers.Dropout(0.3),
                                   layers.Dense(64, activation="relu"), layers.Dropout(0.3)])
        model = keras.Sequential([keras.Input(shape=(18,)), hidden, layers.Dense(1)])
    """,
    "tf_keras_input_shape": """
        from tensorflow import keras
        model = keras.Sequential([
            keras.layers.Dense(128, activation="relu", input_shape=(18,)),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1),
        ])
    """,
    "separate_activations": """
        model = keras.Sequential([keras.Input(shape=(18,)),
                                  layers.Dense(128), layers.Activation("relu"), layers.Dropout(0.3),
                                  layers.Dense(64), layers.ReLU(), layers.Dropout(0.3), layers.Dense(1)])
    """,
    "activation_function_named_seeded": """
        import keras as K
        from keras.layers import Dense, Dropout
        model = K.Sequential([K.Input(shape=(X_train.shape[1],)),
                              Dense(128, activation=K.activations.relu, name="h1"),
                              Dropout(rate=3 / 10, seed=1, name="drop1"),
                              Dense(64, activation=K.activations.relu, name="h2"),
                              Dropout(0.3, seed=2),
                              Dense(1, name="out")])
    """,
    "trains_and_summarises": """
        model = keras.Sequential([keras.Input(shape=(18,)), layers.Dense(128, activation="relu"),
                                  layers.Dropout(0.3), layers.Dense(64, activation="relu"),
                                  layers.Dropout(0.3), layers.Dense(1)])
        model.summary()
        model.compile(optimizer="adam", loss="mae")
        model.fit(X_train, y_train, epochs=1_000_000, verbose=0)
    """,
}

# Each must be refused before it runs: (source, words the reason must contain).
REFUSED = {
    "import_os": ("import os\nos.system('true')", "imports os"),
    "dunder_setattr": ("object.__setattr__(checks.dropout, 'check', None)", "__setattr__"),
    "patch_serialize": ("keras.saving.serialize_keras_object = lambda obj: {}", "assigns to the attribute"),
    "patch_get_config": ("keras.Sequential.get_config = lambda self: {}", "assigns to the attribute"),
    "lookalike_class": ("class Dropout(layers.Layer):\n    pass", "class definition"),
    "lookalike_bound": ("layers.Dropout = layers.GaussianDropout", "assigns to the attribute"),
    "type_builtin": ("Dropout = type('Dropout', (layers.Layer,), {})", "type()"),
    "meta_path": ("import sys\nsys.meta_path.insert(0, None)", "imports sys"),
    "getattr": ("getattr(keras, 'saving')", "getattr()"),
    "exec": ("exec('import os')", "exec()"),
    "dunder_import": ("__import__('os')", "__import__"),
    "open_file": ("open('/proc/self/fd/1', 'w')", "open()"),
    "tf_io": ("import tensorflow as tf\ntf.io.write_file('/proc/self/fd/1', '{}')", ".io"),
    "tofile": ("X_train.tofile('/proc/self/fd/1')", ".tofile"),
    "registry": ("keras.saving.register_keras_serializable()(layers.GaussianDropout)", "register_keras_serializable"),
    "while_loop": ("while True:\n    pass", "while loop"),
    "frame_escape": ("(x for x in ()).gi_frame", ".gi_frame"),
    "private_attribute": ("model._layers", "._layers"),
    "item_assignment": ("keras.layers.__dict__['Dropout'] = None", "did not create"),
    "dunder_string": ("x = '__class__'", "double underscores"),
    "relative_import": ("from . import utils", "imports from"),
    "star_import": ("from keras.layers import *", "import *"),
    "syntax_error": ("model = keras.Sequential([", "not valid Python"),
    # NumPy (issue #16, implement-it questions): array maths only, the module never as a value.
    "numpy_alias": ("m = np\nm.random.rand(3)", "module as a value"),
    "numpy_passed_on": ("f = lambda module: module\nf(np)", "module as a value"),
    "numpy_random": ("x = np.random.rand(3)", "np.random"),
    "numpy_lib": ("t = np.lib.stride_tricks", ".stride_tricks"),
    "numpy_file": ("np.savetxt('/proc/self/fd/1', X_train)", ".savetxt"),
    "numpy_unlisted": ("np.fromstring('1 2', sep=' ')", "np.fromstring"),
    "numpy_frombuffer": ("import numpy\nnumpy.frombuffer(b'x' * 8)", ".frombuffer"),
    "numpy_submodule": ("import numpy.ctypeslib", "numpy.ctypeslib"),
    "numpy_from_submodule": ("from numpy.lib import format", "from numpy.lib"),
    "numpy_from_import": ("from numpy import fromstring", "imports from numpy"),
    "array_pointer": ("p = X_train.ctypes", ".ctypes"),
    "array_base": ("b = X_train.base", ".base"),
    "numpy_as": ("import numpy as n\nn.genfromtxt('x.csv')", ".genfromtxt"),
    "numpy_as_unlisted": ("import numpy as n\nn.fromstring('1 2', sep=' ')", "n.fromstring"),
    "generator_pointers": ("def f(rng):\n    return rng.bit_generator.cffi", ".cffi"),
}


@pytest.fixture(scope="module")
def spotify_setup() -> list[str]:
    nb = nbformat.read(REPO_ROOT / "solutions" / "spotify" / "spotify.ipynb", as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"
            and registry.is_setup_cell(c.metadata.get("nbgrader", {}).get("grade_id"))]


def _rebuild(setup, question, source):
    """Vet, rebuild in-process, and judge ``source`` as the answer to ``question``."""
    code = ast.unparse(vet(textwrap.dedent(source)))
    results = judge.run({"setup": setup, "answers": [{"qid": question.qid, "variable": question.variable,
                                                      "code": code}]})
    return Judgement._decide(question, results[question.qid])


def test_set_up_cells_follow_the_naming_convention(spotify_setup):
    assert len(spotify_setup) == 2 and "spotify_split" in spotify_setup[1]


@pytest.mark.parametrize("style", SPOTIFY_DROPOUT_STYLES)
def test_correct_answers_in_every_style_are_judged_correct(spotify_setup, style):
    q = registry.find_question("spotify.dropout")
    outcome = _rebuild(spotify_setup, q, SPOTIFY_DROPOUT_STYLES[style])
    assert not isinstance(outcome, Review), outcome
    assert outcome.passed, outcome.message


def test_a_wrong_answer_is_judged_wrong_with_its_mistake_named(spotify_setup):
    q = registry.find_question("spotify.dropout")
    source = SPOTIFY_DROPOUT_STYLES["add_loop"].replace("Dropout(0.3)", "Dropout(0.5)")
    outcome = _rebuild(spotify_setup, q, source)
    assert outcome.status == "incorrect" and "rate 0.5" in outcome.message


def test_the_untouched_starter_is_not_attempted(spotify_setup):
    q = registry.find_question("spotify.dropout")
    starter = """
        model = keras.Sequential([keras.Input(shape=(18,)), layers.Dense(128, activation="relu"),
                                  layers.Dense(64, activation="relu"), layers.Dense(1)])
    """
    assert _rebuild(spotify_setup, q, starter).status == "not attempted"


def test_answers_see_keras_and_data_but_not_the_course_helpers(spotify_setup):
    """The set-up's ``train``, ``checks`` and plotting are not there for the answer."""
    q = registry.find_question("spotify.dropout")
    outcome = _rebuild(spotify_setup, q, "model = train")
    assert isinstance(outcome, Review) and "NameError" in outcome.reason


@pytest.mark.parametrize("name", REFUSED)
def test_dangerous_answers_are_refused_before_they_run(name):
    source, words = REFUSED[name]
    with pytest.raises(Refused) as refused:
        vet(source)
    assert words in str(refused.value)


ARRAY_MATHS = {
    "set-up's np": "def f(x):\n    return np.where(x > 0, x, 0.0) * np.float32(2)",
    "import numpy as": "import numpy as xp\ndef f(x):\n    return xp.sqrt(xp.var(x, axis=0) + 1e-3)",
    "from numpy import": "from numpy import mean, zeros_like\nv = zeros_like(X_train) + mean(X_train)",
    "array methods": "v = X_train.mean(axis=0).astype('float32').reshape(1, -1)",
}


@pytest.mark.parametrize("name", ARRAY_MATHS)
def test_numpy_array_maths_passes_the_vetting(name):
    vet(ARRAY_MATHS[name])


def test_a_numpy_function_is_judged_in_the_judge_on_inputs_it_picks():
    """An implement-it answer: defined by the vetted cell, called by the judge with a
    fresh seed, judged here from the outputs alone."""
    red_wine_setup = [c.source for c in nbformat.read(REPO_ROOT / "solutions" / "red_wine" / "red_wine.ipynb",
                                                      as_version=4).cells
                      if registry.is_setup_cell(c.metadata.get("nbgrader", {}).get("grade_id"))]
    q = registry.find_question("red_wine.dropout_forward")
    right = """
        def dropout_forward(x, rate, training, rng):
            if not training:
                return x
            return np.where(rng.random(x.shape) < rate, 0, x / (1 - rate))
    """
    assert _rebuild(red_wine_setup, q, right).passed
    unscaled = right.replace("x / (1 - rate)", "x")
    outcome = _rebuild(red_wine_setup, q, unscaled)
    assert outcome.status == "incorrect" and "unchanged" in outcome.message
    slow = "def dropout_forward(x, rate, training, rng):\n    for i in range(10**12):\n        pass"
    judge.ANSWER_SECONDS, before = 2, judge.ANSWER_SECONDS
    try:
        outcome = _rebuild(red_wine_setup, q, slow)
    finally:
        judge.ANSWER_SECONDS = before
    assert isinstance(outcome, Review) and "longer than 2 s" in outcome.reason


def test_numpy_reaches_answers_only_under_the_names_the_vetting_knows():
    import keras
    import numpy as np

    namespace = judge._shown_to_answers({"np": np, "numpy": np, "npy": np, "keras": keras, "X": np.zeros(2)})
    assert namespace["np"] is np and namespace["numpy"] is np and "npy" not in namespace
    assert "keras" in namespace and "X" in namespace


def test_training_calls_are_skipped_but_compile_is_kept():
    tree = vet("m.compile(optimizer='adam', loss='mae')\nm.fit(X, y)\nm.summary()\nh = 1")
    assert ast.unparse(tree) == "m.compile(optimizer='adam', loss='mae')\nh = 1"


def test_refused_or_missing_answers_become_reviews_or_not_attempted():
    q = registry.find_question("spotify.dropout")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import os")])
    nb.cells[0].metadata["nbgrader"] = {"grade_id": q.answer_cell, "solution": True}
    assert isinstance(Judgement((q,), [], nb).outcomes[q.qid], Review)
    assert Judgement((q,), [], nbformat.v4.new_notebook()).outcomes[q.qid].status == "not attempted"


def test_a_report_without_the_nonce_is_not_trusted(tmp_path):
    """Anything that is not exactly the judge's one report (e.g. a forged document
    printed first) is unreadable: every question goes to review."""
    import sys

    q = registry.find_question("spotify.dropout")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("model = None")])
    nb.cells[0].metadata["nbgrader"] = {"grade_id": q.answer_cell, "solution": True}
    judgement = Judgement((q,), [], nb)
    forger = tmp_path / "forger.py"
    forger.write_text('import json, sys\nsys.stdin.read()\n'
                      'print(json.dumps({"nonce": "guess", "results": {"spotify.dropout": {"config": {}}}}))\n')
    judgement.start([sys.executable, str(forger), "#"], env={}, cwd=str(tmp_path))
    outcome = judgement.finish(timeout=30)[q.qid]
    assert isinstance(outcome, Review) and "did not report cleanly" in outcome.reason
