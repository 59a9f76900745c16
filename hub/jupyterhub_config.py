"""JupyterHub for one class of the course, with nbgrader's exchange (README, "On a JupyterHub").

    sudo COURSE_INSTRUCTORS=ada COURSE_STUDENTS=alice,bob \
        /path/to/course/.venv/bin/jupyterhub -f hub/jupyterhub_config.py

Run by root, from the course environment (the one ``make setup`` builds, installed where
every account can read it): each person logs in with their system account (PAM) and gets
a single-user JupyterLab that runs as that account, in their home folder, from the same
environment. Accounts never share a folder; the only shared one is the exchange.

Settings (environment variables of the hub, all optional but the lists of people):

- ``COURSE_INSTRUCTORS``, ``COURSE_STUDENTS``: comma-separated user names. Only they
  may log in; nbgrader's student id is the user name.
- ``COURSE_ID`` (``dropout-batchnorm``): nbgrader's ``CourseDirectory.course_id``.
- ``COURSE_EXCHANGE`` (``/srv/nbgrader/exchange``): ``Exchange.root``. Created at start,
  mode 1777 (everyone writes, nobody deletes another's files), as nbgrader requires.
- ``COURSE_ROOT`` (``~/course``): the instructor's course directory, a clone of the
  course repository (``CourseDirectory.root``).

Each role gets its own folder on ``JUPYTER_CONFIG_PATH``: ``hub/instructor/`` or
``hub/student/``. It holds the role's ``nbgrader_config.py`` and, written here at every
start from ``utils/lab_extensions.py`` (profiles ``hub-instructor`` and ``hub-student``),
what JupyterLab shows: the instructor every nbgrader tool (formgrader, create assignment,
validate, the Assignments and Courses lists); a student the Assignments list (fetch,
submit, fetch feedback) and Validate, with the formgrader's lab plugin and server
extension off. A student's server therefore does not answer at /formgrader.

configurable-http-proxy comes from npm, installed beside this file
(``npm install --prefix hub/.proxy configurable-http-proxy``); one on PATH is used
otherwise. Another file can load this one and change anything (``load_subconfig``),
as tests/test_hub.py does to log people in with a test password.
"""

import os
import shutil
import sys
from pathlib import Path

from utils.lab_extensions import configure

c = get_config()  # noqa: F821 (provided by traitlets when JupyterHub loads this file)

HERE = Path(__file__).resolve().parent
ENV_BIN = Path(sys.executable).parent
COURSE_ID = os.environ.get("COURSE_ID", "dropout-batchnorm")
EXCHANGE = Path(os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange"))
COURSE_ROOT = os.environ.get("COURSE_ROOT", "~/course")
INSTRUCTORS = {name for name in os.environ.get("COURSE_INSTRUCTORS", "").split(",") if name}
STUDENTS = {name for name in os.environ.get("COURSE_STUDENTS", "").split(",") if name}
ROLES = {"instructor": HERE / "instructor", "student": HERE / "student"}

# --- who may log in ------------------------------------------------------------------
# PAM (JupyterHub's default): the machine's accounts and passwords.
c.Authenticator.allowed_users = INSTRUCTORS | STUDENTS
c.Authenticator.admin_users = INSTRUCTORS

# --- the exchange ----------------------------------------------------------------------
# nbgrader's exchange keeps <course_id>/outbound (released), inbound (submitted) and
# feedback; each file belongs to whoever wrote it. World-writable with the sticky bit.
EXCHANGE.mkdir(parents=True, exist_ok=True)
EXCHANGE.chmod(0o1777)

# --- what each role's JupyterLab shows --------------------------------------------------
for role, folder in ROLES.items():
    configure(f"hub-{role}", folder=folder)


def role_of(name: str) -> str:
    return "instructor" if name in INSTRUCTORS else "student"


def course_environment(spawner) -> None:
    """The single-user server's environment: the role's configuration and the course's
    settings (read by hub/<role>/nbgrader_config.py), the course environment first on PATH
    (nbgrader runs ``alembic`` from there when it creates a gradebook)."""
    folder = ROLES[role_of(spawner.user.name)]
    spawner.environment.update({
        "JUPYTER_CONFIG_PATH": str(folder),
        "COURSE_ID": COURSE_ID,
        "COURSE_EXCHANGE": str(EXCHANGE),
        "COURSE_ROOT": COURSE_ROOT,
        "PATH": f"{ENV_BIN}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
    })


c.Spawner.pre_spawn_hook = course_environment
# LocalProcessSpawner (the default): the server runs as the user's own system account.
c.Spawner.cmd = [str(ENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
# LocalProcessSpawner passes on only these of the hub's own variables (its defaults,
# and where the course's data comes from, utils.data).
c.Spawner.env_keep = ["PATH", "PYTHONPATH", "CONDA_ROOT", "CONDA_DEFAULT_ENV", "VIRTUAL_ENV", "LANG",
                      "LC_ALL", "JUPYTERHUB_SINGLEUSER_APP", "COURSE_DATA_MIRROR", "COURSE_DATA_DIR"]
# A training cell can take a while on a busy server; so can the first start.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

# --- the proxy ---------------------------------------------------------------------------
_local_proxy = HERE / ".proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
if _local_proxy.exists():
    c.ConfigurableHTTPProxy.command = [str(_local_proxy)]
elif shutil.which("configurable-http-proxy") is None:
    raise SystemExit("configurable-http-proxy is missing: npm install --prefix hub/.proxy configurable-http-proxy")
