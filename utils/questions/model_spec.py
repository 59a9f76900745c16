"""Describe a Keras model as plain data, so checks compare meaning, not spelling.

Everything here works on the model's *serialized config* (the dict that
``keras.saving.serialize_keras_object`` returns and a ``.keras`` file stores).
That one representation serves both sides of grading: the student's kernel
(which serializes the live model) and the trusted grader (which reads the
exported JSON and never imports Keras or runs student code).

Equivalent spellings collapse to one description: ``Sequential([...])``,
``Sequential().add(...)`` and the functional API give the same layer list;
``Dense(n, activation="relu")`` equals ``Dense(n)`` + ``Activation("relu")`` or
``ReLU()``; ``keras.Input`` equals a legacy ``input_shape=``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

MODEL_CLASSES = {"Sequential", "Functional", "Model"}

_LOSS_NAMES = {
    "mae": "mae", "mean_absolute_error": "mae", "meanabsoluteerror": "mae",
    "mse": "mse", "mean_squared_error": "mse", "meansquarederror": "mse",
}
_LOSS_WORDS = {"mae": "the mean absolute error (MAE)", "mse": "the mean squared error (MSE)"}


class NotAModel(ValueError):
    """The config does not describe a model the checks can read."""


@dataclass(frozen=True)
class Layer:
    kind: str                      # Keras class name, e.g. "Dense", "Dropout"
    units: int | None = None
    activation: str | None = None  # for Dense and Activation; "linear" means none
    rate: float | None = None

    def same_as(self, other: "Layer") -> bool:
        if (self.kind, self.units, self.activation) != (other.kind, other.units, other.activation):
            return False
        if self.rate is None or other.rate is None:
            return self.rate is other.rate
        return math.isclose(self.rate, other.rate, abs_tol=1e-9)

    def __str__(self) -> str:
        if self.kind == "Dense":
            act = "" if self.activation == "linear" else f", {self.activation}"
            return f"Dense({self.units}{act})"
        if self.kind == "Dropout":
            return f"Dropout({self.rate:g})"
        if self.kind == "Activation":
            return f"Activation({self.activation})"
        return f"{self.kind}()"


@dataclass(frozen=True)
class Compiled:
    optimizer: str                 # lower-case class name, e.g. "adam", "sgd"
    loss: str                      # "mae", "mse" or the name Keras stored

    @property
    def loss_words(self) -> str:
        return _LOSS_WORDS.get(self.loss, self.loss)


@dataclass(frozen=True)
class ModelSpec:
    layers: tuple[Layer, ...]
    n_inputs: int | None = None    # None: the model has no input shape yet
    compiled: Compiled | None = None
    notes: tuple[str, ...] = field(default=())

    def count(self, kind: str) -> int:
        return sum(layer.kind == kind for layer in self.layers)


# ---------------------------------------------------------------- reading configs

def _name_of(value) -> str:
    """An activation, optimizer or loss as stored by Keras: a string or a dict."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if value.get("class_name") == "function" and isinstance(value.get("config"), str):
            return value["config"]
        inner = value.get("config")
        named = isinstance(inner, dict) and isinstance(inner.get("name"), str)
        if named and value.get("class_name") in (None, "Activation"):
            return inner["name"]
        return str(value.get("class_name", "unknown"))
    return "unknown" if value is None else str(value)


def _layer(entry: dict) -> Layer:
    kind = str(entry.get("class_name", "unknown"))
    if not str(entry.get("module") or "keras").startswith("keras"):
        return Layer(f"custom {kind}")  # a home-made class, whatever its name
    config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
    if kind == "Dense":
        units = config.get("units")
        return Layer("Dense", units=int(units) if isinstance(units, (int, float)) else None,
                     activation=_name_of(config.get("activation", "linear")).lower())
    if kind == "Dropout":
        rate = config.get("rate")
        return Layer("Dropout", rate=float(rate) if isinstance(rate, (int, float)) else None)
    if kind == "Activation":
        return Layer("Activation", activation=_name_of(config.get("activation")).lower())
    if kind == "ReLU":
        plain = (config.get("max_value") is None and not config.get("negative_slope")
                 and not config.get("threshold"))
        return Layer("Activation", activation="relu" if plain else "relu (modified)")
    return Layer(kind)


