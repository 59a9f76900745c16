"""What every check shares: odd input, display, hints, tampering, and the grader's re-check."""

from __future__ import annotations

import json
import sys
import warnings

import pytest

from checks_models import sequential
from utils.checks import spotify
from utils.questions import feedback, question
from utils.questions.model_spec import describe

N = spotify.N_INPUTS
HIDDEN_TEST = (  # the hidden test cell of solutions/spotify, for question 1
    'import sys; [sys.modules.pop(_m) for _m in list(sys.modules) if _m == "utils" or _m.startswith("utils.")]\n'
    'from utils.questions.hidden import regrade; regrade("spotify.dropout")\n'
)


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


@pytest.fixture
def right(keras):
    L = keras.layers
    return sequential(keras, L.Dense(128, activation="relu"), L.Dropout(0.3), L.Dense(64, activation="relu"),
                      L.Dropout(0.3), L.Dense(1), n_inputs=N)


@pytest.fixture
def wrong(keras):
    L = keras.layers
    return sequential(keras, L.Dense(128, activation="relu"), L.Dropout(0.5), L.Dense(64, activation="relu"),
                      L.Dropout(0.3), L.Dense(1), n_inputs=N)


@pytest.fixture
def notebook(monkeypatch):
    """The notebook's variables (outside IPython, the checks read __main__)."""
    import __main__

    def assign(**values):
        for name, value in values.items():
            monkeypatch.setattr(__main__, name, value, raising=False)

    return assign


@pytest.fixture
def fresh_utils():
    """Let a test drop and re-import utils (as hidden tests do), then restore the originals."""
    saved = {k: v for k, v in sys.modules.items() if k == "utils" or k.startswith("utils.")}
    yield
    for name in [k for k in sys.modules if k == "utils" or k.startswith("utils.")]:
        del sys.modules[name]
    sys.modules.update(saved)


# ---------------------------------------------------------------- odd input

@pytest.mark.parametrize("value, words", [
    (None, "is None"),
    ("model", "is a str"),
    (42, "is a int"),
    ([1, 2, 3], "put the layers inside keras.Sequential"),
    ({"layers": []}, "is a dict, not a Keras model"),
])
def test_odd_values_get_a_message_not_a_traceback(value, words):
    verdict = spotify.dropout.evaluate(value)
    assert verdict.status in ("incorrect", "not attempted")
    assert words in verdict.message


def test_missing_variable_reads_as_not_attempted(monkeypatch):
    import __main__

    monkeypatch.delattr(__main__, "model", raising=False)
    verdict = spotify.dropout.evaluate()
    assert verdict.status == "not attempted" and "run the answer cell" in verdict.message


def test_half_built_functional_model(keras):
    inputs = keras.Input(shape=(N,))
    x = keras.layers.Dense(128, activation="relu")(inputs)
    assert "finish the functional model with keras.Model" in spotify.dropout.evaluate(x).message


def test_a_single_layer_or_a_pretender(keras, right):
    assert "single Dense layer" in spotify.dropout.evaluate(keras.layers.Dense(3)).message

    class Pretender:  # looks like a model to duck typing
        layers = right.layers

        def get_config(self):
            return right.get_config()

    assert spotify.dropout.evaluate(Pretender()).status == "incorrect"


def test_home_made_subclass_that_forges_its_config_is_refused(keras, wrong, right):
    class Sequential(keras.Sequential):
        def get_config(self):
            return right.get_config()

    forged = Sequential(wrong.layers)
    assert "home-made subclass" in spotify.dropout.evaluate(forged).message


