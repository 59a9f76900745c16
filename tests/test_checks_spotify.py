"""Spotify questions: the reference passes, equivalent forms pass, mistakes are named."""

from __future__ import annotations

import pytest

from checks_models import (added_one_by_one, assert_all_pass, assert_mistakes_named, functional,
                           relu_dense, sequential)
from utils.checks import spotify

N = spotify.N_INPUTS


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


# ---------------------------------------------------------------- dropout

def dropout_variants(keras):
    """Correct answers to question 1, written in different but equivalent ways."""
    L = keras.layers
    return {
        "reference": lambda: sequential(keras, L.Dense(128, activation="relu"), L.Dropout(0.3),
                                        L.Dense(64, activation="relu"), L.Dropout(0.3), L.Dense(1), n_inputs=N),
        "rate by keyword, as a fraction": lambda: sequential(
            keras, L.Dense(128, activation="relu"), L.Dropout(rate=3 / 10),
            L.Dense(64, activation="relu"), L.Dropout(rate=0.3), L.Dense(1), n_inputs=N),
        "add() one by one": lambda: added_one_by_one(
            keras, L.Dense(128, activation="relu"), L.Dropout(0.3),
            L.Dense(64, activation="relu"), L.Dropout(0.3), L.Dense(1), n_inputs=N),
        "functional API": lambda: functional(
            keras, L.Dense(128, activation="relu"), L.Dropout(0.3),
            L.Dense(64, activation="relu"), L.Dropout(0.3), L.Dense(1), n_inputs=N),
        "separate Activation layers": lambda: sequential(
            keras, *relu_dense(keras, 128, "activation_layer"), L.Dropout(0.3),
            *relu_dense(keras, 64, "activation_layer"), L.Dropout(0.3), L.Dense(1), n_inputs=N),
        "ReLU layers, functional": lambda: functional(
            keras, *relu_dense(keras, 128, "relu_layer"), L.Dropout(0.3),
            *relu_dense(keras, 64, "relu_layer"), L.Dropout(0.3), L.Dense(1), n_inputs=N),
        "compiled already": lambda: _compiled(sequential(
            keras, L.Dense(128, activation="relu"), L.Dropout(0.3),
            L.Dense(64, activation="relu"), L.Dropout(0.3), L.Dense(1), n_inputs=N)),
    }


def _compiled(model):
    model.compile(optimizer="adam", loss="mae")
    return model


def dropout_mistakes(keras):
    """Wrong answers to question 1, each with the words its message must contain."""
    L = keras.layers
    d128, d64, out = (lambda: L.Dense(128, activation="relu")), (lambda: L.Dense(64, activation="relu")), (lambda: L.Dense(1))
    return {
        "only one dropout": (lambda: sequential(keras, d128(), L.Dropout(0.3), d64(), out(), n_inputs=N),
                             "1 Dropout layer; the question asks for 2"),
        "dropout after the output": (lambda: sequential(keras, d128(), L.Dropout(0.3), d64(), out(), L.Dropout(0.3), n_inputs=N),
                                     "Dropout right after the output layer (1-unit Dense layer) is in the wrong place"),
        "wrong rate": (lambda: sequential(keras, d128(), L.Dropout(0.3), d64(), L.Dropout(0.5), out(), n_inputs=N),
                       "second Dropout has rate 0.5; the question asks for 30%"),
        "three dropouts": (lambda: sequential(keras, L.Dropout(0.3), d128(), L.Dropout(0.3), d64(), L.Dropout(0.3), out(), n_inputs=N),
                           "3 Dropout layers; the question asks for 2: the extra one is right after the input"),
        "units changed": (lambda: sequential(keras, d128(), L.Dropout(0.3), L.Dense(32, activation="relu"), L.Dropout(0.3), out(), n_inputs=N),
                          "second Dense layer has 32 units; keep the starter's 64"),
        "activation dropped": (lambda: sequential(keras, d128(), L.Dropout(0.3), L.Dense(64), L.Dropout(0.3), out(), n_inputs=N),
                               "64-unit Dense layer has no activation"),
        "extra dense layer": (lambda: sequential(keras, d128(), L.Dropout(0.3), d64(), L.Dropout(0.3), L.Dense(8, activation="relu"), out(), n_inputs=N),
                              "4 Dense layers"),
        "other layer kind": (lambda: sequential(keras, d128(), L.GaussianNoise(0.3), d64(), L.Dropout(0.3), out(), n_inputs=N),
                             "GaussianNoise layer, which this question does not use"),
        "wrong input width": (lambda: sequential(keras, d128(), L.Dropout(0.3), d64(), L.Dropout(0.3), out(), n_inputs=12),
                              "takes 12 inputs, but the data has 18"),
        "dropout before the dense layers": (lambda: sequential(keras, L.Dropout(0.3), d128(), L.Dropout(0.3), d64(), out(), n_inputs=N),
                                            "come before the Dense layers"),
    }


