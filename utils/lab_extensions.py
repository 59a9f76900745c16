"""Enable exactly the nbgrader JupyterLab plugins the course uses.

The course has no nbgrader exchange, so the assignment and course lists (which
need one) are disabled; the formgrader, "create assignment" and "validate" stay.
Run by ``make setup``; the setting lives in the project's virtual environment.
"""

import subprocess
import sys

ENABLED = ("formgrader", "create-assignment", "validate-assignment")
DISABLED = ("assignment-list", "course-list")


def main() -> int:
    jupyter = [sys.executable, "-m", "jupyter", "labextension"]
    # Disabled plugins are also locked, so the Plugin Manager cannot switch them back on.
    for action, names in (("enable", ENABLED), ("disable", DISABLED), ("lock", DISABLED)):
        for name in names:
            done = subprocess.run(
                [*jupyter, action, "--level=sys_prefix", f"@jupyter/nbgrader:{name}"],
                capture_output=True, text=True,
            )
            if done.returncode != 0:  # JupyterLab's chatter is only worth showing on failure
                print(done.stdout, done.stderr, file=sys.stderr)
                return done.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
