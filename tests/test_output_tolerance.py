"""utils.nbval_tolerance: how nbval compares stored outputs with a fresh run.

Decimal numbers may drift within the tolerance (another CPU, TensorFlow's oneDNN
path); everything else must stay, and a claim that flips must fail.
"""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from utils import nbval_tolerance as tol
from utils.nbval_tolerance import agree

from utils import REPO_ROOT as REPO  # noqa: E402


def stored_stdout(notebook: str, cell_id: str) -> str:
    nb = nbformat.read(REPO / notebook, as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == cell_id)
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


LESSON_1_SUMMARY = stored_stdout("lessons/1_dropout.ipynb", "experiment_figures")


# ------------------------------------------------------------------ the rule


def test_equal_text_agrees():
    assert agree("", "")
    assert agree("Dense(64, relu) → Dense(1)\n", "Dense(64, relu) → Dense(1)\n")
    assert agree(LESSON_1_SUMMARY, LESSON_1_SUMMARY)


def test_last_digit_drift_agrees():
    assert agree("final train 0.5314, final val 0.5474", "final train 0.5323, final val 0.5479")
    assert agree("0.4784", "0.4785")
    assert agree("gap -0.0010", "gap +0.0010")           # the sign is part of the value
    assert agree("epsilon 1e-05", "epsilon 1.02e-05")


def test_the_measured_drift_of_the_stored_lesson_output_agrees():
    # Lesson 1's summary as TF_ENABLE_ONEDNN_OPTS=1 printed it on a CPU without
    # AVX-512 (the other machine; here ONEDNN_MAX_CPU_ISA=AVX2).
    drifted = LESSON_1_SUMMARY.replace("0.4899", "0.4894").replace("0.5314", "0.5175") \
        .replace("0.5474", "0.5354").replace("+0.0160", "+0.0179")
    assert drifted != LESSON_1_SUMMARY
    assert agree(LESSON_1_SUMMARY, drifted)


def _row(text: str, start: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(start))


def test_a_flipped_claim_fails():
    # The stored lesson 1 output with its claim flipped: the network with dropout
    # now shows the gap of the one without (+0.15), and the other way round.
    plain, dropped = _row(LESSON_1_SUMMARY, "without dropout"), _row(LESSON_1_SUMMARY, "with dropout")
    assert "+0.1466" in plain and "+0.0160" in dropped
    flipped = LESSON_1_SUMMARY.replace(plain, plain.replace("+0.1466", "+0.0160")) \
        .replace(dropped, dropped.replace("+0.0160", "+0.1466"))
    assert not agree(LESSON_1_SUMMARY, flipped)
    only_dropout_row = LESSON_1_SUMMARY.replace(dropped, dropped.replace("+0.0160", "+0.1500"))
    assert not agree(LESSON_1_SUMMARY, only_dropout_row)
    assert not agree("gap +0.02", "gap +0.15") and not agree("gap +0.15", "gap +0.02")


def test_beyond_the_tolerance_fails():
    limit = tol.ABS_TOL + tol.REL_TOL * 0.5
    assert agree("0.5000", f"{0.5 + 0.99 * limit:.4f}")
    assert not agree("0.5000", f"{0.5 + 1.01 * limit:.4f}")
    assert not agree("0.5000", f"{0.5 - 1.01 * limit:.4f}")


def test_changed_words_fail():
    assert not agree(LESSON_1_SUMMARY, LESSON_1_SUMMARY.replace("  no\n", "  yes, in epoch 3\n", 1))
    assert not agree("validation MSE 0.0572, below predicting the mean",
                     "validation MSE 0.0572, above predicting the mean")
    assert not agree("without dropout", "with dropout")
    assert not agree("loss 0.5 (MAE)", "loss 0.5 (MSE)")
    assert not agree("a\nb", "a b")            # line breaks count


def test_changed_whole_numbers_fail():
    assert not agree("11 inputs; 1119 training and 480 validation wines",
                     "11 inputs; 1120 training and 479 validation wines")
    assert not agree("Total params: 134,913 (527.00 KB)", "Total params: 134,914 (527.00 KB)")
    assert not agree("Dense      65792 weights", "Dense      65793 weights")
    assert not agree("60/60 epochs", "59/60 epochs")
    assert not agree("(11,)", "(12,)")
    assert not agree("loss 1", "loss 1.0")     # a whole number stays whole


