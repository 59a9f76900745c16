"""The course's Python package: settings, data, checks and plotting.

Importing ``utils`` is cheap and has one side effect on purpose: it sets
TensorFlow's log switches before TensorFlow can be imported, because they only
take effect at TensorFlow's import time (both are needed; neither works alone).
"""

import os
from pathlib import Path

# The repository (or student edition) this package sits in; the one place that says so.
REPO_ROOT = Path(__file__).resolve().parent.parent

# 3, not 2: with deterministic ops TF 2.21 logs an ERROR-level line on every fit.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from utils.settings import setup_course, fast_mode, epochs  # noqa: E402

__all__ = ["REPO_ROOT", "setup_course", "fast_mode", "epochs"]