def test_look_alikes_with_keras_names_are_refused(keras, wrong, right):
    class Sequential(keras.Sequential):  # pretends to live in Keras
        def get_config(self):
            return right.get_config()

    Sequential.__module__ = "keras.src.models.sequential"
    assert "home-made subclass" in spotify.dropout.evaluate(Sequential(wrong.layers)).message

    patched = keras.Sequential([keras.Input(shape=(N,)), keras.layers.Dense(1)])
    patched.get_config = right.get_config
    assert "get_config method replaced" in spotify.dropout.evaluate(patched).message

    class Dropout(keras.layers.Layer):  # does nothing, but says it is a Dropout
        def __init__(self, rate):
            super().__init__()
            self.rate = rate

        def call(self, x):
            return x

    Dropout.__module__ = "keras.layers"
    L = keras.layers
    fake = sequential(keras, L.Dense(128, activation="relu"), Dropout(0.3), L.Dense(64, activation="relu"),
                      L.Dropout(0.3), L.Dense(1), n_inputs=N)
    assert "home-made Dropout layer" in spotify.dropout.evaluate(fake).message


def test_a_multi_branch_model_is_explained(keras):
    inputs = keras.Input(shape=(N,))
    a = keras.layers.Dense(128, activation="relu")(inputs)
    b = keras.layers.Dense(128, activation="relu")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Add()([a, b])))
    assert "single chain" in spotify.dropout.evaluate(model).message


def test_nested_sequential_is_read_in_place(keras):
    L = keras.layers
    block = keras.Sequential([L.Dense(128, activation="relu"), L.Dropout(0.3)])
    model = keras.Sequential([keras.Input(shape=(N,)), block,
                              L.Dense(64, activation="relu"), L.Dropout(0.3), L.Dense(1)])
    assert spotify.dropout.evaluate(model).passed


def test_garbage_configs_never_raise():
    for config in (None, [], {}, {"class_name": "Sequential", "module": "keras"},
                   {"class_name": "Sequential", "module": "keras", "config": {"layers": [{"class_name": 3}]}},
                   {"class_name": "Functional", "module": "keras",
                    "config": {"layers": [], "output_layers": ["x", 0, 0]}}):
        assert spotify.dropout.evaluate_config(config).status == "incorrect"