def test_dropout_correct_forms_pass(keras):
    assert_all_pass(spotify.dropout, dropout_variants(keras))


def test_dropout_with_tensorflow_keras_alias_passes():
    from tensorflow import keras as tf_keras

    model = dropout_variants(tf_keras)["reference"]()
    assert spotify.dropout.evaluate(model).passed


def test_dropout_mistakes_are_named(keras):
    assert_mistakes_named(spotify.dropout, dropout_mistakes(keras))
    for build, _ in dropout_mistakes(keras).values():  # names the mistake, not the answer
        assert "Dropout(0.3)" not in spotify.dropout.evaluate(build()).message


def test_dropout_starter_is_not_attempted(keras):
    L = keras.layers
    starter = sequential(keras, L.Dense(128, activation="relu"), L.Dense(64, activation="relu"), L.Dense(1), n_inputs=N)
    assert spotify.dropout.evaluate(starter).status == "not attempted"


# ---------------------------------------------------------------- batch normalization

def batchnorm_variants(keras):
    L = keras.layers
    return {
        "reference": lambda: sequential(keras, L.BatchNormalization(), L.Dense(128, activation="relu"),
                                        L.BatchNormalization(), L.Dense(64, activation="relu"),
                                        L.BatchNormalization(), L.Dense(1), n_inputs=N),
        "functional": lambda: functional(keras, L.BatchNormalization(), L.Dense(128, activation="relu"),
                                         L.BatchNormalization(), L.Dense(64, activation="relu"),
                                         L.BatchNormalization(), L.Dense(1), n_inputs=N),
        "add() one by one": lambda: added_one_by_one(keras, L.BatchNormalization(), L.Dense(128, activation="relu"),
                                                     L.BatchNormalization(), L.Dense(64, activation="relu"),
                                                     L.BatchNormalization(), L.Dense(1), n_inputs=N),
        "Activation layers": lambda: sequential(keras, L.BatchNormalization(), *relu_dense(keras, 128, "activation_layer"),
                                                L.BatchNormalization(), *relu_dense(keras, 64, "activation_layer"),
                                                L.BatchNormalization(), L.Dense(1), n_inputs=N),
        "BN with its own settings": lambda: sequential(keras, L.BatchNormalization(momentum=0.9), L.Dense(128, activation="relu"),
                                                       L.BatchNormalization(epsilon=1e-3), L.Dense(64, activation="relu"),
                                                       L.BatchNormalization(), L.Dense(1), n_inputs=N),
        "compiled with SGD as the next cell does": lambda: _sgd(sequential(
            keras, L.BatchNormalization(), L.Dense(128, activation="relu"), L.BatchNormalization(),
            L.Dense(64, activation="relu"), L.BatchNormalization(), L.Dense(1), n_inputs=N), keras),
    }


def _sgd(model, keras):
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    return model


def batchnorm_mistakes(keras):
    L = keras.layers
    d128, d64, out, bn = (lambda: L.Dense(128, activation="relu")), (lambda: L.Dense(64, activation="relu")), (lambda: L.Dense(1)), L.BatchNormalization
    return {
        "after each dense": (lambda: sequential(keras, d128(), bn(), d64(), bn(), out(), bn(), n_inputs=N),
                             "come after the Dense layers; the question asks for one before each"),
        "missing the input one": (lambda: sequential(keras, d128(), bn(), d64(), bn(), out(), n_inputs=N),
                                  "2 BatchNormalization layers; the question asks for 3"),
        "between layer and activation": (lambda: sequential(keras, bn(), L.Dense(128), bn(), L.Activation("relu"), d64(), bn(), out(), n_inputs=N),
                                         "BatchNormalization sits between a Dense layer and its relu activation"),
        "two at the start": (lambda: sequential(keras, bn(), bn(), d128(), d64(), bn(), out(), n_inputs=N),
                             "asks for one right before the 64-unit Dense layer"),
        "dropout instead": (lambda: sequential(keras, bn(), d128(), L.Dropout(0.3), d64(), bn(), out(), n_inputs=N),
                            "Dropout layer, which this question does not use"),
        "units changed": (lambda: sequential(keras, bn(), L.Dense(256, activation="relu"), bn(), d64(), bn(), out(), n_inputs=N),
                          "first Dense layer has 256 units"),
        "sigmoid": (lambda: sequential(keras, bn(), L.Dense(128, activation="sigmoid"), bn(), d64(), bn(), out(), n_inputs=N),
                    "has the sigmoid activation; keep the relu activation"),
    }


