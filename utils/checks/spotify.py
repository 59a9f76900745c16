"""The Spotify exercise's graded questions (solutions/spotify)."""

from utils.questions.model_question import ModelQuestion, batchnorm_layer, dense, dropout_layer
from utils.questions.value_question import Mistake, ValueQuestion

N_INPUTS = 18  # 12 audio features + 6 one-hot playlist genres
_PLAIN = (dense(128, "relu"), dense(64, "relu"), dense(1))

dropout = ModelQuestion(
    qid="spotify.dropout",
    title="Question 1, dropout",
    variable="model",
    n_inputs=N_INPUTS,
    expected=(dense(128, "relu"), dropout_layer(0.3), dense(64, "relu"), dropout_layer(0.3), dense(1)),
    starter=_PLAIN,
    hints=(
        "Dropout is a layer of its own, placed in the list of layers. Its argument is the fraction "
        "of inputs it drops at each training step.",
        "Two Dropout layers at 30%: one directly after the 128-unit layer and one directly after the "
        "64-unit layer. Nothing after the output layer.",
    ),
)

batchnorm = ModelQuestion(
    qid="spotify.batchnorm",
    title="Question 2, batch normalization",
    variable="bn_model",
    n_inputs=N_INPUTS,
    wording="before",
    expected=(batchnorm_layer(), dense(128, "relu"), batchnorm_layer(), dense(64, "relu"), batchnorm_layer(), dense(1)),
    starter=_PLAIN,
    hints=(
        "The trouble starts at the very first layer, which sees durations in the hundreds of thousands. "
        "A normalization layer has to come before a Dense layer to help it.",
        "Three `layers.BatchNormalization()`: right after `keras.Input(...)`, right before the 64-unit "
        "layer and right before the output layer.",
    ),
)


bn_params = ValueQuestion(
    qid="spotify.bn_params",
    title="Question 3, predict the parameters",
    variable="bn_params",
    parts=("total", "trainable"),
    expected=(4 * 128, 2 * 128),
    form="`(total, trainable)`, e.g. `bn_params = (10, 4)`",
    mistakes=(
        Mistake((4 * 18, 2 * 18), "Those are the counts of the BatchNormalization right after the input; "
                                  "the question is about the one before the 64-unit layer."),
        Mistake((4 * 64, 2 * 64), "You counted the features of the wrong layer: a BatchNormalization "
                                  "normalizes what comes into it, the outputs of the layer before it."),
        Mistake((2 * 128, 2 * 128), "Your total counts only what gradient descent trains; the layer also "
                                    "stores statistics of its own, per feature, which count as parameters too."),
        Mistake((4 * 128, 4 * 128), "Not every parameter of this layer is trainable: some are updated by "
                                    "averaging over batches, not by gradient descent."),
        Mistake((4 * 128, 0), "Some of this layer's parameters are trained by gradient descent, like a "
                              "Dense layer's weights."),
        Mistake((2 * 128, None), "The total is too small: count every vector the layer keeps per feature, "
                                 "trained or not."),
    ),
    hints=(
        "A BatchNormalization layer keeps a few vectors, each with one number per feature it normalizes. "
        "How many features come into the layer before the 64-unit Dense layer, and which of its vectors "
        "does gradient descent change?",
        "It keeps four vectors (a scale `gamma`, a shift `beta`, a moving mean and a moving variance), each "
        "as long as the number of features coming in. Only `gamma` and `beta` are trained by gradient descent.",
    ),
)

QUESTIONS = (dropout, batchnorm, bn_params)
