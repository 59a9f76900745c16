"""Red Wine questions: the reference passes, equivalent forms pass, mistakes are named."""

from __future__ import annotations

import pytest

from checks_models import (added_one_by_one, assert_all_pass, assert_mistakes_named, functional,
                           relu_dense, sequential)
from utils.checks import red_wine

N = 11


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def _block(keras, style="keyword", rate=0.3, bn=False):
    """One hidden block: Dense(256, relu), Dropout, and optionally BatchNormalization."""
    L = keras.layers
    return [*relu_dense(keras, 256, style), L.Dropout(rate), *([L.BatchNormalization()] if bn else [])]


# ---------------------------------------------------------------- question 1: dropout

def dropout_variants(keras):
    L = keras.layers
    return {
        "reference": lambda: sequential(keras, *_block(keras), *_block(keras), *_block(keras), L.Dense(1), n_inputs=N),
        "3/10": lambda: sequential(keras, *_block(keras, rate=3 / 10), *_block(keras), *_block(keras), L.Dense(1), n_inputs=N),
        "functional": lambda: functional(keras, *_block(keras), *_block(keras), *_block(keras), L.Dense(1), n_inputs=N),
        "add()": lambda: added_one_by_one(keras, *_block(keras), *_block(keras), *_block(keras), L.Dense(1), n_inputs=N),
        "Activation layers": lambda: sequential(keras, *_block(keras, "activation_layer"), *_block(keras, "activation_layer"),
                                                *_block(keras, "relu_layer"), L.Dense(1), n_inputs=N),
    }


def dropout_mistakes(keras):
    L = keras.layers
    d256 = lambda: L.Dense(256, activation="relu")  # noqa: E731
    return {
        "two dropouts": (lambda: sequential(keras, *_block(keras), *_block(keras), d256(), L.Dense(1), n_inputs=N),
                         "2 Dropout layers; the question asks for 3"),
        "rate 0.5": (lambda: sequential(keras, *_block(keras), *_block(keras, rate=0.5), *_block(keras), L.Dense(1), n_inputs=N),
                     "second Dropout has rate 0.5; the question asks for 30%"),
        "rate as percent": (lambda: sequential(keras, *_block(keras, rate=0.03), *_block(keras), *_block(keras), L.Dense(1), n_inputs=N),
                            "first Dropout has rate 0.03"),
        "dropout on the input": (lambda: sequential(keras, L.Dropout(0.3), d256(), *_block(keras), *_block(keras), L.Dense(1), n_inputs=N),
                                 "asks for one right after the first 256-unit Dense layer"),
        "last dropout after the output": (lambda: sequential(keras, *_block(keras), *_block(keras), d256(), L.Dense(1), L.Dropout(0.3), n_inputs=N),
                                          "right after the output layer (1-unit Dense layer) is in the wrong place"),
        "narrower network": (lambda: sequential(keras, *_block(keras), *_block(keras), L.Dense(128, activation="relu"), L.Dropout(0.3), L.Dense(1), n_inputs=N),
                             "third Dense layer has 128 units"),
    }


def test_dropout_correct_forms_pass(keras):
    assert_all_pass(red_wine.dropout, dropout_variants(keras))


def test_dropout_mistakes_are_named(keras):
    assert_mistakes_named(red_wine.dropout, dropout_mistakes(keras))


def test_dropout_starter_is_not_attempted(keras):
    L = keras.layers
    starter = sequential(keras, *[L.Dense(256, activation="relu") for _ in range(3)], L.Dense(1), n_inputs=N)
    assert red_wine.dropout.evaluate(starter).status == "not attempted"


# ---------------------------------------------------------------- question 2: batch normalization only

def _bn_model(keras, build=sequential, style="keyword", compile=None):
    model = build(keras, *_block(keras, style, bn=True), *_block(keras, style, bn=True),
                  *_block(keras, style, bn=True), keras.layers.Dense(1), n_inputs=N)
    if compile:
        model.compile(optimizer=compile[0], loss=compile[1])
    return model


