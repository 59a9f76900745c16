"""The lessons' claims hold for (almost) every seed, not just the one shown.

Each lesson runs its experiments for seed 0. Here the very same set-ups, from
``utils.experiments``, run for seeds 0-9, and each claim must hold for at least
9 of the 10. The figures the lessons' text quotes (rounded, "between about 0.1
and 0.2") must hold for every seed (the ``test_the_figures_quoted_*`` tests).
Runs are shared between assertions through module fixtures.

Measured on the development machine (2 CPU cores), seeds 0-9. In brackets where
TensorFlow's other numeric path gave other figures (TF_ENABLE_ONEDNN_OPTS=1 with
ONEDNN_MAX_CPU_ISA=AVX2, i.e. oneDNN as on a CPU without AVX-512; it moved the
figures most of the paths tried, see utils/nbval_tolerance.py). The margins of
the assertions hold on both.

Lesson 1, dropout (3 x Dense(256), standardized inputs, Adam, MAE, batch 64,
30 epochs). Gap = final validation MAE - final training MAE (inference mode):
    without dropout  +0.147 +0.175 +0.131 +0.118 +0.112 +0.115 +0.140 +0.133 +0.097 +0.161
                                       [+0.158]       [+0.090]                    [+0.169]
    with dropout     +0.016 -0.007 -0.000 -0.003 -0.014 -0.005 -0.002 -0.011 -0.010 -0.029
                    [+0.018]                           [-0.000]     [-0.029]
  Reported training minus validation loss, mean of the last 10 epochs:
    without dropout  -0.117 -0.148 -0.119 -0.226 -0.130 -0.142 -0.120 -0.106 -0.106 -0.132
                                       [-0.205]       [-0.144]                    [-0.134]
    with dropout     +0.066 +0.087 +0.065 +0.099 -0.050 +0.027 +0.081 +0.071 +0.045 +0.058
                    [+0.067]                           [+0.029]     [+0.062]
  Seed 0, best validation MAE: 0.486 without dropout, 0.490 with [0.489].

Lesson 1, the same experiment for 100 epochs (the one change); figures averaged over
the last 10 epochs, seeds 0-9, default path:
    without dropout  best val 0.472-0.493, val above best +0.041 to +0.100,
                     training MAE 0.218-0.346, gap +0.231 to +0.306
    with dropout     best val 0.445-0.485, val above best +0.014 to +0.037, gap +0.070 to +0.100;
                     last epochs' val lower than without by 0.033-0.101 in every seed;
                     best val lower in 9 seeds (by 0.018-0.034), 0.011 higher in seed 8
  The runs diverge between CPUs about as much as between seeds: seed 0 with
  TF_ENABLE_ONEDNN_OPTS=1 (AVX2 / all ISAs) gave without dropout training MAE 0.235 / 0.296
  (default 0.291) and val above best +0.044 / +0.062 (default +0.068). So the lesson
  quotes ranges over seeds, and stores only the verdicts (long_dropout_verdict), which
  held for every seed and both oneDNN runs of seeds 0 and 1.

Lesson 2, plain SGD 0.01 on raw inputs (Dense 64-64, MSE, batch 64, 20 epochs;
always predicting the mean: validation MSE 0.593). Identical on both paths:
    no batchnorm: diverged in epoch 1 for every seed
    batchnorm first, best val MSE   0.466 0.440 0.465 0.512 0.481 0.463 0.462 0.426 0.458 0.436
    StandardScaler, best val MSE    0.455 0.481 0.479 0.497 0.453 0.452 0.472 0.490 0.515 0.482
    (batchnorm first ahead in 6 seeds, the scaler in 4; at most 14.9% apart)
    batchnorm first, epoch-1 validation MSE 31-152 (3.5-15 x its training loss;
    the scaler run's: 1.4-1.8); within 2 x its best from epoch 8-11

Lesson 2, experiment 4 (six hidden Dense(64, relu), standardized inputs, plain SGD,
MSE, batch 64; epochs until the reported training loss < 0.5, at most 10), seeds 0-9:
    lr 0.01   without batchnorm  7 7 5 6 6 6 6 7 6 6     with  4 3 3 3 3 3 4 3 4 4
    lr 0.03   without batchnorm  6 3 3 4 5 3 2 4 3 3     with  3 3 4 3 3 3 3 3 3 3
    lr 0.1    without batchnorm  diverged (epoch 1) except seed 4 (6 epochs)
              with batchnorm     3 - 3 - 3 4 - 4 3 -     (-: diverged in epoch 1)
    [TF_ENABLE_ONEDNN_OPTS=1: the same, except with batchnorm at 0.03: 3 3 3 3 3 3 3 3 3 4,
     and at 0.1 seed 3 reached the target in 4 epochs (7 of 10 instead of 6)]

Lesson 2, worked example and its control without batchnorm (opt-in: about 45 s per
seed on an idle laptop, 18 minutes for ten on the loaded 2-core development machine).
Default path, seeds 0-9, best validation MAE (always predicting the median: 0.629):
    with batchnorm      0.535 0.532 0.548 0.533 0.552 0.530 0.539 0.536 0.540 0.556
    without batchnorm   0.791 0.633 0.667 0.612 0.673 0.893 0.689 0.576 0.751 0.611
    without batchnorm, final training MAE with nothing dropped: 1.25-1.60 (reported,
    with dropout: 0.66-0.77); none diverged.
    variance shift (prediction / training variance of the batchnorm layers' inputs,
    median over units): 0.232 0.260 0.119 0.175 0.173 0.122 0.174 0.151 0.203 0.160
    (seed 0 with TF_ENABLE_ONEDNN_OPTS=1: 0.20). The other seeds were not run on the
    oneDNN path.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from utils import experiments as ex

pytestmark = pytest.mark.slow

SEEDS = tuple(range(10))
MUST_HOLD = 9
# The worked example trains a 2-million-weight network for 60 epochs: about 20 s
# per seed, 3.5 minutes for ten. Its test runs only when asked for.
WORKED_EXAMPLE_OPT_IN = "COURSE_TEST_WORKED_EXAMPLE"
# Lesson 1 trained for 100 epochs: two runs of 1,800 steps per seed (about 25 s on an
# idle 2-core machine). Seeds 0-2 by default, where every claim must hold for each;
# COURSE_TEST_ALL_SEEDS=1 runs all ten (9 of 10 must hold).
LONG_SEEDS = SEEDS if os.environ.get("COURSE_TEST_ALL_SEEDS") == "1" else (0, 1, 2)


@pytest.fixture(scope="module", autouse=True)
def full_training():
    """The lessons' epoch counts, even if fast (grading) mode is set outside."""
    patch = pytest.MonkeyPatch()
    patch.setenv("COURSE_FAST_MODE", "0")
    yield
    patch.undo()


