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


# ---------------------------------------------------------------- question 2: batch normalization + compile

def _bn_model(keras, optimizer="adam", loss="mae", build=sequential, style="keyword", compile=True):
    model = build(keras, *_block(keras, style, bn=True), *_block(keras, style, bn=True),
                  *_block(keras, style, bn=True), keras.layers.Dense(1), n_inputs=N)
    if compile:
        model.compile(optimizer=optimizer, loss=loss)
    return model


def batchnorm_variants(keras):
    return {
        "reference": lambda: _bn_model(keras),
        "optimizer and loss objects": lambda: _bn_model(keras, keras.optimizers.Adam(learning_rate=1e-3),
                                                        keras.losses.MeanAbsoluteError()),
        "loss by long name": lambda: _bn_model(keras, "Adam", "mean_absolute_error"),
        "loss function": lambda: _bn_model(keras, "adam", keras.losses.mean_absolute_error),
        "functional": lambda: _bn_model(keras, build=functional),
        "add() with ReLU layers": lambda: _bn_model(keras, build=added_one_by_one, style="relu_layer"),
    }


def batchnorm_mistakes(keras):
    L = keras.layers

    def bn_before_dropout():
        model = sequential(keras, *[x for _ in range(3) for x in (L.Dense(256, activation="relu"), L.BatchNormalization(), L.Dropout(0.3))],
                           L.Dense(1), n_inputs=N)
        model.compile(optimizer="adam", loss="mae")
        return model

    return {
        "still SGD": (lambda: _bn_model(keras, "sgd", "mae"), "compiled with the sgd optimizer"),
        "still MSE": (lambda: _bn_model(keras, "adam", "mse"), "The loss is the mean squared error (MSE)"),
        "not compiled": (lambda: _bn_model(keras, compile=False), "is not compiled yet"),
        "BN before dropout": (bn_before_dropout, "not in the order the question asks for"),
        "BN only once": (lambda: _compiled(sequential(keras, *_block(keras, bn=True), *_block(keras), *_block(keras), L.Dense(1), n_inputs=N)),
                         "1 BatchNormalization layer; the question asks for 3"),
        "layers right, starter compile": (lambda: _bn_model(keras, "sgd", "mse"), "compiled with the sgd optimizer"),
    }


def _compiled(model):
    model.compile(optimizer="adam", loss="mae")
    return model


def test_batchnorm_correct_forms_pass(keras):
    assert_all_pass(red_wine.batchnorm, batchnorm_variants(keras))


def test_batchnorm_mistakes_are_named(keras):
    assert_mistakes_named(red_wine.batchnorm, batchnorm_mistakes(keras))


def test_batchnorm_starter_is_not_attempted(keras):
    L = keras.layers
    starter = sequential(keras, *_block(keras), *_block(keras), *_block(keras), L.Dense(1), n_inputs=N)
    starter.compile(optimizer="sgd", loss="mse")
    assert red_wine.batchnorm.evaluate(starter).status == "not attempted"


# ---------------------------------------------------------------- question 3: BN as the first layer

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
