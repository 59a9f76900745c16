"""Lesson 2's last experiments: where dropout goes next to batchnorm, and
where batchnorm reaches its limits.

Same conventions as ``utils.experiments`` (whose ``Setup``, runs and
comparisons these reuse): the notebook only calls these functions and prints or
plots; ``tests/test_lesson2_orders_and_limits.py`` runs the same set-ups over
seeds and checks every claim the lesson makes about them (the figures for
seeds 0-9 are in its docstring).

- **Orders** (``order_experiment``): the same small network with the four
  pieces of each hidden block in two orders, Dense → Dropout →
  BatchNormalization (the worked example's order) and Dense →
  BatchNormalization → ReLU → Dropout; nothing else differs. For every
  batchnorm layer of each trained network, ``OrderResult.variance_table``
  compares the variance its inputs really have at prediction time with the
  moving variance it divides by (``utils.experiments.batchnorm_inputs``).
- **Tiny batches**: ``batch_statistics_spread`` measures how far the mean and
  variance of batches of 4 and of 64 stray from the whole training set's;
  ``tiny_batch_experiment`` trains one network with batches of 4, with
  BatchNormalization or with LayerNormalization (the one change), and
  ``train_inference_mismatch`` compares each trained network as it predicts
  with what ``fit`` reported.
- **Freezing** (``freezing_demo``): what ``trainable=False`` and a
  ``training=False`` written into the model each do to a batchnorm layer
  during fine-tuning with ``fit`` (Keras 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from utils.experiments import (BatchNormInputs, Comparison, Setup, _adam, batchnorm_inputs, compare,
                               mean_only_loss, red_wine, run_keeping_model)

# ------------------------------------------------------------------ orders

ORDER_WIDTHS = (128, 128, 128)
ORDER_RATE = 0.3
DROPOUT_THEN_BN = "Dense → Dropout → BN"
BN_THEN_DROPOUT = "Dense → BN → ReLU → Dropout"


def order_network(n_features: int, order: str, *, widths: Sequence[int] = ORDER_WIDTHS,
                  rate: float = ORDER_RATE):
    """Hidden blocks of the given widths, then Dense(1). Each block holds the
    same four pieces, a Dense layer, ReLU, Dropout(rate) and
    BatchNormalization, in the order named by ``order``:

    - ``DROPOUT_THEN_BN``: Dense(relu) → Dropout → BatchNormalization, as in the
      worked example;
    - ``BN_THEN_DROPOUT``: Dense → BatchNormalization → Activation(relu) → Dropout.
    """
    import keras
    from keras import layers

    stack = [keras.Input(shape=(n_features,))]
    for width in widths:
        if order == DROPOUT_THEN_BN:
            stack += [layers.Dense(width, activation="relu"), layers.Dropout(rate),
                      layers.BatchNormalization()]
        elif order == BN_THEN_DROPOUT:
            stack += [layers.Dense(width), layers.BatchNormalization(), layers.Activation("relu"),
                      layers.Dropout(rate)]
        else:
            raise ValueError(f"unknown order {order!r}")
    stack.append(layers.Dense(1))
    return keras.Sequential(stack)


ORDER_SETUPS = tuple(
    Setup(name=order, standardize=True, build=lambda n, order=order: order_network(n, order),
          optimizer=_adam, loss="mae", batch_size=32, epochs=30)
    for order in (DROPOUT_THEN_BN, BN_THEN_DROPOUT))


@dataclass(frozen=True)
class OrderResult:
    """The order experiment for one seed: the runs side by side, and for each
    order what its batchnorm layers see (``utils.experiments.BatchNormInputs``,
    measured on the training wines)."""

    comparison: Comparison
    batchnorm: dict[str, list[BatchNormInputs]]

    def variance_table(self) -> str:
        """Per batchnorm layer: what comes before it, and the variance its
        inputs have at prediction time over the moving variance it divides by
        (median over units; 1 means they agree)."""
        lines = [f"{'order':<{len(BN_THEN_DROPOUT)}}  {'batchnorm layer':<15}  {'dropout before it':<24}  "
                 "prediction variance / moving variance"]
        for order, layers in self.batchnorm.items():
            for number, bn in enumerate(layers, start=1):
                before = ("directly" if bn.after_dropout else "through a Dense layer" if bn.dropout_upstream
                          else "none")
                lines.append(f"{order:<{len(BN_THEN_DROPOUT)}}  {number:<15}  {before:<24}  "
                             f"{bn.ratio('predicted', 'moving'):.2f}")
        return "\n".join(lines)


def order_experiment(seed: int = 0, *, progress: bool = True) -> OrderResult:
    """The same network, Dense → Dropout → BN against Dense → BN → ReLU → Dropout;
    then what each trained network's batchnorm layers see."""
    runs, batchnorm = [], {}
    for setup in ORDER_SETUPS:
        model, result = run_keeping_model(setup, seed, progress=progress)
        runs.append(result)
        batchnorm[setup.name] = batchnorm_inputs(model, red_wine(setup.standardize).X_train)
    comparison = Comparison(title="Dropout before or after batchnorm", seed=seed, runs=tuple(runs), loss="mae",
                            mean_only=mean_only_loss(red_wine(False), "mae"))
    return OrderResult(comparison, batchnorm)


