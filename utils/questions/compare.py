"""Compare a student's model with the expected one and name the first mistake.

Correctness is decided by one rule: the normalized layer list (and, where the
question asks, the compile settings) equals the expected one. The messages are
diagnosis on top: they say *what* differs (a count, a rate, a placement) in the
question's own terms, without writing out the answer.
"""

from __future__ import annotations

from collections import Counter

from utils.questions.model_spec import Layer, ModelSpec

SPECIAL = ("Dropout", "BatchNormalization")
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def ordinal(i: int) -> str:
    return ORDINALS[i] if i < len(ORDINALS) else f"{i + 1}th"


def a(word: str, capital: bool = False) -> str:
    """The word with its indefinite article: "a Dropout", "an AlphaDropout"."""
    article = "an" if word[:1].upper() in "AEIOU" else "a"
    return f"{article.capitalize() if capital else article} {word}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _denses(layers) -> list[Layer]:
    return [layer for layer in layers if layer.kind == "Dense"]


def _slots(layers) -> list[tuple[int, str]]:
    """(number of Dense layers before it, kind) for each Dropout/BatchNormalization."""
    seen, slots = 0, []
    for layer in layers:
        if layer.kind == "Dense":
            seen += 1
        elif layer.kind in SPECIAL:
            slots.append((seen, layer.kind))
    return slots


def _dense_label(denses: list[Layer], i: int) -> str:
    units = denses[i].units
    same = [j for j, d in enumerate(denses) if d.units == units]
    label = f"{units}-unit Dense layer"
    if i == len(denses) - 1:
        return f"the output layer ({label})"
    if len(same) > 1:
        return f"the {ordinal(same.index(i))} {label}"
    return f"the {label}"


def _where(denses: list[Layer], slot: int, wording: str) -> str:
    """Describe a position between Dense layers, as the question words it."""
    if slot == 0:
        return "right after the input (before the first Dense layer)"
    if wording == "before" and slot < len(denses):
        return f"right before {_dense_label(denses, slot)}"
    return f"right after {_dense_label(denses, slot - 1)}"


def _activation_words(name: str | None) -> str:
    return "no activation" if name in (None, "linear") else f"the {name} activation"


def diagnose(spec: ModelSpec, expected: tuple[Layer, ...], *, n_inputs: int, wording: str) -> str | None:
    """None if ``spec`` has exactly the expected layers, else what is wrong."""
    if spec.n_inputs is not None and spec.n_inputs != n_inputs:
        return (f"The model takes {spec.n_inputs} inputs, but the data has {n_inputs} features: "
                f"keep the starter's keras.Input(shape=({n_inputs},)).")

    allowed = {layer.kind for layer in expected} | {"Dense"}
    for i, layer in enumerate(spec.layers):
        if layer.kind == "Activation":
            before = spec.layers[i - 1] if i else None
            if before is not None and before.kind in SPECIAL:
                return (f"{a(before.kind, capital=True)} sits between a Dense layer and its "
                        f"{layer.activation} activation; in this question each activation stays with its Dense layer.")
            return (f"There is a separate {layer} layer that does not directly follow a Dense layer. "
                    "In this question each activation belongs to its Dense layer.")
        if layer.kind not in allowed:
            return f"The model has {a(layer.kind)} layer, which this question does not use."

    want, got = _denses(expected), _denses(spec.layers)
    if len(got) != len(want):
        return (f"The model has {plural(len(got), 'Dense layer')}; keep the starter's "
                f"{len(want)} ({', '.join(str(d.units) for d in want)} units) and only add the layers asked for.")
    for i, (w, g) in enumerate(zip(want, got)):
        if g.units != w.units:
            return f"The {ordinal(i)} Dense layer has {g.units} units; keep the starter's {w.units}."
        if g.activation != w.activation:
            label = _dense_label(got, i)
            return (f"{label[0].upper()}{label[1:]} has {_activation_words(g.activation)}; "
                    f"keep {_activation_words(w.activation)} of the starter model.")

    want_slots, got_slots = _slots(expected), _slots(spec.layers)
    missing = Counter(want_slots) - Counter(got_slots)
    extra = Counter(got_slots) - Counter(want_slots)
    for kind in SPECIAL:
        n_want, n_got = sum(x.kind == kind for x in expected), spec.count(kind)
        if n_got != n_want:
            count = f"The model has {plural(n_got, kind + ' layer')}; the question asks for {n_want}."
            stray = sorted(s for s, k in extra if k == kind)
            if n_got > n_want and stray:
                return f"{count[:-1]}: the extra one is {_where(want, stray[0], wording)}."
            return count

    want_rates = [x.rate for x in expected if x.kind == "Dropout"]
    got_rates = [x.rate for x in spec.layers if x.kind == "Dropout"]
    for i, (w, g) in enumerate(zip(want_rates, got_rates)):
        if not Layer("Dropout", rate=g).same_as(Layer("Dropout", rate=w)):
            return f"The {ordinal(i)} Dropout has rate {g:g}; the question asks for {w:.0%}."

    if missing or extra:
        for kind in SPECIAL:
            w = sorted(s for s, k in want_slots if k == kind)
            g = sorted(s for s, k in got_slots if k == kind)
            if len(w) > 1 and len(w) == len(g) and all(b == a + 1 for a, b in zip(w, g)):
                if wording == "before":
                    return (f"Your {kind} layers come after the Dense layers; "
                            f"the question asks for one before each Dense layer.")
                return f"Each {kind} sits one Dense layer later than the question asks."
            if len(w) > 1 and len(w) == len(g) and all(b == a - 1 for a, b in zip(w, g)):
                if wording == "after":
                    return (f"Your {kind} layers come before the Dense layers; "
                            f"the question asks for one after each of them.")
                return f"Each {kind} sits one Dense layer earlier than the question asks."
        if missing and extra:
            (slot, kind), (stray, stray_kind) = sorted(missing)[0], sorted(extra)[0]
            if kind == stray_kind:
                return (f"The {kind} {_where(want, stray, wording)} is in the wrong place: "
                        f"the question asks for one {_where(want, slot, wording)}.")
        if missing:
            slot, kind = sorted(missing)[0]
            return f"{a(kind, capital=True)} layer should come {_where(want, slot, wording)}."
        slot, kind = sorted(extra)[0]
        return f"There is {a(kind)} {_where(want, slot, wording)}; the question does not ask for one there."

    if not all(a.same_as(b) for a, b in zip(spec.layers, expected)):
        return ("The layers are all there, but not in the order the question asks for: "
                "check the order of the Dropout and BatchNormalization layers in each block.")
    return None
