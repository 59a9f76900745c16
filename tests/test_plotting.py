"""Learning-curve plots: labelled, and still drawn for a run shorter than the skipped epochs."""

import matplotlib

matplotlib.use("Agg")

from utils.plotting import compare_learning_curves, plot_learning_curves  # noqa: E402

CURVES = {"loss": [3.0, 2.0, 1.5, 1.2, 1.1, 1.0], "val_loss": [3.1, 2.4, 1.9, 1.8, 1.8, 1.9]}


def test_curves_have_title_labels_and_skip_early_epochs():
    ax = plot_learning_curves(CURVES, "Run", start_epoch=2)
    assert ax.get_title() == "Run" and ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert list(ax.lines[0].get_xdata()) == [3, 4, 5, 6]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training", "validation"]


def test_a_run_shorter_than_the_skip_is_drawn_whole():
    short = {"loss": [3.0, 2.0], "val_loss": [3.1, 2.4]}  # fast grading mode: 2 epochs
    ax = plot_learning_curves(short, start_epoch=5)
    assert list(ax.lines[0].get_xdata()) == [1, 2]


def test_comparison_has_one_panel_per_run():
    fig = compare_learning_curves({"a": CURVES, "b": CURVES}, "Both")
    assert [ax.get_title() for ax in fig.axes] == ["a", "b"]
    assert fig._suptitle.get_text() == "Both"