def batchnorm_variants(keras):
    """The question changes only the layers: any compile settings (or none) are fine,
    since the read-only cell compiles the model with SGD and MSE anyway."""
    return {
        "reference": lambda: _bn_model(keras),
        "compiled as the training cell does": lambda: _bn_model(keras, compile=("sgd", "mse")),
        "compiled otherwise": lambda: _bn_model(keras, compile=("adam", "mae")),
        "functional": lambda: _bn_model(keras, build=functional),
        "add() with ReLU layers": lambda: _bn_model(keras, build=added_one_by_one, style="relu_layer"),
        "Activation layers": lambda: _bn_model(keras, style="activation_layer"),
    }


def batchnorm_mistakes(keras):
    L = keras.layers
    d256 = lambda: L.Dense(256, activation="relu")  # noqa: E731

    def blocks(*layers_of_block):
        return [x for _ in range(3) for x in (d256(), *[make() for make in layers_of_block])]

    return {
        "BN before dropout": (lambda: sequential(keras, *blocks(L.BatchNormalization, lambda: L.Dropout(0.3)),
                                                 L.Dense(1), n_inputs=N), "not in the order the question asks for"),
        "BN only once": (lambda: sequential(keras, *_block(keras, bn=True), *_block(keras), *_block(keras), L.Dense(1), n_inputs=N),
                         "1 BatchNormalization layer; the question asks for 3"),
        "dropout replaced by BN": (lambda: sequential(keras, *blocks(L.BatchNormalization), L.Dense(1), n_inputs=N),
                                   "0 Dropout layers; the question asks for 3"),
        "BN after the output too": (lambda: sequential(keras, *_block(keras, bn=True), *_block(keras, bn=True),
                                                       *_block(keras, bn=True), L.Dense(1), L.BatchNormalization(), n_inputs=N),
                                    "the extra one is right after the output layer"),
        "LayerNormalization instead": (lambda: sequential(keras, *blocks(lambda: L.Dropout(0.3), L.LayerNormalization),
                                                          L.Dense(1), n_inputs=N),
                                       "LayerNormalization layer, which this question does not use"),
    }


def test_batchnorm_correct_forms_pass(keras):
    assert_all_pass(red_wine.batchnorm, batchnorm_variants(keras))


def test_batchnorm_mistakes_are_named(keras):
    assert_mistakes_named(red_wine.batchnorm, batchnorm_mistakes(keras))


def test_batchnorm_starter_is_not_attempted(keras):
    L = keras.layers
    starter = sequential(keras, *_block(keras), *_block(keras), *_block(keras), L.Dense(1), n_inputs=N)
    assert red_wine.batchnorm.evaluate(starter).status == "not attempted"
    starter.compile(optimizer="sgd", loss="mse")
    assert red_wine.batchnorm.evaluate(starter).status == "not attempted"


# ---------------------------------------------------------------- question 3: BN as the first layer

def _compiled(model):
    model.compile(optimizer="adam", loss="mae")
    return model


def input_bn_variants(keras):
    L = keras.layers
    hidden = lambda style="keyword": [*relu_dense(keras, 256, style), *relu_dense(keras, 256, style)]  # noqa: E731
    return {
        "reference": lambda: sequential(keras, L.BatchNormalization(), *hidden(), L.Dense(1), n_inputs=N),
        "functional": lambda: functional(keras, L.BatchNormalization(), *hidden(), L.Dense(1), n_inputs=N),
        "add()": lambda: added_one_by_one(keras, L.BatchNormalization(), *hidden(), L.Dense(1), n_inputs=N),
        "Activation layers": lambda: sequential(keras, L.BatchNormalization(), *hidden("activation_layer"), L.Dense(1), n_inputs=N),
        "compiled": lambda: _compiled(sequential(keras, L.BatchNormalization(), *hidden("relu_layer"), L.Dense(1), n_inputs=N)),
    }


