"""utils.experiments and the lessons' progress bar: fast unit tests.

The claims the experiments support are tested across seeds in
test_lesson_claims.py; here only the machinery, with tiny runs.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import nbformat
import numpy as np
import pytest

from utils import experiments as ex
from utils.prepare import Split

LESSON_2 = Path(__file__).resolve().parent.parent / "lessons" / "2_batchnorm.ipynb"


# Lessons run with warnings as errors; so do these tests (conftest.py).
pytestmark = pytest.mark.usefixtures("strict_warnings")


@pytest.fixture(autouse=True)
def full_training(monkeypatch):
    monkeypatch.setenv("COURSE_FAST_MODE", "0")


def tiny(name="tiny", *, standardize=True, optimizer=None, loss="mae", epochs=2):
    import keras

    return ex.Setup(name=name, standardize=standardize, build=lambda n: ex.dense_network(n, (4,)),
                    optimizer=optimizer or (lambda: keras.optimizers.Adam()), loss=loss,
                    batch_size=256, epochs=epochs)


# ------------------------------------------------------------------ networks


def test_dense_network_puts_dropout_after_each_hidden_layer_and_batchnorm_first():
    model = ex.dense_network(11, (8, 4), dropout=0.5, batchnorm_first=True)
    assert model.input_shape == (None, 11)
    assert ex.layer_chain(model) == (
        "BatchNormalization → Dense(8, relu) → Dropout(0.5) → Dense(4, relu) → Dropout(0.5) → Dense(1)")
    assert ex.layer_chain(ex.dense_network(3, (2,))) == "Dense(2, relu) → Dense(1)"


def test_layer_chain_names_separate_activations():
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(5), layers.BatchNormalization(),
                              layers.Activation("relu"), layers.Dense(1)])
    assert ex.layer_chain(model) == "Dense(5) → BatchNormalization → Activation('relu') → Dense(1)"


def test_the_compared_set_ups_differ_only_in_what_is_compared():
    def same_except(a, b, *fields):
        keep = {f: getattr(a, f) for f in ("name", "build", *fields)}
        return replace(b, **keep) == a

    assert same_except(ex.WITHOUT_DROPOUT, ex.WITH_DROPOUT)
    assert same_except(ex.RAW_NO_BN, ex.RAW_BN_FIRST)
    assert same_except(ex.RAW_BN_FIRST, ex.SCALER_NO_BN, "standardize")
    chains = [ex.layer_chain(s.build(11)) for s in ex.DROPOUT_EXPERIMENT]
    assert chains[1].replace(" → Dropout(0.3)", "") == chains[0]
    chains = [ex.layer_chain(s.build(11)) for s in ex.SGD_RAW_EXPERIMENT]
    assert chains[1] == "BatchNormalization → " + chains[0]


def test_lesson_2_spells_out_the_worked_example_that_is_tested():
    """The notebook writes the network out for students; the claims test uses
    WORKED_EXAMPLE. Both must be the same network, optimizer, loss and schedule."""
    import keras
    from keras import layers

    cells = {c.get("id"): c.source for c in nbformat.read(LESSON_2, as_version=4).cells}
    namespace = {"keras": keras, "layers": layers, "experiments": ex, "print": lambda *a, **k: None,
                 "seed_everything": lambda seed: None}
    exec(cells["worked_model"], namespace)
    model = namespace["model"]
    assert ex.layer_chain(model) == ex.layer_chain(ex.WORKED_EXAMPLE.build(11))
    assert type(model.optimizer) is type(ex.WORKED_EXAMPLE.optimizer())
    assert model.loss == ex.WORKED_EXAMPLE.loss
    assert "seed_everything(0)" in cells["worked_model"]
    train_call = cells["worked_train"]
    assert re.search(rf"epochs={ex.WORKED_EXAMPLE.epochs}\b", train_call)
    assert re.search(rf"batch_size={ex.WORKED_EXAMPLE.batch_size}\b", train_call)
    assert "red_wine_split()" in cells["raw_scales"]  # raw inputs, as WORKED_EXAMPLE


# ------------------------------------------------------------------ results


def test_mean_only_loss_uses_mean_for_mse_and_median_for_mae():
    y_train = np.array([1.0, 2.0, 6.0], dtype="float32")  # mean 3, median 2
    y_valid = np.array([2.0, 4.0], dtype="float32")
    split = Split(np.zeros((3, 1)), np.zeros((2, 1)), y_train, y_valid, ("x",))
    assert ex.mean_only_loss(split, "mse") == pytest.approx((1 + 1) / 2)
    assert ex.mean_only_loss(split, "mae") == pytest.approx((0 + 2) / 2)
    with pytest.raises(ValueError):
        ex.mean_only_loss(split, "huber")


def _result(name, *, diverged=False):
    if diverged:
        return ex.RunResult(name, 0, {"loss": [math.inf], "val_loss": [math.nan]},
                            math.nan, math.nan, math.nan, True, 1)
    return ex.RunResult(name, 0, {"loss": [2.0, 1.0, 0.5], "val_loss": [2.5, 1.2, 0.9]},
                        0.4, 0.9, 0.9, False, 3)


def test_comparison_summary_prints_the_figures_and_marks_divergence():
    comparison = ex.Comparison("Test", 0, (_result("fine"), _result("broken", diverged=True)),
                               loss="mse", mean_only=1.25)
    text = comparison.summary()
    assert text.splitlines()[0] == "Test (seed 0, loss MSE)"
    fine = next(line for line in text.splitlines() if line.startswith("fine"))
    assert fine.split() == ["fine", "0.9000", "0.4000", "0.9000", "+0.5000", "no"]
    broken = next(line for line in text.splitlines() if line.startswith("broken"))
    assert "yes, in epoch 1" in broken and "nan" not in broken
    assert "mean quality: validation MSE 1.2500" in text
    assert "median" in replace(comparison, loss="mae").summary()
    assert str(comparison) == text
    assert comparison["fine"].gap == pytest.approx(0.5)
    with pytest.raises(KeyError, match="fine"):
        comparison["missing"]


def test_histories_hide_infinite_losses_and_name_the_diverged_run():
    curves = ex.Comparison("T", 0, (_result("fine"), _result("broken", diverged=True))).histories()
    assert list(curves) == ["fine", "broken\n(diverged in epoch 1)"]
    assert math.isnan(curves["broken\n(diverged in epoch 1)"]["loss"][0])


def test_plot_draws_every_run_and_explains_the_diverged_one():
    comparison = ex.Comparison("T", 0, (_result("fine"), _result("broken", diverged=True)))
    fig = comparison.plot("Title", logy=True)
    fine, broken = fig.axes
    assert fine.get_yscale() == "log" and fine.get_title() == "fine"
    assert any("NaN" in t.get_text() for t in broken.texts)
    assert fig._suptitle.get_text() == "Title"


# ------------------------------------------------------------------ running


def test_a_run_is_repeatable_and_measured():
    first, second = ex.run(tiny(), seed=3, progress=False), ex.run(tiny(), seed=3, progress=False)
    assert first == second
    assert first.epochs_run == 2 and not first.diverged
    assert first.min_val_loss == min(first.history["val_loss"])
    assert first.val_loss == first.history["val_loss"][-1]
    assert math.isfinite(first.train_loss)


def test_divergence_stops_training_and_is_reported():
    import keras

    exploding = tiny(standardize=False, loss="mse", epochs=5,
                     optimizer=lambda: keras.optimizers.SGD(learning_rate=10.0))
    result = ex.run(exploding, seed=0, progress=False)
    assert result.diverged
    assert result.epochs_run < 5  # stopped early
    assert math.isnan(result.min_val_loss) and math.isnan(result.gap)


def test_compare_reuses_runs_instead_of_training_again(monkeypatch):
    done = ex.RunResult("tiny", 5, {"loss": [1.0], "val_loss": [1.0]}, 1.0, 1.0, 1.0, False, 1)

    def no_training(*args, **kwargs):
        raise AssertionError("trained although a run was given to reuse")

    monkeypatch.setattr(ex, "run", no_training)
    comparison = ex.compare([tiny()], "Reuse", seed=5, reuse=[done])
    assert comparison.runs == (done,)
    assert comparison.mean_only == pytest.approx(ex.mean_only_loss(ex.red_wine(False), "mae"))


# ------------------------------------------------------------------ progress bar


def _as_displayed(text: str) -> list[str]:
    """Apply carriage returns the way a terminal, JupyterLab and nbval do."""
    return [line.rsplit("\r", 1)[-1] for line in text.split("\n") if line.rsplit("\r", 1)[-1]]


def test_progress_bar_ends_in_one_line_without_timings(capsys):
    from utils.training import train

    split = ex.red_wine(True)
    model = ex.dense_network(split.n_features, (4,))
    model.compile(optimizer="adam", loss="mae")
    train(model, split.X_train, split.y_train, split.X_valid, split.y_valid, epochs=3, batch_size=512)
    out, err = capsys.readouterr()
    assert _as_displayed(out) == ["100%|" + "█" * 30 + "| 3/3 epochs"]
    assert err == ""


def test_labelled_runs_show_their_name_on_the_bar(capsys):
    ex.run(tiny("labelled"), seed=0)
    assert _as_displayed(capsys.readouterr().out) == ["labelled: 100%|" + "█" * 30 + "| 2/2 epochs"]


# ------------------------------------------------------------------ worked example control, variance shift


def test_the_worked_example_control_only_takes_out_batchnorm():
    def same_except_build(a, b):
        return replace(b, name=a.name, build=a.build) == a

    assert same_except_build(ex.WORKED_EXAMPLE_WITHOUT_BN, ex.WORKED_EXAMPLE)
    with_bn = ex.layer_chain(ex.WORKED_EXAMPLE.build(11))
    assert ex.layer_chain(ex.WORKED_EXAMPLE_WITHOUT_BN.build(11)) == with_bn.replace(" → BatchNormalization", "")


def _dropout_then_batchnorm(rate):
    import keras
    from keras import layers

    return keras.Sequential([keras.Input(shape=(3,)), layers.Dense(16, activation="relu"),
                             layers.Dropout(rate, seed=2), layers.BatchNormalization(), layers.Dense(1)])


def test_variance_shift_is_below_one_under_dropout_and_leaves_the_model_unchanged():
    import keras

    keras.utils.set_random_seed(0)
    X = np.random.default_rng(0).normal(size=(2000, 3)).astype("float32")
    model = _dropout_then_batchnorm(0.5)
    bn = model.layers[2]
    bn.moving_mean.assign(np.full(16, 0.25, dtype="float32"))
    before = [v.numpy().copy() for v in (bn.moving_mean, bn.moving_variance)]
    shift = ex.variance_shift(model, X)
    after = [v.numpy() for v in (bn.moving_mean, bn.moving_variance)]
    assert all(np.array_equal(b, a) for b, a in zip(before, after))
    assert 0.1 < shift < 0.9
    assert ex.variance_shift(_dropout_then_batchnorm(0.0), X) == pytest.approx(1.0, abs=1e-4)
    with pytest.raises(ValueError, match="no BatchNormalization"):
        ex.variance_shift(ex.dense_network(3, (4,), dropout=0.5), X)