def test_checks_never_warn(keras, right):
    unbuilt = keras.Sequential([keras.layers.Dense(128, activation="relu"), keras.layers.Dense(1)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for value in (right, unbuilt, None, "x"):
            spotify.dropout.evaluate(value)


# ---------------------------------------------------------------- what the student sees

def test_check_shows_a_box_and_raises_one_line(wrong, capsys):
    with pytest.raises(feedback.CheckFailed) as raised:
        spotify.dropout.check(wrong)
    shown = capsys.readouterr().out
    assert shown.startswith("✘ Incorrect (Question 1, dropout): ")
    lines = raised.value._render_traceback_()
    assert len(lines) == 1 and "no points yet" in lines[0]
    assert "rate 0.5" in shown and "rate 0.5" not in lines[0]  # said once, in the box


def test_correct_check_returns_none_and_prints_only_stdout(right, capsys):
    assert spotify.dropout.check(right) is None
    out = capsys.readouterr()
    assert out.out.startswith("✔ Correct") and out.err == ""


def test_box_html_is_escaped_and_classed():
    html = feedback.box("Q", "incorrect", "<script>x</script>")
    assert "course-check course-check-incorrect" in html and "<script>" not in html
    assert "course-check-not-attempted" in feedback.box("Q", "not attempted", "m")
    hint = feedback.box("Q", "hint", "Use `layers.Dropout(0.3)` here; <b> stays text")
    assert "<code>layers.Dropout(0.3)</code>" in hint and "`" not in hint and "&lt;b&gt;" in hint


def test_hints_escalate_and_solutions_stay_with_the_instructor(capsys, monkeypatch):
    spotify.dropout.hint()
    spotify.dropout.hint(2)
    spotify.dropout.hint(99)
    first, second, clamped = capsys.readouterr().out.strip().split("\n")
    assert "hint 1 of 2" in first and "hint(2)" in first
    assert "hint 2 of 2" in second and second == clamped
    monkeypatch.delenv(question.SHOW_SOLUTIONS_ENV, raising=False)
    spotify.dropout.solution()
    assert "shown by your instructor" in capsys.readouterr().out
    monkeypatch.setenv(question.SHOW_SOLUTIONS_ENV, "1")
    spotify.dropout.solution()
    shown = capsys.readouterr().out
    assert "layers.Dropout(0.3)" in shown and "SOLUTION" not in shown  # from solutions/, markers removed


def test_every_question_has_its_answer_cell_in_solutions():
    from utils.checks import red_wine

    for q in (*red_wine.QUESTIONS, *spotify.QUESTIONS):
        code = question.reference_answer(q.qid.partition(".")[0], q.answer_cell)
        assert code is not None and (f"{q.variable} = " in code or f"def {q.variable}(" in code), q.qid


# ---------------------------------------------------------------- tampering (same kernel)

def _run_hidden_test():
    exec(compile(HIDDEN_TEST, "hidden test", "exec"), {})


def test_hidden_test_reimports_after_the_check_was_replaced(notebook, wrong, right, fresh_utils, monkeypatch):
    import utils.checks.spotify as checks

    original = checks.dropout
    object.__setattr__(original, "evaluate", lambda *a: question.Verdict("correct", "sure"))
    monkeypatch.setattr(checks, "dropout", type("Always", (), {"check": staticmethod(lambda: None)})())
    try:
        notebook(model=wrong)
        with pytest.raises(Exception, match="rate 0.5"):
            _run_hidden_test()
        notebook(model=right)
        _run_hidden_test()
    finally:
        object.__delattr__(original, "evaluate")  # the instance attribute; the method is back


def test_hidden_test_reimports_after_sys_modules_was_patched(notebook, wrong, fresh_utils):
    fake = type(sys)("utils.questions.hidden")
    fake.regrade = lambda qid: None
    sys.modules["utils.questions.hidden"] = fake
    notebook(model=wrong)
    with pytest.raises(Exception, match="rate 0.5"):
        _run_hidden_test()


def test_rebinding_assertion_error_does_not_matter(notebook, wrong, monkeypatch, fresh_utils):
    import builtins

    monkeypatch.setattr(builtins, "AssertionError", type("Nope", (Exception,), {}))
    notebook(model=wrong)
    with pytest.raises(Exception, match="rate 0.5"):
        _run_hidden_test()


# ---------------------------------------------------------------- the grader's side

def test_description_judged_by_the_grader_agrees_with_the_kernel(right, wrong):
    """What the judge reports (describe) is judged by the grader (verdict_from)
    exactly as the kernel judges the live model."""
    q = spotify.dropout
    for model in (right, wrong):
        description = json.loads(json.dumps(q.describe(model)))
        assert q.verdict_from(description) == q.evaluate(model)
    assert "rate 0.5" in q.verdict_from(q.describe(wrong)).message


def test_odd_descriptions_never_raise():
    q = spotify.dropout
    assert not q.verdict_from(q.describe("a string")).passed
    for description in ({"config": None}, {"config": {"class_name": "Sequential", "module": "__main__"}},
                        {"config": [1, 2]}, {"not_a_model": 12}, {}):
        verdict = q.verdict_from(description)
        assert verdict.status == "incorrect", description


def test_grader_side_needs_no_keras(keras, right):
    """The grader judges a plain dict: describe() imports nothing from Keras."""
    import utils.questions.model_spec as spec_module

    assert "keras" not in spec_module.__dict__
    spec = describe(json.loads(json.dumps(keras.saving.serialize_keras_object(right))))
    assert [str(layer) for layer in spec.layers] == [
        "Dense(128, relu)", "Dropout(0.3)", "Dense(64, relu)", "Dropout(0.3)", "Dense(1)"]


def test_unknown_question_id():
    from utils.questions import find_question as find

    with pytest.raises(KeyError):
        find("spotify.nope")
