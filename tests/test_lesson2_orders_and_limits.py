"""Lesson 2's claims about dropout × batchnorm orders and batchnorm's limits
hold for (almost) every seed, not just the one shown.

The set-ups are ``utils.bn_experiments``'s, the very ones the lesson runs for
seed 0. Patterns as in ``tests/test_lesson_claims.py``: a claim must hold for at
least 9 of 10 seeds, a figure the text quotes for every seed.

Measured on the development machine (2 CPU cores, default numeric path), seeds 0-9.

Orders (three blocks of 128 units, standardized inputs, Adam, MAE, batches of
32, 30 epochs; the only change is the order within each block):
    best validation MAE
      Dense → Dropout → BN          0.510 0.509 0.500 0.513 0.492 0.497 0.511 0.508 0.501 0.493
      Dense → BN → ReLU → Dropout   0.577 0.603 0.591 0.570 0.607 0.618 0.621 0.556 0.621 0.587
    final validation MAE
      Dense → Dropout → BN          0.510 0.529 0.526 0.513 0.516 0.506 0.519 0.521 0.506 0.532
      Dense → BN → ReLU → Dropout   0.623 0.660 0.718 0.570 0.667 0.634 0.628 0.556 0.639 0.685
    prediction-time variance of a batchnorm layer's inputs / its moving
    variance (median over units), batchnorm layers 1, 2, 3:
      Dense → Dropout → BN          layer 1 0.64-0.65, layer 2 0.54-0.58, layer 3 0.55-0.86
      Dense → BN → ReLU → Dropout   layer 1 1.03-1.05, layer 2 0.82-0.88, layer 3 0.72-0.78
  12-28 s per run on the loaded development machine (load average about 7 on its
  2 cores). By default the order tests run seeds 0-2 and the tiny-batch tests
  seeds 0-4 (every claim must then hold for all of them); COURSE_TEST_ALL_SEEDS=1
  runs 0-9 with the 9-of-10 rule (every claim held for all ten). Whole file on that
  machine: 149 s by default (load average 4-5), 314 s with all seeds.

Tiny batches (Dense(64) → norm → ReLU, twice; standardized inputs, Adam, MAE,
batches of 4, 3 epochs; the only change is the normalization layer):
    best validation MAE
      BatchNormalization   0.730 0.758 0.802 0.756 0.846 0.860 0.827 0.781 0.778 0.748
      LayerNormalization   0.476 0.537 0.481 0.522 0.495 0.468 0.487 0.505 0.508 0.483
    final validation MAE
      BatchNormalization   0.730 0.758 0.836 0.756 0.846 0.860 0.837 0.781 0.778 0.748
      LayerNormalization   0.479 0.537 0.481 0.524 0.495 0.468 0.487 0.521 0.508 0.483
    mismatch: inference-mode training MAE minus the last reported (training-mode) one
      BatchNormalization   +0.184 +0.249 +0.349 +0.204 +0.320 +0.286 +0.386 +0.283 +0.288 +0.275
      LayerNormalization   -0.033 -0.002 -0.040 +0.001 -0.019 -0.028 +0.000 -0.010 +0.017 -0.007
  About 6-10 s per seed on the loaded development machine.
  Batch statistics of the standardized training wines: a batch of 4's mean is
  typically 0.30-0.32 standard deviations off and its variance off by a factor
  of 2.44-2.59; a batch of 64's: 0.07-0.095 and 1.17-1.23.

Freezing (Input → BN → Dense(16, relu) → Dense(1), 3 epochs on all training
wines, then 3 epochs on the wines rated 7 or better): with nothing frozen the
moving mean of alcohol moves from about 0 (-0.004 to 0.006) to 0.267-0.287 and
gamma/beta move by up to 0.033-0.034, seeds 0-9; with trainable=False
nothing of the layer changes; with training=False written into the model,
Keras 3's fit overrides it and the layer changes exactly as with nothing frozen.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

# The lesson's other claims' helpers: Quoted collects figures quoted in the text,
# full_training (autouse) keeps the lessons' epoch counts even in fast mode.
from test_lesson_claims import Quoted, full_training  # noqa: F401

from utils import bn_experiments as bx
from utils import experiments as ex

pytestmark = pytest.mark.slow

# Seeds 0-9 take about 6 minutes on the loaded 2-core development machine, too
# long for every CI run: by default fewer seeds run, and each claim must then hold
# for all of them. COURSE_TEST_ALL_SEEDS=1 runs seeds 0-9 (9 of 10 must hold);
# the figures for all ten are in the docstring above.
ALL_SEEDS = os.environ.get("COURSE_TEST_ALL_SEEDS") == "1"
SEEDS = tuple(range(10))
ORDER_SEEDS = SEEDS if ALL_SEEDS else (0, 1, 2)       # 2 runs of 1050 steps per seed
TINY_SEEDS = SEEDS if ALL_SEEDS else (0, 1, 2, 3, 4)  # 2 runs of 840 steps per seed
# Freezing is mechanics (a layer's numbers change or stay exactly as they were),
# not a noisy effect: three seeds show that it does not depend on the seed.
FREEZE_SEEDS = SEEDS if ALL_SEEDS else (0, 1, 2)


def show(runs: dict, describe) -> None:
    """Print one line per seed (shown with pytest -rP)."""
    for seed, result in runs.items():
        print(f"seed {seed}: {describe(result)}")


def holds_for_most(claim: str, outcomes: dict[int, tuple[bool, str]]) -> None:
    """At least 9 of 10 seeds (all of them, when fewer than 10 are run)."""
    must_hold = len(outcomes) - 1 if len(outcomes) >= 10 else len(outcomes)
    held = [seed for seed, (ok, _) in outcomes.items() if ok]
    report = "\n".join(f"  seed {seed}: {'ok ' if ok else 'NO '} {figures}"
                       for seed, (ok, figures) in outcomes.items())
    assert len(held) >= must_hold, f"{claim}: held for {len(held)}/{len(outcomes)} seeds\n{report}"


# ------------------------------------------------------------------ orders


@pytest.fixture(scope="module")
def order_runs():
    runs = {seed: bx.order_experiment(seed, progress=False) for seed in ORDER_SEEDS}
    show(runs, lambda result: "; ".join(
        f"{r.name}: best val {r.min_val_loss:.4f}, final val {r.val_loss:.4f}, ratios "
        + " ".join(f"{bn.ratio('predicted', 'moving'):.3f}" for bn in result.batchnorm[r.name])
        for r in result.comparison.runs))
    return runs


def _ratios(result, order):
    return [bn.ratio("predicted", "moving") for bn in result.batchnorm[order]]


def test_dropout_right_before_batchnorm_inflates_every_moving_variance(order_runs):
    outcomes, quoted = {}, Quoted()
    for seed, result in order_runs.items():
        ratios = _ratios(result, bx.DROPOUT_THEN_BN)
        direct = all(bn.after_dropout for bn in result.batchnorm[bx.DROPOUT_THEN_BN])
        outcomes[seed] = (direct and max(ratios) < 0.9, f"ratios {ratios}")
        quoted.check(0.5 <= min(ratios[:2]) and max(ratios[:2]) < 0.7, "Dense → Dropout → BN: in the first two "
                     "batchnorm layers, about 0.55 to 0.65", f"seed {seed}: {ratios}")
        quoted.check(max(ratios) < 0.9, "Dense → Dropout → BN: every batchnorm layer below 0.9",
                     f"seed {seed}: {ratios}")
    holds_for_most("every batchnorm layer right after dropout divides by too large a variance", outcomes)
    quoted.assert_all_hold()


def test_batchnorm_before_dropout_shifts_less_but_not_nothing(order_runs):
    outcomes, quoted = {}, Quoted()
    for seed, result in order_runs.items():
        first, *later = result.batchnorm[bx.BN_THEN_DROPOUT]
        ratios = _ratios(result, bx.BN_THEN_DROPOUT)
        structure = (not first.dropout_upstream and all(bn.dropout_upstream and not bn.after_dropout
                                                        for bn in later))
        outcomes[seed] = (structure and 0.95 <= ratios[0] <= 1.1 and all(0.65 <= r < 0.95 for r in ratios[1:]),
                          f"ratios {ratios}")
        quoted.check(0.95 <= ratios[0] <= 1.1, "first batchnorm layer (no dropout before it): about 1",
                     f"seed {seed}: {ratios[0]:.3f}")
        quoted.check(all(0.7 <= r < 0.9 for r in ratios[1:]), "the later ones, between about 0.7 and 0.9",
                     f"seed {seed}: {ratios[1:]}")
        quoted.check(min(ratios[1:]) > max(_ratios(result, bx.DROPOUT_THEN_BN)[:2]),
                     "smaller shift than the first two layers of Dense → Dropout → BN",
                     f"seed {seed}: {ratios} against {_ratios(result, bx.DROPOUT_THEN_BN)}")
    holds_for_most("with batchnorm before dropout, the first layer has no shift, the later ones a smaller one",
                   outcomes)
    quoted.assert_all_hold()


def test_in_this_network_dropout_before_batchnorm_validates_better(order_runs):
    outcomes, quoted = {}, Quoted()
    for seed, result in order_runs.items():
        a, b = (result.comparison[name] for name in (bx.DROPOUT_THEN_BN, bx.BN_THEN_DROPOUT))
        ok = (not a.diverged and not b.diverged and a.min_val_loss < b.min_val_loss - 0.03
              and a.val_loss < b.val_loss)
        outcomes[seed] = (ok, f"best val {a.min_val_loss:.4f} against {b.min_val_loss:.4f}; final "
                              f"{a.val_loss:.4f} against {b.val_loss:.4f}")
        quoted.check(0.48 <= a.min_val_loss < 0.53, "Dense → Dropout → BN: best validation MAE about 0.49-0.52",
                     f"seed {seed}: {a.min_val_loss:.4f}")
        quoted.check(0.54 <= b.min_val_loss < 0.64, "Dense → BN → ReLU → Dropout: about 0.55-0.63",
                     f"seed {seed}: {b.min_val_loss:.4f}")
        quoted.check(a.val_loss < b.val_loss and a.min_val_loss < b.min_val_loss,
                     "lower best and final validation MAE in every seed", f"seed {seed}")
    holds_for_most("here Dense → Dropout → BN has the lower validation MAE, best and final", outcomes)
    quoted.assert_all_hold()


# ------------------------------------------------------------------ tiny batches


@pytest.fixture(scope="module")
def tiny_runs():
    runs = {seed: bx.tiny_batch_experiment(seed, progress=False) for seed in TINY_SEEDS}
    show(runs, lambda comparison: "; ".join(
        f"{r.name}: best val {r.min_val_loss:.4f}, final val {r.val_loss:.4f}, "
        f"mismatch {bx.train_inference_mismatch(r):+.4f}" for r in comparison.runs))
    return runs


def test_batch_statistics_of_tiny_batches_are_noisy():
    quoted = Quoted()
    for seed in SEEDS:
        (mean4, var4), (mean64, var64) = (bx.batch_statistics_spread(b, seed=seed)
                                          for b in (bx.TINY_BATCH, bx.USUAL_BATCH))
        quoted.check(0.25 <= mean4 < 0.35 and 2.0 <= var4 < 3.0,
                     "batches of 4: mean about 0.3 off, variance off by a factor of about 2.5",
                     f"seed {seed}: {mean4:.3f}, {var4:.3f}")
        quoted.check(mean64 < 0.1 and var64 < 1.3, "batches of 64: mean under 0.1 off, variance within about 1.2",
                     f"seed {seed}: {mean64:.3f}, {var64:.3f}")
    quoted.assert_all_hold()


def test_with_tiny_batches_layer_normalization_beats_batch_normalization(tiny_runs):
    outcomes, quoted = {}, Quoted()
    for seed, comparison in tiny_runs.items():
        bn, ln = comparison[bx.TINY_BATCH_BN.name], comparison[bx.TINY_BATCH_LN.name]
        ok = ln.min_val_loss < bn.min_val_loss - 0.1 and ln.val_loss < bn.val_loss
        outcomes[seed] = (ok, f"best val BN {bn.min_val_loss:.4f}, LN {ln.min_val_loss:.4f}")
        quoted.check(0.65 <= bn.min_val_loss < 0.9 and 0.44 <= ln.min_val_loss < 0.58,
                     "best validation MAE: BN about 0.7-0.85, LN about 0.45-0.55",
                     f"seed {seed}: BN {bn.min_val_loss:.4f}, LN {ln.min_val_loss:.4f}")
        quoted.check(not bn.diverged and not ln.diverged, "none diverged", f"seed {seed}")
    holds_for_most("with batches of 4, LayerNormalization validates clearly better", outcomes)
    quoted.assert_all_hold()


def test_with_tiny_batches_batchnorm_predicts_worse_than_it_trained(tiny_runs):
    outcomes, quoted = {}, Quoted()
    for seed, comparison in tiny_runs.items():
        bn, ln = comparison[bx.TINY_BATCH_BN.name], comparison[bx.TINY_BATCH_LN.name]
        a, b = bx.train_inference_mismatch(bn), bx.train_inference_mismatch(ln)
        outcomes[seed] = (a > 0.1 and abs(b) < 0.06, f"mismatch BN {a:+.4f}, LN {b:+.4f}")
        quoted.check(a > 0.1, "BN: inference-mode training MAE more than 0.1 above the reported one",
                     f"seed {seed}: {a:+.4f}")
        quoted.check(abs(b) < 0.06, "LN: within about 0.05", f"seed {seed}: {b:+.4f}")
    holds_for_most("with batches of 4, batchnorm's network predicts worse than the one that trained; "
                   "layer normalization's does not", outcomes)
    quoted.assert_all_hold()


# ------------------------------------------------------------------ freezing


@pytest.fixture(scope="module")
def freeze_runs():
    alcohol = list(ex.red_wine(True).feature_names).index("alcohol")
    runs = {seed: {r.setting: r for r in bx.freezing_demo(seed)} for seed in FREEZE_SEEDS}
    show(runs, lambda results: "; ".join(
        f"{s}: alcohol {r.moving_mean_before[alcohol]:.3f} -> {r.moving_mean_after[alcohol]:.3f}, "
        f"gamma/beta moved {r.gamma_beta_moved:.4f}" for s, r in results.items()))
    return runs, alcohol


def test_trainable_false_freezes_the_whole_layer_and_training_false_does_not_survive_fit(freeze_runs):
    runs, alcohol = freeze_runs
    quoted = Quoted()
    split = ex.red_wine(True)
    good = split.X_train[split.y_train >= bx.GOOD_WINE, alcohol].mean()
    quoted.check(good > 0.5, "the wines rated 7 or better have clearly more alcohol than the average wine",
                 f"their mean alcohol, standardized: {good:.3f}")
    for seed, results in runs.items():
        free, frozen, told = (results[s] for s in bx.FREEZE_SETTINGS)
        quoted.check(free.moving_mean_moved > 0.1 and free.gamma_beta_moved > 0.01,
                     "nothing frozen: moving mean and gamma/beta change", f"seed {seed}")
        quoted.check(0.2 <= free.moving_mean_after[alcohol] - free.moving_mean_before[alcohol] < 0.35
                     and abs(free.moving_mean_before[alcohol]) < 0.05,
                     "the moving mean of alcohol moves from about 0 to about 0.3",
                     f"seed {seed}: {free.moving_mean_before[alcohol]:.3f} -> {free.moving_mean_after[alcohol]:.3f}")
        quoted.check(frozen.moving_mean_moved == 0 and frozen.gamma_beta_moved == 0,
                     "trainable=False: nothing of the layer changes", f"seed {seed}: {frozen}")
        quoted.check(np.allclose(told.moving_mean_after, free.moving_mean_after, atol=1e-5)
                     and np.allclose(told.gamma_beta_after, free.gamma_beta_after, atol=1e-5),
                     "training=False written into the model: changes exactly as with nothing frozen",
                     f"seed {seed}: {told.moving_mean_moved:.4f} / {free.moving_mean_moved:.4f}")
    quoted.assert_all_hold()