def test_batchnorm_correct_forms_pass(keras):
    assert_all_pass(spotify.batchnorm, batchnorm_variants(keras))


def test_batchnorm_mistakes_are_named(keras):
    assert_mistakes_named(spotify.batchnorm, batchnorm_mistakes(keras))


def test_batchnorm_starter_is_not_attempted(keras):
    L = keras.layers
    starter = sequential(keras, L.Dense(128, activation="relu"), L.Dense(64, activation="relu"), L.Dense(1), n_inputs=N)
    assert spotify.batchnorm.evaluate(starter).status == "not attempted"


# ---------------------------------------------------------------- question 3: predict the parameters

def _judged(question, value):
    """The kernel's verdict, and the grader's verdict from the description alone."""
    import json

    kernel = question.evaluate(value)
    grader = question.verdict_from(json.loads(json.dumps(question.describe(value))))
    assert (kernel.status, kernel.message) == (grader.status, grader.message)
    return kernel


def bn_params_forms():
    import numpy as np

    return {
        "tuple of ints": (512, 256),
        "list": [512, 256],
        "whole floats": (512.0, 256.0),
        "NumPy ints": (np.int64(512), np.int32(256)),
        "NumPy array": np.array([512, 256]),
        "float32 array": np.array([512.0, 256.0], dtype=np.float32),
        "dict": {"total": 512, "trainable": 256},
        "dict, other order": {"trainable": 2 * 128, "total": 4 * 128},
        "expressions": (4 * 128, 128 + 128),
    }


@pytest.mark.parametrize("name", list(bn_params_forms()))
def test_bn_params_correct_forms_pass(name):
    verdict = _judged(spotify.bn_params, bn_params_forms()[name])
    assert verdict.status == "correct", (name, verdict.message)


BN_PARAMS_MISTAKES = {
    "only the trainable ones": ((256, 256), "counts only what gradient descent trains"),
    "all trainable": ((512, 512), "Not every parameter of this layer is trainable"),
    "none trainable": ((512, 0), "Some of this layer's parameters are trained"),
    "the 64-unit layer's features": ((256, 128), "features of the wrong layer"),
    "the first BN layer": ((72, 36), "right after the input"),
    "total too small": ((256, 100), "The total is too small"),
    "trainable off": ((512, 300), "The trainable is not what the code gives (the total is right)"),
    "both off": ((100, 50), "The total and the trainable are not what the code gives"),
    "not whole": ((100.5, 40), "whole number"),
    "one number": (512, "holds 1 number; the question asks for 2"),
    "three numbers": ((512, 256, 256), "holds 3 numbers"),
    "a string": ("5, 2", "is a str"),
    "a bool inside": ((True, 256), "holding a bool"),
    "wrong keys": ({"all": 512, "trained": 256}, "a dict with the keys"),
    "NaN": ((float("nan"), 256), "not a number you can predict"),
    "2-D array": ([[512, 256]], "holding a list"),
}


@pytest.mark.parametrize("name", list(BN_PARAMS_MISTAKES))
def test_bn_params_mistakes_are_named(name):
    value, words = BN_PARAMS_MISTAKES[name]
    verdict = _judged(spotify.bn_params, value)
    assert verdict.status == "incorrect" and words in verdict.message, (name, verdict.message)
    assert "512" not in verdict.message and "256" not in verdict.message  # never the answer


def test_bn_params_starter_is_not_attempted():
    assert spotify.bn_params.evaluate(None).status == "not attempted"
    assert spotify.bn_params.evaluate(...).status == "not attempted"


def test_bn_params_odd_descriptions_never_raise():
    for description in ({}, {"numbers": "x"}, {"numbers": [True, 1]}, {"numbers": list(range(100))},
                        {"odd": None}, [], None, {"numbers": [[1], 2]}):
        assert spotify.bn_params.verdict_from(description).status == "incorrect"


def test_bn_params_matches_keras(keras):
    layer = keras.layers.BatchNormalization()
    layer.build((None, 128))
    trainable = sum(int(w.numpy().size) for w in layer.trainable_weights)
    assert spotify.bn_params.evaluate((layer.count_params(), trainable)).status == "correct"


def test_an_alphadropout_is_named_with_an():
    import keras

    L = keras.layers
    model = sequential(keras, L.Dense(128, activation="relu"), L.AlphaDropout(0.3),
                       L.Dense(64, activation="relu"), L.Dropout(0.3), L.Dense(1), n_inputs=N)
    assert "an AlphaDropout layer" in spotify.dropout.evaluate(model).message