def input_bn_mistakes(keras):
    L = keras.layers
    d256 = lambda: L.Dense(256, activation="relu")  # noqa: E731
    return {
        "at the end": (lambda: sequential(keras, d256(), d256(), L.BatchNormalization(), L.Dense(1), n_inputs=N),
                       "right after the input (before the first Dense layer)"),
        "after the first dense": (lambda: sequential(keras, d256(), L.BatchNormalization(), d256(), L.Dense(1), n_inputs=N),
                                  "right after the input (before the first Dense layer)"),
        "two of them": (lambda: sequential(keras, L.BatchNormalization(), d256(), L.BatchNormalization(), d256(), L.Dense(1), n_inputs=N),
                        "2 BatchNormalization layers"),
        "a Normalization layer instead": (lambda: sequential(keras, L.Normalization(), d256(), d256(), L.Dense(1), n_inputs=N),
                                          "Normalization layer, which this question does not use"),
        "dense removed": (lambda: sequential(keras, L.BatchNormalization(), d256(), L.Dense(1), n_inputs=N),
                          "2 Dense layers"),
    }


def test_input_bn_correct_forms_pass(keras):
    assert_all_pass(red_wine.input_bn, input_bn_variants(keras))


def test_input_bn_mistakes_are_named(keras):
    assert_mistakes_named(red_wine.input_bn, input_bn_mistakes(keras))


def test_input_bn_starter_is_not_attempted(keras):
    L = keras.layers
    starter = sequential(keras, L.Dense(256, activation="relu"), L.Dense(256, activation="relu"), L.Dense(1), n_inputs=N)
    assert red_wine.input_bn.evaluate(starter).status == "not attempted"


# ---------------------------------------------------------------- question 5: predict what dropout does

def _judged(question, value):
    """The kernel's verdict, and the grader's verdict from the description alone."""
    import json

    kernel = question.evaluate(value)
    grader = question.verdict_from(json.loads(json.dumps(question.describe(value))))
    assert (kernel.status, kernel.message) == (grader.status, grader.message)
    return kernel


def kept_value_forms():
    import numpy as np

    return {
        "fractions": (1 / 0.7, 1),
        "rounded to 2 decimals": (1.43, 1.0),
        "rounded to 3 decimals": [1.429, 1.0],
        "10/7": (10 / 7, 1.0),
        "float32": np.array([1 / 0.7, 1.0], dtype=np.float32),
        "NumPy scalars": (np.float64(1.4286), np.int64(1)),
        "dict": {"inference": 1, "training": 1 / (1 - 0.3)},
    }


@pytest.mark.parametrize("name", list(kept_value_forms()))
def test_kept_value_correct_forms_pass(name):
    verdict = _judged(red_wine.kept_value, kept_value_forms()[name])
    assert verdict.status == "correct", (name, verdict.message)


KEPT_VALUE_MISTAKES = {
    "unchanged in training": ((1.0, 1.0), "does not pass a kept value on unchanged"),
    "multiplied by the keep fraction": ((0.7, 1.0), "how the original dropout scaled"),
    "divided by the rate": ((1 / 0.3, 1.0), "scaled by the drop rate"),
    "dropped": ((0.0, 1.0), "kept, not dropped"),
    "scaled at inference": ((1 / 0.7, 0.7), "In inference mode Keras' Dropout scales nothing"),
    "made up for at inference": ((1 / 0.7, 1 / 0.7), "nothing is dropped"),
    "zero at inference": ((1 / 0.7, 0.0), "drops nothing"),
    "too rough": ((1.4, 1.0), "The training is not what the code gives (the inference is right)"),
    "one number": (1.43, "holds 1 number"),
    "a string": ("2.5", "is a str"),
    "infinite": ((float("inf"), 1.0), "not a number you can predict"),
}


