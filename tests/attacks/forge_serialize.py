# keras.saving.serialize_keras_object patched: the answer's (wrong) model is described
# as the correct one, built under another name first.
import keras
_right_config = keras.saving.serialize_keras_object(@RIGHT@)
_real_serialize = keras.saving.serialize_keras_object
def _serialize(obj, *args, **kwargs):
    return _right_config if obj is @VARIABLE@ else _real_serialize(obj, *args, **kwargs)
keras.saving.serialize_keras_object = _serialize
