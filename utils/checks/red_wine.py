"""The Red Wine exercise's graded questions (solutions/red_wine)."""

from utils.questions.dropout_function import InvertedDropoutQuestion
from utils.questions.model_question import ModelQuestion, batchnorm_layer, dense, dropout_layer
from utils.questions.value_question import Mistake, ValueQuestion

_HIDDEN = (dense(256, "relu"), dense(256, "relu"), dense(256, "relu"))
_OUT = dense(1)

dropout = ModelQuestion(
    qid="red_wine.dropout",
    title="Question 1, dropout",
    variable="dropout_model",
    n_inputs=11,
    expected=(dense(256, "relu"), dropout_layer(0.3), dense(256, "relu"), dropout_layer(0.3),
              dense(256, "relu"), dropout_layer(0.3), _OUT),
    starter=(*_HIDDEN, _OUT),
    hints=(
        "Dropout is a layer of its own: it goes into the list of layers, between the Dense layers. "
        "Its one argument is the fraction of inputs to drop.",
        "Three hidden Dense layers, so three Dropout layers: one directly after each hidden Dense layer, "
        "and none after the output layer. `layers.Dropout(0.3)` drops 30%.",
    ),
)

batchnorm = ModelQuestion(
    qid="red_wine.batchnorm",
    title="Question 2, batch normalization",
    variable="batchnorm_model",
    n_inputs=11,
    expected=(dense(256, "relu"), dropout_layer(0.3), batchnorm_layer(),
              dense(256, "relu"), dropout_layer(0.3), batchnorm_layer(),
              dense(256, "relu"), dropout_layer(0.3), batchnorm_layer(), _OUT),
    starter=(dense(256, "relu"), dropout_layer(0.3), dense(256, "relu"), dropout_layer(0.3),
             dense(256, "relu"), dropout_layer(0.3), _OUT),
    hints=(
        "One change only: the optimizer and the loss stay as they are. Each hidden block becomes "
        "Dense, then Dropout, then a normalization layer.",
        "Add `layers.BatchNormalization()` directly after each of the three Dropout layers; "
        "nothing after the output layer.",
    ),
)

input_bn = ModelQuestion(
    qid="red_wine.input_bn",
    title="Question 3, batch normalization as the first layer",
    variable="input_bn_model",
    n_inputs=11,
    wording="before",
    expected=(batchnorm_layer(), *_HIDDEN[:2], _OUT),
    starter=(*_HIDDEN[:2], _OUT),
    hints=(
        "A scaler works on the inputs before the network sees them. Where in the layer list does the "
        "network first see its inputs?",
        "Put one `layers.BatchNormalization()` right after `keras.Input(...)`, before the first Dense layer.",
    ),
)


_KEEP = 1 - 0.3
kept_value = ValueQuestion(
    qid="red_wine.kept_value",
    title="Question 5, predict what dropout does",
    variable="kept_value",
    parts=("training", "inference"),
    expected=(1 / _KEEP, 1.0),
    whole=False,
    tolerance=0.005,
    form="`(training, inference)`, e.g. `kept_value = (0.25, 2.5)`, as decimals or fractions",
    mistakes=(
        Mistake((0.0, None), "In training mode the value is kept, not dropped: a dropped value would be 0."),
        Mistake((1.0, None), "In training mode, Keras' Dropout does not pass a kept value on unchanged: "
                             "it makes up for the values it drops."),
        Mistake((_KEEP, None), "Multiplying by the fraction kept is how the original dropout scaled, at "
                               "inference; Keras' (inverted) dropout scales during training instead, "
                               "so that the expected output equals the input."),
        Mistake((1 / 0.3, None), "You scaled by the drop rate; the scaling uses the fraction that is kept."),
        Mistake((None, _KEEP), "In inference mode Keras' Dropout scales nothing: the training-time scaling "
                               "already keeps the expected value right."),
        Mistake((None, 1 / _KEEP), "In inference mode nothing is dropped, so there is nothing to make up for."),
        Mistake((None, 0.0), "In inference mode Keras' Dropout drops nothing."),
    ),
    hints=(
        "Keras uses inverted dropout: during training the values that are kept are scaled so that, on "
        "average, the layer's output equals its input. What does that ask of a kept value when 30% are "
        "dropped? And what is left to do at inference?",
        "During training a kept value is divided by the fraction kept, 1 - rate. At inference the layer "
        "passes its input through as it is.",
    ),
)


dropout_forward = InvertedDropoutQuestion(
    qid="red_wine.dropout_forward",
    title="Question 6, implement dropout",
    variable="dropout_forward",
    signature="`dropout_forward(x, rate, training, rng)`",
    hints=(
        "In training mode, draw one random number per value with `rng.random(x.shape)`; a value is dropped "
        "where its number is below `rate`. Every value that is kept must be scaled so that, on average, the "
        "output equals the input. In inference mode, what is left to do?",
        "`keep = rng.random(x.shape) >= rate` is a mask of the values kept; `x * keep / (1 - rate)` drops "
        "the others and scales the kept ones. When `training` is False, return `x` as it is.",
    ),
)

QUESTIONS = (dropout, batchnorm, input_bn, kept_value, dropout_forward)
