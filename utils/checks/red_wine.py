"""The Red Wine exercise's graded questions (solutions/red_wine)."""

from utils.questions.model_spec import Compiled
from utils.questions.model_question import ModelQuestion, batchnorm_layer, dense, dropout_layer

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
    compile_as=Compiled(optimizer="adam", loss="mae"),
    starter_compile=Compiled(optimizer="sgd", loss="mse"),
    hints=(
        "Two changes: new layers, and a new optimizer and loss. Each hidden block becomes "
        "Dense, then Dropout, then a normalization layer.",
        "Add `layers.BatchNormalization()` directly after each of the three Dropout layers, and set "
        "`optimizer, loss = \"adam\", \"mae\"` before the compile call.",
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

QUESTIONS = (dropout, batchnorm, input_bn)
