"""The Spotify exercise's graded questions (solutions/spotify)."""

from utils.questions.model_question import ModelQuestion, batchnorm_layer, dense, dropout_layer

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

QUESTIONS = (dropout, batchnorm)
