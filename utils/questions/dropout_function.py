"""Inverted dropout's forward pass, implemented in NumPy: the probes and the judgement.

The function is called as ``dropout_forward(x, rate, training, rng)`` with ``rng`` a
NumPy ``Generator``. Four calls, on inputs made from the seed: training mode at two
rates and two dtypes, inference mode, and rate 0. In training mode the share of values
set to 0 must be the rate (within 5 standard deviations of a binomial draw), and every
other value the input divided by ``1 - rate``; in inference mode the output is the
input. Any correct way passes: a mask and a product, ``np.where``, a loop, float32 or
float64 arithmetic, ``rng.random`` or ``rng.binomial``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from utils.questions.function_question import FunctionQuestion
from utils.questions.question import CORRECT, INCORRECT, Verdict

RTOL = 1e-3


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= RTOL * max(1.0, abs(b))


@dataclass(frozen=True)
class InvertedDropoutQuestion(FunctionQuestion):

    def probes(self, seed: int) -> list[dict]:
        import numpy as np

        make = np.random.default_rng(seed)
        x32 = make.normal(1.0, 1.0, size=(100, 100)).astype("float32")
        x64 = make.normal(0.0, 2.0, size=(40, 50))
        x_small = make.normal(0.0, 1.0, size=(20, 10))
        rng_seeds = make.integers(0, 2**31, size=3)
        plan = [(x32, 0.3, True, rng_seeds[0], "in training mode with rate 0.3"),
                (x64, 0.6, True, rng_seeds[1], "in training mode with rate 0.6"),
                (x32, 0.3, False, rng_seeds[2], "in inference mode"),
                (x_small, 0.0, True, rng_seeds[2], "in training mode with rate 0")]
        return [{"args": (x.copy(), rate, training, np.random.default_rng(int(s))), "x": x, "rate": rate,
                 "training": training, "returns": [("output", x.shape)], "called": called}
                for x, rate, training, s, called in plan]

    def judge_outputs(self, probes, outputs) -> Verdict:
        for probe, (out,) in zip(probes, outputs):
            if self.not_finite(probe, [out]):
                return self.not_finite(probe, [out])
            problem = (_training(probe, out) if probe["training"] and probe["rate"] > 0
                       else _unchanged(probe, out))
            if problem:
                return Verdict(INCORRECT, f"Called {probe['called']}: {problem} Try `hint()`.")
        return Verdict(CORRECT, f"`{self.variable}` drops the right share in training mode, scales what it keeps "
                                f"the right way, and passes the input through in inference mode.")


def _training(probe, out) -> str | None:
    x, rate = probe["x"].ravel().tolist(), probe["rate"]
    n = len(x)
    dropped = [o == 0.0 and xi != 0.0 for o, xi in zip(out, x)]
    share = sum(dropped) / n
    spread = 5 * math.sqrt(rate * (1 - rate) / n)
    if share == 0:
        return "nothing was set to 0. In training mode each value is dropped with probability `rate`."
    if abs(share - rate) > spread:
        if abs(share - (1 - rate)) <= spread:
            return (f"about {share:.0%} of the values were set to 0, which is the share that should be *kept*: "
                    f"the mask is the wrong way round.")
        return f"about {share:.0%} of the values were set to 0; the rate asks for {rate:.0%}."
    ratios = [o / xi for o, xi, d in zip(out, x, dropped) if not d and abs(xi) > 1e-3]
    if not ratios:
        return "no value was kept."
    if all(_close(r, 1 / (1 - rate)) for r in ratios):
        return None
    if all(_close(r, 1.0) for r in ratios):
        return ("the kept values come out unchanged. Inverted dropout scales them during training, so that "
                "the output's average equals the input's.")
    if all(_close(r, 1 - rate) for r in ratios):
        return ("the kept values were multiplied by the fraction kept. That was the original dropout's "
                "scaling at inference; inverted dropout scales the other way, during training.")
    if all(_close(r, 1 / rate) for r in ratios):
        return "the kept values were scaled using the drop rate; the scaling uses the fraction that is kept."
    if len({round(r, 3) for r in ratios}) > 1:
        return "the kept values are not all scaled by the same factor."
    return "the kept values are scaled by the wrong factor."


def _unchanged(probe, out) -> str | None:
    x = probe["x"].ravel().tolist()
    if all(_close(o, xi) for o, xi in zip(out, x)):
        return None
    if any(o == 0.0 and xi != 0.0 for o, xi in zip(out, x)):
        return "some values were set to 0. Nothing is dropped " + (
            "in inference mode." if not probe["training"] else "when the rate is 0.")
    return "the output differs from the input. " + (
        "In inference mode inverted dropout does nothing at all." if not probe["training"]
        else "With rate 0 nothing is dropped, so there is nothing to make up for.")