@pytest.mark.parametrize("name", list(KEPT_VALUE_MISTAKES))
def test_kept_value_mistakes_are_named(name):
    value, words = KEPT_VALUE_MISTAKES[name]
    verdict = _judged(red_wine.kept_value, value)
    assert verdict.status == "incorrect" and words in verdict.message, (name, verdict.message)
    assert "1.43" not in verdict.message and "1.42" not in verdict.message  # never the answer


def test_kept_value_starter_is_not_attempted():
    assert red_wine.kept_value.evaluate(None).status == "not attempted"


def test_kept_value_matches_keras(keras):
    import numpy as np

    out = keras.layers.Dropout(0.3, seed=1)(np.ones((1, 1000), dtype="float32"), training=True)
    kept = float(np.max(np.asarray(out)))
    same = keras.layers.Dropout(0.3)(np.ones((1, 4), dtype="float32"), training=False)
    assert red_wine.kept_value.evaluate((kept, float(np.max(np.asarray(same))))).status == "correct"


# ---------------------------------------------------------------- question 6: implement dropout

def _mask(x, rate, rng):
    return rng.random(x.shape) >= rate


def reference(x, rate, training, rng):
    if not training:
        return x
    return x * _mask(x, rate, rng) / (1 - rate)


def with_where_in_float64(x, rate, training, rng):
    import numpy as np

    if training and rate > 0:
        return np.where(rng.random(x.shape) < rate, 0.0, x.astype(np.float64) / (1.0 - rate))
    return x


def element_by_element(x, rate, training, rng):
    out = x.copy()
    if training:
        flat = out.reshape(-1)
        for i in range(flat.size):
            flat[i] = 0.0 if rng.random() < rate else flat[i] / (1 - rate)
    return out


def binomial_draws(x, rate, training, rng):
    return x * rng.binomial(1, 1 - rate, size=x.shape) / (1 - rate) if training else x.copy()


def multiplied_by_the_keep_factor(x, rate, training, rng):
    import numpy as np

    scale = np.float32(1 / (1 - rate)) if x.dtype == np.float32 else 1 / (1 - rate)
    return x * _mask(x, rate, rng) * scale if training else x


def in_place_on_a_copy(x, rate, training, rng):
    y = x.copy()
    if training:
        y[rng.random(x.shape) < rate] = 0
        y /= 1 - rate
    return y


CORRECT_FUNCTIONS = [reference, with_where_in_float64, element_by_element, binomial_draws,
                     multiplied_by_the_keep_factor, in_place_on_a_copy]


def _judged_on(question, function, seed=12345):
    """As ``_judged``, with the inputs' seed fixed so the two verdicts see the same inputs."""
    import json

    kernel = question.verdict_from(question.describe(function, seed=seed))
    grader = question.verdict_from(json.loads(json.dumps(question.describe(function, seed=seed))))
    assert (kernel.status, kernel.message) == (grader.status, grader.message)
    assert question.evaluate(function).status == kernel.status  # ... and on inputs of its own
    return kernel


@pytest.mark.parametrize("function", CORRECT_FUNCTIONS, ids=lambda f: f.__name__)
def test_dropout_forward_correct_forms_pass(function):
    verdict = _judged_on(red_wine.dropout_forward, function)
    assert verdict.status == "correct", verdict.message


def _wrong(body):
    """A function whose training branch returns ``body`` (mask: kept values)."""
    def dropout_forward(x, rate, training, rng):
        keep = rng.random(x.shape) >= rate
        return body(x, rate, training, keep)
    return dropout_forward


