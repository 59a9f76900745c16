"""Small model builders for the check tests: each builds one answer a student might write.

Builders take the ``keras`` module and return a model, so the same variant can be
built with ``import keras`` or ``from tensorflow import keras``.
"""

from __future__ import annotations


def sequential(keras, *layers, n_inputs):
    return keras.Sequential([keras.Input(shape=(n_inputs,)), *layers])


def added_one_by_one(keras, *layers, n_inputs):
    model = keras.Sequential()
    model.add(keras.Input(shape=(n_inputs,)))
    for layer in layers:
        model.add(layer)
    return model


def functional(keras, *layers, n_inputs):
    inputs = keras.Input(shape=(n_inputs,))
    x = inputs
    for layer in layers:
        x = layer(x)
    return keras.Model(inputs, x)


def relu_dense(keras, units, style="keyword"):
    """A Dense layer with relu, written three equivalent ways (returns a list of layers)."""
    layers = keras.layers
    if style == "keyword":
        return [layers.Dense(units, activation="relu")]
    if style == "activation_layer":
        return [layers.Dense(units), layers.Activation("relu")]
    if style == "relu_layer":
        return [layers.Dense(units), layers.ReLU()]
    raise ValueError(style)


def assert_all_pass(question, variants):
    """Every builder in ``variants`` (name -> builder) gives a correct answer."""
    for name, build in variants.items():
        verdict = question.evaluate(build())
        assert verdict.passed, f"{name}: {verdict.message}"


def assert_mistakes_named(question, mistakes):
    """Every builder in ``mistakes`` (name -> (builder, words)) is incorrect, and says ``words``."""
    for name, (build, words) in mistakes.items():
        verdict = question.evaluate(build())
        assert verdict.status == "incorrect", name
        assert words in verdict.message, f"{name}: {verdict.message!r}"
