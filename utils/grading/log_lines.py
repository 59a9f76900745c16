"""nbgrader's own log lines carry student-chosen text (handed-in file names, student
ids) raw: a name holding a newline, a carriage return or an ANSI escape could draw a
forged ``[AutogradeApp | INFO]`` line in the instructor's terminal (issue #13).

``escape_message`` shows such characters instead of obeying them, and ``install``
applies it to every record nbgrader's applications log (nbgrader_config.py calls it).
"""

from __future__ import annotations

import logging

CONTINUATION = "\n    | "  # a message's own later lines (a traceback) read as part of it


def shown(text: str, limit: int | None = 200) -> str:
    """Text for a terminal: control and format characters escaped (``\\x1b``, ``\\r``)."""
    text = str(text)
    out = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return out if limit is None or len(out) <= limit else out[:limit] + "..."


def escape_message(message: str) -> str:
    """One log message as lines no one can mistake for a log line of their own."""
    return CONTINUATION.join(shown(line, None) for line in str(message).split("\n"))


def install() -> None:
    """Escape the messages of nbgrader's loggers (named after its applications) as the
    records are made, whatever handlers and formats traitlets configures later."""
    import nbgrader.apps  # here: the terminal helpers above must stay light to import

    loggers = frozenset(name for name in dir(nbgrader.apps) if name.endswith("App"))
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "escapes_nbgrader", False):
        return

    def escaped_record(*args, **kwargs):
        record = make_record(*args, **kwargs)
        if record.name in loggers:
            try:
                message = record.getMessage()
            except Exception:  # noqa: BLE001 (a bad format string: logging reports it itself)
                return record
            record.msg, record.args = escape_message(message), ()
        return record

    escaped_record.escapes_nbgrader = True
    logging.setLogRecordFactory(escaped_record)