def _input_features(entry: dict) -> int | None:
    config = entry.get("config") or {}
    shape = config.get("batch_shape") or config.get("batch_input_shape")
    if isinstance(shape, (list, tuple)) and len(shape) == 2 and isinstance(shape[-1], int):
        return shape[-1]
    return None


def _history_name(arg) -> str | None:
    if isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
        history = arg.get("config", {}).get("keras_history")
        if isinstance(history, (list, tuple)) and history:
            return history[0]
    return None


def _functional_chain(config: dict) -> list[dict]:
    """The layers of a functional model from input to output, if they form one chain."""
    entries = {e.get("name") or e.get("config", {}).get("name"): e for e in config.get("layers", [])}
    outputs = config.get("output_layers")
    if isinstance(outputs, list) and outputs and isinstance(outputs[0], list):
        if len(outputs) != 1:
            raise NotAModel("it has several outputs; the question expects one output layer")
        outputs = outputs[0]
    if not (isinstance(outputs, list) and outputs and outputs[0] in entries):
        raise NotAModel("its output layer could not be found")
    chain, name = [], outputs[0]
    while name is not None:
        entry = entries[name]
        chain.append(entry)
        nodes = entry.get("inbound_nodes") or []
        if not nodes:
            break
        if len(nodes) > 1:
            raise NotAModel(f"its layer {name!r} is used twice; the question expects each layer once, in a chain")
        sources = [_history_name(a) for a in nodes[0].get("args", [])]
        sources = [s for s in sources if s is not None]
        if len(sources) != 1 or sources[0] not in entries:
            raise NotAModel(f"its layer {name!r} has {len(sources)} inputs; "
                            "the question expects a single chain of layers")
        name = sources[0]
        if len(chain) > 10_000:
            raise NotAModel("its layers form a loop")
    return list(reversed(chain))


def _flatten(entries, n_inputs=None):
    """Layers of nested models are read in place; InputLayers give the input width."""
    layers = []
    for entry in entries:
        kind = entry.get("class_name")
        if kind == "InputLayer":
            n_inputs = n_inputs or _input_features(entry)
        elif kind in MODEL_CLASSES:
            inner, inner_inputs = _flatten(_model_entries(entry), None)
            layers += inner
            n_inputs = n_inputs or inner_inputs
        else:
            layers.append(_layer(entry))
    return layers, n_inputs


def _model_entries(serialized: dict) -> list[dict]:
    config = serialized.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise NotAModel("it has no layer list")
    if serialized.get("class_name") == "Sequential":
        return config["layers"]
    return _functional_chain(config)


def _fold_activations(layers: list[Layer]) -> list[Layer]:
    """Dense(n) followed directly by Activation(a) is Dense(n, a); a lone linear Activation is nothing."""
    folded: list[Layer] = []
    for layer in layers:
        if layer.kind == "Activation":
            previous = folded[-1] if folded else None
            if previous and previous.kind == "Dense" and previous.activation == "linear":
                folded[-1] = Layer("Dense", units=previous.units, activation=layer.activation)
                continue
            if layer.activation == "linear":
                continue
        folded.append(layer)
    return folded


def _compiled(serialized: dict) -> Compiled | None:
    compile_config = serialized.get("compile_config")
    if not isinstance(compile_config, dict) or not compile_config.get("optimizer"):
        return None
    optimizer = _name_of(compile_config["optimizer"]).lower()
    loss = _name_of(compile_config.get("loss")).lower()
    return Compiled(optimizer=optimizer, loss=_LOSS_NAMES.get(loss.replace(" ", ""), loss))


def describe(serialized) -> ModelSpec:
    """A ModelSpec from a serialized Keras model; raises NotAModel with the reason."""
    if not isinstance(serialized, dict):
        raise NotAModel("it is not a serialized Keras model")
    kind = serialized.get("class_name")
    module = str(serialized.get("module") or "")
    if kind not in MODEL_CLASSES or not module.startswith("keras"):
        raise NotAModel(f"it is a {kind or 'custom'} object, not a Keras Sequential or functional model")
    layers, n_inputs = _flatten(_model_entries(serialized))
    for entry_kind in {layer.kind for layer in layers}:
        if entry_kind == "unknown":
            raise NotAModel("one of its layers could not be read")
    return ModelSpec(layers=tuple(_fold_activations(layers)), n_inputs=n_inputs,
                     compiled=_compiled(serialized))
