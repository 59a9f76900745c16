"""How a check result looks: a coloured box in JupyterLab, plain text elsewhere.

A failed check also raises ``CheckFailed``, so nbgrader withholds the points. Its
traceback is a single line (IPython's ``_render_traceback_`` hook): the box
above it already says what is wrong, and a long traceback from inside utils
would only hide that.
"""

from __future__ import annotations

import html
import re

STYLES = {  # status: (symbol, label, border colour, background)
    "correct": ("✔", "Correct", "#2e7d32", "#e8f5e9"),
    "incorrect": ("✘", "Incorrect", "#c62828", "#ffebee"),
    "not attempted": ("…", "Not attempted", "#8d6e00", "#fff8e1"),
    "needs review": ("!", "Needs review", "#6d4c41", "#efebe9"),
    "hint": ("?", "Hint", "#1565c0", "#e3f2fd"),
    "solution": ("★", "Solution", "#6a1b9a", "#f3e5f5"),
}


class CheckFailed(Exception):
    """Raised by a check that did not pass; shown as one line, not a traceback."""

    def __init__(self, title: str, status: str, message: str):
        super().__init__(f"{STYLES[status][1]}: {message}")
        self.title, self.status, self.message = title, status, message

    def _render_traceback_(self):
        # The box above already says what is wrong: one short line, not the message again.
        return [f"{self.title}: {STYLES[self.status][1].lower()}, so no points yet (see the message above)."]


def plain(title: str, status: str, message: str) -> str:
    symbol, label, _, _ = STYLES[status]
    return f"{symbol} {label} ({title}): {message}"


def _with_code(text: str) -> str:
    """Escaped text in which `code` spans become <code> (messages and hints quote code)."""
    return re.sub(r"`([^`\n]+)`", r"<code>\1</code>", html.escape(text))


def box(title: str, status: str, message: str) -> str:
    symbol, label, border, background = STYLES[status]
    slug = status.replace(" ", "-")
    body = (f"<pre style='margin:0.3em 0 0 0'>{html.escape(message)}</pre>" if status == "solution"
            else f"<span>{_with_code(message)}</span>")
    return (f"<div class='course-check course-check-{slug}' style='border-left:6px solid {border};"
            f"background:{background};color:#212121;padding:0.5em 0.9em;margin:0.3em 0;border-radius:4px'>"
            f"<strong style='color:{border}'>{symbol} {label}</strong> "
            f"<span style='color:#555'>({html.escape(title)})</span><br>{body}</div>")


def show(title: str, status: str, message: str) -> None:
    """Display the result: HTML where it renders, plain text otherwise."""
    try:
        from IPython import get_ipython
        from IPython.display import display

        in_kernel = get_ipython() is not None
    except ImportError:
        in_kernel = False
    if in_kernel:
        display({"text/html": box(title, status, message), "text/plain": plain(title, status, message)},
                raw=True)
    else:
        print(plain(title, status, message))
