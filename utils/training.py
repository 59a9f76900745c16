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


def progress_bar():
    """One tqdm bar for the whole run (epochs), none per batch."""
    from tqdm.keras import TqdmCallback

    return TqdmCallback(verbose=0, leave=True, bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} epochs")


def train(model, X_train, y_train, X_valid, y_valid, *, epochs: int, batch_size: int,
          progress: bool = True, callbacks=()):
    """Fit ``model`` and return its History.

    ``epochs`` is the full count; in fast (grading) mode it shrinks, see
    ``utils.settings.epochs``. Data is not shuffled differently between runs:
    Keras shuffles with the seeded global generator.
    """
    global FIT_SECONDS
    extra = [progress_bar()] if progress else []
    start = time.perf_counter()
    try:
        return model.fit(
            X_train, y_train,
            validation_data=(X_valid, y_valid),
            epochs=course_epochs(epochs),
            batch_size=batch_size,
            verbose=0,
            callbacks=[*extra, *callbacks],
        )
    finally:
        FIT_SECONDS += time.perf_counter() - start