@pytest.fixture(scope="module")
def dropout_runs():
    runs = {seed: ex.dropout_experiment(seed, progress=False) for seed in SEEDS}
    for seed, comparison in runs.items():  # shown with pytest -rP
        print(f"seed {seed}: " + "; ".join(f"{r.name}: best val {r.min_val_loss:.4f}, final train "
                                           f"{r.train_loss:.4f}, final val {r.val_loss:.4f}" for r in comparison.runs))
    return runs


@pytest.fixture(scope="module")
def scaling_runs():
    runs = {}
    for seed in SEEDS:
        sgd = ex.sgd_raw_experiment(seed, progress=False)
        versus = ex.bn_vs_scaler_experiment(seed, progress=False, reuse=sgd.runs)
        runs[seed] = {r.name: r for r in (*sgd.runs, *versus.runs)}
    return runs


def holds_for_most(claim: str, outcomes: dict[int, tuple[bool, str]]) -> None:
    """``outcomes`` maps seed -> (claim held, figures); fail if it held for fewer
    than MUST_HOLD of the ten seeds (or, for fewer seeds, not for every one),
    listing the figures of every seed."""
    held = [seed for seed, (ok, _) in outcomes.items() if ok]
    must = MUST_HOLD if len(outcomes) >= len(SEEDS) else len(outcomes)
    report = "\n".join(f"  seed {seed}: {'ok ' if ok else 'NO '} {figures}"
                       for seed, (ok, figures) in outcomes.items())
    assert len(held) >= must, f"{claim}: held for {len(held)}/{len(outcomes)} seeds\n{report}"


# ------------------------------------------------------------------ lesson 1


