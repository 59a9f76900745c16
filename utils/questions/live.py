"""Turn whatever the student's variable holds into a serialized Keras model.

Runs in the student's kernel. Anything that is not a genuine Keras model gets a
plain-language reason (NotAModel), never a traceback.
"""

from __future__ import annotations

import warnings

from utils.questions.model_spec import NotAModel


def _kind(obj) -> str:
    return type(obj).__name__


_OVERRIDABLE = ("get_config", "get_compile_config", "get_build_config", "call")


def _model_classes(keras) -> tuple[type, ...]:
    """The exact classes of a Sequential and a functional model (keras.Model(...))."""
    try:
        from keras.src.models.functional import Functional
    except ImportError:  # a later Keras moved it: Sequential still works
        return (keras.Sequential,)
    return (keras.Sequential, Functional)


def _refuse_look_alikes(obj, name: str, keras) -> None:
    """Only Keras' own classes, with their own methods: a subclass, or a class that
    borrows a Keras name and module, could describe itself as anything."""
    if type(obj) not in _model_classes(keras):
        raise NotAModel(f"`{name}` is a home-made subclass of keras.Model ({_kind(obj)}); "
                        "build it with keras.Sequential or the functional API")
    for layer in [obj, *obj._flatten_layers(include_self=False)]:
        replaced = [m for m in _OVERRIDABLE if m in vars(layer)]
        if replaced:
            raise NotAModel(f"`{name}` has had its {replaced[0]} method replaced")
        if layer is not obj and type(layer) not in _model_classes(keras) and \
                getattr(keras.layers, type(layer).__name__, None) is not type(layer):
            raise NotAModel(f"`{name}` contains a home-made {_kind(layer)} layer; use the one from keras.layers")


def serialize(obj, name: str) -> dict:
    """The serialized config of the model in ``obj``; NotAModel says why not."""
    if isinstance(obj, (str, bytes, int, float, bool)):
        raise NotAModel(f"`{name}` is a {_kind(obj)} ({obj!r:.40}), not a Keras model")
    if isinstance(obj, (list, tuple)):
        raise NotAModel(f"`{name}` is a {_kind(obj)}; put the layers inside keras.Sequential([...])")
    import keras  # the notebook has imported it already; this is cheap then

    if isinstance(obj, keras.KerasTensor):
        raise NotAModel(f"`{name}` is the output tensor of a layer, not a model; "
                        "finish the functional model with keras.Model(inputs, outputs)")
    if not isinstance(obj, keras.Model):
        if isinstance(obj, keras.layers.Layer):
            raise NotAModel(f"`{name}` is a single {_kind(obj)} layer, not a model")
        raise NotAModel(f"`{name}` is a {_kind(obj)}, not a Keras model")
    _refuse_look_alikes(obj, name, keras)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return keras.saving.serialize_keras_object(obj)
        except Exception as err:  # e.g. a half-built functional model
            raise NotAModel(f"`{name}` could not be read as a Keras model "
                            f"({type(err).__name__}: {str(err)[:120]})") from None
