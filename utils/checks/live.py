"""Turn whatever the student's variable holds into a serialized Keras model.

Runs in the student's kernel. Anything that is not a genuine Keras model gets a
plain-language reason (NotAModel), never a traceback.
"""

from __future__ import annotations

import warnings

from utils.checks.model_spec import NotAModel


def _kind(obj) -> str:
    return type(obj).__name__


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
    if not type(obj).__module__.startswith("keras."):
        raise NotAModel(f"`{name}` is a home-made subclass of keras.Model ({_kind(obj)}); "
                        "build it with keras.Sequential or the functional API")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return keras.saving.serialize_keras_object(obj)
        except Exception as err:  # e.g. a half-built functional model
            raise NotAModel(f"`{name}` could not be read as a Keras model "
                            f"({type(err).__name__}: {str(err)[:120]})") from None
