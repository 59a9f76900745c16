"""utils.figures: the lessons' explanatory figures."""

from __future__ import annotations


import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Circle

from utils import figures


# Lessons run with warnings as errors; so do these tests (conftest.py).
pytestmark = pytest.mark.usefixtures("strict_warnings")


def test_dropout_masks_keep_inputs_and_output_whole_and_one_unit_per_layer():
    rng = np.random.default_rng(0)
    for rate in (0.0, 0.5, 0.999999):
        masks = figures.dropout_masks((3, 5, 5, 1), rate, rng)
        assert [m.shape for m in masks] == [(3,), (5,), (5,), (1,)]
        assert masks[0].all() and masks[-1].all()
        assert all(m.any() for m in masks[1:-1])
        if rate == 0.0:
            assert all(m.all() for m in masks)
        if rate > 0.99:
            assert all(m.sum() == 1 for m in masks[1:-1])


def test_draw_network_leaves_out_the_connections_of_dropped_units():
    fig, ax = plt.subplots()
    masks = [np.array([True, True]), np.array([True, False, True]), np.array([True])]
    figures.draw_network(ax, (2, 3, 1), masks, "step")
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(circles) == 6
    # 2 inputs x 2 kept hidden + 2 kept hidden x 1 output, plus a cross (2 strokes)
    assert len(ax.lines) == 2 * 2 + 2 * 1 + 2
    assert ax.get_title() == "step"


def test_thinned_networks_shows_each_step_and_the_whole_network():
    fig = figures.thinned_networks(layer_sizes=(4, 6, 6, 1), rate=0.5, steps=3, seed=1)
    titles = [ax.get_title() for ax in fig.axes]
    assert [t.split("\n")[0] for t in titles] == [
        "Training step 1", "Training step 2", "Training step 3", "Predicting"]
    assert "0.5" in fig._suptitle.get_text()
    assert fig.legends
    again = figures.thinned_networks(layer_sizes=(4, 6, 6, 1), rate=0.5, steps=3, seed=1)
    assert [ax.get_title() for ax in again.axes] == titles  # same seed, same drops


def test_scales_before_after_labels_every_feature_and_checks_shapes():
    rng = np.random.default_rng(0)
    before = rng.normal([0, 100, 1], [1, 30, 0.01], size=(64, 3))
    after = (before - before.mean(axis=0)) / before.std(axis=0)
    fig = figures.scales_before_after(before, after, ["a", "b", "c"], title="T")
    left, right = fig.axes
    assert [t.get_text() for t in left.get_yticklabels()] == ["c", "b", "a"]
    assert left.get_xlabel() and right.get_xlabel() and left.get_title() and right.get_title()
    with pytest.raises(ValueError):
        figures.scales_before_after(before, after[:, :2], ["a", "b", "c"])


def test_epochs_to_target_plot_marks_runs_that_never_got_there():
    from types import SimpleNamespace

    from utils.plotting import plot_epochs_to_target

    def point(bn, lr, epochs, diverged=False):
        return SimpleNamespace(batchnorm=bn, learning_rate=lr, epochs_to_target=epochs, diverged=diverged)

    points = [point(False, 0.01, 7), point(False, 0.1, None, True), point(True, 0.01, 3), point(True, 0.1, 4)]
    ax = plot_epochs_to_target(points, "Sweep", target=0.5, max_epochs=10)
    assert ax.get_title() == "Sweep" and ax.get_xscale() == "log"
    assert "0.5" in ax.get_ylabel() and ax.get_xlabel()
    assert [t.get_text() for t in ax.texts] == ["diverged"]
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {
        "without batchnorm", "with batchnorm between layers"}
    plt.close(ax.figure)
