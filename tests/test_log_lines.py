"""nbgrader's own log lines show student-chosen text escaped (issue #13, class 6).

The end-to-end proof is test_bad_submissions::test_file_names_cannot_forge_log_lines,
which hands in a file whose name forges a line; these pin the pieces."""

import io
import logging

import pytest

from utils.grading import log_lines

FORGERY = "x\x1b[2K\r[AutogradeApp | INFO] all 6/6\n.txt"


def test_control_characters_are_shown_not_obeyed():
    assert log_lines.shown("eve\x1b[31m\nred\u202e") == "eve\\x1b[31m\\nred\\u202e"
    assert log_lines.shown("José Ñ") == "José Ñ"
    assert len(log_lines.shown("x" * 1000, limit=50)) == 53
    assert log_lines.shown("x" * 1000, limit=None) == "x" * 1000


def test_a_message_s_later_lines_are_marked_as_its_own():
    escaped = log_lines.escape_message("Copying " + FORGERY)
    first, second = escaped.split("\n")
    assert first == "Copying x\\x1b[2K\\r[AutogradeApp | INFO] all 6/6"
    assert second == "    | .txt"


@pytest.fixture
def nbgrader_log():
    """The AutogradeApp logger with a handler as traitlets sets one up, and the
    record factory restored afterwards."""
    factory = logging.getLogRecordFactory()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("[%(name)s | %(levelname)s] %(message)s"))
    log = logging.getLogger("AutogradeApp")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield log, stream
    log.removeHandler(handler)
    logging.setLogRecordFactory(factory)


def test_nbgrader_records_are_escaped_once_installed(nbgrader_log):
    log, stream = nbgrader_log
    log_lines.install()
    log_lines.install()  # a second config load does not escape twice
    log.info("Copying %s -> %s", FORGERY, "autograded/" + FORGERY)
    log.warning("Removing failed notebook: {}".format(FORGERY))
    lines = stream.getvalue().split("\n")
    assert [ln for ln in lines if ln.startswith("[AutogradeApp")] == [
        "[AutogradeApp | INFO] Copying x\\x1b[2K\\r[AutogradeApp | INFO] all 6/6",
        "[AutogradeApp | WARNING] Removing failed notebook: x\\x1b[2K\\r[AutogradeApp | INFO] all 6/6"]
    assert not any("\r" in ln or "\x1b" in ln for ln in lines)


def test_other_loggers_are_left_alone(nbgrader_log):
    log_lines.install()
    record = logging.getLogger("ServerApp").makeRecord("ServerApp", logging.INFO, "f", 1, "a\nb %s", ("c",), None)
    assert (record.msg, record.args) == ("a\nb %s", ("c",))


def test_a_bad_format_string_is_left_for_logging_to_report(nbgrader_log):
    log_lines.install()
    record = logging.getLogger("AutogradeApp").makeRecord("AutogradeApp", logging.INFO, "f", 1, "%d", ("x",), None)
    assert (record.msg, record.args) == ("%d", ("x",))
