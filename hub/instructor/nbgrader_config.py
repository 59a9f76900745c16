"""nbgrader on the hub, for the instructor (this folder is on their JUPYTER_CONFIG_PATH).

The course directory is a clone of the course repository in the instructor's home (its
own nbgrader_config.py, with the sandboxed autograde, is read from there as well: nbgrader
loads ``CourseDirectory.root/nbgrader_config.py`` after this file). The exchange is the
folder every account shares. The values come from the environment the hub gives the
server (hub/jupyterhub_config.py), with these defaults for a shell on the same machine.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = os.environ.get("COURSE_ID", "dropout-batchnorm")
c.CourseDirectory.root = os.path.expanduser(os.environ.get("COURSE_ROOT", "~/course"))
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
