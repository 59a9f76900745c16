"""What JupyterLab shows in a course environment: which nbgrader tools, and no news pop-up.

    python -m utils.lab_extensions [instructor|student]
    python -m utils.lab_extensions hub-instructor|hub-student --config-dir DIR

Two profiles, written into the environment (``sys.prefix``), never into a home folder:

- ``instructor`` (``make setup`` in the repository, the default): the Nbgrader menu,
  the formgrader, "create assignment" and "validate". The assignment and course lists need an nbgrader
  exchange, which the course does not use, so they are disabled.
- ``student`` (``make lab`` in the student edition): "validate" only. The formgrader and
  "create assignment" are instructor tools, and the lists need the exchange: their lab
  plugins are disabled, with the Nbgrader menu that leads to them, and so are the matching
  server extensions, so the server does not answer at /formgrader either.

Disabled plugins are also locked, so JupyterLab's Plugin Manager cannot switch them back
on. Both profiles turn off JupyterLab's "get official Jupyter news?" pop-up, which covered
every page, and its update check: a default for the environment (``default_setting_
overrides.json`` in ``etc/jupyter/labconfig``); a user's own setting still wins.

The files are the ones ``jupyter labextension disable|lock --level=sys_prefix`` and
``jupyter server extension disable --sys-prefix`` write; they are written directly,
because each of those commands takes seconds to start.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PLUGIN = "@jupyter/nbgrader:{}"
SERVER_EXTENSION = "nbgrader.server_extensions.{}"
SERVER_EXTENSIONS = ("formgrader", "validate_assignment", "assignment_list", "course_list")

# profile: (lab plugins enabled, lab plugins disabled, server extensions switched off)
PROFILES = {
    "instructor": (("menu", "formgrader", "create-assignment", "validate-assignment"),
                   ("assignment-list", "course-list"),
                   ()),
    # "menu" is the Nbgrader menu in the menu bar, which only leads to instructor tools.
    "student": (("validate-assignment",),
                ("menu", "formgrader", "create-assignment", "assignment-list", "course-list"),
                ("formgrader", "assignment_list", "course_list")),
    # On a JupyterHub with nbgrader's exchange (hub/): the lists work there. The instructor
    # gets every tool; a student gets the Assignments list (fetch, submit, fetch feedback),
    # reached through the Nbgrader menu, and Validate. Written into a role's own folder on
    # JUPYTER_CONFIG_PATH, which JupyterLab and Jupyter Server read over sys_prefix's.
    "hub-instructor": (("menu", "formgrader", "create-assignment", "validate-assignment",
                        "assignment-list", "course-list"),
                       (),
                       ()),
    "hub-student": (("menu", "validate-assignment", "assignment-list"),
                    ("formgrader", "create-assignment", "course-list"),
                    ("formgrader", "course_list")),
}
ENABLED, DISABLED, _ = PROFILES["instructor"]

# JupyterLab 4's notification settings: "fetchNews" is "true", "false" or "none" (ask,
# which is what shows the pop-up); "checkForUpdates" only acts when news are fetched.
QUIET_SETTINGS = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def config_dir(prefix: str | Path | None = None) -> Path:
    """The environment's Jupyter configuration folder (``--level=sys_prefix``)."""
    return Path(prefix or sys.prefix) / "etc" / "jupyter"


def _update_json(path: Path, update) -> None:
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() and path.stat().st_size else {}
    update(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def configure(profile: str, prefix: str | Path | None = None, *, folder: str | Path | None = None) -> None:
    """Write ``profile`` into the environment ``prefix`` (default: this one), or into the
    Jupyter configuration ``folder`` given (a role's folder on JUPYTER_CONFIG_PATH)."""
    enabled, disabled, servers_off = PROFILES[profile]
    layered = folder is not None
    folder = Path(folder) if layered else config_dir(prefix)

    def plugins(page_config: dict) -> None:
        states = page_config.setdefault("disabledExtensions", {})
        locks = page_config.setdefault("lockedExtensions", {})
        for name in enabled:
            states[PLUGIN.format(name)] = False
            locks.pop(PLUGIN.format(name), None)
            if layered:  # over a lower level that locked it disabled
                locks[PLUGIN.format(name)] = False
        for name in disabled:
            states[PLUGIN.format(name)] = True
            locks[PLUGIN.format(name)] = True

    def settings(overrides: dict) -> None:
        for plugin, values in QUIET_SETTINGS.items():
            overrides.setdefault(plugin, {}).update(values)

    _update_json(folder / "labconfig" / "page_config.json", plugins)
    _update_json(folder / "labconfig" / "default_setting_overrides.json", settings)
    # One file per extension, named as `jupyter server extension disable` names it; it is
    # read after nbgrader's own nbgrader.json (which enables all four), so it wins. In the
    # other profile the file goes, and nbgrader.json decides again.
    for name in SERVER_EXTENSIONS:
        extension = SERVER_EXTENSION.format(name)
        path = folder / "jupyter_server_config.d" / f"{extension}.json"
        if name in servers_off or layered:
            _update_json(path, lambda data, e=extension, on=name not in servers_off: data.setdefault(
                "ServerApp", {}).setdefault("jpserver_extensions", {}).update({e: on}))
        else:
            path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = None
    if len(args) == 3 and args[1] == "--config-dir":
        args, folder = args[:1], args[2]
    profile = args[0] if args else "instructor"
    if profile not in PROFILES or len(args) > 1:
        print(f"usage: python -m utils.lab_extensions [{'|'.join(PROFILES)}] [--config-dir DIR]", file=sys.stderr)
        return 2
    configure(profile, folder=folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
