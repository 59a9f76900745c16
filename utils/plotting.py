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


def plot_epochs_to_target(points, title: str, *, target: float, max_epochs: int, ax=None):
    """Epochs each run needed to reach a target training loss, against the
    learning rate (log scale), one line per kind of network.

    ``points`` are objects with ``batchnorm``, ``learning_rate``,
    ``epochs_to_target`` (None when not reached) and ``diverged``, as
    ``utils.experiments.learning_rate_sweep`` returns them. Runs that never
    reached the target are drawn as crosses on a line above ``max_epochs``.
    Returns the Axes.
    """
    if ax is None:
        _, ax = plt.subplots()
    never = max_epochs + 1.5
    for batchnorm, label, color in ((False, "without batchnorm", "#c05621"),
                                    (True, "with batchnorm between layers", "#2b6cb0")):
        runs = sorted((p for p in points if p.batchnorm == batchnorm), key=lambda p: p.learning_rate)
        xs = [p.learning_rate for p in runs]
        ys = [p.epochs_to_target if p.epochs_to_target is not None else never for p in runs]
        ax.plot(xs, ys, "-", color=color, alpha=0.5)
        reached = [(x, y) for x, y, p in zip(xs, ys, runs) if p.epochs_to_target is not None]
        failed = [(x, p) for x, p in zip(xs, runs) if p.epochs_to_target is None]
        if reached:
            ax.plot(*zip(*reached), "o", color=color, markersize=8, label=label)
        for x, p in failed:
            ax.plot([x], [never], "x", color=color, markersize=11, mew=2.5,
                    label=None if reached else label)
            ax.annotate("diverged" if p.diverged else "not reached", (x, never),
                        textcoords="offset points", xytext=(0, 9 if batchnorm else -16),
                        ha="center", fontsize=9, color=color)
    ax.axhline(max_epochs + 0.5, color="#a0aec0", lw=1, ls=":")
    ax.set_xscale("log")
    ax.set_xticks(sorted({p.learning_rate for p in points}),
                  [f"{lr:g}" for lr in sorted({p.learning_rate for p in points})])
    ax.minorticks_off()
    ax.set_ylim(0, never + 1.5)
    ax.set(title=title, xlabel="learning rate (plain SGD, log scale)",
           ylabel=f"epochs until training loss < {target:g}")
    ax.legend(loc="upper left")
    return ax
