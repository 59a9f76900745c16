"""Learning-curve plots, so no notebook repeats plotting code."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt


def _history_dict(history) -> Mapping[str, list[float]]:
    """Accept a Keras History or its ``.history`` dict."""
    return getattr(history, "history", history)


def plot_learning_curves(history, title: str = "Learning curves", *, ax=None, start_epoch: int = 0):
    """Training and validation loss per epoch for one run; returns the Axes."""
    curves = _history_dict(history)
    if ax is None:
        _, ax = plt.subplots()
    # A short run (fast grading mode) has fewer epochs than the plot would skip.
    start_epoch = start_epoch if start_epoch < len(curves.get("loss", [])) else 0
    for key, label, style in (("loss", "training", "-"), ("val_loss", "validation", "--")):
        if key in curves:
            values = list(curves[key])[start_epoch:]
            ax.plot(range(start_epoch + 1, start_epoch + len(values) + 1), values, style, label=label)
    ax.set(title=title, xlabel="epoch", ylabel="loss")
    ax.legend()
    return ax


def compare_learning_curves(histories: Mapping[str, object], title: str, *, start_epoch: int = 0,
                            sharey: bool = False):
    """One panel per run, side by side, for controlled comparisons; returns the Figure."""
    fig, axes = plt.subplots(1, len(histories), figsize=(5 * len(histories), 4), sharey=sharey,
                             squeeze=False)
    for ax, (label, history) in zip(axes[0], histories.items()):
        plot_learning_curves(history, title=label, ax=ax, start_epoch=start_epoch)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