DROPOUT_FORWARD_MISTAKES = {
    "not scaled": (_wrong(lambda x, r, t, k: x * k if t else x), "come out unchanged"),
    "original dropout's scaling": (_wrong(lambda x, r, t, k: x * k * (1 - r) if t else x), "fraction kept"),
    "scaled by the rate": (_wrong(lambda x, r, t, k: x * k / r if t else x), "using the drop rate"),
    "mask the wrong way round": (_wrong(lambda x, r, t, k: x * ~k / (1 - r) if t else x), "wrong way round"),
    "scaled at inference": (_wrong(lambda x, r, t, k: x * k / (1 - r) if t else x * (1 - r)),
                            "In inference mode inverted dropout does nothing"),
    "dropped at inference": (_wrong(lambda x, r, t, k: x * k / (1 - r)), "Nothing is dropped in inference mode"),
    "a fixed rate": (_wrong(lambda x, r, t, k: x * (k | (x > 10)) / 0.7 if t else x), "rate 0.6"),
    "flattened": (_wrong(lambda x, r, t, k: (x * k / (1 - r)).ravel() if t else x), "shape (10000,)"),
    "nothing dropped": (_wrong(lambda x, r, t, k: x / (1 - r) if t else x), "nothing was set to 0"),
    "fails": (lambda x, rate, training, rng: x / undefined_name,  # noqa: F821
              "failed with NameError"),
    "returns text": (lambda x, rate, training, rng: "x", "not numbers"),
    "not a function": ([1, 2], "a list, not a function"),
    "NaN": (_wrong(lambda x, r, t, k: x * k / (1 - r) / 0 if t else x), "NaN or infinite"),
}


@pytest.mark.parametrize("name", list(DROPOUT_FORWARD_MISTAKES))
def test_dropout_forward_mistakes_are_named(name):
    import numpy as np

    value, words = DROPOUT_FORWARD_MISTAKES[name]
    with np.errstate(all="ignore"):
        verdict = _judged_on(red_wine.dropout_forward, value)
    assert verdict.status == "incorrect" and words in verdict.message, (name, verdict.message)


def test_dropout_forward_starter_is_not_attempted():
    def dropout_forward(x, rate, training, rng):
        """the release's body: a docstring and a comment"""
    assert red_wine.dropout_forward.evaluate(dropout_forward).status == "not attempted"
    assert red_wine.dropout_forward.evaluate(None).status == "not attempted"


def test_dropout_forward_inputs_change_from_check_to_check():
    seeds = {red_wine.dropout_forward.describe(reference)["seed"] for _ in range(5)}
    assert len(seeds) > 1


def test_dropout_forward_a_forged_description_cannot_pass():
    q = red_wine.dropout_forward
    honest = q.describe(reference, seed=7)
    assert q.verdict_from(honest).passed
    for forged in ({**honest, "seed": 8}, {**honest, "seed": True}, {**honest, "outputs": honest["outputs"][:2]},
                   {"seed": 7, "outputs": [[0.0] * 10] * 4}, {"seed": 7, "outputs": "x"}, {}, None):
        assert not q.verdict_from(forged).passed


def test_dropout_forward_points_out_what_the_grader_would_refuse():
    verdict = red_wine.dropout_forward.evaluate(uses_global_random)
    assert verdict.status == "incorrect" and "the grader will not run it" in verdict.message
    assert "np.random" in verdict.message


def uses_global_random(x, rate, training, rng):
    import numpy as np

    return x * (np.random.rand(*x.shape) >= rate) / (1 - rate) if training else x


def test_dropout_forward_behaves_like_keras(keras):
    import numpy as np

    ones = np.ones((1, 10_000), dtype="float32")
    theirs = np.asarray(keras.layers.Dropout(0.3, seed=0)(ones, training=True))
    mine = reference(ones, 0.3, True, np.random.default_rng(0))
    assert abs(np.mean(theirs == 0) - np.mean(mine == 0)) < 0.03
    assert np.isclose(theirs.max(), mine.max())


def test_dropout_forward_a_right_answer_passes_whatever_inputs_the_check_picks():
    q = red_wine.dropout_forward
    assert all(q.verdict_from(q.describe(reference, seed=seed)).passed for seed in range(300))