def test_dropout_closes_the_gap_between_training_and_validation_loss(dropout_runs):
    outcomes = {}
    for seed, comparison in dropout_runs.items():
        plain, dropped = comparison[ex.WITHOUT_DROPOUT.name], comparison[ex.WITH_DROPOUT.name]
        ok = plain.gap > 0.05 and abs(dropped.gap) < 0.05
        outcomes[seed] = (ok, f"gap without {plain.gap:+.4f}, with {dropped.gap:+.4f}")
    holds_for_most("the plain network's gap is above 0.05, dropout's within ±0.05", outcomes)


def _late_offset(run, epochs=10):
    """Mean of (reported training loss - validation loss) over the last epochs."""
    pairs = list(zip(run.history["loss"], run.history["val_loss"]))[-epochs:]
    return sum(loss - val for loss, val in pairs) / len(pairs)


def test_with_dropout_the_training_curve_moves_up_against_the_validation_curve(dropout_runs):
    # The lesson's reading of the curves: Keras reports the thinned networks'
    # training loss, so with dropout the training curve sits higher relative to
    # the validation curve (in the lesson's run, above it).
    outcomes = {}
    for seed, comparison in dropout_runs.items():
        plain, dropped = comparison[ex.WITHOUT_DROPOUT.name], comparison[ex.WITH_DROPOUT.name]
        a, b = _late_offset(plain), _late_offset(dropped)
        outcomes[seed] = (a < 0 and b > a + 0.05,
                          f"training minus validation, last 10 epochs: without {a:+.3f}, with {b:+.3f}")
    holds_for_most("dropout lifts the reported training curve against the validation curve", outcomes)


def test_no_dropout_run_diverges(dropout_runs):
    outcomes = {seed: (not any(r.diverged for r in c.runs), str([r.diverged for r in c.runs]))
                for seed, c in dropout_runs.items()}
    holds_for_most("Adam on standardized inputs never diverges", outcomes)


# ------------------------------------------------------------------ lesson 1, trained longer


@pytest.fixture(scope="module")
def long_dropout_runs():
    runs = {seed: ex.long_dropout_experiment(seed, progress=False) for seed in LONG_SEEDS}
    for seed, comparison in runs.items():  # shown with pytest -rP
        print(f"seed {seed}: " + "; ".join(
            f"{r.name}: best val {r.min_val_loss:.4f}, last {ex.LATE_EPOCHS} epochs train {r.late_train:.4f} "
            f"val {r.late_val:.4f} gap {r.late_gap:+.4f} above best {r.rise:+.4f}" for r in comparison.runs))
    return runs


def _long_pair(comparison):
    return (comparison[s.name] for s in ex.LONG_DROPOUT_EXPERIMENT)


def test_trained_longer_the_network_without_dropout_overfits(long_dropout_runs):
    """Its validation loss turns up again while its training loss stays far below."""
    outcomes = {}
    for seed, comparison in long_dropout_runs.items():
        plain, _ = _long_pair(comparison)
        outcomes[seed] = (plain.rise > 0.03 and plain.late_gap > 0.2,
                          f"val above best {plain.rise:+.4f}, gap of the last epochs {plain.late_gap:+.4f}")
    holds_for_most("without dropout the validation loss ends above its best, the gap above 0.2", outcomes)


def _best_epoch(run) -> int:
    return run.history["val_loss"].index(run.min_val_loss) + 1


def _dropout_lower(runs, claim: str, figure, label: str) -> None:
    """``claim``: with dropout, ``figure(run)`` is lower than without."""
    outcomes = {}
    for seed, comparison in runs.items():
        plain, dropped = _long_pair(comparison)
        outcomes[seed] = (figure(dropped) < figure(plain),
                          f"{label} {figure(dropped):.4g} with, {figure(plain):.4g} without")
    holds_for_most(claim, outcomes)


def test_trained_longer_dropout_reaches_its_best_later(long_dropout_runs):
    _dropout_lower(long_dropout_runs, "trained longer, dropout's best validation loss comes later",
                   lambda run: -_best_epoch(run), "minus the best epoch")


def test_trained_longer_every_verdict_the_lesson_prints_holds(long_dropout_runs):
    """The lesson prints ``long_dropout_verdict`` (compared exactly by nbval, on any CPU)."""
    outcomes = {seed: ("NO" not in ex.long_dropout_verdict(c), ex.long_dropout_verdict(c).replace("\n", "; "))
                for seed, c in long_dropout_runs.items()}
    holds_for_most("every verdict of the longer run is yes", outcomes)


