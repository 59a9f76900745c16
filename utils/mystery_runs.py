"""Three training runs on the Spotify data for the exercise's "diagnose" question.

The student sees only their learning curves (stored in ``mystery_runs.json``, so the
notebook draws them instantly and identically on every computer) and names each
run's problem and fix (``utils.checks.spotify.diagnosis``). Each run has one thing
wrong:

- A: batch normalization first, on the raw inputs, with very large batches (few
  steps): its moving averages lag behind, so validation, which uses them, sits far
  above training;
- B: plain SGD with a learning rate far too small: both curves fall slowly, and after
  20 epochs still sit above the loss of always predicting the mean;
- C: a wide network without dropout on 1,500 songs: the validation loss is lowest
  after a couple of epochs and then rises while the training loss keeps falling.

Recompute (about a minute): ``python -m utils.mystery_runs``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

STORED = Path(__file__).with_name("mystery_runs.json")
SEED = 0


def _model(keras, n_inputs: int, *, widths, batchnorm_first: bool = False):
    from keras import layers

    stack = [keras.Input(shape=(n_inputs,))] + ([layers.BatchNormalization()] if batchnorm_first else [])
    stack += [layers.Dense(w, activation="relu") for w in widths] + [layers.Dense(1)]
    return keras.Sequential(stack)


def compute(seed: int = SEED) -> dict:
    """Train the three runs; their curves and each loss's mean-only baseline."""
    import keras

    from utils.prepare import spotify_split

    scaled, raw = spotify_split(), spotify_split(standardize=False)
    n = scaled.n_features
    runs = {
        "A": dict(data=raw, loss="mse", optimizer=lambda: "adam", epochs=20, batch_size=4096,
                  model=lambda: _model(keras, n, widths=(128, 64), batchnorm_first=True)),
        "B": dict(data=scaled, loss="mse", optimizer=lambda: keras.optimizers.SGD(learning_rate=0.001),
                  epochs=20, batch_size=512, model=lambda: _model(keras, n, widths=(128, 64))),
        "C": dict(data=scaled, loss="mae", optimizer=lambda: "adam", epochs=60, batch_size=64, n_train=1500,
                  model=lambda: _model(keras, n, widths=(512, 512))),
    }
    out = {}
    for name, run in runs.items():
        keras.utils.set_random_seed(seed)
        data = run["data"]
        X, y = data.X_train[:run.get("n_train")], data.y_train[:run.get("n_train")]
        model = run["model"]()
        model.compile(optimizer=run["optimizer"](), loss=run["loss"])
        history = model.fit(X, y, validation_data=(data.X_valid, data.y_valid), epochs=run["epochs"],
                            batch_size=run["batch_size"], verbose=0)
        guess = np.mean(y) if run["loss"] == "mse" else np.median(y)
        error = data.y_valid - guess
        baseline = float(np.mean(error ** 2) if run["loss"] == "mse" else np.mean(np.abs(error)))
        out[name] = {"loss": run["loss"].upper(), "training": [round(v, 5) for v in history.history["loss"]],
                     "validation": [round(v, 5) for v in history.history["val_loss"]],
                     "baseline": round(baseline, 5)}
    return out


def load() -> dict:
    return json.loads(STORED.read_text(encoding="utf-8"))["runs"]


def plot(runs: dict | None = None):
    """The three runs side by side, each with the loss of always predicting one value."""
    import matplotlib.pyplot as plt

    from utils.plotting import plot_learning_curves

    runs = load() if runs is None else runs
    fig, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), 4))
    for ax, (name, run) in zip(axes, runs.items()):
        plot_learning_curves({"loss": run["training"], "val_loss": run["validation"]}, f"Run {name}", ax=ax)
        guess = "mean" if run["loss"] == "MSE" else "median"
        ax.axhline(run["baseline"], color="grey", linestyle=":", label=f"always the {guess}")
        ax.set_ylabel(f"loss ({run['loss']})")
        ax.legend()
    fig.suptitle("Three runs you did not see: what went wrong in each?")
    fig.tight_layout()
    return fig


def main() -> int:
    import keras
    import tensorflow as tf

    runs = compute()
    STORED.write_text(json.dumps({"seed": SEED, "tensorflow": tf.__version__, "keras": keras.__version__,
                                  "runs": runs}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {STORED}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
