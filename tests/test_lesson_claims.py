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

Lesson 2, plain SGD 0.01 on raw inputs (Dense 64-64, MSE, batch 64, 20 epochs;
always predicting the mean: validation MSE 0.593). Identical on both paths:
    no batchnorm: diverged in epoch 1 for every seed
    batchnorm first, best val MSE   0.466 0.440 0.465 0.512 0.481 0.463 0.462 0.426 0.458 0.436
    StandardScaler, best val MSE    0.455 0.481 0.479 0.497 0.453 0.452 0.472 0.490 0.515 0.482
    (batchnorm first ahead in 6 seeds, the scaler in 4; at most 14.9% apart)
    batchnorm first, epoch-1 validation MSE 31-152 (3.5-15 x its training loss;
    the scaler run's: 1.4-1.8); within 2 x its best from epoch 8-11

Lesson 2, worked example (opt-in, about 20 s per seed): best validation MAE
    0.528 0.545 0.551 0.529 0.531 0.550 0.542 0.541 0.537 0.546
   [0.558 0.536 0.543 0.547 0.540 0.536 ...]
    (always predicting the median: 0.629); final training MAE above the final
    validation MAE (both measured with nothing dropped) for every seed.
"""

from __future__ import annotations

import math
import os

import pytest

from utils import experiments as ex

pytestmark = pytest.mark.slow

SEEDS = tuple(range(10))
MUST_HOLD = 9
# The worked example trains a 2-million-weight network for 60 epochs: about 20 s
# per seed, 3.5 minutes for ten. Its test runs only when asked for.
WORKED_EXAMPLE_OPT_IN = "COURSE_TEST_WORKED_EXAMPLE"


@pytest.fixture(scope="module", autouse=True)
def full_training():
    """The lessons' epoch counts, even if fast (grading) mode is set outside."""
    patch = pytest.MonkeyPatch()
    patch.setenv("COURSE_FAST_MODE", "0")
    yield
    patch.undo()


@pytest.fixture(scope="module")
def dropout_runs():
    return {seed: ex.dropout_experiment(seed, progress=False) for seed in SEEDS}


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
    than MUST_HOLD seeds, listing the figures of every seed."""
    held = [seed for seed, (ok, _) in outcomes.items() if ok]
    report = "\n".join(f"  seed {seed}: {'ok ' if ok else 'NO '} {figures}"
                       for seed, (ok, figures) in outcomes.items())
    assert len(held) >= MUST_HOLD, f"{claim}: held for {len(held)}/{len(outcomes)} seeds\n{report}"


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
    plain, dropped = (dropout_runs[0][s.name] for s in ex.DROPOUT_EXPERIMENT)
    quoted.check(0.125 <= plain.gap < 0.175, "its final training MAE is about 0.15 below its validation MAE",
                 f"{plain.gap:+.4f}")
    quoted.check(abs(dropped.gap) < 0.05, "that gap almost disappears (well under 0.05)", f"{dropped.gap:+.4f}")
    quoted.check(all(0.45 <= r.min_val_loss < 0.55 for r in (plain, dropped))
                 and dropped.min_val_loss >= plain.min_val_loss,
                 "the best validation loss is not better with dropout (about 0.5 with and without)",
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


@pytest.mark.skipif(os.environ.get(WORKED_EXAMPLE_OPT_IN) != "1",
                    reason=f"about 3.5 minutes; set {WORKED_EXAMPLE_OPT_IN}=1 to run it")
def test_worked_example_trains_on_raw_inputs():
    baseline = ex.mean_only_loss(ex.red_wine(False), "mae")
    outcomes, quoted = {}, Quoted()
    for seed in SEEDS:
        run = ex.run(ex.WORKED_EXAMPLE, seed, progress=False)
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
