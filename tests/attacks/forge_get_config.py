# get_config replaced on the class keras.Sequential (not on the model object, where the
# check looks for replaced methods): the answer's (wrong) model says it is the correct one.
import keras
_real_get_config = keras.Sequential.get_config
_right_layers = _real_get_config(@RIGHT@)
keras.Sequential.get_config = lambda self: _right_layers if self is @VARIABLE@ else _real_get_config(self)