def test_nan_and_numbers_never_agree():
    assert not agree("final training loss nan", "final training loss 0.4421")
    assert not agree("final training loss 0.4421", "final training loss nan")
    assert not agree("loss inf", "loss 1e+30")
    assert agree("final training loss nan", "final training loss nan")


def test_numbers_inside_words_and_versions_are_text():
    assert not agree("dense_1", "dense_2")
    assert not agree("color:#2e7d32", "color:#2e7d33")
    assert not agree("Python 3.11.7", "Python 3.11.8")
    assert tol.split("loss 0.570.") == ["loss ", "0.570", "."]


def test_aligned_columns_may_move():
    assert agree(" 9.9990  x\n", "10.0010  x\n")  # one digit longer: the table realigns
    assert agree("a  0.5   b", "a 0.5 b")
    assert not agree("a 0.5 b c", "a 0.5 bc")


def _table(scale: float) -> pd.DataFrame:
    return pd.DataFrame({"best val": [0.4863 * scale, 0.4899], "gap": [0.1466, 0.0160]},
                        index=["without dropout", "with dropout"]).round(4)


def test_tables_use_the_same_rule_as_html_and_as_text():
    stored, drifted, changed = _table(1.0), _table(1.02), _table(1.5)
    for render in (pd.DataFrame.to_html, lambda df: repr(df)):
        assert agree(render(stored), render(drifted))
        assert not agree(render(stored), render(changed))
        assert not agree(render(stored), render(stored.rename(index={"with dropout": "with batchnorm"})))
        flipped = stored.copy()
        flipped["gap"] = [0.0160, 0.1466]
        assert not agree(render(stored), render(flipped))


# ------------------------------------------------------------------ nbval's outputs


def test_reconcile_outputs_replaces_only_agreeing_texts():
    stored = [new_output("stream", name="stdout", text="loss 0.5314\n"),
              new_output("display_data", data={"text/plain": "gap +0.0160", "image/png": "AAAA"})]
    new = [new_output("stream", name="stdout", text="loss 0.5323\n"),
           new_output("display_data", data={"text/plain": "gap +0.1466", "image/png": "BBBB"})]
    result = tol.reconcile_outputs(new, stored)
    assert result[0].text == "loss 0.5314\n"                 # drift: replaced by the stored text
    assert result[1].data["text/plain"] == "gap +0.1466"     # a real change stays for nbval to report
    assert new[0].text == "loss 0.5323\n"                    # the fresh outputs are not modified
    # A different number of outputs is left for nbval to report.
    assert tol.reconcile_outputs(new[:1] * 2, stored[:1]) == new[:1] * 2


def test_the_repository_configures_nbval_to_use_the_rule(pytestconfig):
    from nbval.plugin import IPyNbCell

    assert pytestconfig.pluginmanager.has_plugin("utils.nbval_tolerance")
    assert getattr(IPyNbCell.compare_outputs, "within_tolerance", False)


@pytest.mark.slow
def test_nbval_accepts_drift_and_rejects_a_flipped_claim(tmp_path):
    """End to end: nbval with the plugin, on a notebook whose stored outputs are
    the lesson's and whose cells print a drifted and a flipped version."""
    dropped = _row(LESSON_1_SUMMARY, "with dropout")
    drifted = dropped.replace("0.5314", "0.5323").replace("0.5474", "0.5479")
    flipped = dropped.replace("+0.0160", "+0.1466")
    nb = new_notebook(cells=[
        new_code_cell(f"print({text!r})", execution_count=1,
                      outputs=[new_output("stream", name="stdout", text=dropped + "\n")])
        for text in (dropped, drifted, flipped)])
    path = tmp_path / "claims.ipynb"
    nbformat.write(nb, path)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "utils.nbval_tolerance", "-p", "no:cacheprovider",
         "--nbval", "--nbval-current-env", "-rA", "-q", path.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    report = result.stdout + result.stderr
    assert "PASSED claims.ipynb::Cell 0" in report, report
    assert "PASSED claims.ipynb::Cell 1" in report, report
    assert "FAILED claims.ipynb::Cell 2" in report, report
    assert "+0.1466" in report  # nbval shows the offending number