def test_trained_longer_dropout_rises_less(long_dropout_runs):
    _dropout_lower(long_dropout_runs, "trained longer, dropout's validation loss rises less above its best",
                   lambda run: run.rise, "above best")


def test_trained_longer_dropout_has_the_lower_best_validation_loss(long_dropout_runs):
    _dropout_lower(long_dropout_runs, "trained longer, dropout's best validation loss is the lower one",
                   lambda run: run.min_val_loss, "best val")


def test_the_figures_quoted_about_training_longer_hold(long_dropout_runs):
    """The lesson quotes ranges over seeds 0-9, rounded (slack of about 0.01)."""
    quoted = Quoted()
    for seed, comparison in long_dropout_runs.items():
        plain, dropped = _long_pair(comparison)
        for sentence, value, low, high in (
            ("without dropout, best val about 0.47 to 0.49", plain.min_val_loss, 0.46, 0.50),
            ("without dropout, about 0.04 to 0.10 above its best", plain.rise, 0.035, 0.11),
            ("without dropout, training MAE about 0.2 to 0.35", plain.late_train, 0.19, 0.36),
            ("without dropout, gap between about 0.23 and 0.31", plain.late_gap, 0.22, 0.32),
            ("with dropout, about 0.01 to 0.04 above its best", dropped.rise, 0.005, 0.05),
            ("with dropout, the gap about 0.07 to 0.10", dropped.late_gap, 0.06, 0.11),
            ("with dropout, lower than without by about 0.03 to 0.10",
             plain.late_val - dropped.late_val, 0.025, 0.11),
            ("with dropout, best val lower by about 0.02 to 0.03, or about 0.01 higher",
             plain.min_val_loss - dropped.min_val_loss, -0.015, 0.04),
        ):
            quoted.check(low <= value <= high, sentence, f"seed {seed}: {value:+.4f}")
    quoted.assert_all_hold()


# ------------------------------------------------------------------ lesson 2


def _baseline():
    return ex.mean_only_loss(ex.red_wine(False), "mse")


def test_plain_sgd_on_raw_inputs_diverges(scaling_runs):
    outcomes = {}
    for seed, runs in scaling_runs.items():
        run = runs[ex.RAW_NO_BN.name]
        outcomes[seed] = (run.diverged, f"diverged {run.diverged} after {run.epochs_run} epoch(s), "
                                        f"last loss {run.history['loss'][-1]}")
    holds_for_most("plain SGD on raw inputs diverges", outcomes)


def test_the_same_network_with_batchnorm_first_trains(scaling_runs):
    baseline = _baseline()
    outcomes = {}
    for seed, runs in scaling_runs.items():
        run = runs[ex.RAW_BN_FIRST.name]
        ok = not run.diverged and run.min_val_loss < 0.9 * baseline
        outcomes[seed] = (ok, f"best val MSE {run.min_val_loss:.4f} (mean only {baseline:.4f}), "
                              f"diverged {run.diverged}")
    holds_for_most("with batchnorm first, SGD on raw inputs beats the mean clearly", outcomes)


def test_batchnorm_validation_loss_starts_high_and_settles(scaling_runs):
    # The lesson reads the first epochs' validation curve as the moving averages
    # catching up: far above the training loss at first (the scaled run, without
    # batchnorm, shows no such start), and down near its best after ~10 epochs.
    outcomes = {}
    for seed, runs in scaling_runs.items():
        bn, scaler = runs[ex.RAW_BN_FIRST.name].history, runs[ex.SCALER_NO_BN.name].history
        val, loss = bn["val_loss"], bn["loss"]
        settled = next(epoch for epoch, v in enumerate(val, start=1) if v < 2 * min(val))
        ok = val[0] > 3 * loss[0] and val[0] > 10 * scaler["val_loss"][0] and 8 <= settled <= 12
        outcomes[seed] = (ok, f"epoch 1: val {val[0]:.1f}, train {loss[0]:.1f}, scaler's val "
                              f"{scaler['val_loss'][0]:.2f}; within 2x of its best from epoch {settled}")
    holds_for_most("batchnorm's validation loss starts high and settles in about 10 epochs", outcomes)


