"""The Spotify exercise's graded questions (solutions/spotify)."""

from utils.questions.model_question import ModelQuestion, batchnorm_layer, dense, dropout_layer
from utils.questions.batchnorm_function import BatchNormQuestion
from utils.questions.choice_question import ChoiceQuestion
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


_PROBLEMS = ("overfitting", "diverging", "learning too slowly", "moving averages lagging")
_FIXES = ("add dropout", "lower the learning rate", "raise the learning rate",
          "smaller batches or a lower momentum", "standardize the inputs")
_NOT_BN = ("That targets batch normalization's moving averages; in run {case} the validation loss "
           "{how}, which points elsewhere.")
diagnosis = ChoiceQuestion(
    qid="spotify.diagnosis",
    title="Question 4, diagnose three runs",
    variable="diagnosis",
    cases=("A", "B", "C"),
    fields=("problem", "fix"),
    options={"problem": _PROBLEMS, "fix": _FIXES},
    expected={"A": ("moving averages lagging", ("smaller batches or a lower momentum", "standardize the inputs")),
              "B": ("learning too slowly", "raise the learning rate"),
              "C": ("overfitting", "add dropout")},
    mistakes={
        ("A", "problem", "overfitting"): "its validation loss falls epoch after epoch; overfitting shows as a "
                                         "validation loss that turns up while the training loss keeps falling.",
        ("A", "problem", "diverging"): "its losses are finite and falling; a diverging run's loss grows or "
                                       "becomes NaN.",
        ("A", "problem", "learning too slowly"): "its training loss is already below always predicting the mean. "
                                                 "What keeps its validation loss so far above it, most of all "
                                                 "in the first epochs?",
        ("A", "fix", "add dropout"): "dropout fights memorising the training set; run A's trouble is in what the "
                                     "model uses when it predicts.",
        ("A", "fix", "lower the learning rate"): "run A's training goes well; the learning rate is not what "
                                                 "separates its two curves.",
        ("A", "fix", "raise the learning rate"): "run A's training goes well; the learning rate is not what "
                                                 "separates its two curves.",
        ("B", "problem", "overfitting"): "its validation loss is no higher than its training loss, and still falling.",
        ("B", "problem", "diverging"): "its loss falls steadily; nothing blows up.",
        ("B", "problem", "moving averages lagging"): "its validation loss follows its training loss closely, so "
                                                     "nothing differs between training and prediction.",
        ("B", "fix", "add dropout"): "dropout would slow learning further, and run B memorises nothing.",
        ("B", "fix", "lower the learning rate"): "smaller steps: would that help a run that has moved so little "
                                                 "in 20 epochs?",
        ("B", "fix", "smaller batches or a lower momentum"): _NOT_BN.format(case="B", how="follows the training loss"),
        ("B", "fix", "standardize the inputs"): "the curves start at a sensible loss and fall smoothly, just "
                                                "slowly: the scale of the inputs is not what holds run B back.",
        ("C", "problem", "diverging"): "its training loss falls; nothing blows up.",
        ("C", "problem", "learning too slowly"): "its training loss falls far below always predicting the median; "
                                                 "its trouble is on the validation side.",
        ("C", "problem", "moving averages lagging"): "the gap in run C grows as training goes on instead of "
                                                     "shrinking.",
        ("C", "fix", "lower the learning rate"): "smaller steps would only slow run C down on its way to "
                                                 "memorising its training set.",
        ("C", "fix", "raise the learning rate"): "run C already fits its training set better and better; faster "
                                                 "would only memorise it sooner.",
        ("C", "fix", "smaller batches or a lower momentum"): _NOT_BN.format(case="C", how="turns up after two epochs"),
        ("C", "fix", "standardize the inputs"): "run C fits its training data well, so its inputs are no "
                                                "obstacle; the trouble starts after the first few epochs.",
    },
    form='`{"A": (problem, fix), "B": (problem, fix), "C": (problem, fix)}`, with choices from the lists above',
    hints=(
        "Read each run in three steps: does the training loss fall, and below the dotted line? Is the "
        "validation loss close to it? And does the gap between them grow or shrink with the epochs?",
        "A validation loss that turns up while the training loss keeps falling is memorising; one far "
        "above training from the first epoch and shrinking is a mismatch between training and prediction; "
        "two curves close together, falling slowly and still above the dotted line are a run that is "
        "learning too slowly.",
    ),
)

batchnorm_forward = BatchNormQuestion(
    qid="spotify.batchnorm_forward",
    title="Question 5, implement batch normalization",
    variable="batchnorm_forward",
    signature="`batchnorm_forward(x, gamma, beta, moving_mean, moving_var, training)`",
    hints=(
        "Work feature by feature, down the batch: `x.mean(axis=0)` and `x.var(axis=0)`. In training mode "
        "normalize with those; in inference mode with the moving averages. Then scale by `gamma`, shift by "
        "`beta`. Where does epsilon (0.001) go, and how far does each moving average move in one step?",
        "Normalized: `(x - mean) / np.sqrt(var + 0.001)`, output `gamma * normalized + beta`. In training mode "
        "the new moving mean is `0.99 * moving_mean + 0.01 * mean`, and the same for the variance; in "
        "inference mode return the moving averages unchanged.",
    ),
)

QUESTIONS = (dropout, batchnorm, bn_params, diagnosis, batchnorm_forward)
