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
