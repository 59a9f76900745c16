"""A "build this model" question: the answer is a Keras model, judged by its description.

``model_spec`` turns a serialized Keras model into plain data; ``compare`` names
the first difference from the expected layers. The description is the model's
serialized config, so the kernel (the instant check) and the grader (from what
the judge reported) judge exactly the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from utils.questions.compare import diagnose
from utils.questions.model_spec import Compiled, Layer, ModelSpec, NotAModel, describe
from utils.questions.question import CORRECT, INCORRECT, MISSING, NOT_ATTEMPTED, Question, Verdict


@dataclass(frozen=True)
class ModelQuestion(Question):
    n_inputs: int = 0
    expected: tuple[Layer, ...] = ()
    starter: tuple[Layer, ...] = ()
    wording: str = "after"              # "after"/"before": how placements are described
    compile_as: Compiled | None = None  # required compile settings, if the question sets them
    starter_compile: Compiled | None = None

    def judge(self, spec: ModelSpec) -> Verdict:
        if self._is_starter(spec):
            return Verdict(NOT_ATTEMPTED, f"`{self.variable}` is still the starter model. "
                                          f"Edit the answer cell, run it, then check again.")
        problem = diagnose(spec, self.expected, n_inputs=self.n_inputs, wording=self.wording)
        if problem is None and self.compile_as is not None:
            problem = self._compile_problem(spec.compiled)
        if problem:
            return Verdict(INCORRECT, problem)
        return Verdict(CORRECT, f"`{self.variable}` is built as the question asks.")

    def _is_starter(self, spec: ModelSpec) -> bool:
        same_layers = len(spec.layers) == len(self.starter) and all(
            a.same_as(b) for a, b in zip(spec.layers, self.starter))
        return same_layers and (self.compile_as is None or spec.compiled in (None, self.starter_compile))

    def _compile_problem(self, compiled: Compiled | None) -> str | None:
        want = self.compile_as
        if compiled is None:
            return f"`{self.variable}` is not compiled yet: keep the .compile(...) call of the starter code."
        if compiled.optimizer != want.optimizer:
            return (f"`{self.variable}` is compiled with the {compiled.optimizer} optimizer; "
                    f"the question asks for a different one.")
        if compiled.loss != want.loss:
            return f"The loss is {compiled.loss_words}; the question asks for {want.loss_words}."
        return None

    def evaluate_config(self, serialized) -> Verdict:
        """Judge a serialized model (from the kernel or an exported file)."""
        try:
            return self.judge(describe(serialized))
        except NotAModel as err:
            return Verdict(INCORRECT, f"`{self.variable}` can't be checked: {err}.")
        except Exception as err:  # a config no Keras would write: never a traceback from utils
            return Verdict(INCORRECT, f"`{self.variable}` can't be checked ({type(err).__name__}).")

    def evaluate(self, value=MISSING) -> Verdict:
        """Judge a live object, or the notebook's variable when no value is given."""
        from utils.questions import live

        value = self._namespace_value(value)
        if value is MISSING:
            return Verdict(NOT_ATTEMPTED, f"There is no `{self.variable}` yet: run the answer cell first.")
        if value is None:
            return Verdict(NOT_ATTEMPTED, f"`{self.variable}` is None: build the model in the answer cell.")
        try:
            return self.evaluate_config(live.serialize(value, self.variable))
        except NotAModel as err:
            return Verdict(INCORRECT, f"{err}.")
        except Exception as err:
            return Verdict(INCORRECT, f"`{self.variable}` can't be checked ({type(err).__name__}).")

    def describe(self, value) -> dict:
        from utils.questions import live

        try:
            return {"config": live.serialize(value, self.variable)}
        except NotAModel as err:
            return {"not_a_model": str(err)}

    def verdict_from(self, description: dict) -> Verdict:
        if "not_a_model" in description:
            return Verdict(INCORRECT, f"{str(description['not_a_model'])[:300]}.")
        return self.evaluate_config(description.get("config"))


def dense(units: int, activation: str = "linear") -> Layer:
    return Layer("Dense", units=units, activation=activation)


def dropout_layer(rate: float) -> Layer:
    return Layer("Dropout", rate=rate)


def batchnorm_layer() -> Layer:
    return Layer("BatchNormalization")
