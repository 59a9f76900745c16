"""Batch normalization's forward pass, implemented in NumPy: the probes and the judgement.

Called as ``batchnorm_forward(x, gamma, beta, moving_mean, moving_var, training)`` with
``x`` of shape (batch, features), it returns ``(output, new_moving_mean, new_moving_var)``
as Keras' ``BatchNormalization()`` computes them (momentum 0.99, epsilon 0.001):

- training mode: each feature normalized with the batch's own mean and (biased)
  variance, ``gamma * (x - mean) / sqrt(var + epsilon) + beta``; each moving average
  moves 1% of the way to the batch's statistic;
- inference mode: normalized with the moving averages, which stay as they are.

The probes: a float32 batch of 32 with one feature whose variance is far below epsilon
(so a missing epsilon shows), a float64 batch of 7, and inference mode. The first wrong
quantity is named: the axis, the statistics used, epsilon, the variance's divisor,
gamma and beta, the momentum update, or moving averages changed at inference.
"""

from __future__ import annotations

from dataclasses import dataclass

from utils.questions.function_question import FunctionQuestion
from utils.questions.question import CORRECT, INCORRECT, Verdict

MOMENTUM, EPSILON = 0.99, 0.001


def reference(x, gamma, beta, moving_mean, moving_var, training, *, ddof=0, epsilon=EPSILON, axis=0,
              momentum=MOMENTUM, stats=None, scale=True, update=True):
    """The forward pass, with switches that reproduce the usual mistakes (``stats``:
    "batch" or "moving"; by default the batch's in training mode, the moving ones at
    inference)."""
    import numpy as np

    x = np.asarray(x, dtype="float64")
    if (stats or ("batch" if training else "moving")) == "batch":
        mean = x.mean(axis=axis, keepdims=True)
        var = x.var(axis=axis, ddof=ddof, keepdims=True)
    else:
        mean, var = moving_mean, moving_var
    out = (x - mean) / np.sqrt(var + epsilon)
    if scale:
        out = gamma * out + beta
    if not training or not update:
        return out, moving_mean, moving_var
    batch_mean, batch_var = x.mean(axis=0), x.var(axis=0, ddof=ddof)
    return (out, momentum * moving_mean + (1 - momentum) * batch_mean,
            momentum * moving_var + (1 - momentum) * batch_var)


def _close(got: list[float], want) -> bool:
    import numpy as np

    return bool(np.allclose(np.asarray(got), np.asarray(want, dtype="float64").ravel(), rtol=1e-3, atol=1e-4))


@dataclass(frozen=True)
class BatchNormQuestion(FunctionQuestion):

    def probes(self, seed: int) -> list[dict]:
        import numpy as np

        make = np.random.default_rng(seed)
        plan = []
        for batch, features, dtype, training, called in ((32, 6, "float32", True, "in training mode"),
                                                         (7, 3, "float64", True, "in training mode on a batch of 7"),
                                                         (16, 6, "float32", False, "in inference mode")):
            x = make.normal(make.uniform(-5, 5, size=features), make.uniform(0.5, 3, size=features),
                            size=(batch, features))
            x[:, 0] = 4.0 + make.normal(0, 0.01, size=batch)   # variance far below epsilon
            args = [x.astype(dtype),
                    make.uniform(0.5, 2, size=features).astype(dtype),   # gamma
                    make.uniform(-1, 1, size=features).astype(dtype),    # beta
                    make.normal(0, 2, size=features).astype(dtype),      # moving mean
                    make.uniform(0.5, 4, size=features).astype(dtype)]   # moving variance
            plan.append({"args": (*[a.copy() for a in args], training), "inputs": args, "training": training,
                         "called": called, "returns": [("output", (batch, features)),
                                                       ("new moving mean", (features,)),
                                                       ("new moving variance", (features,))]})
        return plan

    def judge_outputs(self, probes, outputs) -> Verdict:
        for probe, out in zip(probes, outputs):
            if self.not_finite(probe, out):
                return self.not_finite(probe, out)
            problem = _problem(probe, out)
            if problem:
                return Verdict(INCORRECT, f"Called {probe['called']}: {problem} Try `hint()`.")
        return Verdict(CORRECT, f"`{self.variable}` normalizes, scales and shifts as Keras does, in both modes, "
                                f"and updates the moving averages as Keras does.")


# What a wrong output is most likely to come from, tried in this order.
_TRAINING_MISTAKES = (
    (dict(stats="moving"), "the output was normalized with the moving averages; in training mode each batch "
                           "is normalized with its own mean and variance."),
    (dict(axis=1), "each example was normalized across its features; batch normalization normalizes each "
                   "feature across the batch (axis 0)."),
    (dict(epsilon=0.0), "a feature whose variance is tiny comes out wrong: epsilon belongs inside the square "
                        "root, added to the variance."),
    (dict(ddof=1), "the variance was divided by n - 1; batch normalization uses the plain variance (divided "
                   "by n)."),
    (dict(scale=False), "the output is normalized but not scaled by gamma and shifted by beta."),
)


def _problem(probe, out) -> str | None:
    x, gamma, beta, moving_mean, moving_var = probe["inputs"]
    training = probe["training"]
    want = reference(x, gamma, beta, moving_mean, moving_var, training)
    got_out, got_mean, got_var = out
    if not _close(got_out, want[0]):
        if training:
            for switch, words in _TRAINING_MISTAKES:
                if _close(got_out, reference(x, gamma, beta, moving_mean, moving_var, True, **switch)[0]):
                    return words
            return "the output is not the batch normalization of x (mean, variance, epsilon, gamma and beta)."
        if _close(got_out, reference(x, gamma, beta, moving_mean, moving_var, False, stats="batch")[0]):
            return "the output was normalized with the batch's own statistics; in inference mode the moving " \
                   "averages are used, so that a prediction doesn't depend on the rest of its batch."
        return "the output is not normalized with the moving averages, then scaled by gamma and shifted by beta."
    if not training:
        if not (_close(got_mean, moving_mean) and _close(got_var, moving_var)):
            return "the moving averages changed; in inference mode they stay as they are."
        return None
    for got, name, i in ((got_mean, "mean", 1), (got_var, "variance", 2)):
        if _close(got, want[i]):
            continue
        if _close(got, (moving_mean, moving_var)[i - 1]):
            return f"the moving {name} did not move; in training mode it moves toward the batch's {name}."
        swapped = reference(x, gamma, beta, moving_mean, moving_var, True, momentum=1 - MOMENTUM)[i]
        if _close(got, swapped):
            return (f"the new moving {name} is mostly the batch's {name}; with momentum 0.99 it keeps 99% "
                    f"of the old average.")
        if name == "variance" and _close(got, reference(x, gamma, beta, moving_mean, moving_var, True, ddof=1)[2]):
            return "the moving variance was updated with the variance divided by n - 1; Keras uses n."
        return f"the new moving {name} is not what the momentum update gives."
    return None
