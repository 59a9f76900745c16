"""Training helpers shared by lessons and exercises.

``train`` is ``model.fit`` with the course's conventions: a compact tqdm
progress bar instead of Keras' per-step log, the fast-mode epoch count while
nbgrader grades, and a running total of time spent inside ``fit`` (the
benchmark reads it to separate training time from overhead).
"""

from __future__ import annotations

import time

from utils.settings import epochs as course_epochs

# Seconds spent inside model.fit in this process; see benchmarks/.
FIT_SECONDS = 0.0


# The bar's text: percentage, a bar of fixed width and "n/N epochs". No timings
# and no terminal-dependent width, so a finished bar always reads the same.
BAR_FORMAT = "{l_bar}{bar:30}| {n_fmt}/{total_fmt} epochs"


def progress_bar(epochs: int | None = None, desc: str = ""):
    """One text progress bar for the whole run (epochs), none per batch.

    Deliberately tqdm's plain text bar, written to stdout, and not the
    ``tqdm.auto`` default:

    - Inside a kernel ``tqdm.auto`` picks the ipywidgets bar. A saved notebook
      then holds only a reference to a widget that lived in the old kernel, and
      JupyterLab shows "Error displaying widget: model not found" where the bar
      was (plus the widget state is stored in the notebook's metadata).
    - The text bar redraws itself in place with carriage returns, live in
      JupyterLab and in a terminal. nbval applies those carriage returns before
      comparing, so only the finished bar counts, e.g.
      ``100%|██████████| 30/30 epochs``: no timings, so it compares like any
      other output and training cells need no ``nbval-ignore-output`` tag.
    - stdout rather than stderr: JupyterLab paints stderr like a warning, and
      nbgrader scores a test cell with stderr output zero.

    ``epochs`` sets the bar's total from the start (otherwise it is taken from
    ``fit`` when training begins); ``desc`` labels the bar.
    """
    import sys

    from tqdm.keras import TqdmCallback
    from tqdm.std import tqdm

    return TqdmCallback(epochs=epochs, verbose=0, tqdm_class=tqdm, file=sys.stdout, leave=True,
                        desc=desc or None, bar_format=BAR_FORMAT)


def train(model, X_train, y_train, X_valid, y_valid, *, epochs: int, batch_size: int,
          progress: bool = True, callbacks=()):
    """Fit ``model`` and return its History.

    ``epochs`` is the full count; in fast (grading) mode it shrinks, see
    ``utils.settings.epochs``. Data is not shuffled differently between runs:
    Keras shuffles with the seeded global generator.
    """
    global FIT_SECONDS
    n_epochs = course_epochs(epochs)
    extra = [progress_bar(n_epochs)] if progress else []
    start = time.perf_counter()
    try:
        return model.fit(
            X_train, y_train,
            validation_data=(X_valid, y_valid),
            epochs=n_epochs,
            batch_size=batch_size,
            verbose=0,
            callbacks=[*extra, *callbacks],
        )
    finally:
        FIT_SECONDS += time.perf_counter() - start


def stop_on_nan():
    """Keras' TerminateOnNaN without its message: stop training at the first batch
    whose loss is NaN or infinite. (Keras' own callback prints the batch number,
    which is not the same on every computer.)"""
    import math

    import keras

    class StopOnNaN(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            loss = (logs or {}).get("loss")
            if loss is not None and not math.isfinite(float(loss)):
                self.model.stop_training = True

    return StopOnNaN()


def diverged(history) -> bool:
    """True if the training or validation loss of a run is NaN or infinite anywhere."""
    import math

    curves = getattr(history, "history", history)
    return not all(math.isfinite(float(v)) for key in ("loss", "val_loss") for v in curves.get(key, ()))


def divergence_note(history) -> str:
    """One plain line for a run whose loss blew up (see ``diverged``)."""
    epochs = len(getattr(history, "history", history).get("loss", ()))
    return (f"The loss became NaN or infinite in epoch {epochs}, so training stopped there: "
            "the model learned nothing, and there are no learning curves to draw.")


def plot_unless_diverged(history, title: str, *, start_epoch: int = 0) -> None:
    """Show the learning curves of one run; for a run that diverged, print one
    line saying so instead of drawing empty axes."""
    if diverged(history):
        print(divergence_note(history))
        return
    import matplotlib.pyplot as plt

    from utils.plotting import plot_learning_curves

    plot_learning_curves(history, title, start_epoch=start_epoch)
    plt.show()