# ------------------------------------------------------------------ tiny batches

TINY_BATCH = 4
USUAL_BATCH = 64
NORM_WIDTHS = (64, 64)
TINY_BATCH_EPOCHS = 3


def batch_statistics_spread(batch_size: int, *, seed: int = 0) -> tuple[float, float]:
    """How far a batch's statistics stray from the whole training set's.

    The standardized training wines (mean 0, variance 1 per feature) are
    shuffled with ``seed`` and cut into batches of ``batch_size``, as ``fit``
    does in an epoch. Returns the typical (median over batches and features)
    distance of a batch's mean from 0, and the typical factor by which a batch's
    variance is off from 1 (max(v, 1/v), so 2 means twice or half as large).
    """
    X = red_wine(True).X_train.astype("float64")
    X = X[np.random.default_rng(seed).permutation(len(X))]
    n = len(X) // batch_size * batch_size
    batches = X[:n].reshape(-1, batch_size, X.shape[1])
    means = batches.mean(axis=1)
    variances = np.maximum(batches.var(axis=1), 1e-6)
    return float(np.median(np.abs(means))), float(np.median(np.maximum(variances, 1 / variances)))


def normalized_network(n_features: int, norm: str, *, widths: Sequence[int] = NORM_WIDTHS):
    """Dense → norm → ReLU for each width, then Dense(1); ``norm`` is
    "batch" (BatchNormalization) or "layer" (LayerNormalization)."""
    import keras
    from keras import layers

    kinds = {"batch": layers.BatchNormalization, "layer": layers.LayerNormalization}
    stack = [keras.Input(shape=(n_features,))]
    for width in widths:
        stack += [layers.Dense(width), kinds[norm](), layers.Activation("relu")]
    stack.append(layers.Dense(1))
    return keras.Sequential(stack)


TINY_BATCH_BN = Setup(name=f"BatchNormalization, batches of {TINY_BATCH}", standardize=True,
                      build=lambda n: normalized_network(n, "batch"), optimizer=_adam, loss="mae",
                      batch_size=TINY_BATCH, epochs=TINY_BATCH_EPOCHS)
TINY_BATCH_LN = Setup(name=f"LayerNormalization, batches of {TINY_BATCH}", standardize=True,
                      build=lambda n: normalized_network(n, "layer"), optimizer=_adam, loss="mae",
                      batch_size=TINY_BATCH, epochs=TINY_BATCH_EPOCHS)
TINY_BATCH_EXPERIMENT = (TINY_BATCH_BN, TINY_BATCH_LN)


