"""Explanatory figures for the lessons (learning curves are in utils.plotting).

- ``thinned_networks``: a small network as dropout sees it, a different set of
  hidden units switched off at each training step, and whole at prediction time.
- ``scales_before_after``: per-feature distributions of one batch before and
  after a BatchNormalization layer.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

KEPT_COLOR = "#2b6cb0"
DROPPED_COLOR = "#c8c8c8"
EDGE_COLOR = "#4a5568"
LAYER_SPACING = 1.8


def dropout_masks(layer_sizes: Sequence[int], rate: float, rng: np.random.Generator) -> list[np.ndarray]:
    """One keep-mask per layer: the first (inputs) and last (output) layers are
    always whole; in each hidden layer every unit is dropped with probability
    ``rate``, but at least one unit survives."""
    masks = []
    for i, size in enumerate(layer_sizes):
        if i in (0, len(layer_sizes) - 1):
            masks.append(np.ones(size, dtype=bool))
            continue
        keep = rng.random(size) >= rate
        if not keep.any():
            keep[rng.integers(size)] = True
        masks.append(keep)
    return masks


def draw_network(ax, layer_sizes: Sequence[int], masks: Sequence[np.ndarray] | None = None,
                 title: str = "") -> None:
    """Draw units as circles and connections as lines on ``ax``.

    Units whose mask is False are drawn grey with a cross, and every connection
    touching them is left out: for this step they are not part of the network.
    """
    if masks is None:
        masks = [np.ones(n, dtype=bool) for n in layer_sizes]
    tallest = max(layer_sizes)
    xs = [LAYER_SPACING * i for i in range(len(layer_sizes))]
    positions = []
    for x, size in zip(xs, layer_sizes):
        # Units one apart, each layer centred on the tallest one; first unit on top.
        ys = (tallest - 1) / 2 + (size - 1) / 2 - np.arange(size)
        positions.append([(x, float(y)) for y in ys])

    for i in range(len(layer_sizes) - 1):
        for a, (xa, ya) in enumerate(positions[i]):
            for b, (xb, yb) in enumerate(positions[i + 1]):
                if masks[i][a] and masks[i + 1][b]:
                    ax.plot([xa, xb], [ya, yb], color=KEPT_COLOR, lw=0.9, alpha=0.55, zorder=1)

    radius = 0.22
    for layer_positions, mask in zip(positions, masks):
        for (x, y), kept in zip(layer_positions, mask):
            ax.add_patch(plt.Circle((x, y), radius, facecolor=KEPT_COLOR if kept else DROPPED_COLOR,
                                    edgecolor=EDGE_COLOR if kept else DROPPED_COLOR, lw=1.2, zorder=2))
            if not kept:
                d = radius * 0.6
                ax.plot([x - d, x + d], [y - d, y + d], color="white", lw=1.5, zorder=3)
                ax.plot([x - d, x + d], [y + d, y - d], color="white", lw=1.5, zorder=3)

    ax.set_xlim(-0.5, xs[-1] + 0.5)
    ax.set_ylim(-0.6, tallest - 0.4)
    ax.set_aspect("equal")
    hidden = [f"hidden {i}" for i in range(1, len(layer_sizes) - 1)]
    ax.set_xticks(xs, ["inputs", *hidden, "output"], fontsize=9)
    ax.set_yticks([])
    ax.grid(False)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title)


def thinned_networks(layer_sizes: Sequence[int] = (4, 6, 6, 1), rate: float = 0.5, steps: int = 3,
                     seed: int = 1):
    """One panel per training step, each with its own random set of dropped
    hidden units, and a last panel with the whole network used for predictions.
    Returns the Figure."""
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(1, steps + 1, figsize=(3.4 * (steps + 1), 4.4))
    for step, ax in enumerate(axes[:-1], start=1):
        masks = dropout_masks(layer_sizes, rate, rng)
        dropped = sum(int((~m).sum()) for m in masks)
        draw_network(ax, layer_sizes, masks, f"Training step {step}\n({dropped} units dropped)")
    draw_network(axes[-1], layer_sizes, None, "Predicting\n(every unit is back)")
    handles = [
        Line2D([], [], marker="o", ls="", markersize=10, markerfacecolor=KEPT_COLOR,
               markeredgecolor=EDGE_COLOR, label="active unit"),
        Line2D([], [], marker="o", ls="", markersize=10, markerfacecolor=DROPPED_COLOR,
               markeredgecolor=DROPPED_COLOR, label="dropped for this step"),
    ]
    fig.subplots_adjust(left=0.01, right=0.99, top=0.76, bottom=0.15, wspace=0.08)
    fig.legend(handles=handles, loc="lower center", ncol=2, frameon=False, fontsize=11)
    fig.suptitle(f"Dropout (rate {rate:g}) trains a different thinned network at every step", y=0.98)
    return fig


def scales_before_after(before: np.ndarray, after: np.ndarray, feature_names: Sequence[str],
                        title: str = "One batch before and after BatchNormalization"):
    """Box plots of each column of ``before`` and ``after`` (rows are examples),
    side by side with their own x-axes. Returns the Figure."""
    before, after = np.asarray(before), np.asarray(after)
    if before.shape != after.shape or before.shape[1] != len(feature_names):
        raise ValueError(f"shapes {before.shape} and {after.shape} do not match "
                         f"{len(feature_names)} feature names")
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    style = dict(orientation="horizontal", widths=0.6, patch_artist=True,
                 boxprops=dict(facecolor="#bee3f8", edgecolor=EDGE_COLOR),
                 medianprops=dict(color="#c05621", lw=2),
                 flierprops=dict(marker=".", markersize=3, markeredgecolor=EDGE_COLOR))
    # Reversed, so the first feature is at the top.
    names = list(feature_names)[::-1]
    left.boxplot(before[:, ::-1], tick_labels=names, **style)
    right.boxplot(after[:, ::-1], manage_ticks=False, **style)  # keeps the shared labels
    left.set(title="Before: each feature on its own scale", xlabel="value")
    right.set(title="After: every feature on one scale", xlabel="value after batchnorm")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
