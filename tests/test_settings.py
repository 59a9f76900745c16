"""Course settings: style, seeding, fast mode."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

import utils
from utils import settings


def test_style_name_exists_in_this_matplotlib():
    assert settings.STYLE in plt.style.available


def test_setup_course_makes_random_numbers_repeatable():
    import keras

    def draw():
        utils.setup_course(seed=3)
        return np.random.rand(), float(keras.random.uniform((1,))[0])

    assert draw() == draw()


def test_setup_course_sets_style_and_readable_fonts():
    with matplotlib.rc_context():
        utils.setup_course()
        assert plt.rcParams["axes.titlesize"] >= 12


def test_tensorflow_log_switches_are_set_before_import():
    import os

    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "0"


@pytest.mark.parametrize("nbgrader, forced, expected", [
    (None, None, False),
    ("autograde", None, True),
    ("validate", None, False),
    ("autograde", "0", False),
    (None, "1", True),
])
def test_fast_mode(monkeypatch, nbgrader, forced, expected):
    for name, value in (("NBGRADER_EXECUTION", nbgrader), (settings.FAST_MODE_ENV, forced)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert settings.fast_mode() is expected
    assert settings.epochs(50) == (settings.FAST_EPOCHS if expected else 50)