def test_batchnorm_first_is_about_as_good_as_a_standard_scaler(scaling_runs):
    baseline = _baseline()
    outcomes, bn_ahead, scaler_ahead = {}, 0, 0
    for seed, runs in scaling_runs.items():
        bn, scaler = runs[ex.RAW_BN_FIRST.name], runs[ex.SCALER_NO_BN.name]
        a, b = bn.min_val_loss, scaler.min_val_loss
        ok = (math.isfinite(a) and math.isfinite(b) and b < 0.9 * baseline
              and abs(a - b) <= 0.2 * min(a, b))
        bn_ahead += a < b
        scaler_ahead += b < a
        outcomes[seed] = (ok, f"best val MSE: batchnorm first {a:.4f}, scaler {b:.4f}")
    holds_for_most("batchnorm first and a StandardScaler end within 20% of each other", outcomes)
    # "each of them comes out ahead several times": neither is reliably better.
    assert bn_ahead >= 2 and scaler_ahead >= 2, (bn_ahead, scaler_ahead)


@pytest.fixture(scope="module")
def sweep_runs():
    """Per seed: {(batchnorm, learning rate): SweepPoint}."""
    runs = {seed: {(p.batchnorm, p.learning_rate): p for p in ex.learning_rate_sweep(seed)}
            for seed in SEEDS}
    for seed, points in runs.items():  # shown with pytest -rP
        print(f"seed {seed}: " + ", ".join(f"{'bn' if bn else 'plain'} {lr:g}: {p.epochs_to_target}"
                                           for (bn, lr), p in points.items()))
    return runs


def test_batchnorm_between_layers_reaches_the_target_in_fewer_epochs_at_a_low_rate(sweep_runs):
    # One change: a BatchNormalization layer after each of the six hidden layers.
    lr = ex.SWEEP_LEARNING_RATES[0]
    outcomes = {}
    for seed, points in sweep_runs.items():
        plain, bn = points[(False, lr)], points[(True, lr)]
        ok = bn.epochs_to_target is not None and (plain.epochs_to_target is None
                                                  or bn.epochs_to_target < plain.epochs_to_target)
        outcomes[seed] = (ok, f"epochs to target without {plain.epochs_to_target}, with {bn.epochs_to_target}")
    holds_for_most(f"at learning rate {lr}, batchnorm between layers reaches the target sooner", outcomes)


def test_at_the_largest_rate_the_network_without_batchnorm_diverges(sweep_runs):
    lr = ex.SWEEP_LEARNING_RATES[-1]
    outcomes = {}
    for seed, points in sweep_runs.items():
        plain, bn = points[(False, lr)], points[(True, lr)]
        outcomes[seed] = (plain.diverged, f"at {lr}: without batchnorm diverged {plain.diverged}, "
                                          f"with batchnorm reached the target in {bn.epochs_to_target} epochs")
    # "almost every seed": at least 8 of 10.
    held = sum(ok for ok, _ in outcomes.values())
    assert held >= 8, f"without batchnorm at {lr}, diverged for only {held} seeds: {outcomes}"


# ------------------------------------------------------------------ figures in the text


class Quoted:
    """Figures the lessons' text quotes. Unlike the claims above (at least 9 seeds of
    10), a figure quoted for "every seed" must hold for every seed. Ranges are as
    rounded in the text ("between about 0.1 and 0.2": 0.05 to 0.25)."""

    def __init__(self):
        self.wrong: list[str] = []

    def check(self, ok: bool, sentence: str, figures: str) -> None:
        if not ok:
            self.wrong.append(f"{sentence!r}: {figures}")

    def assert_all_hold(self) -> None:
        assert not self.wrong, "the text says something that did not hold:\n" + "\n".join(self.wrong)