def tiny_batch_experiment(seed: int = 0, *, progress: bool = True) -> Comparison:
    """The same network and tiny batches, with BatchNormalization or LayerNormalization."""
    return compare(TINY_BATCH_EXPERIMENT, f"Batches of {TINY_BATCH}: batch or layer normalization", seed,
                   progress=progress)


def train_inference_mismatch(result) -> float:
    """Training MAE of the finished network as it predicts (inference mode)
    minus the training MAE ``fit`` reported in the last epoch (training mode).
    Without dropout, batchnorm is what makes the two modes differ."""
    return result.train_loss - result.history["loss"][-1]


# ------------------------------------------------------------------ freezing

FREEZE_SETTINGS = ("nothing frozen", "trainable=False", "training=False")
GOOD_WINE = 7          # fine-tuning data: only the wines rated 7 or better


@dataclass(frozen=True)
class FreezeResult:
    """One fine-tuning run of ``freezing_demo``: the batchnorm layer's numbers
    before and after ``fit``."""

    setting: str
    moving_mean_before: np.ndarray
    moving_mean_after: np.ndarray
    gamma_beta_before: np.ndarray
    gamma_beta_after: np.ndarray

    @property
    def moving_mean_moved(self) -> float:
        """Largest change of a moving mean."""
        return float(np.max(np.abs(self.moving_mean_after - self.moving_mean_before)))

    @property
    def gamma_beta_moved(self) -> float:
        """Largest change of a gamma or beta."""
        return float(np.max(np.abs(self.gamma_beta_after - self.gamma_beta_before)))


def _small_network(seed: int, training):
    """Input → BatchNormalization → Dense(16, relu) → Dense(1), seeded with
    ``seed``. Built with the functional API so that the batchnorm layer is
    called with ``training`` (None: whatever the model is called with)."""
    import keras
    from keras import layers

    from utils.settings import seed_everything

    seed_everything(seed)
    inputs = keras.Input(shape=(red_wine(True).n_features,))
    x = layers.BatchNormalization(name="bn")(inputs, training=training)
    x = layers.Dense(16, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(1)(x))


def freezing_demo(seed: int = 0, *, pretrain_epochs: int = 3, finetune_epochs: int = 3) -> list[FreezeResult]:
    """Train a small network on all training wines (standardized) for a few
    epochs, then fine-tune it on the good wines only, three ways: nothing
    frozen; its batchnorm layer set ``trainable=False`` (before compiling);
    its batchnorm layer called with ``training=False`` where the model is
    built. Every fine-tuning run starts from the same trained weights and the
    same seed. Returns the batchnorm layer's moving mean and its gamma and beta
    before and after fine-tuning.

    Keras 3 passes the ``training`` value that ``fit`` calls the model with
    (True) on to every layer, over a ``training=False`` given when the model
    was built: the third setting fine-tunes exactly like the first."""
    import keras

    from utils.settings import seed_everything

    split = red_wine(True)
    pretrained = _small_network(seed, None)
    pretrained.compile(optimizer=keras.optimizers.Adam(), loss="mae")
    pretrained.fit(split.X_train, split.y_train, epochs=pretrain_epochs, batch_size=64, verbose=0)
    good = split.y_train >= GOOD_WINE
    results = []
    for setting in FREEZE_SETTINGS:
        model = _small_network(seed, False if setting == "training=False" else None)
        model.set_weights(pretrained.get_weights())
        bn = model.get_layer("bn")
        if setting == "trainable=False":
            bn.trainable = False
        before = (bn.moving_mean.numpy().copy(), np.concatenate([bn.gamma.numpy(), bn.beta.numpy()]))
        seed_everything(seed)
        model.compile(optimizer=keras.optimizers.Adam(), loss="mae")
        model.fit(split.X_train[good], split.y_train[good], epochs=finetune_epochs, batch_size=16, verbose=0)
        results.append(FreezeResult(setting, before[0], bn.moving_mean.numpy().copy(), before[1],
                                    np.concatenate([bn.gamma.numpy(), bn.beta.numpy()])))
    return results