def test_the_figures_quoted_in_lesson_1_hold(dropout_runs):
    quoted = Quoted()
    for seed, comparison in dropout_runs.items():
        plain, dropped = comparison[ex.WITHOUT_DROPOUT.name], comparison[ex.WITH_DROPOUT.name]
        quoted.check(0.05 <= plain.gap < 0.25, "the gap without dropout was between about 0.1 and 0.2",
                     f"seed {seed}: {plain.gap:+.4f}")
        quoted.check(abs(dropped.gap) < 0.05, "the gap with dropout within ±0.05",
                     f"seed {seed}: {dropped.gap:+.4f}")
    # Seed 0 is the run the lesson shows; its figures are rounded at least as
    # coarsely as nbval's tolerance (utils/nbval_tolerance.py).
    turned_up = [seed for seed, c in dropout_runs.items()
                 if c[ex.WITHOUT_DROPOUT.name].val_loss > c[ex.WITHOUT_DROPOUT.name].min_val_loss + 0.01]
    quoted.check(len(turned_up) >= 3, "with other seeds, without dropout, the validation loss had turned up by "
                 "the end in several of them", f"final val above best + 0.01 for seeds {turned_up}")
    plain, dropped = (dropout_runs[0][s.name] for s in ex.DROPOUT_EXPERIMENT)
    quoted.check(0.125 <= plain.gap < 0.175, "its final training MAE is about 0.15 below its validation MAE",
                 f"{plain.gap:+.4f}")
    quoted.check(plain.val_loss - plain.min_val_loss < 0.01,
                 "without dropout, its best and final validation MAE are the same or nearly so",
                 f"best {plain.min_val_loss:.4f}, final {plain.val_loss:.4f}")
    quoted.check(abs(dropped.train_loss - 0.53) < 0.03 and abs(plain.train_loss - 0.34) < 0.03,
                 "the training MAE with nothing dropped: about 0.53 with dropout against 0.34 without",
                 f"{dropped.train_loss:.4f} with, {plain.train_loss:.4f} without")
    quoted.check(abs(dropped.val_loss - 0.55) < 0.03 and abs(plain.val_loss - 0.49) < 0.03
                 and dropped.val_loss > plain.val_loss,
                 "the final validation MAE is worse with dropout (about 0.55 against 0.49)",
                 f"{dropped.val_loss:.4f} with, {plain.val_loss:.4f} without")
    quoted.check(abs(dropped.gap) < 0.05, "that gap almost disappears (well under 0.05)", f"{dropped.gap:+.4f}")
    quoted.check(all(abs(r.min_val_loss - 0.49) < 0.03 for r in (plain, dropped))
                 and dropped.min_val_loss >= plain.min_val_loss,
                 "the best validation loss is not better with dropout (about 0.49 with and without)",
                 f"{plain.min_val_loss:.4f} without, {dropped.min_val_loss:.4f} with")
    quoted.assert_all_hold()


def test_the_figures_quoted_in_lesson_2_hold(scaling_runs):
    quoted = Quoted()
    baseline = _baseline()
    bn_ahead = scaler_ahead = 0
    for seed, runs in scaling_runs.items():
        plain, bn, scaler = (runs[s.name] for s in (ex.RAW_NO_BN, ex.RAW_BN_FIRST, ex.SCALER_NO_BN))
        quoted.check(plain.diverged and plain.epochs_run == 1,
                     "without batchnorm the run diverged in the first epoch every time",
                     f"seed {seed}: diverged {plain.diverged} after {plain.epochs_run} epoch(s)")
        quoted.check(not bn.diverged and 0.35 <= bn.min_val_loss < 0.55 and bn.min_val_loss < baseline,
                     "with it, the network beat the average-predicting baseline every time (best "
                     "validation MSE between about 0.4 and 0.5)",
                     f"seed {seed}: {bn.min_val_loss:.4f} (mean only {baseline:.4f})")
        val = bn.history["val_loss"]
        settled = next(epoch for epoch, v in enumerate(val, start=1) if v < 2 * min(val))
        quoted.check(8 <= settled <= 12, "its validation loss took 8 to 12 epochs to come down",
                     f"seed {seed}: within 2x of its best from epoch {settled}")
        a, b = bn.min_val_loss, scaler.min_val_loss
        quoted.check(abs(a - b) <= 0.2 * min(a, b), "they were never more than 20% apart",
                     f"seed {seed}: batchnorm first {a:.4f}, scaler {b:.4f}")
        bn_ahead += a < b
        scaler_ahead += b < a
    quoted.check(bn_ahead >= 2 and scaler_ahead >= 2, "each of them came out ahead several times",
                 f"batchnorm first ahead {bn_ahead} times, the scaler {scaler_ahead}")
    quoted.check(abs(baseline - 0.59) < 0.005, "the 0.59 of always predicting the average", f"{baseline:.4f}")
    quoted.assert_all_hold()


def test_the_figures_quoted_about_the_learning_rate_sweep_hold(sweep_runs):
    quoted = Quoted()
    low, middle, high = ex.SWEEP_LEARNING_RATES
    plain_as_fast = bn_reached_high = 0
    for seed, points in sweep_runs.items():
        plain, bn = points[(False, low)], points[(True, low)]
        quoted.check(bn.epochs_to_target in (3, 4) and plain.epochs_to_target in (5, 6, 7),
                     f"at {low}, with batchnorm about 3 or 4 epochs instead of 5 to 7, in every seed",
                     f"seed {seed}: without {plain.epochs_to_target}, with {bn.epochs_to_target}")
        plain, bn = points[(False, middle)], points[(True, middle)]
        plain_as_fast += (plain.epochs_to_target is not None and bn.epochs_to_target is not None
                          and plain.epochs_to_target <= bn.epochs_to_target)
        plain, bn = points[(False, high)], points[(True, high)]
        quoted.check(not plain.diverged or len(plain.losses) == 1,
                     f"at {high}, without batchnorm it diverged in its very first epoch",
                     f"seed {seed}: diverged after {len(plain.losses)} epoch(s)")
        bn_reached_high += bn.epochs_to_target is not None
        quoted.check(bn.epochs_to_target is not None or bn.diverged,
                     f"at {high}, with batchnorm it reached the target or diverged",
                     f"seed {seed}: {bn}")
    quoted.check(plain_as_fast >= 2, f"at {middle}, without batchnorm it was sometimes as fast or faster",
                 f"as fast or faster in {plain_as_fast} seeds")
    quoted.check(3 <= bn_reached_high <= 8, f"at {high}, with batchnorm it reached the target in roughly half of "
                 "the seeds and diverged in the others", f"reached in {bn_reached_high} of {len(sweep_runs)}")
    split = ex.red_wine(True)
    mean_only = float(((split.y_train - split.y_train.mean()) ** 2).mean())
    quoted.check(abs(mean_only - 0.68) < 0.005, "always predicting the mean scores about 0.68 on the training wines",
                 f"{mean_only:.4f}")
    quoted.assert_all_hold()


WORKED_EXAMPLE_SKIP = pytest.mark.skipif(
    os.environ.get(WORKED_EXAMPLE_OPT_IN) != "1",
    reason=f"about 7 minutes; set {WORKED_EXAMPLE_OPT_IN}=1 to run it")


@pytest.fixture(scope="module")
def worked_runs():
    """Per seed: the worked example (with batchnorm), its control without
    batchnorm, and the variance shift measured on the trained network."""
    from utils.settings import seed_everything
    from utils.training import train

    split = ex.red_wine(False)
    runs = {}
    for seed in SEEDS:
        seed_everything(seed)
        model = ex.WORKED_EXAMPLE.build(split.n_features)
        model.compile(optimizer=ex.WORKED_EXAMPLE.optimizer(), loss=ex.WORKED_EXAMPLE.loss)
        history = train(model, split.X_train, split.y_train, split.X_valid, split.y_valid,
                        epochs=ex.WORKED_EXAMPLE.epochs, batch_size=ex.WORKED_EXAMPLE.batch_size,
                        progress=False)
        with_bn = ex.measure(ex.WORKED_EXAMPLE.name, seed, model, history, split)
        shift = ex.variance_shift(model, split.X_train)
        control = ex.worked_example_control(seed, progress=False, reuse=[with_bn])
        runs[seed] = (control[ex.WORKED_EXAMPLE_WITHOUT_BN.name], with_bn, shift)
        plain = runs[seed][0]
        print(f"seed {seed}: best val MAE without batchnorm {plain.min_val_loss:.4f} (final train "
              f"{plain.train_loss:.4f}, last reported {plain.history['loss'][-1]:.4f}), with "
              f"{with_bn.min_val_loss:.4f} (train {with_bn.train_loss:.4f}, val {with_bn.val_loss:.4f}); "
              f"variance shift {shift:.3f}")  # shown with pytest -rP
    return runs


@WORKED_EXAMPLE_SKIP
def test_worked_example_trains_on_raw_inputs(worked_runs):
    baseline = ex.mean_only_loss(ex.red_wine(False), "mae")
    outcomes, quoted = {}, Quoted()
    for seed, (_, run, _) in worked_runs.items():
        ok = not run.diverged and run.min_val_loss < 0.9 * baseline
        outcomes[seed] = (ok, f"best val MAE {run.min_val_loss:.4f} (median only {baseline:.4f})")
        quoted.check(0.5 <= run.min_val_loss < 0.6, "the best validation MAE was between 0.5 and 0.6 every time",
                     f"seed {seed}: {run.min_val_loss:.4f}")
        quoted.check(run.train_loss > run.val_loss, "even measured without dropout, this split's training MAE "
                     "is a little above its validation MAE", f"seed {seed}: training {run.train_loss:.4f}, "
                     f"validation {run.val_loss:.4f}")
    holds_for_most("the worked example's network trains on raw inputs", outcomes)
    quoted.check(abs(baseline - 0.63) < 0.005, "the 0.63 of always predicting the median quality", f"{baseline:.4f}")
    quoted.assert_all_hold()


@WORKED_EXAMPLE_SKIP
def test_without_batchnorm_the_worked_example_does_clearly_worse(worked_runs):
    # The control changes one thing: the three BatchNormalization layers are
    # taken out (same raw inputs, dropout, Adam, MAE, batch 256, 60 epochs, seed).
    split = ex.red_wine(False)
    baseline = ex.mean_only_loss(split, "mae")
    median_on_training = float(np.mean(np.abs(split.y_train - np.median(split.y_train))))
    outcomes, quoted = {}, Quoted()
    beat_median = 0
    for seed, (plain, with_bn, _) in worked_runs.items():
        ok = plain.min_val_loss > with_bn.min_val_loss + 0.03 and plain.train_loss > median_on_training
        outcomes[seed] = (ok, f"best val MAE without batchnorm {plain.min_val_loss:.4f}, with "
                              f"{with_bn.min_val_loss:.4f}; final training MAE without {plain.train_loss:.4f} "
                              f"(median only on the training wines {median_on_training:.4f})")
        quoted.check(0.5 <= with_bn.min_val_loss < 0.6 and 0.55 <= plain.min_val_loss < 0.95
                     and plain.min_val_loss > with_bn.min_val_loss + 0.03,
                     "every time, the best validation MAE was lower with batchnorm (about 0.53-0.56) than "
                     "without (about 0.58-0.9), and not close", f"seed {seed}: without {plain.min_val_loss:.4f}, "
                     f"with {with_bn.min_val_loss:.4f}")
        quoted.check(plain.train_loss > 1.2, "without batchnorm, training MAE above 1.2 at the end, every time",
                     f"seed {seed}: {plain.train_loss:.4f}")
        quoted.check(not plain.diverged and not with_bn.diverged, "none of these runs diverged",
                     f"seed {seed}: without {plain.diverged}, with {with_bn.diverged}")
        quoted.check(plain.train_loss > plain.history["loss"][-1] + 0.2,
                     "without batchnorm, the full network's final training MAE is well above the training curve",
                     f"seed {seed}: nothing dropped {plain.train_loss:.4f}, "
                     f"last reported {plain.history['loss'][-1]:.4f}")
        beat_median += plain.min_val_loss < baseline
    holds_for_most("without its batchnorm layers the worked example does clearly worse", outcomes)
    quoted.check(1 <= beat_median <= 5, "in a few seeds the network without batchnorm beat the median at its best",
                 f"{beat_median} of {len(worked_runs)}")
    quoted.check(abs(median_on_training - 0.67) < 0.005, "the 0.67 of always predicting the median on the "
                 "training wines", f"{median_on_training:.4f}")
    quoted.assert_all_hold()


@WORKED_EXAMPLE_SKIP
def test_dropout_before_batchnorm_shifts_the_variance(worked_runs):
    # Same trained weights, dropout on (as in training) or off (as in prediction):
    # the inputs of the batchnorm layers vary much less at prediction time.
    outcomes = {seed: (shift < 0.5, f"prediction / training variance, median over units: {shift:.3f}")
                for seed, (_, _, shift) in worked_runs.items()}
    holds_for_most("at prediction time the batchnorm layers' inputs vary much less than in training", outcomes)
    quoted = Quoted()
    for seed, (ok, figures) in outcomes.items():
        quoted.check(ok, "over seeds 0 to 9 the ratio was always below 0.5", f"seed {seed}: {figures}")
    quoted.assert_all_hold()
